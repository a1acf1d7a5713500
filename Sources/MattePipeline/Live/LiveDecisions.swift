import MatteCore
import MatteImaging

// The live path's decisions as plain values: each stage asks them and acts on the answer, so they are tested
// without threads, devices or models (LiveDecisionTests).

/// What the live camera is doing, as `status` reports it.
public enum LiveState: String, Sendable, Equatable {
    /// No application reads the virtual camera; the camera is closed.
    case idle
    /// Processing is wanted, but the camera is missing or silent: the virtual camera shows a placeholder.
    case waiting
    case live
    /// The camera is released and the virtual camera repeats a still.
    case paused
    /// The virtual camera itself is gone for now (`FrameSink.outage`), whatever the pipeline does.
    case noOutput = "no-output"
}

/// When the capture thread samples a frame for the mask maker: only when a mask is wanted, the maker is free,
/// the rate limit allows and the scene moved (a still scene is segmented less often; the full-resolution
/// alpha still follows every frame's own edges).
struct InferenceSchedule {
    /// Minimum time between inferences (ms); 0 runs the maker whenever it is free.
    let interval: Double
    /// With a rate limit, a still scene is segmented at most this often (ms), for changes too slow to count as
    /// motion (light drifting). Motion is segmented at once, and slow motion too: the scene is compared with the
    /// one last segmented, so small steps add up until they count.
    static let stillInterval = 1000.0
    /// A thumbnail cell moved when its mean changed by more than this (0…1): 8 levels of 255, ten times a
    /// webcam's sensor noise averaged over the cell's 16 pixels.
    static let cellThreshold: Float = 8 / 255
    /// The scene moved when at least this many cells did: a hand in a corner moves a few, noise none.
    static let movingCells = 4

    /// A recurrent network's first masks of a stretch of video improve as its state settles: so many are made
    /// at the rate limit however still the scene is.
    static let settlingMasks = 5

    private var lastStart = -Double.infinity
    private var lastScene: SceneThumbnail?
    private var settling = settlingMasks

    init(rate: Double?) { interval = rate.map { 1000 / $0 } ?? 0 }

    /// Whether the rate limit lets a frame arriving at `now` (ms) be segmented; the scene is measured only then.
    func due(at now: Double, maskNeeded: Bool, makerBusy: Bool) -> Bool {
        // A little slack, so a 15/s limit on a 30 fps camera takes every other frame rather than one in three.
        maskNeeded && !makerBusy && now - lastStart >= interval * 0.9
    }

    /// A cut: most of the picture changed at once since the last frame segmented (a camera switched, a slide
    /// shown, lights on), far beyond what anyone moving in front of the camera does.
    static let cutThreshold: Float = 32 / 255
    static let cutShare = 0.6

    /// Whether `scene` is a cut from the last frame segmented.
    func isCut(_ scene: SceneThumbnail) -> Bool {
        guard let lastScene else { return false }
        let cells = SceneThumbnail.columns * SceneThumbnail.rows
        return Double(scene.changedCells(from: lastScene, threshold: Self.cutThreshold)) >= Double(cells)
            * Self.cutShare
    }

    /// For a frame `due` let through: whether its scene moved enough to segment it; if so, it is recorded as
    /// the last one segmented.
    mutating func admit(at now: Double, scene: SceneThumbnail) -> Bool {
        if interval > 0, settling == 0, let lastScene, now - lastStart < Self.stillInterval * 0.9,
            scene.changedCells(from: lastScene, threshold: Self.cellThreshold) < Self.movingCells
        {
            return false
        }
        lastStart = now
        lastScene = scene
        settling = max(0, settling - 1)
        return true
    }

    /// A new stretch of video (a reopened camera, a cut): its first masks settle again.
    mutating func startStretch() { settling = Self.settlingMasks }
}

/// Fits the newest mask to the frame going out: a mask made from a frame of the other orientation (just
/// after the mirror setting changed) is turned around instead of showing a mirrored ghost of the person, and
/// the smoothing history starts again whenever what it averaged no longer fits.
struct MaskMatcher {
    struct Verdict: Equatable {
        /// Mirror the mask before use.
        var turnAround = false
        /// Forget the smoothing history before this mask.
        var resetSmoothing = false
    }

    private var lastFrameMirrored = false
    private var hadMask = false

    /// - Parameters:
    ///   - frameMirrored: the orientation of the frame going out.
    ///   - mask: the stamp of the mask at hand (nil before the first one).
    ///   - maskIsNew: whether it arrived since the last frame.
    mutating func match(frameMirrored: Bool, mask: FrameStamp?, maskIsNew: Bool) -> Verdict {
        var verdict = Verdict()
        // Until the first mask, frames go out as all background (an empty mask); the first real mask must not be
        // averaged with that stand-in, or the person would fade in over seconds.
        if maskIsNew && !hadMask {
            hadMask = true
            verdict.resetSmoothing = true
        }
        // The masks smoothed so far are of the other orientation.
        if frameMirrored != lastFrameMirrored {
            lastFrameMirrored = frameMirrored
            verdict.resetSmoothing = true
        }
        if let mask, mask.mirrored != frameMirrored { verdict.turnAround = true }
        return verdict
    }
}

/// What the output thread writes at one turn of its loop.
enum OutputTurn: Equatable {
    /// The camera frame just taken, composited.
    case composite
    /// The pause still (kept after resuming until the camera's first frame replaces it).
    case still
    /// A dark slate: someone watches but the camera is missing.
    case placeholder
    /// Nothing this turn.
    case nothing

    /// - Parameters:
    ///   - frameArrived: a new camera frame was taken this turn.
    ///   - showingStill: paused, or a still is kept from a pause that just ended.
    ///   - due: a frame interval has passed since the last write.
    static func choose(
        frameArrived: Bool,
        idle: Bool,
        waitingForSource: Bool,
        showingStill: Bool,
        due: Bool
    )
        -> OutputTurn
    {
        if frameArrived { return .composite }
        guard !idle, due else { return .nothing }
        if showingStill { return .still }
        return waitingForSource ? .placeholder : .nothing
    }
}

/// How soon the capture thread tries a source again, and whether to say so, by what went wrong.
struct SourceRetry {
    /// Seconds until the next attempt after an open failing with `kind`.
    static func delay(after kind: PipelineError.Kind) -> Double {
        switch kind {
        case .gone, .transient: return 1
        // Another program may hold the camera for a whole call: no need to knock every second.
        case .busy: return 2
        // Only a change of device helps; a slow look keeps the log and the device quiet meanwhile.
        case .unsupported: return 10
        }
    }

    /// An unplugged device can linger a moment before its node goes: a source lost while running is not
    /// reopened at once.
    static let afterLoss = 2.0

    private var lastKind: PipelineError.Kind?

    /// Whether a failure is news (its kind differs from the last one reported since the source last opened).
    mutating func isNews(_ failure: PipelineError) -> Bool {
        defer { lastKind = failure.kind }
        return failure.kind != lastKind
    }

    mutating func opened() { lastKind = nil }
}
