import Foundation
import MatteCore
import MatteImaging

/// What the live pipeline's threads share, under one lock: the phase, what the caller asked for (settings,
/// pause, a snapshot), and what the stages publish for the caller (the open source, the crop, the snapshot).
/// Everything else belongs to exactly one stage.
final class PipelineState: @unchecked Sendable {
    // @unchecked: every stored property below is touched only under `condition`.

    /// What the pipeline is doing, as every thread sees it.
    enum Phase: Equatable {
        /// Not processing: no one reads the output; the source is closed.
        case idle
        /// Processing is wanted, but the source is not open or not delivering: the output shows a placeholder.
        case waitingForSource
        /// Frames flow.
        case running
        case stopping
    }

    /// What the settings mean for the capture thread (the output thread owns the settings themselves).
    struct CaptureSettings: Equatable {
        var mirror: Bool
        /// False when nothing shown needs a mask (no background change, no effect, no framing): no inference.
        var maskNeeded: Bool
    }

    private let condition = NSCondition()
    private var phase = Phase.idle
    private var paused: LivePipeline.PauseStill?
    private var pendingSettings: FrameProcessor.Prepared?
    private var requestedSettings: ProcessingSettings
    private var captureSettings: CaptureSettings
    private var openSource: String?
    private var publishedCrop: CropRect
    private var snapshotWanted = false
    private var snapshotTaken: PixelBuffer?
    private var finishedThreads = 0

    init(settings: ProcessingSettings, capture: CaptureSettings, source: String, crop: CropRect) {
        requestedSettings = settings
        captureSettings = capture
        openSource = source
        publishedCrop = crop
    }

    private func change(_ body: () -> Void) {
        condition.lock()
        body()
        condition.broadcast()
        condition.unlock()
    }

    // MARK: Phase

    var currentPhase: Phase { condition.withLock { phase } }

    /// Processing on or off (the caller's thread).
    func setActive(_ value: Bool) {
        change {
            switch (phase, value) {
            case (.idle, true): phase = .waitingForSource
            case (.waitingForSource, false), (.running, false): phase = .idle
            default: break
            }
        }
    }

    /// The capture thread's news about the source, while processing is wanted.
    func sourceAvailable(_ available: Bool) {
        change {
            if available && phase == .waitingForSource { phase = .running }
            if !available && phase == .running { phase = .waitingForSource }
        }
    }

    func stop() { change { phase = .stopping } }

    var stopping: Bool { condition.withLock { phase == .stopping } }

    /// The capture thread's wait while it has nothing to capture for: idle or paused. Returns the phase it
    /// woke to, with `.running` when the open source can go on delivering.
    func waitForWork(sourceOpen: Bool) -> Phase {
        condition.lock()
        defer { condition.unlock() }
        while phase == .idle || (paused != nil && phase != .stopping) {
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.5))
        }
        // The source opened before the pipeline started is still open when processing is first wanted.
        if sourceOpen && phase == .waitingForSource { phase = .running }
        return phase
    }

    /// Why the capture thread must close its source now (idle or paused), or nil.
    var closeReason: String? {
        condition.withLock {
            phase == .idle
                ? "idle: no application is reading the virtual camera; camera closed"
                : paused != nil ? "paused: camera closed" : nil
        }
    }

    /// Waits up to `seconds`, returning early when the pipeline stops.
    func sleep(_ seconds: Double) {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        while phase != .stopping && Date() < deadline { _ = condition.wait(until: deadline) }
        condition.unlock()
    }

    func threadFinished() { change { finishedThreads += 1 } }

    func waitForThreads(_ count: Int) {
        condition.lock()
        while finishedThreads < count { _ = condition.wait(until: Date(timeIntervalSinceNow: 0.1)) }
        condition.unlock()
    }

    // MARK: Pause

    func setPaused(_ still: LivePipeline.PauseStill?) { change { paused = still } }

    var pause: LivePipeline.PauseStill? { condition.withLock { paused } }

    /// The state as `status` names it (the sink's outage aside).
    var liveState: LiveState {
        condition.withLock {
            switch phase {
            case .idle, .stopping: return .idle
            case _ where paused != nil: return .paused
            case .waitingForSource: return .waiting
            case .running: return .live
            }
        }
    }

    // MARK: Settings

    func request(_ prepared: FrameProcessor.Prepared, capture: CaptureSettings) {
        condition.withLock {
            pendingSettings = prepared
            requestedSettings = prepared.settings
            captureSettings = capture
        }
    }

    var settings: ProcessingSettings { condition.withLock { requestedSettings } }
    var capture: CaptureSettings { condition.withLock { captureSettings } }

    /// The settings asked for since the last call (the output thread installs them).
    func takePendingSettings() -> FrameProcessor.Prepared? {
        condition.withLock {
            defer { pendingSettings = nil }
            return pendingSettings
        }
    }

    // MARK: Published by the stages

    var sourceDescription: String? {
        get { condition.withLock { openSource } }
        set { condition.withLock { openSource = newValue } }
    }

    var crop: CropRect {
        get { condition.withLock { publishedCrop } }
        set { condition.withLock { publishedCrop = newValue } }
    }

    /// A copy of the next frame written, or nil when none is written within `timeout` seconds.
    func snapshot(timeout: Double) -> PixelBuffer? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer {
            snapshotWanted = false
            snapshotTaken = nil
            condition.unlock()
        }
        snapshotWanted = true
        snapshotTaken = nil
        while snapshotTaken == nil && phase != .stopping && phase != .idle && Date() < deadline {
            _ = condition.wait(until: deadline)
        }
        return snapshotTaken
    }

    /// The output thread hands over a copy of what it just wrote, when one is wanted.
    func offerSnapshot(_ written: PixelBuffer) {
        guard condition.withLock({ snapshotWanted && snapshotTaken == nil }) else { return }
        let copy = PixelBuffer(width: written.width, height: written.height, format: written.format)
        copy.bytes.copyMemory(from: UnsafeRawBufferPointer(written.bytes))
        change { snapshotTaken = copy }
    }
}
