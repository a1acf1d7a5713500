import MatteFileNames
import Testing

/// File names are bytes: every byte string must come back exactly from the String Matte keeps it in.
@Suite struct FileNameTests {
    static func roundTrips(_ bytes: [UInt8]) -> Bool {
        let path = FileName.string(bytes)
        let viaC = FileName.withCString(path) { pointer in
            Array(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)))
        }
        return FileName.bytes(path) == bytes && viaC == bytes
    }

    @Test func everyByteThatIsNotUTF8RoundTrips() {
        for byte in UInt8(0x80)...0xFF {
            let name = Array("bad".utf8) + [byte] + Array(".png".utf8)
            #expect(Self.roundTrips(name), "byte \(byte)")
            #expect(Self.roundTrips([byte]), "byte \(byte) alone")
            #expect(Self.roundTrips([byte, byte, byte]), "byte \(byte) three times")
        }
    }

    @Test func invalidSequencesRoundTrip() {
        let cases: [[UInt8]] = [
            [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xF0, 0x80, 0x80, 0xAF],  // overlong '/'
            [0xC1, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],  // overlong, surrogates
            [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFE], [0xFF, 0xFE],  // beyond U+10FFFF
            [0x80], [0xBF, 0x80], [0xE2, 0x82], [0xE2, 0x82, 0x41], [0xF0, 0x9F, 0x98],  // lone and cut short
            Array("é".utf8) + [0xE9] + Array("✓".utf8), [0x61, 0xC3, 0xA9, 0xC3, 0x28, 0x2F, 0x78],  // mixed
            // Valid UTF-8 for the escape characters themselves: taken byte by byte, so they come back too.
            [0xF4, 0x8F, 0xBE, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], [0xF4, 0x8F, 0xBF, 0xBF, 0xFF],
        ]
        for bytes in cases { #expect(Self.roundTrips(bytes), "\(bytes)") }
    }

    @Test func randomByteStringsRoundTrip() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let count = Int.random(in: 1...24, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 1...255, using: &generator) }
            #expect(Self.roundTrips(bytes), "\(bytes)")
        }
    }

    @Test func validNamesAreOrdinaryStrings() {
        for name in ["plain.png", "ünïcødé ✓.png", "日本語/写真.jpg", "emoji 😀.mkv", "tab\tand\nnewline"] {
            #expect(FileName.string(Array(name.utf8)) == name)
            #expect(FileName.bytes(name) == Array(name.utf8))
        }
        #expect(FileName.string(Array("bad".utf8) + [0xFF] + Array(".png".utf8)) == "bad\u{10FFFF}.png")
        #expect(FileName.string([0xC3]) == "\u{10FFC3}")
    }

    @Test func messagesShowTheBytesEscaped() {
        #expect(FileName.printable(FileName.string(Array("bad".utf8) + [0xFF] + Array(".png".utf8))) == "bad\\xff.png")
        #expect(FileName.printable("a\u{0}b\nc\u{7F}\u{1B}[2J") == "a\\x00b\\x0ac\\x7f\\x1b[2J")
        #expect(FileName.printable("ünïcødé ✓") == "ünïcødé ✓")
    }

    @Test func aNameWithANulNamesNoFile() {
        // The system would stop at the NUL and reach another file; the empty path reaches none.
        #expect(FileName.withCString("/etc/passwd\u{0}.png") { strlen($0) } == 0)
    }
}

#if canImport(Glibc)
import Glibc
#endif
