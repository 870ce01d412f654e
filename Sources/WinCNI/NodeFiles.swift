import Platform

/// Read-only access to a node's files for `hnsctl doctor` (subnet.env, the CNI config directory, flannel's dataDir,
/// the logFile), through the platform layer.
public enum NodeFiles {
    /// A file that could not be read: its path, and what went wrong.
    public struct ReadError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var message: String
        /// The file or directory does not exist.
        public var isNotFound: Bool
        /// `readRegular` found a symbolic link, FIFO or device at the path.
        public var isNotRegular: Bool
        public var description: String { "\(path): \(message)" }

        init(_ error: PlatformError) {
            path = error.path
            message = error.text
            isNotFound = error.kind == .notFound
            isNotRegular = error.kind == .notRegular
        }
    }

    /// The whole file.
    public static func read(_ path: String) throws(ReadError) -> [UInt8] {
        do throws(PlatformError) { return try Files.read(path) } catch { throw ReadError(error) }
    }

    /// The whole file when it is a regular file: never through a symbolic link, never waiting on a FIFO (the
    /// logFile, which the plugin itself opens only so).
    public static func readRegular(_ path: String) throws(ReadError) -> [UInt8] {
        do throws(PlatformError) { return try Files.read(path, only: .regularOnly) } catch { throw ReadError(error) }
    }

    /// The names in `directory`, sorted; a missing directory has none.
    public static func list(_ directory: String) throws(ReadError) -> [String] {
        do throws(PlatformError) {
            return try Files.list(directory).sorted()
        } catch {
            if error.kind == .notFound { return [] }
            throw ReadError(error)
        }
    }

    public static func exists(_ path: String) -> Bool { Files.exists(path) }

    /// Whether `name` in flannel's dataDir is a saved delegate config: not a hidden file (such as the spare file
    /// earlier wincni versions kept there), nor an atomic write's temporary file (`<sandboxID>.tmp<pid>.<n>`).
    public static func isSavedDelegateConfig(_ name: String) -> Bool {
        !name.hasPrefix(".") && FlannelMeta.temporaryFileSandbox(name) == nil
    }
}
