import MatteImaging

/// What goes behind the person, for one frame.
public enum BackgroundLayer: Sendable {
    /// The camera frame itself, blurred; strength is the blur radius in 720p pixels.
    case blur(strength: Int)
    /// A solid colour, as limited-range Y, U, V.
    case color(y: UInt8, u: UInt8, v: UInt8)
    /// A picture at the output size in YUYV (an image, or the current frame of a video).
    case picture(PixelBuffer)
    /// The camera frame unchanged: only effects and the overlay apply.
    case none
}

/// Puts the person over a new background in a YUYV frame: refines the mask against the frame, applies
/// person effects, blends, and draws the overlay. Every buffer is allocated up front; `composite`
/// allocates nothing. One compositor serves one stream of frames from one thread (the mask is smoothed
/// over time).
public final class Compositor: @unchecked Sendable {
    public let width: Int, height: Int
    public let modelWidth: Int, modelHeight: Int
    public var effects: [PersonEffect] = [] {
        didSet { prepareEffects() }
    }
    public var overlay: Overlay?
    public var maskSettings: MaskSettings {
        get { refiner.settings }
        set {
            if newValue != refiner.settings { refiner.reset() }
            refiner.settings = newValue
        }
    }

    public let refiner: MaskRefiner
    private let expander: AlphaExpander
    /// Per-byte alpha, laid out like the YUYV frame.
    public let alpha: PixelBuffer
    private let guide: UnsafeMutableBufferPointer<Float>
    private let foreground: PixelBuffer
    private let scratch: PixelBuffer
    private var blur: BackgroundBlur?
    private var colorTables: [(y: [UInt8], u: [UInt8], v: [UInt8])] = []
    private var hologramTables = ColorMap.winter.lookupTables()
    private var frameCounter: UInt64 = 0

    public init(width: Int, height: Int, modelWidth: Int, modelHeight: Int, maskSettings: MaskSettings = MaskSettings()) {
        self.width = width
        self.height = height
        self.modelWidth = modelWidth
        self.modelHeight = modelHeight
        refiner = MaskRefiner(width: modelWidth, height: modelHeight, settings: maskSettings)
        expander = AlphaExpander(lowWidth: modelWidth, lowHeight: modelHeight, width: width, height: height)
        alpha = PixelBuffer(width: width, height: height, format: .yuyv)
        guide = .allocate(capacity: modelWidth * modelHeight)
        guide.initialize(repeating: 0)
        foreground = PixelBuffer(width: width, height: height, format: .yuyv)
        scratch = PixelBuffer(width: width, height: height, format: .yuyv)
    }

    deinit { guide.deallocate() }

    /// Whether a frame needs the person mask at all (a pass-through with no effects does not).
    public func needsMask(for background: BackgroundLayer) -> Bool {
        if case .none = background { return !effects.isEmpty }
        return true
    }

    /// Forget the smoothing history (new scene, camera reopened).
    public func reset() { refiner.reset() }

    /// - Parameters:
    ///   - frame: the camera frame, YUYV at the compositor's size.
    ///   - probabilities: the model's person probability, modelWidth × modelHeight (ignored when no mask is needed).
    ///   - modelInput: the RGB tensor the model saw, for the guide at model resolution.
    ///   - out: the result; must not be `frame`.
    public func composite(frame: PixelBuffer, probabilities: UnsafePointer<Float>?, modelInput: UnsafePointer<Float>?,
                          background: BackgroundLayer, into out: PixelBuffer) {
        precondition(frame.format == .yuyv && out.format == .yuyv && frame.width == width && frame.height == height
                     && out.width == width && out.height == height && frame !== out, "frames must be distinct YUYV at the compositor's size")
        frameCounter &+= 1
        guard needsMask(for: background), let probabilities, let modelInput else {
            out.bytes.copyMemory(from: UnsafeRawBufferPointer(frame.bytes))
            overlay?.draw(onto: out)
            return
        }
        MaskRefiner.luma(ofModelInput: modelInput, count: guide.count, into: guide.baseAddress!)
        refiner.refine(probabilities: probabilities, guide: guide.baseAddress!)
        expander.expand(a: refiner.a.baseAddress!, b: refiner.b.baseAddress!, frame: frame, into: alpha)

        let person = applyEffects(to: frame)
        let count = frame.bytes.count
        switch background {
        case let .blur(strength):
            let radius = BackgroundBlur.radius(strength: strength, height: height)
            if blur == nil { blur = BackgroundBlur(width: width, height: height, strength: strength) }
            blur!.radius = radius
            blur!.composite(frame: frame, person: person, alpha: alpha, into: out)
        case let .color(y, u, v):
            BlendKernels.blend(foreground: person.base, backgroundPattern: (y, u, y, v), alpha: alpha.base, into: out.base, count: count)
        case let .picture(picture):
            precondition(picture.format == .yuyv && picture.bytes.count == count, "background picture must be YUYV at the output size")
            BlendKernels.blend(foreground: person.base, background: picture.base, alpha: alpha.base, into: out.base, count: count)
        case .none:
            BlendKernels.blend(foreground: person.base, background: frame.base, alpha: alpha.base, into: out.base, count: count)
        }
        overlay?.draw(onto: out)
    }

    private func prepareEffects() {
        colorTables = effects.compactMap { effect -> (y: [UInt8], u: [UInt8], v: [UInt8])? in
            if case let .colorMap(map) = effect { return map.lookupTables() }
            return nil
        }
    }

    /// The person with effects applied: `frame` itself when there are none. Opacity scales the alpha.
    private func applyEffects(to frame: PixelBuffer) -> PixelBuffer {
        var current = frame
        var tableIndex = 0
        let pairs = width / 2
        for effect in effects {
            switch effect {
            case .colorMap:
                let tables = colorTables[tableIndex]
                tableIndex += 1
                tables.y.withUnsafeBufferPointer { y in
                    tables.u.withUnsafeBufferPointer { u in
                        tables.v.withUnsafeBufferPointer { v in
                            for row in 0..<height {
                                EffectKernels.colorMapYUYV(current.base + row * current.rowBytes, into: foreground.base + row * foreground.rowBytes,
                                                           pairs: pairs, lutY: y.baseAddress!, lutU: u.baseAddress!, lutV: v.baseAddress!)
                            }
                        }
                    }
                }
                current = foreground
            case let .brightness(factor):
                for row in 0..<height {
                    EffectKernels.brightnessYUYV(current.base + row * current.rowBytes, into: foreground.base + row * foreground.rowBytes,
                                                 pairs: pairs, factor: Int32((factor * 256).rounded()))
                }
                current = foreground
            case .hologram:
                hologram(current, into: foreground)
                current = foreground
            case let .opacity(factor):
                BlendKernels.scaleAlpha(alpha.base, count: alpha.bytes.count, factor: UInt32((factor * 256).rounded()))
            }
        }
        return current
    }

    /// Blue tint, scan lines and ghosting, after the hologram of the open-source virtual background post:
    /// winter colour map; two rows in five dimmed by a flickering factor; the tinted image mixed with copies
    /// shifted down-right and up-left; finally mixed with the original.
    private func hologram(_ frame: PixelBuffer, into out: PixelBuffer) {
        let pairs = width / 2, rowBytes = frame.rowBytes
        hologramTables.y.withUnsafeBufferPointer { y in
            hologramTables.u.withUnsafeBufferPointer { u in
                hologramTables.v.withUnsafeBufferPointer { v in
                    for row in 0..<height {
                        EffectKernels.colorMapYUYV(frame.base + row * rowBytes, into: scratch.base + row * rowBytes, pairs: pairs,
                                                   lutY: y.baseAddress!, lutU: u.baseAddress!, lutV: v.baseAddress!)
                    }
                }
            }
        }
        let band = max(1, height / 360)
        for row in 0..<height where (row / band) % 5 < 2 {
            // A cheap hash of row and frame gives each dark line its own flicker between 0.1 and 0.3.
            var hash = UInt64(row) &* 0x9E37_79B9_7F4A_7C15 ^ frameCounter &* 0xBF58_476D_1CE4_E5B9
            hash ^= hash >> 29
            let dim = Int32(26 + Int(hash % 52))
            let line = scratch.base + row * rowBytes
            EffectKernels.mixYUYV(line, dim, line, 0, into: line, count: rowBytes)
        }
        let shift = max(2, height / 144) & ~1
        // Ghost: 0.2 · holo + 0.8 · holo shifted (+s, +s), then 0.4 · that + 0.6 · holo shifted (−s, −s).
        for row in 0..<height {
            let line = scratch.base + row * rowBytes, ghost = out.base + row * rowBytes
            let down = scratch.base + min(max(row - shift, 0), height - 1) * rowBytes
            EffectKernels.mixYUYV(line + shift * 2, 51, down, 205, into: ghost + shift * 2, count: rowBytes - shift * 2)
            EffectKernels.mixYUYV(line, 51, line, 205, into: ghost, count: shift * 2)
        }
        for row in 0..<height {
            let ghost = out.base + row * rowBytes
            let up = scratch.base + min(row + shift, height - 1) * rowBytes
            EffectKernels.mixYUYV(ghost, 102, up + shift * 2, 154, into: ghost, count: rowBytes - shift * 2)
        }
        // Combine with the original colours, slightly oversaturated (0.5 + 0.6).
        EffectKernels.mixYUYV(frame.base, 128, out.base, 154, into: out.base, count: frame.bytes.count)
    }
}
