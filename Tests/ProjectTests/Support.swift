import Foundation
import Testing

/// The repository's root directory (this file is Tests/ProjectTests/Support.swift).
let repositoryRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The directory of the release binaries `make test` runs against (`WINCNI_BIN`), when it holds them.
var releaseBinaries: String? {
    guard let bin = ProcessInfo.processInfo.environment["WINCNI_BIN"], !bin.isEmpty,
        FileManager.default.isExecutableFile(atPath: bin + "/wincni")
    else { return nil }
    return bin
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs `executable` with `arguments` in `directory`, stdin from `stdin`; stdout and stderr go through files, so no
/// pipe fills up.
func runProcess(
    _ executable: String, _ arguments: [String], in directory: String = repositoryRoot,
    environment: [String: String] = [:], stdin: String = ""
) throws -> ProcessResult {
    let scratch = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let paths = ["in", "out", "err"].map { scratch + "/" + $0 }
    try stdin.write(toFile: paths[0], atomically: false, encoding: .utf8)
    for path in paths.dropFirst() { _ = FileManager.default.createFile(atPath: path, contents: nil) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    var variables = ProcessInfo.processInfo.environment
    for (key, value) in environment { variables[key] = value }
    process.environment = variables
    process.standardInput = FileHandle(forReadingAtPath: paths[0])
    process.standardOutput = FileHandle(forWritingAtPath: paths[1])
    process.standardError = FileHandle(forWritingAtPath: paths[2])
    try process.run()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, stdout: try String(contentsOfFile: paths[1], encoding: .utf8),
        stderr: try String(contentsOfFile: paths[2], encoding: .utf8))
}

/// A new empty directory under /tmp.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "wincni-project-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
