import Foundation
import Logging
import MatteCompositing
import MatteCore
import MatteImaging
import MattePipeline
import MatteSegmentation
import MatteTestSupport
import Testing

@Suite struct SettingsTests {
    @Test func settingsFilesSplitLikeACommandLine() {
        let text = """
            # my call setup
              --background "/home/me/My Pictures/beach.jpg" --fit contain
            --effect sepia   # a comment after the options
                # an indented comment
            --background #1d3557 #
            """
        #expect(
            SettingsFile.arguments(text)
                == [
                    "--background", "/home/me/My Pictures/beach.jpg", "--fit", "contain", "--effect", "sepia",
                    "--background", "#1d3557",
                ]
        )
        #expect(SettingsFile.arguments("") == [])
        #expect(SettingsFile.words("  a  \"\"  b ") == ["a", "", "b"])
        #expect(SettingsFile.lines("\n--mirror # why\n\n# none\n--fps 5").map(\.number) == [2, 5])
    }

    @Test func backgroundValuesParse() {
        #expect(BackgroundChoice(argument: "blur") == .blur(strength: BackgroundChoice.defaultBlurStrength))
        #expect(BackgroundChoice(argument: "blur:40") == .blur(strength: 40))
        #expect(BackgroundChoice(argument: "blur:0") == nil)
        #expect(BackgroundChoice(argument: "blur:x") == nil)
        #expect(BackgroundChoice(argument: "#1D3557") == .color(r: 0x1d, g: 0x35, b: 0x57))
        #expect(BackgroundChoice(argument: "#12345") == nil)
        #expect(BackgroundChoice(argument: "#zzzzzz") == nil)
        #expect(BackgroundChoice(argument: "none") == BackgroundChoice.none)
        #expect(BackgroundChoice(argument: "beach.jpg") == .file("beach.jpg"))
        #expect(BackgroundChoice.color(r: 1, g: 2, b: 255).description == "#0102ff")
    }
}

@Suite struct LivePipelineTests {
    /// Runs the live pipeline on generated frames into a null sink for `seconds`; returns its statistics.
    static func run(source: SyntheticSource, seconds: Double) throws -> PipelineStatistics.Snapshot {
        let pipeline = try testPipeline(
            source: source,
            sink: NullSink()
        )
        pipeline.start()
        pipeline.setActive(true)
        Thread.sleep(forTimeInterval: seconds)
        pipeline.stop()
        return pipeline.statistics.snapshot()
    }

    @Test func everyFrameGoesOutAndStillScenesAreSegmentedLessOften() throws {
        // The same picture over and over (still) against four different pictures in turn (moving).
        let still = SyntheticSource(width: 320, height: 180, frameRate: 30, distinctFrames: 1)
        let moving = SyntheticSource(width: 320, height: 180, frameRate: 30, distinctFrames: 4)
        let stillRun = try Self.run(source: still, seconds: 2)
        let movingRun = try Self.run(source: moving, seconds: 2)
        // Frames flow whatever inference does. A frame the compositor is too busy for is dropped, never queued,
        // and this debug build shares the machine with the rest of the suite, so only the flow is checked here;
        // the pace is measured by `matte bench pipeline` and the VM test.
        // Under ThreadSanitizer the rates are the instrumentation's: there only the flow itself is checked.
        // (The output thread composites slower than frames come in under it, so even the share that goes out is
        // the instrumentation's.)
        for run in [stillRun, movingRun] {
            if Sanitizer.thread {
                #expect(run.framesIn >= 1 && run.framesOut >= 1)
            } else {
                #expect(run.framesIn >= 40 && run.framesOut >= run.framesIn / 3)
            }
        }
        // Moving: up to 15 masks a second; still: about 1.
        if !Sanitizer.thread {
            #expect(
                movingRun.inferences > stillRun.inferences * 2,
                "moving \(movingRun.inferences), still \(stillRun.inferences)"
            )
        }
        #expect(stillRun.inferences <= 12)
    }
}

/// Keeps a copy of the newest frame written.
final class RecordingSink: FrameSink, Sendable {
    private let newest = Locked([UInt8]())
    var last: [UInt8] { newest.withLock { $0 } }
    func write(_ frame: PixelBuffer, captureTime: Double) throws(PipelineError) -> SinkResult {
        let bytes = frame.array
        newest.withLock { $0 = bytes }
        return .written
    }
}

@Suite struct LiveMirrorTests {
    @Test func mirrorIsAppliedBeforeEverythingElse() throws {
        let source = SyntheticSource(width: 64, height: 36, frameRate: 30, distinctFrames: 1)
        let picture = PixelBuffer(width: 64, height: 36, format: .yuyv)
        let expected = PixelBuffer(width: 64, height: 36, format: .yuyv)
        _ = try source.next(into: picture, timeout: 100)
        YUYVKernels.mirror(picture, into: expected)
        var settings = ProcessingSettings()
        settings.mirror = true
        settings.background = .none  // no mask needed: the output is the (mirrored) camera frame itself
        let sink = RecordingSink()
        let pipeline = try testPipeline(
            source: source,
            sink: sink,
            settings: settings
        )
        pipeline.start()
        pipeline.setActive(true)
        // The first composited frame can take a moment on a busy machine; nothing but camera frames may come out.
        let deadline = Date(timeIntervalSinceNow: 10)
        while sink.last != expected.array && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        pipeline.stop()
        #expect(sink.last == expected.array)
        #expect(sink.last != picture.array)
        #expect(pipeline.statistics.snapshot().placeholders == 0)
    }
}
