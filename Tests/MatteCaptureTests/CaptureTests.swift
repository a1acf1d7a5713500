import Foundation
import MatteCapture
import MatteImaging
import MatteMedia
import MatteTestSupport
import MatteV4L2
import Testing

@Suite struct ModeChoiceTests {
    static func mode(_ format: FourCC, _ width: Int, _ height: Int, _ rates: [Double]) -> DeviceInfo.Mode {
        DeviceInfo.Mode(format: format, formatName: "\(format)", width: width, height: height, rates: rates)
    }

    // A typical USB 2 webcam: uncompressed 720p only at 10 fps, MJPEG at 30.
    static let usbCamera = [
        mode(.yuyv, 640, 480, [30, 15]), mode(.yuyv, 1280, 720, [10, 5]), mode(.yuyv, 1920, 1080, [5]),
        mode(.mjpeg, 640, 480, [30]), mode(.mjpeg, 1280, 720, [30, 15]), mode(.mjpeg, 1920, 1080, [30]),
    ]

    @Test func prefersYUYVWhenItReachesTheRate() {
        #expect(
            CaptureMode.choose(from: Self.usbCamera, width: 640, height: 480, frameRate: 30)
                == CaptureMode(format: .yuyv, width: 640, height: 480, frameRate: 30)
        )
        #expect(
            CaptureMode.choose(from: Self.usbCamera, width: 1280, height: 720, frameRate: 10)
                == CaptureMode(format: .yuyv, width: 1280, height: 720, frameRate: 10)
        )
    }

    @Test func takesMJPEGWhenYUYVIsTooSlow() {
        #expect(
            CaptureMode.choose(from: Self.usbCamera, width: 1280, height: 720, frameRate: 30)
                == CaptureMode(format: .mjpeg, width: 1280, height: 720, frameRate: 30)
        )
    }

    @Test func nearestSizeAndRate() {
        // 1280x800 is not offered: the nearest by area and aspect is 1280x720.
        #expect(CaptureMode.choose(from: Self.usbCamera, width: 1280, height: 800, frameRate: 30)?.width == 1280)
        // 24 fps asked, 30 and 15 offered: 30 is nearer.
        #expect(CaptureMode.choose(from: Self.usbCamera, width: 1280, height: 720, frameRate: 24)?.frameRate == 30)
        // Formats Matte cannot read are ignored; nothing readable gives nil.
        #expect(
            CaptureMode.choose(
                from: [Self.mode(FourCC(0x3432_5258), 640, 480, [30])],
                width: 640,
                height: 480,
                frameRate: 30
            ) == nil
        )
    }
}

@Suite struct MJPEGDecoderTests {
    /// A 4:2:2 JPEG of the astronaut (as webcams send), made by ffmpeg, and ffmpeg's own YUYV decode of it.
    static func fixture(width: Int = 320, height: Int = 240) throws -> (jpeg: [UInt8], yuyv: [UInt8]) {
        let directory = NSTemporaryDirectory() + "matte-mjpeg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func ffmpeg(_ arguments: [String]) throws {
            let process = Process()
            // From PATH, as a user would run it.
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["ffmpeg", "-v", "error", "-y"] + arguments
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
        try ffmpeg([
            "-i", Fixtures.path("astronaut.png"), "-vf", "scale=\(width):\(height)", "-pix_fmt", "yuvj422p", "-q:v",
            "3",
            "\(directory)/frame.jpg",
        ])
        // ffmpeg's decode, in the limited range YUYV uses.
        try ffmpeg([
            "-i", "\(directory)/frame.jpg", "-vf", "scale=in_range=full:out_range=limited", "-pix_fmt", "yuyv422",
            "-f", "rawvideo", "\(directory)/frame.yuyv",
        ])
        return (
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(directory)/frame.jpg"))),
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(directory)/frame.yuyv")))
        )
    }

    @Test func decodesLikeFFmpeg() throws {
        let (jpeg, reference) = try Self.fixture()
        let decoder = MJPEGDecoder(width: 320, height: 240)
        let out = PixelBuffer(width: 320, height: 240, format: .yuyv)
        try jpeg.withUnsafeBytes { try decoder.decode($0, into: out) }
        let difference = zip(out.array, reference).map { abs(Int($0) - Int($1)) }
        // Different IDCTs (libjpeg-turbo's fast one here) differ by a few levels at most.
        #expect(difference.max()! <= 6)
        #expect(Double(difference.reduce(0, +)) / Double(difference.count) < 1.0)
    }

    @Test func corruptFramesAreRefusedNotFatal() throws {
        let (jpeg, _) = try Self.fixture()
        let decoder = MJPEGDecoder(width: 320, height: 240)
        let out = PixelBuffer(width: 320, height: 240, format: .yuyv)
        #expect(throws: MJPEGDecoder.Failure.self) {
            try [UInt8]().withUnsafeBytes { try decoder.decode($0, into: out) }
        }
        #expect(throws: MJPEGDecoder.Failure.self) {
            try [UInt8](repeating: 0xAB, count: 5000).withUnsafeBytes { try decoder.decode($0, into: out) }
        }
        #expect(throws: MJPEGDecoder.Failure.wrongSize(320, 240)) {
            try jpeg.withUnsafeBytes {
                try MJPEGDecoder(width: 640, height: 480).decode(
                    $0,
                    into: PixelBuffer(width: 640, height: 480, format: .yuyv)
                )
            }
        }
        // Truncated and bit-flipped frames, as a failing USB link delivers them: errors or pictures, never a crash.
        var generator = SeededGenerator(seed: 77)
        var refused = 0
        for round in 0..<300 {
            var damaged = round % 2 == 0 ? Array(jpeg.prefix(Int.random(in: 0..<jpeg.count, using: &generator))) : jpeg
            if round % 2 == 1 {
                for _ in 0..<8 {
                    damaged[Int.random(in: 0..<damaged.count, using: &generator)] = UInt8.random(
                        in: 0...255,
                        using: &generator
                    )
                }
            }
            do { try damaged.withUnsafeBytes { try decoder.decode($0, into: out) } } catch { refused += 1 }
        }
        #expect(refused > 0)
    }
}
