import JSON
import Testing

@testable import WinCNI

/// The `Fixtures` directory next to this file.
let fixturesDirectory: String = {
    let file = #filePath
    let directory = file[..<(file.lastIndex(of: "/") ?? file.endIndex)]
    return directory + "/Fixtures"
}()

/// The repository root (for `conf/`).
let repositoryRoot: String = {
    var path = #filePath
    for _ in 0..<3 { path = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)]) }
    return path
}()

func readText(_ path: String) throws -> String {
    String(decoding: try FileSystem.readFile(path), as: UTF8.self)
}

func fixtureObject(_ name: String) throws -> JSONObject {
    let value = try JSON.parse(try readText("\(fixturesDirectory)/configs/\(name).json"))
    return try #require(value.objectValue)
}

func object(_ text: String) throws -> JSONObject {
    try #require(try JSON.parse(text).objectValue)
}

/// The error a throwing expression produced, for table tests that compare messages.
func thrownError<T>(_ body: () throws -> T) -> WinCNIError? {
    do {
        _ = try body()
        return nil
    } catch let error as WinCNIError {
        return error
    } catch {
        return .internalFailure("unexpected error \(error)")
    }
}
