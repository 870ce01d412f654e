/// The text of `count` UTF-16 code units. HCN documents are ASCII almost always, and the generic UTF-16 decoder
/// goes scalar by scalar: an all-ASCII buffer is copied byte by byte instead.
public func decodeUTF16(_ units: UnsafeBufferPointer<UInt16>) -> String {
    for unit in units where unit >= 0x80 { return String(decoding: units, as: UTF16.self) }
    return String(unsafeUninitializedCapacity: units.count) { bytes in
        for (position, unit) in units.enumerated() { bytes[position] = UInt8(truncatingIfNeeded: unit) }
        return units.count
    }
}
