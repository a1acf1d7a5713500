import Foundation
import Logging
import MatteCompositing
import MatteCore
import MatteImaging
import MatteMedia

/// The live path: capture → newest-frame mailbox → segmentation (its own thread, on the newest frame the
/// capture thread sampled for it) → compositing with the newest mask → the sink. Nothing waits on a slower
/// stage: frames and masks that are overtaken are dropped, never queued, so output keeps the camera's pace
/// even when inference is slow.
///
/// ## Threads and ownership
/// `start()` makes three threads, each running one stage that owns its own state; `stop()` ends and joins
/// them, after which the pipeline can be released.
/// - `CaptureStage` alone owns the source; `SegmentationStage` alone runs the mask maker; `OutputStage` alone
///   owns the frame processor and the sink.
/// - Frames, model inputs and masks pass between them through `Mailbox`es, by swapping buffers under the
///   box's lock; the phase, settings, pause and what the stages publish for the caller sit in `PipelineState`
///   under its lock. Nothing else is shared.
/// - The caller's thread only calls the public methods here; it sets `outputHeartbeat` before `start()`.
public final class LivePipeline: @unchecked Sendable {
    // @unchecked: after `init` only `threads` changes, on the caller's thread (start, stop); the stages are
    // each used by one thread, and `state`, the mailboxes and `statistics` lock themselves.
    public let width: Int, height: Int, frameRate: Double
    public let statistics = PipelineStatistics()
    private let state: PipelineState
    private let frames: Mailbox<CapturedFrame>
    private let inputs: InputMailbox
    private let masks: Mailbox<PersonMask>
    private let processor: FrameProcessor
    private let capture: CaptureStage
    private let segmentation: SegmentationStage
    private let sink: FrameSink
    private let outputSize: (Int, Int)?
    private let logger: Logger
    private var threads: [Thread] = []

    /// What the virtual camera shows while paused.
    public enum PauseStill {
        /// The last camera frame, blurred all over.
        case blurredLastFrame
        /// A picture at the pipeline's size (YUYV).
        case picture(PixelBuffer)
    }

    /// - Parameters:
    ///   - source: the source already opened (its size fixes the pipeline's), and how to reopen it.
    ///   - outputSize: the sink's size, when it differs from the source's.
    ///   - maker: makes the person masks (a segmentation model, or anything else that does).
    ///   - inferenceRate: at most this many masks a second; nil makes one whenever the maker is free.
    public init(
        source: FrameSource,
        reopen: @escaping () throws(PipelineError) -> FrameSource,
        sink: FrameSink,
        outputSize: (Int, Int)?,
        maker: PersonMaskMaker,
        settings: ProcessingSettings,
        inferenceRate: Double?,
        logger: Logger
    ) throws(PipelineError) {
        width = source.width
        height = source.height
        frameRate = source.frameRate
        self.sink = sink
        self.outputSize = outputSize
        self.logger = logger
        processor = try FrameProcessor(
            width: width,
            height: height,
            modelWidth: maker.maskWidth,
            modelHeight: maker.maskHeight,
            settings: settings,
            outputRate: frameRate
        )
        state = PipelineState(
            settings: settings,
            capture: Self.captureSettings(settings),
            source: source.description,
            crop: .whole(width: width, height: height)
        )
        frames = Mailbox(CapturedFrame(picture: PixelBuffer(width: width, height: height, format: .yuyv))) {
            $0.stamp.sequence
        }
        inputs = InputMailbox(width: maker.inputWidth, height: maker.inputHeight)
        masks = Mailbox(PersonMask(width: maker.maskWidth, height: maker.maskHeight)) { $0.stamp.sequence }
        capture = CaptureStage(
            state: state,
            source: source,
            reopen: reopen,
            frames: frames,
            inputs: inputs,
            inputWidth: maker.inputWidth,
            inputHeight: maker.inputHeight,
            inferenceRate: inferenceRate,
            statistics: statistics,
            logger: logger
        )
        segmentation = SegmentationStage(
            maker: maker,
            state: state,
            inputs: inputs,
            masks: masks,
            statistics: statistics,
            logger: logger
        )
    }

    private static func captureSettings(_ settings: ProcessingSettings) -> PipelineState.CaptureSettings {
        .init(mirror: settings.mirror, maskNeeded: FrameProcessor.needsMask(settings))
    }

    /// Called by the output thread at every turn of its loop, idle or not (at least every 0.25 s while it
    /// runs): the service watchdog's proof of life. Set before `start()`.
    public var outputHeartbeat: (() -> Void)?

    /// Starts the threads; the pipeline processes only while `setActive(true)`.
    public func start() {
        let output = OutputStage(
            state: state,
            processor: processor,
            sink: sink,
            outputSize: outputSize,
            frameRate: frameRate,
            frames: frames,
            masks: masks,
            statistics: statistics,
            heartbeat: outputHeartbeat,
            logger: logger
        )
        let jobs: [(String, @Sendable () -> Void)] = [
            ("matte-capture", capture.run), ("matte-segment", segmentation.run), ("matte-output", output.run),
        ]
        threads = jobs.map { name, job in
            let thread = Thread { [state] in
                job()
                state.threadFinished()
            }
            thread.name = name
            return thread
        }
        for thread in threads { thread.start() }
    }

    /// Processing on (a reader is watching, or always-on) or off (the camera is closed).
    public func setActive(_ value: Bool) { state.setActive(value) }

    public var isActive: Bool { [.waitingForSource, .running].contains(state.currentPhase) }

    /// Applies new settings at the next frame. Their files are decoded here, on the caller's thread, so the
    /// output never pauses for them; on failure nothing changes.
    public func apply(_ settings: ProcessingSettings) throws(PipelineError) {
        state.request(try processor.prepare(settings), capture: Self.captureSettings(settings))
    }

    /// `apply`, logging a failure (SIGHUP, a configuration file change).
    public func reload(_ settings: ProcessingSettings) {
        do { try apply(settings) } catch {
            logger.error("reload failed, keeping the previous settings: \(error)")
        }
    }

    /// The settings last applied (in force from the next frame).
    public var settings: ProcessingSettings { state.settings }

    /// Pauses (the camera is released, its light goes off, and the virtual camera repeats `still`) or, with
    /// nil, resumes.
    public func setPaused(_ still: PauseStill?) { state.setPaused(still) }

    public var isPaused: Bool { state.pause != nil }

    /// A picture file as a pause still: decoded on the caller's thread and fitted to cover the frame. Check the
    /// path with `ControlFile.problem` first: a FIFO would block the caller.
    public func still(fromPicture path: String) throws(PipelineError) -> PixelBuffer {
        do {
            return try BackgroundSource(path: path, width: width, height: height, fit: .cover, outputRate: frameRate)
                .frame
        } catch { throw PipelineError("pause picture \(error.description)") }
    }

    /// What the pipeline does now: idle (no reader), waiting (for the camera), live or paused; or no-output
    /// while the virtual camera itself is gone (`FrameSink.outage`), whatever the pipeline does.
    public var liveState: LiveState { sink.outage == nil ? state.liveState : .noOutput }

    /// Why the virtual camera itself is gone for now (`FrameSink.outage`), or nil.
    public var outputOutage: String? { sink.outage }

    /// The source in use (or last used).
    public var sourceDescription: String? { state.sourceDescription }

    /// The part of each composited frame the output shows (the whole frame unless auto-framing zooms).
    public var crop: CropRect { state.crop }

    /// A copy of the next frame written to the virtual camera, exactly as written; nil when none is written
    /// within `timeout` seconds (idle: no application reads it).
    public func snapshot(timeout: Double) -> PixelBuffer? { state.snapshot(timeout: timeout) }

    /// The newest person mask, one byte a cell (probability × 255), with its size, in the orientation of the
    /// frames now written (mirrored with them).
    public func newestMask() -> (width: Int, height: Int, bytes: [UInt8]) {
        // Copied cell by cell: sharing the box's storage would make the segmentation thread reallocate it.
        var mask = masks.read(after: -1) { held in
            var copy = PersonMask(width: held.width, height: held.height)
            copy.copyCells(from: held)
            return copy
        }!
        if mask.stamp.sequence > 0, mask.stamp.mirrored != state.capture.mirror { mask.mirror() }
        return (mask.width, mask.height, mask.values.map { UInt8(min(max($0, 0), 1) * 255 + 0.5) })
    }

    /// Stops every thread and waits for them; the source and sink are released by their owners.
    public func stop() {
        state.stop()
        frames.close()
        inputs.close()
        state.waitForThreads(threads.count)
        threads.removeAll()
    }

    /// What the virtual camera shows while there is no camera picture: a plain dark slate.
    public static func placeholder(width: Int, height: Int) -> PixelBuffer {
        let frame = PixelBuffer(width: width, height: height, format: .yuyv)
        YUYVKernels.fill(frame, y: 40, u: 136, v: 124)
        return frame
    }

    /// How strongly a pause blurs the last frame (720p pixels): enough that nothing in the room can be read.
    static let pauseBlur = 40
}
