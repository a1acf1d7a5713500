import Foundation
import Logging
import MatteCore
import MatteImaging
import MattePipeline
import MatteSegmentation
import MatteTestSupport
import Testing

/// How many of one test's sources were opened and closed (released). Each test keeps its own: suites run in
/// parallel, and a count shared between them would see another test's sources come and go.
final class SourceTally: Sendable {
    private let opensAndCloses = Locked((opened: 0, closed: 0))
    var counts: (opened: Int, closed: Int) { opensAndCloses.withLock { $0 } }
    func opened() { opensAndCloses.withLock { $0.opened += 1 } }
    func closed() { opensAndCloses.withLock { $0.closed += 1 } }
}

/// A camera stand-in that reports its opening and closing to a tally.
final class CountingSource: FrameSource {
    let inner: SyntheticSource
    let tally: SourceTally
    var width: Int { inner.width }
    var height: Int { inner.height }
    var frameRate: Double { inner.frameRate }
    var description: String { "counting source" }
    let corruptFrames = 0
    let lastCorruption: String? = nil

    init(_ tally: SourceTally) {
        inner = SyntheticSource(width: 64, height: 36, frameRate: 30, distinctFrames: 1)
        self.tally = tally
        tally.opened()
    }

    deinit { tally.closed() }

    func next(into out: PixelBuffer, timeout: Int32) throws(PipelineError) -> Double? {
        try inner.next(into: out, timeout: timeout)
    }
}

/// Counts frames written and keeps the newest.
final class CountingSink: FrameSink, Sendable {
    private let written = Locked((count: 0, newest: [UInt8]()))
    var frames: Int { written.withLock { $0.count } }
    var last: [UInt8] { written.withLock { $0.newest } }
    func write(_ frame: PixelBuffer, captureTime: Double) throws(PipelineError) -> SinkResult {
        let bytes = frame.array
        written.withLock { $0 = ($0.count + 1, bytes) }
        return .written
    }
}

/// Polls `condition` for up to `seconds`; the machine may be busy, so waits are generous, and what is checked
/// is that the thing happens, not how fast.
func eventually(_ seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date(timeIntervalSinceNow: seconds)
    while !condition() {
        if Date() > deadline { return false }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return true
}

@Suite(.serialized) struct LivePipelineLifecycleTests {
    @Test func idleClosesTheSourceReaderReopensItReloadAppliesStopReleasesEverything() throws {
        var settings = ProcessingSettings()
        settings.background = .color(r: 0, g: 255, b: 0)
        let sink = CountingSink()
        let tally = SourceTally()
        let released = try Self.exercise(settings: settings, sink: sink, tally: tally)
        // The threads end just after stop() returns; their closures are the last references.
        #expect(eventually(5) { released.pipeline == nil }, "a stopped pipeline is released with its threads")
        #expect(eventually(5) { tally.counts.closed == tally.counts.opened }, "every opened source is closed")
    }

    final class WeakPipeline { weak var pipeline: LivePipeline? }

    static func exercise(
        settings: ProcessingSettings,
        sink: CountingSink,
        tally: SourceTally
    ) throws -> WeakPipeline {
        let released = WeakPipeline()
        let pipeline = try testPipeline(
            source: CountingSource(tally),
            reopen: { CountingSource(tally) },
            sink: sink,
            settings: settings,
            // Nobody in the picture: every pixel shows the background, whose colour the reload below changes.
            maker: BrightnessMaskMaker(threshold: 1)
        )
        released.pipeline = pipeline
        pipeline.start()
        pipeline.setActive(true)
        // Live, not just placeholders: the capture thread may have closed the source it was given (if it looked
        // before setActive) and be opening another.
        #expect(eventually(10) { pipeline.liveState == .live && sink.frames >= 5 }, "frames flow while active")
        let flowing = tally.counts

        // Idle: the source is closed (released), and nothing is opened again while idle.
        pipeline.setActive(false)
        #expect(eventually(10) { tally.counts.closed - flowing.closed == 1 }, "idle closes the camera")
        Thread.sleep(forTimeInterval: 0.3)
        #expect(tally.counts.opened == flowing.opened, "nothing is opened while idle")

        // A reader returns: reopened, frames flow again.
        let written = sink.frames
        pipeline.setActive(true)
        #expect(eventually(10) { tally.counts.opened - flowing.opened == 1 }, "a reader reopens the camera")
        #expect(eventually(10) { sink.frames >= written + 5 }, "frames flow after reopening")

        // Reload: a grey background replaces the green one in what the sink gets.
        var grey = settings
        grey.background = .color(r: 128, g: 128, b: 128)
        grey.mask.smoothing = 0
        pipeline.reload(grey)
        let greyY = BT601.yuv(r: 128, g: 128, b: 128).y
        let greenY = BT601.yuv(r: 0, g: 255, b: 0).y
        #expect(
            eventually(10) {
                let frame = sink.last
                let lumas = stride(from: 0, to: frame.count, by: 2).map { frame[$0] }
                return lumas.filter { $0 == greyY }.count > lumas.count / 4 && !lumas.contains(greenY)
            },
            "reload changes the background"
        )

        // Stop returns promptly even while the source is being retried, and closes the camera.
        let stopStart = Date()
        pipeline.stop()
        #expect(Date().timeIntervalSince(stopStart) < 1.5, "stop returns promptly")
        return released
    }

    @Test func stopDuringARetryPauseIsPrompt() throws {
        let pipeline = try testPipeline(
            source: CountingSource(SourceTally()),
            reopen: { () throws(PipelineError) -> FrameSource in throw PipelineError("unplugged") },
            sink: CountingSink()
        )
        pipeline.start()
        pipeline.setActive(true)
        Thread.sleep(forTimeInterval: 0.2)
        pipeline.setActive(false)
        Thread.sleep(forTimeInterval: 0.3)
        pipeline.setActive(true)  // reopening fails: the capture thread pauses a second before retrying
        Thread.sleep(forTimeInterval: 0.05)
        let start = Date()
        pipeline.stop()
        // Waiting out the pause would take over 0.9 s; the other threads notice within 0.25 s.
        #expect(Date().timeIntervalSince(start) < 0.75, "stop interrupts the retry pause")
    }
}

/// A camera that is gone: every read fails. Counts how many of it are still open.
final class UnpluggedSource: FrameSource {
    static let open = Locked(0)
    let width = 64, height = 36, frameRate = 30.0
    var description: String { "unplugged source" }
    let corruptFrames = 0
    let lastCorruption: String? = nil

    init() { Self.open.withLock { $0 += 1 } }
    deinit { Self.open.withLock { $0 -= 1 } }

    func next(into out: PixelBuffer, timeout: Int32) throws(PipelineError) -> Double? {
        throw PipelineError("the camera stopped (unplugged?)", kind: .gone)
    }
}

@Suite(.serialized) struct LostSourceTests {
    /// An unplugged camera's driver waits for its last user before the device can go: the pipeline lets go of
    /// a lost source at once, not after the pause before it tries again (2 s).
    @Test func aLostSourceIsClosedAtOnce() throws {
        let pipeline = try testPipeline(
            source: UnpluggedSource(),
            reopen: { () throws(PipelineError) -> FrameSource in throw PipelineError("unplugged", kind: .gone) },
            sink: CountingSink()
        )
        pipeline.start()
        pipeline.setActive(true)
        #expect(
            eventually(Sanitizer.stretched(1.5)) { UnpluggedSource.open.withLock { $0 } == 0 },
            "the lost source is still open"
        )
        pipeline.stop()
    }
}

@Suite(.serialized) struct RecurrentStateTests {
    /// A matting network's memory of the scene is forgotten when the camera is opened again and when the
    /// picture is mirrored, and kept while the video runs on.
    @Test func theMakerForgetsAtAReopenAndAMirrorOnly() throws {
        let tally = SourceTally()
        let maker = BrightnessMaskMaker(threshold: 0.3)
        var settings = ProcessingSettings()
        settings.background = .color(r: 0, g: 255, b: 0)
        let pipeline = try testPipeline(
            source: CountingSource(tally),
            reopen: { CountingSource(tally) },
            sink: CountingSink(),
            settings: settings,
            maker: maker,
            inferenceRate: nil
        )
        pipeline.start()
        pipeline.setActive(true)
        #expect(eventually(10) { maker.calls >= 10 }, "masks are made")
        #expect(maker.resets == 0, "one stretch of video: nothing to forget")

        // (The capture thread may have closed the source it was given at start already: count from here.)
        let closedBefore = tally.counts.closed
        pipeline.setActive(false)
        #expect(eventually(10) { tally.counts.closed > closedBefore }, "idle closes the camera")
        let (before, openedBefore) = (maker.calls, tally.counts.opened)
        pipeline.setActive(true)
        #expect(eventually(10) { tally.counts.opened > openedBefore }, "a reader reopens the camera")
        #expect(eventually(10) { maker.calls >= before + 3 }, "masks again after reopening")
        #expect(maker.resets == 1, "the reopened camera starts a new stretch")

        var mirrored = settings
        mirrored.mirror = true
        pipeline.reload(mirrored)
        let beforeMirror = maker.calls
        #expect(eventually(10) { maker.calls >= beforeMirror + 3 }, "masks of mirrored frames")
        #expect(maker.resets == 2, "mirrored frames do not fit the remembered scene")
        pipeline.stop()
    }
}
