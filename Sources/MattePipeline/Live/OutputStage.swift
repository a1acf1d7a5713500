import Logging
import MatteCompositing
import MatteCore
import MatteImaging
import MatteMedia

/// The output thread's job: it alone owns the frame processor and the sink. At each turn it installs settings
/// the caller asked for, takes the newest frame and mask, and writes what `OutputTurn` chooses: the frame
/// composited with the mask `MaskMatcher` fitted to it, the pause still, or a placeholder.
// @unchecked: a stage is used by the one thread `LivePipeline.start` hands it to; what it shares with other
// threads it reaches through `PipelineState`, the mailboxes and `PipelineStatistics`, which lock themselves.
final class OutputStage: @unchecked Sendable {
    private let state: PipelineState
    private let processor: FrameProcessor
    private let sink: FrameSink
    private let frames: Mailbox<CapturedFrame>
    private let masks: Mailbox<PersonMask>
    private let statistics: PipelineStatistics
    private let logger: Logger
    private let heartbeat: (() -> Void)?
    private let width: Int, height: Int, frameRate: Double
    /// Resamples finished frames to the sink's size, when it differs.
    private let outputScaler: (resampler: Resampler, frame: PixelBuffer)?
    private var frame: CapturedFrame
    /// The newest mask, or an empty one (all background) until the first arrives.
    private var mask: PersonMask
    private var matcher = MaskMatcher()
    private var lastCrop: CropRect
    private var lastWrite = monotonicMilliseconds()
    private var placeholder: PixelBuffer?
    private var wrotePlaceholder = false
    private var lastBackgroundProblem: String?
    /// The still shown while paused, kept after resuming until the camera's first frame replaces it.
    private var still: PixelBuffer?
    /// The last write failure reported.
    private var lastWriteError: String?

    init(
        state: PipelineState,
        processor: FrameProcessor,
        sink: FrameSink,
        outputSize: (Int, Int)?,
        frameRate: Double,
        frames: Mailbox<CapturedFrame>,
        masks: Mailbox<PersonMask>,
        statistics: PipelineStatistics,
        heartbeat: (() -> Void)?,
        logger: Logger
    ) {
        self.state = state
        self.processor = processor
        self.sink = sink
        self.frames = frames
        self.masks = masks
        self.statistics = statistics
        self.heartbeat = heartbeat
        self.logger = logger
        width = processor.width
        height = processor.height
        self.frameRate = frameRate
        if let (w, h) = outputSize, w != width || h != height {
            outputScaler = (Resampler(), PixelBuffer(width: w, height: h, format: .yuyv))
        } else {
            outputScaler = nil
        }
        frame = CapturedFrame(picture: PixelBuffer(width: width, height: height, format: .yuyv))
        mask = PersonMask(width: processor.compositor.modelWidth, height: processor.compositor.modelHeight)
        lastCrop = .whole(width: width, height: height)
    }

    func run() {
        let interval = 1 / frameRate
        while !state.stopping {
            heartbeat?()
            if let prepared = state.takePendingSettings() {
                processor.apply(prepared)
                logger.info("settings reloaded")
            }
            // At most a quarter second per turn even for a slow camera: the heartbeat must keep its pace.
            let wait = still == nil ? min(interval * 1.5, 0.25) : min(interval, 0.25)
            let arrived = frames.take(&frame, after: frame.stamp.sequence, timeout: wait)
            let phase = state.currentPhase
            let pause = state.pause
            if let pause, !arrived, phase != .idle, still == nil {
                still = makeStill(pause, lastPicture: frame.stamp.sequence > 0 ? frame.picture : nil)
            }
            let turn = OutputTurn.choose(
                frameArrived: arrived,
                idle: phase == .idle,
                waitingForSource: phase == .waitingForSource,
                showingStill: still != nil,
                due: monotonicMilliseconds() - lastWrite > 1000 * interval
            )
            switch turn {
            case .composite: compositeAndWrite()
            case .still:
                write(still!, captureTime: monotonicMilliseconds(), scaled: true)
                lastWrite = monotonicMilliseconds()
            case .placeholder:
                if !wrotePlaceholder { logger.info("showing a placeholder until the camera is back") }
                wrotePlaceholder = true
                let slate =
                    placeholder
                    ?? LivePipeline.placeholder(
                        width: outputScaler?.frame.width ?? width,
                        height: outputScaler?.frame.height ?? height
                    )
                placeholder = slate
                write(slate, captureTime: monotonicMilliseconds(), scaled: false)
                statistics.placeholder()
                lastWrite = monotonicMilliseconds()
            case .nothing: break
            }
        }
    }

    private func compositeAndWrite() {
        wrotePlaceholder = false
        defer { lastWrite = monotonicMilliseconds() }
        // No one can read the output now (its daemon is gone): composite nothing until it is back.
        guard sink.outage == nil else { return }
        if still != nil {
            // Back from a pause: the still's blur went through the compositor's smoothing.
            still = nil
            processor.compositor.resetSmoothing()
        }
        let maskIsNew = masks.read(after: mask.stamp.sequence) { mask.copyCells(from: $0) } != nil
        let verdict = matcher.match(
            frameMirrored: frame.stamp.mirrored,
            mask: mask.stamp.sequence > 0 ? mask.stamp : nil,
            maskIsNew: maskIsNew
        )
        if verdict.resetSmoothing { processor.compositor.resetSmoothing() }
        if verdict.turnAround { mask.mirror() }
        let start = monotonicMilliseconds()
        // A mask the settings do not need (no model runs then) is ignored by the compositor.
        let composed = processor.composite(frame.picture, mask: mask)
        // Published only when it moves: while framing is off or settled that is never.
        if processor.crop != lastCrop {
            lastCrop = processor.crop
            state.crop = lastCrop
        }
        reportBackgroundProblem()
        let composite = monotonicMilliseconds() - start
        if write(composed, captureTime: frame.stamp.captureTime, scaled: true) {
            statistics.frameOut(latency: monotonicMilliseconds() - frame.stamp.captureTime, composite: composite)
        }
    }

    private func reportBackgroundProblem() {
        let problem = processor.backgroundError.map { "\($0)" }
        guard problem != lastBackgroundProblem else { return }
        if let problem {
            logger.error("background video failed, showing its last picture: \(problem)")
        } else {
            logger.info("background video plays again")
        }
        lastBackgroundProblem = problem
    }

    /// The picture a pause shows, at the pipeline's size: the last camera frame blurred all over (its mask
    /// all background), or the chosen picture.
    private func makeStill(_ pause: LivePipeline.PauseStill, lastPicture: PixelBuffer?) -> PixelBuffer {
        switch pause {
        case let .picture(picture): return picture
        case .blurredLastFrame:
            guard let lastPicture else { return LivePipeline.placeholder(width: width, height: height) }
            let blurred = PixelBuffer(width: width, height: height, format: .yuyv)
            processor.compositor.composite(
                frame: lastPicture,
                mask: PersonMask(width: mask.width, height: mask.height),
                background: .blur(strength: LivePipeline.pauseBlur),
                into: blurred
            )
            return blurred
        }
    }

    /// Whether the frame reached the sink: not while the output itself is gone (`FrameSink.outage`), nor when
    /// the sink dropped it (counted for `status`).
    @discardableResult
    private func write(_ frame: PixelBuffer, captureTime: Double, scaled: Bool) -> Bool {
        guard sink.outage == nil else { return false }
        var out = frame
        if scaled, let (resampler, target) = outputScaler {
            resampler.scale(
                frame,
                crop: PixelRect(x: 0, y: 0, width: width, height: height),
                into: target,
                at: PixelRect(x: 0, y: 0, width: target.width, height: target.height)
            )
            out = target
        }
        // A failing sink fails every frame: say so once, and once more when it works again.
        do {
            let result = try sink.write(out, captureTime: captureTime)
            if lastWriteError != nil {
                logger.info("writing to the virtual camera works again")
                lastWriteError = nil
            }
            guard result == .written else {
                statistics.drop()
                return false
            }
            state.offerSnapshot(out)
            return true
        } catch {
            let message = "\(error)"
            if message != lastWriteError { logger.error("writing to the virtual camera failed: \(message)") }
            lastWriteError = message
            return false
        }
    }
}
