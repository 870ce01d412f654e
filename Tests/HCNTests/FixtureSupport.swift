#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#elseif canImport(ucrt)
    import ucrt
#endif

/// Fixture files live next to this source file; tests read them with the C library (no Foundation).
enum Fixtures {
    static let directory: String = {
        let file = #filePath
        guard let slash = file.lastIndex(where: { $0 == "/" || $0 == "\\" }) else { return "Fixtures" }
        return String(file[..<slash]) + "/Fixtures"
    }()

    static func read(_ name: String) -> String {
        let path = directory + "/" + name
        guard let file = fopen(path, "rb") else { fatalError("cannot open fixture \(path)") }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The fixture text without its final newline.
    static func document(_ name: String) -> String {
        var text = read(name)
        while text.last == "\n" || text.last == "\r" { text.removeLast() }
        return text
    }
}
