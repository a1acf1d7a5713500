import Logging
import MatteCore
import MatteImaging

/// The capture thread's job: it alone owns the source. It opens it (and reopens it after a failure, at the
/// pace `SourceRetry` sets), closes it when the pipeline goes idle or pauses, mirrors each frame, samples a
/// frame for the mask maker only when `InferenceSchedule` admits it, and publishes frames and inputs.
// @unchecked: a stage is used by the one thread `LivePipeline.start` hands it to; what it shares with other
// threads it reaches through `PipelineState`, the mailboxes and `PipelineStatistics`, which lock themselves.
final class CaptureStage: @unchecked Sendable {
    private let state: PipelineState
    private var source: FrameSource?
    private let reopen: () throws(PipelineError) -> FrameSource
    private let frames: Mailbox<CapturedFrame>
    private let inputs: InputMailbox
    private let statistics: PipelineStatistics
    private let logger: Logger
    private let width: Int, height: Int
    private var frame: CapturedFrame
    private var input: ModelInput
    private let sampler: ModelInputSampler
    private var schedule: InferenceSchedule
    private var scene = SceneThumbnail()
    /// Made when mirroring is first asked for: most calls never mirror.
    private var mirrored: PixelBuffer?
    private var sequence = 0
    /// The stretch of unbroken video frames belong to (FrameStamp.stretch).
    private var stretch = 0
    private var retry = SourceRetry()
    private var reportedCorrupt = 0
    private var lastCorruptReport = -Double.infinity

    init(
        state: PipelineState,
        source: FrameSource,
        reopen: @escaping () throws(PipelineError) -> FrameSource,
        frames: Mailbox<CapturedFrame>,
        inputs: InputMailbox,
        inputWidth: Int,
        inputHeight: Int,
        inferenceRate: Double?,
        statistics: PipelineStatistics,
        logger: Logger
    ) {
        self.state = state
        self.source = source
        self.reopen = reopen
        self.frames = frames
        self.inputs = inputs
        self.statistics = statistics
        self.logger = logger
        width = source.width
        height = source.height
        frame = CapturedFrame(picture: PixelBuffer(width: width, height: height, format: .yuyv))
        input = ModelInput(width: inputWidth, height: inputHeight)
        sampler = ModelInputSampler(
            sourceWidth: width,
            sourceHeight: height,
            targetWidth: inputWidth,
            targetHeight: inputHeight
        )
        schedule = InferenceSchedule(rate: inferenceRate)
    }

    func run() {
        while true {
            // Closing a camera takes ioctls and unmapping: never while holding the lock the other threads need.
            if source != nil, let reason = state.closeReason {
                source = nil
                logger.info("\(reason)")
            }
            if state.waitForWork(sourceOpen: source != nil) == .stopping {
                // Closed now, not whenever the thread that runs this stage lets it go.
                source = nil
                return
            }
            guard source != nil || open(), let timestamp = readFrame() else { continue }
            handle(capturedAt: timestamp)
        }
    }

    /// The next frame's capture time, or nil when none came or the source was lost. The source is reached
    /// through `source` alone, never kept in a local: a lost camera must close the moment it is dropped, or its
    /// driver cannot let go of an unplugged device while the retry pause runs.
    private func readFrame() -> Double? {
        do {
            let timestamp = try source?.next(into: frame.picture, timeout: 250)
            if let source { reportCorruption(source) }
            return timestamp
        } catch {
            logger.warning("camera lost: \(error); keeping the virtual camera alive and retrying")
            source = nil
            state.sourceAvailable(false)
            state.sleep(SourceRetry.afterLoss)
            return nil
        }
    }

    /// Opens the source again; false (after the retry pause) when it cannot be.
    private func open() -> Bool {
        do throws(PipelineError) {
            let opened = try reopen()
            guard opened.width == width, opened.height == height else {
                throw PipelineError(
                    "\(opened.description) now gives \(opened.width)x\(opened.height), not \(width)x\(height)",
                    kind: .unsupported
                )
            }
            source = opened
            stretch += 1
            schedule.startStretch()
            state.sourceDescription = opened.description
            retry.opened()
            state.sourceAvailable(true)
            logger.info("camera opened: \(opened.description)")
            return true
        } catch {
            let delay = SourceRetry.delay(after: error.kind)
            if retry.isNews(error) {
                logger.warning("camera unavailable, retrying every \(Int(delay)) s: \(error)")
            }
            state.sourceAvailable(false)
            state.sleep(delay)
            return false
        }
    }

    /// Corrupt frames are counted and reported at most every 5 s, so a failing link cannot flood the log.
    private func reportCorruption(_ source: FrameSource) {
        guard source.corruptFrames > reportedCorrupt, monotonicMilliseconds() - lastCorruptReport > 5000 else {
            return
        }
        logger.notice(
            "skipped \(source.corruptFrames - reportedCorrupt) corrupt frame(s) from the camera (last: \(source.lastCorruption ?? "flagged by the driver"))"
        )
        reportedCorrupt = source.corruptFrames
        lastCorruptReport = monotonicMilliseconds()
    }

    private func handle(capturedAt timestamp: Double) {
        let arrived = monotonicMilliseconds()
        let settings = state.capture
        if settings.mirror {
            let target = mirrored ?? PixelBuffer(width: width, height: height, format: .yuyv)
            YUYVKernels.mirror(frame.picture, into: target)
            mirrored = frame.picture
            frame.picture = target
        }
        sequence += 1
        let due = schedule.due(at: arrived, maskNeeded: settings.maskNeeded, makerBusy: inputs.makerBusy)
        if due {
            scene.measure(frame.picture)
            if schedule.isCut(scene) {
                stretch += 1
                schedule.startStretch()
            }
        }
        frame.stamp = FrameStamp(
            sequence: sequence,
            mirrored: settings.mirror,
            captureTime: timestamp,
            stretch: stretch
        )
        if due, schedule.admit(at: arrived, scene: scene) {
            input.values.withUnsafeMutableBufferPointer { sampler.sample(frame.picture, into: $0.baseAddress!) }
            input.stamp = frame.stamp
            inputs.publish(&input)
        }
        frames.publish(&frame)
        statistics.frameIn(processing: monotonicMilliseconds() - arrived)
    }
}
