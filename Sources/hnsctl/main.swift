import HNSControl

#if canImport(Glibc)
    import Glibc
#endif

// Wiring only (STYLE.md rule 1): the environment in, the output out; HNSControl does the rest.
let selector = getenv("WINCNI_HNS").map { String(cString: $0) }
let output = HNSControl.run(arguments: Array(CommandLine.arguments.dropFirst()), hnsSelector: selector)
_ = Array(output.stdout.utf8).withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
_ = Array(output.stderr.utf8).withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
exit(output.exitCode)
