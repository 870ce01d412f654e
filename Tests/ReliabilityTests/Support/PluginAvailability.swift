import Testing

/// Whether `bin/wincni` has the plugin wired in. Until it has, the binary validates its input and answers every
/// command with a code-999 "not implemented" error, and the suites that need the plugin are skipped.
enum PluginAvailability {
    static let isWired: Bool = {
        guard let node = try? TestNode(), let pod = try? node.pod("probe"),
            let output = try? node.run("wincni", "ADD", pod, config: node.directConfig())
        else { return false }
        return !output.stdout.contains("is not implemented yet")
    }()

    static let reason: Comment = "the WinCNI plugin is not wired into bin/wincni yet"
}
