// Wiring only (STYLE.md rule 1): the environment in, the output out; HNSControl does the rest (the node's HNS on
// Windows unless --sim DIR or WINCNI_HNS=sim:DIR; the simulator elsewhere).
import HNSControl
import Platform

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#elseif canImport(ucrt)
    import ucrt
#endif

let output = HNSControl.run(
    arguments: Array(CommandLine.arguments.dropFirst()), hnsSelector: ProcessEnvironment.value("WINCNI_HNS"))
ProcessEnvironment.writeStandardOutput(Array(output.stdout.utf8))
ProcessEnvironment.writeStandardError(Array(output.stderr.utf8))
exit(output.exitCode)
