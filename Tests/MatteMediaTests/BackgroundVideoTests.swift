import Foundation
import MatteImaging
import Testing

@testable import MatteMedia

/// Background videos decoded ahead on their own thread. Serialized: the thread counts and call times measured
/// here must not see other tests' decoding threads.
@Suite(.serialized) struct BackgroundVideoTests {
    static let width = 96
    static let height = 64
    static let h264 = ["-pix_fmt", "yuv420p", "-c:v", "libx264"]
    static let vp9 = ["-pix_fmt", "yuv420p", "-c:v", "libvpx-vp9", "-deadline", "realtime"]

    /// A 96×64 clip of one of ffmpeg's moving test patterns (every frame differs), in `directory` or a fresh
    /// temporary one.
    static func makeClip(
        _ name: String,
        frames: Int,
        rate: Int,
        _ codec: [String] = [],
        pattern: String = "testsrc2",
        in directory: String? = nil
    ) throws -> String {
        let directory = directory ?? NSTemporaryDirectory() + "matte-bgvideo-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = "\(directory)/\(name)"
        let process = Process()
        // From PATH, as a user would run it.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "\(pattern)=size=\(width)x\(height):rate=\(rate)"]
            + ["-frames:v", "\(frames)"] + codec + [path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        return path
    }

    static func removeClip(_ path: String) {
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }

    /// Every frame of the clip as a fresh decoder decodes it, fitted as the background fits it.
    static func referenceFrames(_ path: String) throws -> [[UInt8]] {
        let decoder = try MediaDecoder(path: path, format: .rgb24)
        let picture = try decoder.makeFrame()
        let fitter = BackgroundFitter(width: width, height: height, fit: .cover)
        let fitted = PixelBuffer(width: width, height: height, format: .yuyv)
        var frames: [[UInt8]] = []
        while try decoder.decodeNext(into: picture) {
            try fitter.fill(fitted, from: picture, path: path)
            frames.append(fitted.array)
        }
        // Each picture must name one clip frame for the checks below to mean anything.
        #expect(Set(frames).count == frames.count, "the test pattern repeats a frame")
        return frames
    }

    static func videoSource(
        _ path: String,
        outputRate: Double,
        decodeDelay: TimeInterval? = nil
    ) throws
        -> BackgroundSource
    {
        try BackgroundSource(
            path: path,
            width: width,
            height: height,
            fit: .cover,
            outputRate: outputRate,
            decodeDelay: decodeDelay
        )
    }

    /// The output frames, over three loops of the clip at `path` and a few more, whose background is not the
    /// `reference` frame the pacing asks for.
    static func outputFramesShowingTheWrongClipFrame(
        _ path: String,
        reference: [[UInt8]],
        clipRate: Double,
        outputRate: Double
    ) throws -> [Int] {
        let source = try BackgroundSource(path: path, width: width, height: height, fit: .cover, outputRate: outputRate)
        let pacer = FramePacer(clipRate: clipRate, outputRate: outputRate)
        var mismatches: [Int] = []
        for outputFrame in 0..<(Int(Double(3 * reference.count) * outputRate / clipRate) + 5) {
            try source.advance(toOutputFrame: outputFrame, waitingForDecoder: true)
            let expected = pacer.clipFrame(forOutputFrame: outputFrame) % reference.count
            if source.frame.array != reference[expected] { mismatches.append(outputFrame) }
        }
        return mismatches
    }

    /// The decoding threads of background videos alive now, by the name they give themselves.
    static func decodingThreads() -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { task in
            let name = try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8)
            return name?.trimmingCharacters(in: .whitespacesAndNewlines) == "matte-bgvideo"
        }.count
    }

    /// A 7-frame 10 fps clip under a 25 fps output, over three loops: output frame n shows exactly clip frame
    /// ⌊n·10/25⌋ mod 7, as decoded independently, for an H.264 MP4 (B-frames: the seek back is not trivial),
    /// a VP9 WebM and an animated GIF.
    @Test(arguments: [
        ("clip.mp4", Self.h264),
        ("clip.webm", Self.vp9),
        ("clip.gif", []),
    ])
    func loopsPlayTheClipFramesInPace(name: String, codec: [String]) throws {
        let path = try Self.makeClip(name, frames: 7, rate: 10, codec)
        defer { Self.removeClip(path) }
        let reference = try Self.referenceFrames(path)
        try #require(reference.count == 7)
        let mismatches = try Self.outputFramesShowingTheWrongClipFrame(
            path,
            reference: reference,
            clipRate: 10,
            outputRate: 25
        )
        #expect(mismatches.isEmpty, "output frames showing the wrong clip frame: \(mismatches)")
    }

    /// MPEG-TS clips joined by `cat` restart their timestamps mid-file, so a seek to the first one could land in
    /// either part: rewind declines, and the loop opens the file again and still plays every frame in order.
    @Test func joinedTransportStreamsLoopFromTheirStart() throws {
        let first = try Self.makeClip("first.ts", frames: 4, rate: 10, Self.h264)
        let directory = (first as NSString).deletingLastPathComponent
        defer { Self.removeClip(first) }
        let second = try Self.makeClip("second.ts", frames: 4, rate: 10, Self.h264, pattern: "testsrc", in: directory)
        let joined = "\(directory)/joined.ts"
        let parts = try [first, second].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        try (parts[0] + parts[1]).write(to: URL(fileURLWithPath: joined))
        let reference = try Self.referenceFrames(joined)
        try #require(reference.count == 8)
        #expect(try !MediaDecoder(path: joined).rewind())
        let mismatches = try Self.outputFramesShowingTheWrongClipFrame(
            joined,
            reference: reference,
            clipRate: 10,
            outputRate: 10
        )
        #expect(mismatches.isEmpty, "output frames showing the wrong clip frame: \(mismatches)")
    }

    /// Seeking back gives the same frames as the first pass, without opening the file again.
    @Test(arguments: [
        ("clip.mp4", Self.h264),
        ("clip.mkv", Self.h264),
        ("clip.webm", Self.vp9),
    ])
    func rewindReplaysTheSameFrames(name: String, codec: [String]) throws {
        let path = try Self.makeClip(name, frames: 9, rate: 25, codec)
        defer { Self.removeClip(path) }
        let decoder = try MediaDecoder(path: path, format: .rgb24)
        let picture = try decoder.makeFrame()
        var passes: [[[UInt8]]] = []
        for _ in 0..<3 {
            var frames: [[UInt8]] = []
            while try decoder.decodeNext(into: picture) { frames.append(picture.array) }
            passes.append(frames)
            #expect(decoder.rewind())
        }
        #expect(passes[0].count == 9)
        #expect(passes[1] == passes[0])
        #expect(passes[2] == passes[0])
    }

    /// A decoder that takes 100 ms a frame (three output frames at 30 fps) never holds up the caller: for 1.5 s of
    /// 30 fps output, no `advance` takes more than 20 ms (decoding on the caller's thread would take ≥ 100 ms
    /// each), and the picture still moves on, never ahead of the output.
    @Test func slowDecoderNeverHoldsUpTheOutput() throws {
        let path = try Self.makeClip("clip.mp4", frames: 60, rate: 30, Self.h264)
        defer { Self.removeClip(path) }
        let reference = try Self.referenceFrames(path)
        let source = try Self.videoSource(path, outputRate: 30, decodeDelay: 0.1)
        let clock = ContinuousClock()
        let start = clock.now
        var longestCall = Duration.zero
        var shown: [Int] = []
        for outputFrame in 0..<45 {
            let untilDue = start + .milliseconds(outputFrame * 1000 / 30) - clock.now
            if untilDue > .zero { Thread.sleep(forTimeInterval: Double(untilDue / .microseconds(1)) / 1e6) }
            let callStart = clock.now
            try source.advance(toOutputFrame: outputFrame)
            longestCall = max(longestCall, clock.now - callStart)
            let clipFrame = try #require(reference.firstIndex(of: source.frame.array), "not a frame of the clip")
            #expect(clipFrame <= outputFrame, "clip frame \(clipFrame) shown at output frame \(outputFrame)")
            shown.append(clipFrame)
        }
        #expect(longestCall < .milliseconds(20), "longest advance \(longestCall)")
        #expect(shown == shown.sorted(), "the picture went back: \(shown)")
        // About 14 decodes fit in 1.5 s; most are shown.
        #expect(Set(shown).count >= 5, "the picture hardly moved: \(shown)")
    }

    /// The decoding thread exists while its source does, and releasing the source ends and joins it, whether it
    /// waits on a full ring or is in a slow decode; a still has none.
    @Test func releasingTheSourceJoinsItsThread() throws {
        let path = try Self.makeClip("clip.mp4", frames: 30, rate: 30, Self.h264)
        defer { Self.removeClip(path) }
        let before = Self.decodingThreads()
        for decodeDelay in [nil, 0.05] {
            weak var released: BackgroundSource?
            do {
                let source = try Self.videoSource(path, outputRate: 30, decodeDelay: decodeDelay)
                released = source
                // The thread names itself once it runs.
                for _ in 0..<100 where Self.decodingThreads() == before { Thread.sleep(forTimeInterval: 0.01) }
                #expect(Self.decodingThreads() == before + 1)
                try source.advance(toOutputFrame: 3)
                // Long enough to fill the ring and wait on it, or to be inside a slow decode.
                Thread.sleep(forTimeInterval: 0.07)
            }
            #expect(released == nil)
            #expect(Self.decodingThreads() == before, "a decoding thread outlived its source")
        }
        let stillPath = try Self.makeClip("still.png", frames: 1, rate: 1)
        defer { Self.removeClip(stillPath) }
        let still = try BackgroundSource(path: stillPath, width: 32, height: 16, fit: .cover, outputRate: 30)
        #expect(Self.decodingThreads() == before)
        try still.advance(toOutputFrame: 10)
    }
}
