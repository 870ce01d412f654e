// The libFuzzer binary: built by scripts/fuzz.sh with `swiftc -sanitize=fuzzer -parse-as-library` (libFuzzer
// provides main). Not part of any SwiftPM target, so `swift build` never links libFuzzer.
import WinCNIFuzz

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzEntry.run(bytes)
    return 0
}
