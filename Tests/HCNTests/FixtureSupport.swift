import Platform

/// Fixture files live next to this source file; tests read them through the platform layer (no Foundation).
enum Fixtures {
    static let directory: String = {
        let file = #filePath
        guard let slash = file.lastIndex(where: { $0 == "/" || $0 == "\\" }) else { return "Fixtures" }
        return String(file[..<slash]) + "/Fixtures"
    }()

    static func read(_ name: String) -> String {
        let path = directory + "/" + name
        do throws(PlatformError) {
            return String(decoding: try Files.read(path), as: UTF8.self)
        } catch {
            fatalError("cannot read fixture: \(error)")
        }
    }

    /// The fixture text without its final newline.
    static func document(_ name: String) -> String {
        var text = read(name)
        while text.last == "\n" || text.last == "\r" { text.removeLast() }
        return text
    }
}
