import Foundation
import MatteImaging
import MatteTestSupport
import Testing

@testable import MatteMedia

@Suite struct JPEGTests {
    /// A binary PPM (P6, maxval 255) as written by djpeg.
    static func readPPM(_ path: String) throws -> (width: Int, height: Int, pixels: [UInt8]) {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var fields: [Int] = []
        var at = 2
        while fields.count < 3 {
            while data[at] == 0x20 || data[at] == 0x0A { at += 1 }
            var value = 0
            while data[at] >= 0x30 && data[at] <= 0x39 {
                value = value * 10 + Int(data[at] - 0x30)
                at += 1
            }
            fields.append(value)
        }
        return (fields[0], fields[1], Array(data[(at + 1)...]))
    }

    static let references = [
        "odd-420", "odd-422", "odd-444", "odd-420-progressive", "even-420", "even-422-progressive",
    ]

    @Test(arguments: references)
    func decodesExactlyAsLibjpegTurbo(name: String) throws {
        let reference = try Self.readPPM(Fixtures.path("jpeg/\(name).ppm"))
        let picture = try ImageFile.load(Fixtures.path("jpeg/\(name).jpg"))
        #expect((picture.width, picture.height) == (reference.width, reference.height))
        let differences = zip(picture.array, reference.pixels).map { abs(Int($0) - Int($1)) }
        #expect(differences.max() == 0, "\(name): max difference \(differences.max() ?? -1) from djpeg")
    }

    /// The orientation tag is found wherever the APP1 segment sits and whatever the byte order.
    @Test func exifOrientationIsRead() throws {
        let jpeg = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("jpeg/even-420.jpg"))))
        for orientation in Orientation.allCases {
            for bigEndian in [false, true] {
                let marked = Self.withExif(jpeg, orientation: orientation.rawValue, bigEndian: bigEndian)
                #expect(ExifOrientation.find(inJPEG: marked) == orientation)
            }
        }
        #expect(ExifOrientation.find(inJPEG: jpeg) == .upright)
        #expect(ExifOrientation.find(inJPEG: Self.withExif(jpeg, orientation: 9, bigEndian: false)) == .upright)
    }

    /// Damaged metadata is untrusted input: random corruption of the header never traps, and decoding a
    /// corrupted photo either works or throws.
    @Test func corruptHeadersNeverTrap() throws {
        let jpeg = Self.withExif(
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("jpeg/odd-420.jpg")))),
            orientation: 6,
            bigEndian: true
        )
        var generator = SystemRandomNumberGenerator()
        let path = NSTemporaryDirectory() + "matte-corrupt-\(getpid()).jpg"
        defer { unlink(path) }
        for round in 0..<600 {
            var bytes = jpeg
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                bytes[Int.random(in: 2..<min(bytes.count, 120), using: &generator)] = UInt8.random(
                    in: 0...255,
                    using: &generator
                )
            }
            if round % 3 == 0 { bytes = Array(bytes.prefix(Int.random(in: 3..<bytes.count, using: &generator))) }
            _ = ExifOrientation.find(inJPEG: bytes)
            if round % 10 == 0 {
                _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
                _ = try? ImageFile.load(path)
            }
        }
    }

    /// `jpeg` with an APP1 Exif segment holding only the orientation tag, right after SOI.
    static func withExif(_ jpeg: [UInt8], orientation: Int, bigEndian: Bool) -> [UInt8] {
        func u16(_ value: Int) -> [UInt8] {
            bigEndian ? [UInt8(value >> 8), UInt8(value & 255)] : [UInt8(value & 255), UInt8(value >> 8)]
        }
        func u32(_ value: Int) -> [UInt8] {
            bigEndian ? u16(value >> 16) + u16(value & 0xFFFF) : u16(value & 0xFFFF) + u16(value >> 16)
        }
        let tiff: [UInt8] =
            (bigEndian ? [0x4D, 0x4D] : [0x49, 0x49]) + u16(42) + u32(8) + u16(1)
            + u16(0x0112) + u16(3) + u32(1) + u16(orientation) + [0, 0] + u32(0)
        let payload: [UInt8] = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        return [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 255)] + payload + jpeg[2...]
    }
}
