import Dispatch
import HostLocal
import JSON
import Platform
import Testing

/// A fresh directory under /tmp, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() throws {
        path = try Files.makeTemporaryDirectory(prefix: "hostlocal-test-")
    }

    func remove() { removeTree(path) }
}

func removeTree(_ path: String) { Files.removeTree(path) }

func exists(_ path: String) -> Bool { Files.exists(path) }

func fileMode(_ path: String) -> UInt32? { ((try? Files.information(path)) ?? nil).map { $0.permissions & 0o777 } }

func readBytes(_ path: String) -> [UInt8]? { try? Files.read(path) }

func readText(_ path: String) -> String? { readBytes(path).map { String(decoding: $0, as: UTF8.self) } }

func writeFile(_ path: String, _ text: String) {
    do { try Files.write(path, Array(text.utf8), permissions: 0o644) } catch { preconditionFailure("\(error)") }
}

/// A second name for `existing`, made by `ln` (the tests have no platform code of their own).
func makeHardLink(_ existing: String, _ path: String) throws {
    let child = try ChildProcess("/bin/ln", arguments: [existing, path], environment: nil)
    guard try child.wait() == 0 else { throw HostLocalError(.io, path: path, "ln failed") }
}

func makeDirectory(_ path: String) { _ = try? Files.makeDirectories(path, permissions: 0o755) }

func listing(_ path: String) -> [String] { ((try? Files.list(path)) ?? []).sorted() }

/// Decodes `ipam` JSON text (as it would appear under the `ipam` key) with `dataDir` added when given.
func config(_ text: String, dataDir: String? = nil) throws -> HostLocalConfig {
    guard case .object(var object) = try JSON.parse(text) else {
        throw HostLocalError(.invalidConfig, path: "", "not an object")
    }
    if let dataDir { object["dataDir"] = .string(dataDir) }
    return try HostLocalConfig.decode(object, path: "ipam")
}

/// Runs `body(index)` on `count` threads at once (one serial queue each, so none waits for a free worker) and
/// waits for all of them.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        DispatchQueue(label: "wincni.test.\(index)").async(group: group) { body(index) }
    }
    group.wait()
}

func monotonicSeconds() -> Double { ProcessEnvironment.monotonicSeconds() }
