import MatteMemory

/// Settings that shape the person mask; all have defaults that suit real footage untouched.
public struct MaskSettings: Equatable, Sendable {
    /// Probability at which a pixel is half person (0…1).
    public var threshold: Float = 0.5
    /// Width of the probability ramp around the threshold that becomes partial alpha (0 = hard edge).
    public var softness: Float = 0.6
    /// Grow (positive) or shrink (negative) the person, in output pixels at 720p.
    public var dilate: Int = 0
    /// Blur radius of the mask edge, in output pixels at 720p.
    public var feather: Int = 0
    /// Temporal smoothing, 0 (off) … 1 (strong); motion resets it locally so moving edges do not ghost.
    public var smoothing: Float = 0.6
    /// Follow edges in the full-resolution frame (guided filter) instead of plain bilinear upscaling. Off by
    /// default: on people over textured backgrounds it raised the edge error and flicker
    /// (scripts/bench-matting.py; figures in docs/performance.md).
    public var guided: Bool = false
    /// Light wrap: how much background light spills onto the person's edges, 0 (off) … 1.
    public var lightWrap: Float = 0

    public init() {}
}

/// Cleans the model's low-resolution probability map and turns it into the coefficients of a guided
/// filter, so that `AlphaExpander` can produce full-resolution alpha that follows edges in the frame.
///
/// Works at model resolution (e.g. 256 × 144): temporal smoothing with a per-pixel motion reset, optional
/// dilate/erode and feather, then the guided filter of He et al. with the frame's luma as guide. The
/// threshold and softness ramp is linear, so it is folded into the coefficients (alpha = a · luma + b).
package final class MaskRefiner {
    public let width: Int, height: Int
    public var settings: MaskSettings
    /// Output coefficient maps, width × height: alpha = a · guide + b, guide = luma in 0…1.
    public let a: Plane<Float>
    public let b: Plane<Float>
    /// How much of the background to mix into the person, per cell (0…1), when light wrap is on; zeros
    /// alongside it, so `AlphaExpander` can widen it as a = 0, b = wrap.
    public let wrap: Plane<Float>
    public let zeros: Plane<Float>

    private let smoothed: Plane<Float>
    private let previousGuide: Plane<Float>
    private let work: [Plane<Float>]
    private var hasHistory = false

    /// Guided filter window radius and regularisation at model resolution.
    static let guidedRadius = 2
    static let guidedEpsilon: Float = 0.01
    /// Guide change (luma 0…1) over which smoothing fades out: below `start` full smoothing, above `end` none.
    static let motionStart: Float = 0.04
    static let motionEnd: Float = 0.12

    public init(width: Int, height: Int, settings: MaskSettings = MaskSettings()) {
        self.width = width
        self.height = height
        self.settings = settings
        let count = width * height
        func plane() -> Plane<Float> { Plane(count: count, repeating: 0) }
        a = plane()
        b = plane()
        smoothed = plane()
        previousGuide = plane()
        wrap = plane()
        zeros = plane()
        work = (0..<5).map { _ in plane() }
    }

    /// Forgets the previous frame (after a cut, a camera reopen or a settings change).
    public func reset() { hasHistory = false }

    /// - Parameters:
    ///   - probabilities: the model output, person probability, width × height.
    ///   - guide: the frame's luma, (Y − 16) / 219, at the mask's cells (`ModelInputSampler.sampleLuma`).
    ///   - isAlpha: the cells are a matting network's alpha, not a probability: no threshold ramp, which would
    ///     harden the edge the network drew.
    public func refine(probabilities: UnsafePointer<Float>, guide: UnsafePointer<Float>, isAlpha: Bool = false) {
        let count = width * height
        let p = smoothed.pointer
        smoothTemporally(probabilities, guide: guide)
        previousGuide.pointer.update(from: guide, count: count)

        // Pixel-valued settings are in 720p pixels whatever the frame size; one cell spans 720 / height of them.
        let pixelsPerCell = 720 / Float(height)
        let scratch = work[0].pointer
        // The smoothed map is the history for the next frame; shape a copy.
        let shaped = work[1].pointer
        for index in 0..<count { shaped[index] = p[index] }
        if settings.dilate != 0 {
            let radius = Int((Float(abs(settings.dilate)) / pixelsPerCell).rounded(.up))
            BoxFilter.extremum(
                shaped,
                width: width,
                height: height,
                radius: radius,
                maximum: settings.dilate > 0,
                scratch: scratch
            )
        }
        if settings.feather > 0 {
            let radius = max(1, Int((Float(settings.feather) / pixelsPerCell).rounded()))
            BoxFilter.mean(shaped, width: width, height: height, radius: radius, scratch: scratch)
        }

        if settings.lightWrap > 0 { lightWrapWeights(shaped) }
        let aOut = a.pointer
        let bOut = b.pointer
        if settings.guided {
            guidedCoefficients(p: shaped, guide: guide, a: aOut, b: bOut)
        } else {
            for index in 0..<count {
                aOut[index] = 0
                bOut[index] = shaped[index]
            }
        }
        guard !isAlpha else { return }
        // alpha = (q − (threshold − softness/2)) / softness, clamped later: linear in q, so fold it in.
        let softness = max(settings.softness, 1e-3)
        let k = 1 / softness
        let c = -(settings.threshold - settings.softness / 2) / softness
        for index in 0..<count {
            aOut[index] *= k
            bOut[index] = bOut[index] * k + c
        }
    }

    /// Light wrap weights: strongest just inside the person's edge, where the neighbourhood is part
    /// background: p · (1 − mean of p around), about 12 pixels wide at 720p, scaled so the edge gets `lightWrap`.
    private func lightWrapWeights(_ p: UnsafePointer<Float>) {
        let count = width * height
        let out = wrap.pointer
        for index in 0..<count { out[index] = p[index] }
        BoxFilter.mean(
            out,
            width: width,
            height: height,
            radius: max(1, Int((12 * Float(height) / 720).rounded())),
            scratch: work[0].pointer
        )
        // p · (1 − mean) peaks near 0.25 at an edge: ×4 makes the edge's weight `lightWrap`.
        let gain = 4 * min(max(settings.lightWrap, 0), 1)
        for index in 0..<count { out[index] = min(p[index] * (1 - out[index]) * gain, 1) }
    }

    /// Exponential moving average whose weight on the new frame rises to 1 where the guide moved.
    private func smoothTemporally(_ probabilities: UnsafePointer<Float>, guide: UnsafePointer<Float>) {
        let count = width * height
        let p = smoothed.pointer
        guard hasHistory, settings.smoothing > 0 else {
            for index in 0..<count { p[index] = Self.settled(probabilities[index]) }
            hasHistory = true
            return
        }
        // Motion is judged on a lightly blurred difference so sensor noise does not count as movement.
        let motion = work[2].pointer
        let previous = previousGuide.pointer
        for index in 0..<count { motion[index] = abs(guide[index] - previous[index]) }
        BoxFilter.mean(motion, width: width, height: height, radius: 1, scratch: work[3].pointer)
        let keep = min(max(settings.smoothing, 0), 0.95)
        let span = Self.motionEnd - Self.motionStart
        for index in 0..<count {
            let moved = min(max((motion[index] - Self.motionStart) / span, 0), 1)
            let weight = (1 - keep) + keep * moved
            p[index] = Self.settled(p[index] + (Self.settled(probabilities[index]) - p[index]) * weight)
        }
    }

    /// Snaps near-certain probabilities to exactly 0 or 1. The model's sigmoid and the moving average both
    /// approach 0 geometrically, into denormal floats, which x86 handles ~100× slower in every later stage.
    @inline(__always)
    static func settled(_ probability: Float) -> Float {
        probability < 1e-4 ? 0 : (probability > 1 - 1e-4 ? 1 : probability)
    }

    /// The guided filter (He, Sun, Tang 2013) with a grey guide: q = mean(a) · I + mean(b).
    private func guidedCoefficients(
        p: UnsafeMutablePointer<Float>,
        guide: UnsafePointer<Float>,
        a: UnsafeMutablePointer<Float>,
        b: UnsafeMutablePointer<Float>
    ) {
        let count = width * height
        let r = Self.guidedRadius
        let meanI = work[2].pointer
        let meanP = work[3].pointer
        let scratch = work[0].pointer
        let corrII = work[4].pointer
        for index in 0..<count {
            meanI[index] = guide[index]
            meanP[index] = p[index]
            corrII[index] = guide[index] * guide[index]
            a[index] = guide[index] * p[index]  // corr(I, p) until the coefficients replace it
        }
        for plane in [meanI, meanP, corrII, a] {
            BoxFilter.mean(plane, width: width, height: height, radius: r, scratch: scratch)
        }
        for index in 0..<count {
            let variance = corrII[index] - meanI[index] * meanI[index]
            let covariance = a[index] - meanI[index] * meanP[index]
            let slope = covariance / (variance + Self.guidedEpsilon)
            a[index] = slope
            b[index] = meanP[index] - slope * meanI[index]
        }
        BoxFilter.mean(a, width: width, height: height, radius: r, scratch: scratch)
        BoxFilter.mean(b, width: width, height: height, radius: r, scratch: scratch)
    }
}
