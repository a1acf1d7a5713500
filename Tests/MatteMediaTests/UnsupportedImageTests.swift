import Testing

@testable import MatteMedia

/// The header reader that names animated WebP and Lab/float TIFF reads untrusted bytes: it must find the kinds
/// it knows, in both TIFF byte orders and with inline or indirect values, and never read past the end.
@Suite struct UnsupportedImageTests {
    /// A TIFF header and first directory holding `entries` (tag, type, count, value field), `byteOrder` II or MM.
    static func tiff(_ entries: [(tag: Int, type: Int, count: Int, value: [UInt8])], little: Bool = true) -> [UInt8] {
        func u16(_ v: Int) -> [UInt8] { little ? [UInt8(v & 255), UInt8(v >> 8)] : [UInt8(v >> 8), UInt8(v & 255)] }
        func u32(_ v: Int) -> [UInt8] {
            let bytes = [UInt8(v & 255), UInt8(v >> 8 & 255), UInt8(v >> 16 & 255), UInt8(v >> 24)]
            return little ? bytes : bytes.reversed()
        }
        var bytes: [UInt8] = (little ? [0x49, 0x49] : [0x4D, 0x4D]) + u16(42) + u32(8) + u16(entries.count)
        for entry in entries {
            bytes += u16(entry.tag) + u16(entry.type) + u32(entry.count) + entry.value
        }
        return bytes + u32(0)
    }

    static func short(_ value: Int, little: Bool = true) -> [UInt8] {
        little ? [UInt8(value), 0, 0, 0] : [0, UInt8(value), 0, 0]
    }

    @Test(arguments: [true, false])
    func labAndFloatTIFFAreNamed(little: Bool) {
        let lab = Self.tiff([(262, 3, 1, Self.short(8, little: little))], little: little)
        #expect(UnsupportedImage.tiffColour(lab) == "Lab")
        let float = Self.tiff([(339, 3, 1, Self.short(3, little: little))], little: little)
        #expect(UnsupportedImage.tiffColour(float) == "floating-point")
        let rgb = Self.tiff(
            [(262, 3, 1, Self.short(2, little: little)), (339, 3, 1, Self.short(1, little: little))],
            little: little
        )
        #expect(UnsupportedImage.tiffColour(rgb) == nil)
    }

    @Test func threeSampleFormatsAreReadFromTheirOffset() {
        // Three SHORTs do not fit in the entry: the value field holds where they are (just after the directory).
        let directoryEnd = 8 + 2 + 12 + 4
        var bytes = Self.tiff([(339, 3, 3, [UInt8(directoryEnd), 0, 0, 0])])
        bytes += [3, 0, 3, 0, 3, 0]
        #expect(UnsupportedImage.tiffColour(bytes) == "floating-point")
        // An offset past the end is no answer, not a crash.
        let outside = Self.tiff([(339, 3, 3, [0xFF, 0xFF, 0, 0])])
        #expect(UnsupportedImage.tiffColour(outside) == nil)
    }

    @Test func truncatedAndHostileHeadersAreNotRead() {
        let lab = Self.tiff([(262, 3, 1, Self.short(8))])
        for length in 0..<lab.count {
            _ = UnsupportedImage.tiffColour(Array(lab.prefix(length)))
        }
        // A directory claiming 65535 entries, and one pointing past the end.
        #expect(UnsupportedImage.tiffColour([0x49, 0x49, 42, 0, 8, 0, 0, 0, 0xFF, 0xFF]) == nil)
        #expect(UnsupportedImage.tiffColour([0x49, 0x49, 42, 0, 0xFF, 0xFF, 0xFF, 0x7F]) == nil)
        #expect(UnsupportedImage.kind(of: []) == nil)
    }

    @Test func animatedWebPIsNamedAndAStillOneIsNot() {
        var header = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBPVP8X".utf8) + [10, 0, 0, 0, 0x02, 0, 0, 0]
        #expect(UnsupportedImage.isAnimatedWebP(header))
        #expect(UnsupportedImage.kind(of: header)?.contains("animated WebP") == true)
        header[20] = 0x10  // alpha only
        #expect(!UnsupportedImage.isAnimatedWebP(header))
        #expect(!UnsupportedImage.isAnimatedWebP(Array(header.prefix(20))))
    }
}
