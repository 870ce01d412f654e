/// The text of `count` UTF-16 code units. HCN documents are ASCII almost always, and the generic UTF-16 decoder
/// goes scalar by scalar: an all-ASCII buffer is narrowed unit by unit instead. Both loops over the units have no
/// early exit, so the compiler can run them several units at a time.
public func decodeUTF16(_ units: UnsafeBufferPointer<UInt16>) -> String {
    guard let source = units.baseAddress, !units.isEmpty else { return "" }
    let count = units.count
    var union: UInt16 = 0
    for index in 0..<count { union |= source[index] }
    if union >= 0x80 { return String(decoding: units, as: UTF16.self) }
    return String(unsafeUninitializedCapacity: count) { bytes in
        guard let target = bytes.baseAddress else { return 0 }
        for index in 0..<count { target[index] = UInt8(truncatingIfNeeded: source[index]) }
        return count
    }
}
