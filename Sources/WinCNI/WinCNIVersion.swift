import CBuildInfo

/// wincni's own version: the release (the top entry of CHANGELOG.md, tagged `v<release>` when it is published) and
/// the commit it was built from. Shown in the about text, in every logFile line and by `hnsctl --version`.
public enum WinCNIVersion {
    /// The release this tree belongs to; bump it with a new CHANGELOG.md entry.
    public static let release = "0.1.2"

    /// The commit compiled in (`make` passes `git rev-parse --short=12 HEAD`, with `-dirty` for a changed tree), or
    /// `unknown` when the build had no git checkout or ran without the Makefile's WINCNI_COMMIT.
    public static let commit = String(cString: wincni_build_commit())

    /// `0.1.0 (commit 1a2b3c4d5e6f)`, for people.
    public static var description: String { "\(release) (commit \(commit))" }

    /// `0.1.0+1a2b3c4d5e6f`: the release with the commit as semantic-versioning build metadata, for log lines.
    public static var semantic: String { "\(release)+\(commit)" }
}
