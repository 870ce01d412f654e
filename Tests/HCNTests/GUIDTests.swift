import Testing

@testable import HCN

@Suite("GUID text, bytes and C layout")
struct GUIDTests {
    @Test("text in any case, with or without braces, prints in upper case")
    func parsesAndPrints() throws {
        let id = try #require(GUID("5e6298c2-7A1B-4c3d-8E9F-0a1b2c3d4e5f"))
        #expect(id.description == "5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5F")
        #expect(GUID("{5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5F}") == id)
        #expect(
            id.bytes == [
                0x5E, 0x62, 0x98, 0xC2, 0x7A, 0x1B, 0x4C, 0x3D, 0x8E, 0x9F, 0x0A, 0x1B, 0x2C, 0x3D, 0x4E, 0x5F,
            ])
        #expect(GUID(bytes: id.bytes) == id)
        #expect(GUID.zero.description == "00000000-0000-0000-0000-000000000000")
        #expect(GUID("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF")?.bytes == [UInt8](repeating: 0xFF, count: 16))
        #expect(GUID("00000000-0000-0000-0000-000000000000")?.isZero == true)
        #expect(GUID("00000000-0000-0000-0000-000000000001")?.isZero == false)
    }

    @Test(
        "anything but the 36-character form (or it in braces) is refused",
        arguments: [
            "", "5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5", "5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5F0",
            "5E6298C2A7A1B-4C3D-8E9F-0A1B2C3D4E5F", "5E6298C2-7A1B-4C3D-8E9F0-A1B2C3D4E5F",
            "5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5G", "G5E6298C-7A1B-4C3D-8E9F-0A1B2C3D4E5F",
            "{5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5F", "5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5F}",
            "(5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5F)", "5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4É5",
            " 5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5F", "5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5 ",
            "+E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5F", "5E6298C2-7A1B--C3D-8E9F-0A1B2C3D4E5F",
        ])
    func refuses(_ text: String) {
        #expect(GUID(text) == nil)
    }

    @Test("the C struct: Data1-3 little-endian, Data4 as is, both ways")
    func memoryLayout() throws {
        let id = try #require(GUID("01020304-0506-0708-090A-0B0C0D0E0F10"))
        let layout: [UInt8] = [4, 3, 2, 1, 6, 5, 8, 7, 9, 10, 11, 12, 13, 14, 15, 16]
        #expect(id.memoryLayoutBytes == layout)
        id.withMemoryLayout { raw in #expect(Array(raw) == layout) }
        let read = layout.withUnsafeBytes { raw in GUID(memoryLayout: raw.baseAddress!) }
        #expect(read == id)
        #expect(read.description == "01020304-0506-0708-090A-0B0C0D0E0F10")
        // An unaligned struct reads the same.
        let shifted = ([0] + layout).withUnsafeBytes { raw in GUID(memoryLayout: raw.baseAddress! + 1) }
        #expect(shifted == id)
    }

    @Test("equal GUIDs hash alike; any differing byte makes them unequal")
    func equality() throws {
        let base = try #require(GUID("5E6298C2-7A1B-4C3D-8E9F-0A1B2C3D4E5F"))
        #expect(Set([base, GUID(bytes: base.bytes)]).count == 1)
        for index in 0..<16 {
            var bytes = base.bytes
            bytes[index] ^= 0x01
            let other = GUID(bytes: bytes)
            #expect(other != base)
            #expect(GUID(other.description) == other)
            #expect(Set([base, other]).count == 2)
        }
    }
}
