import Foundation
import MatteImaging
import MatteMedia
import MatteTestSupport
import Testing

@Suite struct ImageFileTests {
    @Test func pngAndJPEGDecodeToTheSamePicture() throws {
        let png = try ImageFile.load(Fixtures.path("astronaut.png"))
        let jpeg = try ImageFile.load(Fixtures.path("astronaut.jpg"))
        #expect((png.width, png.height, jpeg.width, jpeg.height) == (512, 512, 512, 512))
        // The JPEG is the PNG at quality 95: close on average, not equal.
        let difference = zip(png.array, jpeg.array).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) }
        let mean = Double(difference) / Double(png.bytes.count)
        #expect(mean > 0 && mean < 4)
    }

    @Test func pngDecodeMatchesTheReferenceTensor() throws {
        // The general model's input for a 512×512 source samples every second pixel exactly (scale 2, no offset).
        let png = try ImageFile.load(Fixtures.path("astronaut.png"))
        let tensor = try Fixtures.floats("astronaut-general-input.f32")
        for (y, x) in [(0, 0), (10, 200), (255, 255), (128, 3)] {
            for channel in 0..<3 {
                let byte = png.bytes[(2 * y) * png.rowBytes + (2 * x) * 3 + channel]
                #expect(abs(Float(byte) / 255 - tensor[(y * 256 + x) * 3 + channel]) < 1e-6)
            }
        }
    }

    @Test func savedPNGReadsBackIdentical() throws {
        var generator = SeededGenerator(seed: 9)
        let mask = PixelBuffer(width: 33, height: 17, format: .gray8)
        for index in 0..<mask.bytes.count { mask.bytes[index] = UInt8.random(in: 0...255, using: &generator) }
        let path = NSTemporaryDirectory() + "matte-roundtrip-\(getpid()).png"
        defer { unlink(path) }
        try ImageFile.savePNG(mask, to: path)
        let back = try ImageFile.load(path, format: .gray8)
        #expect(back.array == mask.array)
    }

    @Test func badFilesGiveErrorsNamingThem() throws {
        let missing = #expect(throws: MediaError.self) { try ImageFile.load("/nonexistent/photo.jpg") }
        #expect(missing?.description.hasPrefix("/nonexistent/photo.jpg: cannot open") == true)

        let garbage = NSTemporaryDirectory() + "matte-garbage-\(getpid()).png"
        defer { unlink(garbage) }
        _ = FileManager.default.createFile(atPath: garbage, contents: Data((0..<4096).map { UInt8($0 % 7) }))
        let corrupt = #expect(throws: MediaError.self) { try ImageFile.load(garbage) }
        #expect(corrupt?.description.hasPrefix(garbage + ":") == true)

        let empty = NSTemporaryDirectory() + "matte-empty-\(getpid()).jpg"
        defer { unlink(empty) }
        _ = FileManager.default.createFile(atPath: empty, contents: Data())
        #expect(throws: MediaError.self) { try ImageFile.load(empty) }
    }

    @Test func unwritableDestinationLeavesNothingBehind() throws {
        let mask = PixelBuffer(width: 4, height: 4, format: .gray8)
        let error = #expect(throws: MediaError.self) { try ImageFile.savePNG(mask, to: "/nonexistent-dir/mask.png") }
        #expect(error?.description.hasPrefix("/nonexistent-dir/mask.png: cannot write") == true)

        let directory = NSTemporaryDirectory() + "matte-readonly-\(getpid())"
        mkdir(directory, 0o555)
        defer { rmdir(directory) }
        if getuid() != 0 {  // root writes anywhere; the check above covers it
            #expect(throws: MediaError.self) { try ImageFile.savePNG(mask, to: directory + "/mask.png") }
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
        }
    }
}

@Suite struct BackgroundConversionTests {
    /// A background picture reaches the live path's YUYV with BT.601 limited-range levels (the standard's
    /// formula, Y = 16 + 219·v/255 for grey), within one level: no drift, no bias.
    @Test func greyRampBecomesExactLimitedRangeLuma() throws {
        let ramp = PixelBuffer(width: 256, height: 8, format: .rgb24)
        for y in 0..<8 {
            for x in 0..<256 {
                for channel in 0..<3 { ramp.bytes[y * ramp.rowBytes + x * 3 + channel] = UInt8(x) }
            }
        }
        let path = NSTemporaryDirectory() + "matte-ramp-\(getpid()).png"
        defer { unlink(path) }
        try ImageFile.savePNG(ramp, to: path)
        let background = try BackgroundSource(path: path, width: 256, height: 8, fit: .stretch, outputRate: 30)
        var worst = 0
        var biasSum = 0
        for x in 0..<256 {
            let expected = Int((16 + 219 * Double(x) / 255).rounded())
            let luma = Int(background.frame.bytes[4 * background.frame.rowBytes + x * 2])
            let chroma = Int(background.frame.bytes[4 * background.frame.rowBytes + (x & ~1) * 2 + 1 + (x & 1) * 2])
            worst = max(worst, abs(luma - expected), abs(chroma - 128))
            biasSum += luma - expected
        }
        #expect(worst <= 1, "largest level error \(worst)")
        #expect(abs(Double(biasSum) / 256) <= 0.25, "mean bias \(Double(biasSum) / 256)")
    }
}
