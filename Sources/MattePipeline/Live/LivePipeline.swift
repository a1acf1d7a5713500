import Foundation
import Logging
import MatteCompositing
import MatteCore
import MatteImaging
import MatteMedia
import MatteSegmentation
import Synchronization

/// Counters the threads update and the status line and benchmarks read.
public final class PipelineStatistics: Sendable {
    private struct Counters {
        var framesIn = 0
        var framesOut = 0
        var inferences = 0
        var placeholders = 0
        var inferenceTotal = 0.0
        var compositeTotal = 0.0
        var captureTotal = 0.0
        var latencies: [Double] = []
    }

    private let counters = Mutex(Counters())

    func frameIn(processing: Double) {
        counters.withLock {
            $0.framesIn += 1
            $0.captureTotal += processing
        }
    }
    func inference(_ milliseconds: Double) {
        counters.withLock {
            $0.inferences += 1
            $0.inferenceTotal += milliseconds
        }
    }
    func placeholder() { counters.withLock { $0.placeholders += 1 } }
    func frameOut(latency: Double, composite: Double) {
        counters.withLock {
            $0.framesOut += 1
            $0.compositeTotal += composite
            $0.latencies.append(latency)
            if $0.latencies.count > 20_000 { $0.latencies.removeFirst(10_000) }
        }
    }

    public struct Snapshot: Sendable {
        public let framesIn, framesOut, inferences, placeholders: Int
        /// Mean time per frame in each stage: capture (conversion, mirror, model-input sampling), inference,
        /// compositing (everything from mask to finished frame).
        public let captureMilliseconds, inferenceMilliseconds, compositeMilliseconds: Double
        /// Capture → write latency percentiles (ms) over recent frames.
        public let latencyP50, latencyP99: Double
        /// Time spent in each stage so far (ms), for means over an interval.
        public let captureTotal, inferenceTotal, compositeTotal: Double
    }

    public func snapshot() -> Snapshot {
        counters.withLock { counts in
            let sorted = counts.latencies.sorted()
            func percentile(_ p: Double) -> Double {
                sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
            }
            func mean(_ total: Double, _ count: Int) -> Double { count == 0 ? 0 : total / Double(count) }
            return Snapshot(
                framesIn: counts.framesIn,
                framesOut: counts.framesOut,
                inferences: counts.inferences,
                placeholders: counts.placeholders,
                captureMilliseconds: mean(counts.captureTotal, counts.framesIn),
                inferenceMilliseconds: mean(counts.inferenceTotal, counts.inferences),
                compositeMilliseconds: mean(counts.compositeTotal, counts.framesOut),
                latencyP50: percentile(0.5),
                latencyP99: percentile(0.99),
                captureTotal: counts.captureTotal,
                inferenceTotal: counts.inferenceTotal,
                compositeTotal: counts.compositeTotal
            )
        }
    }
}

/// The live path: capture → newest-frame mailbox → segmentation (its own thread, always on the newest frame)
/// → compositing with the newest mask → the sink. Nothing waits on a slower stage: frames and masks that
/// are overtaken are dropped, never queued, so output keeps the camera's pace even when inference is slow.
///
/// ## Threads and ownership
/// `start()` makes three threads; `stop()` ends and joins them, after which the pipeline can be released.
/// - *capture* alone owns the source: it opens it (and reopens it after a failure), closes it when the
///   pipeline goes idle, converts and mirrors each frame, samples it for the model and publishes both to
///   `mailbox`.
/// - *segment* alone runs `segmenter`: it copies the newest model input out of `mailbox`, infers, and
///   publishes the mask to `masks`.
/// - *output* alone owns `processor` and the sink: it takes the newest frame and mask, composites and writes
///   (or writes a placeholder while the source is missing).
/// - The caller's thread only calls `setActive`, `reload`, `stop` and reads `statistics`; it sets
///   `outputHeartbeat` before `start()`, and only the output thread calls it.
/// The mailboxes hand buffers over by swapping them under their own locks, so no two threads ever touch the
/// same pixels; `phase`, `pendingSettings` and `mirror` are shared under `state`, and nothing else is.
// @unchecked: the threads share only what the section above names, each under its lock; everything else
// belongs to exactly one thread.
public final class LivePipeline: @unchecked Sendable {
    public let width: Int, height: Int, frameRate: Double
    public let statistics = PipelineStatistics()
    private let openSource: () throws(PipelineError) -> FrameSource
    private let sink: FrameSink
    private let segmenter: Segmenter
    private let processor: FrameProcessor
    private let mailbox: FrameMailbox
    private let masks: MaskMailbox
    private let logger: Logger
    private let outputScaler: (resampler: Resampler, frame: PixelBuffer)?
    /// Minimum time between inferences (ms); 0 runs the model on every frame it can.
    private let inferenceInterval: Double

    /// What the pipeline is doing, as every thread sees it (under `state`).
    enum Phase: Equatable {
        /// Not processing: no one reads the output; the source is closed.
        case idle
        /// Processing is wanted, but the source is not open or not delivering: the output shows a placeholder.
        case waitingForSource
        /// Frames flow.
        case running
        case stopping
    }

    /// What the virtual camera shows while paused.
    public enum PauseStill {
        /// The last camera frame, blurred all over.
        case blurredLastFrame
        /// A picture at the pipeline's size (YUYV).
        case picture(PixelBuffer)
    }

    private let state = NSCondition()
    private var phase = Phase.idle
    private var pendingSettings: FrameProcessor.Prepared?
    /// The settings last asked for (in force from the next frame).
    private var requestedSettings: ProcessingSettings
    /// Set while paused: the camera is closed even while readers watch, and the output repeats a still.
    private var paused: PauseStill?
    /// The source in use, as the capture thread last opened it.
    private var openSourceDescription: String?
    /// The part of the composite auto-framing shows, as the output thread last published it.
    private var publishedCrop: CropRect
    /// A snapshot asked for by `snapshot(timeout:)`, filled by the output thread after its next write.
    private var snapshotWanted = false
    private var snapshotTaken: PixelBuffer?
    /// The mirror setting as the capture thread sees it: `processor` belongs to the output thread.
    private var mirror: Bool
    private var threads: [Thread] = []
    private var finished = 0

    /// - Parameters:
    ///   - source: the source already opened (its size fixes the pipeline's), and how to reopen it.
    ///   - outputSize: the sink's size, when it differs from the source's.
    public init(
        source: FrameSource,
        reopen: @escaping () throws(PipelineError) -> FrameSource,
        sink: FrameSink,
        outputSize: (Int, Int)?,
        segmenter: Segmenter,
        settings: ProcessingSettings,
        inferenceRate: Double?,
        logger: Logger
    ) throws(PipelineError) {
        width = source.width
        height = source.height
        frameRate = source.frameRate
        openSource = reopen
        self.sink = sink
        self.segmenter = segmenter
        self.logger = logger
        processor = try FrameProcessor(
            width: width,
            height: height,
            modelWidth: segmenter.modelWidth,
            modelHeight: segmenter.modelHeight,
            settings: settings,
            outputRate: frameRate
        )
        mailbox = FrameMailbox(width: width, height: height, modelInputCount: segmenter.engine.input.count)
        masks = MaskMailbox(count: segmenter.modelWidth * segmenter.modelHeight)
        if let (w, h) = outputSize, w != width || h != height {
            outputScaler = (Resampler(), PixelBuffer(width: w, height: h, format: .yuyv))
        } else {
            outputScaler = nil
        }
        inferenceInterval = inferenceRate.map { 1000 / $0 } ?? 0
        mirror = settings.mirror
        requestedSettings = settings
        openSourceDescription = source.description
        publishedCrop = .whole(width: source.width, height: source.height)
        initialSource = source
    }

    private var initialSource: FrameSource?

    /// Called by the output thread at every turn of its loop, idle or not (at least every 0.25 s while it
    /// runs): the service watchdog's proof of life. Set before `start()`.
    public var outputHeartbeat: (() -> Void)?

    /// Starts the threads; the pipeline processes only while `setActive(true)`.
    public func start() {
        threads = [
            Thread { [self] in captureLoop() },
            Thread { [self] in segmentationLoop() },
            Thread { [self] in outputLoop() },
        ]
        for (thread, name) in zip(threads, ["matte-capture", "matte-segment", "matte-output"]) {
            thread.name = name
            thread.start()
        }
    }

    /// Processing on (a reader is watching, or always-on) or off (the camera is closed).
    public func setActive(_ value: Bool) {
        state.lock()
        switch (phase, value) {
        case (.idle, true): phase = .waitingForSource
        case (.waitingForSource, false), (.running, false): phase = .idle
        default: break
        }
        state.broadcast()
        state.unlock()
    }

    public var isActive: Bool { state.withLock { phase == .waitingForSource || phase == .running } }

    /// The capture thread's news about the source, while processing is wanted.
    private func sourceAvailable(_ available: Bool) {
        state.withLock {
            if available && phase == .waitingForSource { phase = .running }
            if !available && phase == .running { phase = .waitingForSource }
        }
    }

    /// Applies new settings at the next frame. Their files are decoded here, on the caller's thread, so the
    /// output never pauses for them; on failure nothing changes.
    public func apply(_ settings: ProcessingSettings) throws(PipelineError) {
        let prepared = try processor.prepare(settings)
        state.withLock {
            pendingSettings = prepared
            requestedSettings = settings
        }
    }

    /// `apply`, logging a failure (SIGHUP, a configuration file change).
    public func reload(_ settings: ProcessingSettings) {
        do { try apply(settings) } catch {
            logger.error("reload failed, keeping the previous settings: \(error)")
        }
    }

    /// The settings last applied (in force from the next frame).
    public var settings: ProcessingSettings { state.withLock { requestedSettings } }

    /// Pauses (the camera is released, its light goes off, and the virtual camera repeats `still`) or, with
    /// nil, resumes.
    public func setPaused(_ still: PauseStill?) {
        state.lock()
        paused = still
        state.broadcast()
        state.unlock()
    }

    public var isPaused: Bool { state.withLock { paused != nil } }

    /// A picture file as a pause still: decoded on the caller's thread and fitted to cover the frame. Check the
    /// path with `ControlFile.problem` first: a FIFO would block the caller.
    public func still(fromPicture path: String) throws(PipelineError) -> PixelBuffer {
        do {
            return try BackgroundSource(path: path, width: width, height: height, fit: .cover, outputRate: frameRate)
                .frame
        } catch { throw PipelineError("pause picture \(error.description)") }
    }

    /// What the pipeline does now, in a word: `idle` (no reader), `waiting` (for the camera), `live` or
    /// `paused`.
    public var stateName: String {
        state.withLock {
            switch phase {
            case .idle, .stopping: return "idle"
            case _ where paused != nil: return "paused"
            case .waitingForSource: return "waiting"
            case .running: return "live"
            }
        }
    }

    /// Why the virtual camera itself is gone for now (`FrameSink.outage`), or nil.
    public var outputOutage: String? { sink.outage }

    /// The source in use (or last used).
    public var sourceDescription: String? { state.withLock { openSourceDescription } }

    /// The part of each composited frame the output shows (the whole frame unless auto-framing zooms).
    public var crop: CropRect { state.withLock { publishedCrop } }

    /// A copy of the next frame written to the virtual camera, exactly as written; nil when none is written
    /// within `timeout` seconds (idle: no application reads it).
    public func snapshot(timeout: Double) -> PixelBuffer? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        state.lock()
        defer {
            snapshotWanted = false
            snapshotTaken = nil
            state.unlock()
        }
        snapshotWanted = true
        snapshotTaken = nil
        while snapshotTaken == nil && phase != .stopping && phase != .idle && Date() < deadline {
            _ = state.wait(until: deadline)
        }
        return snapshotTaken
    }

    /// The newest person mask, one byte a cell (probability × 255), with its size, in the orientation of the
    /// frames now written (mirrored with them).
    public func newestMask() -> (width: Int, height: Int, bytes: [UInt8]) {
        var probabilities = [Float](repeating: 0, count: segmenter.modelWidth * segmenter.modelHeight)
        if let (_, mirrored) = masks.copy(into: &probabilities, after: -1), mirrored != state.withLock({ mirror }) {
            Self.mirrorRows(&probabilities, width: segmenter.modelWidth)
        }
        return (
            segmenter.modelWidth, segmenter.modelHeight, probabilities.map { UInt8(min(max($0, 0), 1) * 255 + 0.5) }
        )
    }

    /// Stops every thread and waits for them; the source and sink are released by their owners.
    public func stop() {
        state.lock()
        phase = .stopping
        state.broadcast()
        state.unlock()
        mailbox.close()
        state.lock()
        while finished < threads.count { _ = state.wait(until: Date(timeIntervalSinceNow: 0.1)) }
        state.unlock()
        // The threads' closures hold the pipeline; dropping them lets it (and the sink it owns) go.
        threads.removeAll()
    }

    /// Waits up to `seconds`, returning early when the pipeline stops.
    private func pause(_ seconds: Double) {
        let deadline = Date(timeIntervalSinceNow: seconds)
        state.lock()
        while phase != .stopping && Date() < deadline { _ = state.wait(until: deadline) }
        state.unlock()
    }

    private var shouldStop: Bool { state.withLock { phase == .stopping } }

    private func threadFinished() {
        state.lock()
        finished += 1
        state.broadcast()
        state.unlock()
    }

    // MARK: Threads

    private func captureLoop() {
        defer { threadFinished() }
        var source: FrameSource? = initialSource
        initialSource = nil
        var frame = FrameMailbox.Frame(
            picture: PixelBuffer(width: width, height: height, format: .yuyv),
            modelInput: [Float](repeating: 0, count: segmenter.engine.input.count)
        )
        let sampler = ModelInputSampler(
            sourceWidth: width,
            sourceHeight: height,
            targetWidth: segmenter.modelWidth,
            targetHeight: segmenter.modelHeight
        )
        // Made when mirroring is first asked for: most calls never mirror.
        var mirrored: PixelBuffer?
        var sequence = 0
        var lastFailure: String?
        var reported = 0
        var lastCorruptReport = -Double.infinity

        while true {
            // Closing a camera takes ioctls and unmapping: never while holding the lock the other threads need.
            if source != nil, let reason = state.withLock({ phase == .idle ? "idle" : paused != nil ? "paused" : nil })
            {
                source = nil
                logger.info(
                    reason == "idle"
                        ? "idle: no application is reading the virtual camera; camera closed" : "paused: camera closed"
                )
            }
            state.lock()
            while phase == .idle || (paused != nil && phase != .stopping) {
                _ = state.wait(until: Date(timeIntervalSinceNow: 0.5))
            }
            // The source opened before the pipeline started is still open when processing is first wanted.
            if source != nil && phase == .waitingForSource { phase = .running }
            let stop = phase == .stopping
            state.unlock()
            if stop { break }

            if source == nil {
                do {
                    let opened = try openSource()
                    guard opened.width == width, opened.height == height else {
                        throw PipelineError(
                            "\(opened.description) now gives \(opened.width)x\(opened.height), not \(width)x\(height)"
                        )
                    }
                    source = opened
                    state.withLock { openSourceDescription = opened.description }
                    lastFailure = nil
                    sourceAvailable(true)
                    logger.info("camera opened: \(opened.description)")
                } catch {
                    let message = "\(error)"
                    if message != lastFailure {
                        logger.warning("camera unavailable, retrying every second: \(message)")
                    }
                    lastFailure = message
                    sourceAvailable(false)
                    pause(1)
                    continue
                }
            }
            let timestamp: Double?
            do {
                timestamp = try source!.next(into: frame.picture, timeout: 250)
            } catch {
                logger.warning("camera lost: \(error); keeping the virtual camera alive and retrying")
                source = nil
                sourceAvailable(false)
                // An unplugged device can linger a moment before its node goes; do not reopen it at once.
                pause(2)
                continue
            }
            // Corrupt frames are counted and reported at most every 5 s, so a failing link cannot flood the log.
            if let source, source.corruptFrames > reported, monotonicMilliseconds() - lastCorruptReport > 5000 {
                logger.notice(
                    "skipped \(source.corruptFrames - reported) corrupt frame(s) from the camera (last: \(source.lastCorruption ?? "flagged by the driver"))"
                )
                reported = source.corruptFrames
                lastCorruptReport = monotonicMilliseconds()
            }
            guard let timestamp else { continue }
            let arrived = monotonicMilliseconds()
            frame.mirrored = state.withLock { mirror }
            if frame.mirrored {
                let target = mirrored ?? PixelBuffer(width: width, height: height, format: .yuyv)
                YUYVKernels.mirror(frame.picture, into: target)
                mirrored = frame.picture
                frame.picture = target
            }
            frame.modelInput.withUnsafeMutableBufferPointer { sampler.sample(frame.picture, into: $0.baseAddress!) }
            sequence += 1
            frame.sequence = sequence
            frame.timestamp = timestamp
            mailbox.publishModelInput(frame.modelInput, sequence: sequence, mirrored: frame.mirrored)
            mailbox.publish(&frame)
            statistics.frameIn(processing: monotonicMilliseconds() - arrived)
        }
    }

    private func segmentationLoop() {
        defer { threadFinished() }
        var last = 0
        var lastStart = 0.0
        var announcedFirstMask = false
        // The model input the newest mask was made from.
        var lastInferred = [Float](repeating: -1, count: segmenter.engine.input.count)
        while !shouldStop {
            guard
                let (sequence, mirrored) = mailbox.copyModelInput(
                    into: segmenter.engine.input,
                    after: last,
                    timeout: 0.25
                )
            else {
                continue
            }
            last = sequence
            let start = monotonicMilliseconds()
            if inferenceInterval > 0 {
                // A little slack, so a 15/s limit on a 30 fps camera takes every other frame rather than one in three.
                let elapsed = start - lastStart
                if elapsed < inferenceInterval * 0.9 { continue }
                // A still scene (the picture has hardly changed since the last mask) needs a new mask less often;
                // the guided filter still aligns the mask to every frame.
                // Every fourth value is enough to tell motion from noise, at a quarter of the cost.
                let change = lastInferred.withUnsafeBufferPointer {
                    FloatKernels.meanAbsoluteDifference(
                        segmenter.engine.input.baseAddress!,
                        $0.baseAddress!,
                        count: $0.count,
                        step: 4
                    )
                }
                if elapsed < Self.stillInterval * 0.9, change < Self.stillThreshold { continue }
            }
            lastStart = start
            lastInferred.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: segmenter.engine.input) }
            do {
                let probabilities = try segmenter.segmentPreparedInput()
                let took = monotonicMilliseconds() - start
                if !announcedFirstMask {
                    logger.info("first person mask ready (inference \(Int(took.rounded())) ms)")
                    announcedFirstMask = true
                }
                statistics.inference(took)
                masks.publish(UnsafeBufferPointer(probabilities), sequence: sequence, mirrored: mirrored)
            } catch {
                logger.error("inference failed: \(error)")
            }
        }
    }

    private func outputLoop() {
        defer { threadFinished() }
        var frame = FrameMailbox.Frame(
            picture: PixelBuffer(width: width, height: height, format: .yuyv),
            modelInput: [Float](repeating: 0, count: segmenter.engine.input.count)
        )
        var probabilities = [Float](repeating: 0, count: segmenter.modelWidth * segmenter.modelHeight)
        var lastFrame = 0
        var maskSequence = 0
        var maskMirrored = false
        var lastFrameMirrored = false
        var lastCrop = CropRect.whole(width: width, height: height)
        let interval = 1 / frameRate
        var lastWrite = monotonicMilliseconds()
        var placeholder: PixelBuffer?
        var wrotePlaceholder = false
        var lastBackgroundProblem: String?
        // The still shown while paused, kept after resuming until the camera's first frame replaces it.
        var still: PixelBuffer?

        while !shouldStop {
            outputHeartbeat?()
            if let prepared = state.withLock({ () -> FrameProcessor.Prepared? in
                defer { pendingSettings = nil }
                return pendingSettings
            }) {
                processor.apply(prepared)
                state.withLock { mirror = prepared.settings.mirror }
                logger.info("settings reloaded")
            }
            // At most a quarter second per turn even for a slow camera: the heartbeat must keep its pace.
            let wait = still == nil ? min(interval * 1.5, 0.25) : min(interval, 0.25)
            guard mailbox.take(&frame, after: lastFrame, timeout: wait) else {
                let (idle, waiting, pause) = state.withLock { (phase == .idle, phase == .waitingForSource, paused) }
                if let pause, !idle, still == nil {
                    still = makeStill(pause, lastPicture: lastFrame > 0 ? frame.picture : nil)
                }
                let due = monotonicMilliseconds() - lastWrite > 1000 * interval
                if let still, !idle, due {
                    write(still, scaled: true)
                    lastWrite = monotonicMilliseconds()
                    continue
                }
                // No frame: while someone watches and the camera is missing, keep the virtual camera alive.
                if waiting && due {
                    if !wrotePlaceholder { logger.info("showing a placeholder until the camera is back") }
                    wrotePlaceholder = true
                    let slate =
                        placeholder
                        ?? Self.placeholder(
                            width: outputScaler?.frame.width ?? width,
                            height: outputScaler?.frame.height ?? height
                        )
                    placeholder = slate
                    write(slate, scaled: false)
                    statistics.placeholder()
                    lastWrite = monotonicMilliseconds()
                }
                continue
            }
            wrotePlaceholder = false
            if still != nil {
                // Back from a pause: the still's blur went through the compositor's smoothing.
                still = nil
                processor.compositor.resetSmoothing()
            }
            lastFrame = frame.sequence
            if let (sequence, mirrored) = masks.copy(into: &probabilities, after: maskSequence) {
                // Until the first mask, frames go out as all background (an empty mask); the first real mask must
                // not be averaged with that stand-in, or the person would fade in over seconds.
                if maskSequence == 0 { processor.compositor.resetSmoothing() }
                maskSequence = sequence
                maskMirrored = mirrored
            }
            // Right after the mirror setting changes, the newest mask was made from a frame of the other
            // orientation: turned around, it fits this frame instead of showing a mirrored ghost of the person;
            // and the masks smoothed so far are of the other orientation too.
            if frame.mirrored != lastFrameMirrored {
                processor.compositor.resetSmoothing()
                lastFrameMirrored = frame.mirrored
            }
            if maskMirrored != frame.mirrored {
                Self.mirrorRows(&probabilities, width: segmenter.modelWidth)
                maskMirrored = frame.mirrored
            }
            let start = monotonicMilliseconds()
            let composed = probabilities.withUnsafeBufferPointer { mask in
                frame.modelInput.withUnsafeBufferPointer { input in
                    processor.composite(frame.picture, probabilities: mask.baseAddress!, modelInput: input.baseAddress!)
                }
            }
            // Published only when it moves: while framing is off or settled that is never.
            if processor.crop != lastCrop {
                lastCrop = processor.crop
                state.withLock { publishedCrop = lastCrop }
            }
            let backgroundProblem = processor.backgroundError.map { "\($0)" }
            if backgroundProblem != lastBackgroundProblem {
                if let backgroundProblem {
                    logger.error("background video failed, showing its last picture: \(backgroundProblem)")
                } else {
                    logger.info("background video plays again")
                }
                lastBackgroundProblem = backgroundProblem
            }
            let composite = monotonicMilliseconds() - start
            let delivered = write(composed, scaled: true)
            lastWrite = monotonicMilliseconds()
            if delivered { statistics.frameOut(latency: lastWrite - frame.timestamp, composite: composite) }
        }
    }

    /// Reverses each row of a mask `width` cells wide.
    static func mirrorRows(_ values: inout [Float], width: Int) {
        for start in stride(from: 0, to: values.count - width + 1, by: width) {
            values[start..<start + width].reverse()
        }
    }

    /// With a rate limit, a still scene is segmented at most this often (ms).
    static let stillInterval = 200.0
    /// Mean absolute change of the model input (0…1 per channel) below which the scene counts as still:
    /// about 4 levels of 255, above a webcam's sensor noise, below a head turning.
    static let stillThreshold: Float = 0.015

    /// What the virtual camera shows while there is no camera picture: a plain dark slate.
    public static func placeholder(width: Int, height: Int) -> PixelBuffer {
        let frame = PixelBuffer(width: width, height: height, format: .yuyv)
        YUYVKernels.fill(frame, y: 40, u: 136, v: 124)
        return frame
    }

    /// The picture a pause shows, at the pipeline's size: the last camera frame blurred all over (its mask
    /// all background), or the chosen picture.
    private func makeStill(_ pause: PauseStill, lastPicture: PixelBuffer?) -> PixelBuffer {
        switch pause {
        case let .picture(picture): return picture
        case .blurredLastFrame:
            guard let lastPicture else { return Self.placeholder(width: width, height: height) }
            let blurred = PixelBuffer(width: width, height: height, format: .yuyv)
            let nobody = [Float](repeating: 0, count: segmenter.modelWidth * segmenter.modelHeight)
            let input = [Float](repeating: 0, count: segmenter.engine.input.count)
            processor.compositor.composite(
                frame: lastPicture,
                probabilities: nobody,
                modelInput: input,
                background: .blur(strength: Self.pauseBlur),
                into: blurred
            )
            return blurred
        }
    }

    /// How strongly a pause blurs the last frame (720p pixels): enough that nothing in the room can be read.
    static let pauseBlur = 40

    /// Whether the frame reached the sink: not while the output itself is gone (`FrameSink.outage`).
    @discardableResult
    private func write(_ frame: PixelBuffer, scaled: Bool) -> Bool {
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
            try sink.write(out)
            takeSnapshotIfWanted(out)
            if lastWriteError != nil {
                logger.info("writing to the virtual camera works again")
                lastWriteError = nil
            }
            return true
        } catch {
            let message = "\(error)"
            if message != lastWriteError { logger.error("writing to the virtual camera failed: \(message)") }
            lastWriteError = message
            return false
        }
    }

    private func takeSnapshotIfWanted(_ written: PixelBuffer) {
        guard state.withLock({ snapshotWanted && snapshotTaken == nil }) else { return }
        let copy = PixelBuffer(width: written.width, height: written.height, format: written.format)
        copy.bytes.copyMemory(from: UnsafeRawBufferPointer(written.bytes))
        state.lock()
        snapshotTaken = copy
        state.broadcast()
        state.unlock()
    }

    /// The last write failure reported (output thread only).
    private var lastWriteError: String?
}
