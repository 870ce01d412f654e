/// Read-only access to a node's files for `hnsctl doctor` (subnet.env, the CNI config directory, flannel's dataDir,
/// the logFile), through the same file layer the plugin uses.
public enum NodeFiles {
    /// A file that could not be read: its path, and what went wrong.
    public struct ReadError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var message: String
        /// The file or directory does not exist.
        public var isNotFound: Bool
        public var description: String { "\(path): \(message)" }
    }

    /// The whole file.
    public static func read(_ path: String) throws(ReadError) -> [UInt8] {
        do {
            return try FileSystem.readFile(path)
        } catch {
            throw ReadError(path: error.path, message: error.message, isNotFound: error.isNotFound)
        }
    }

    /// The names in `directory`, sorted; a missing directory has none.
    public static func list(_ directory: String) throws(ReadError) -> [String] {
        do {
            return try FileSystem.list(directory).sorted()
        } catch {
            throw ReadError(path: error.path, message: error.message, isNotFound: error.isNotFound)
        }
    }

    public static func exists(_ path: String) -> Bool { FileSystem.exists(path) }

    /// Whether `name` in flannel's dataDir is a saved delegate config (not the spare file a DEL keeps for the next
    /// ADD, nor a file being written).
    public static func isSavedDelegateConfig(_ name: String) -> Bool {
        name != FlannelMeta.spareName && !name.contains(".tmp") && !name.hasPrefix(".")
    }
}
