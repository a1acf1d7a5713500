import MatteImaging

#if canImport(Glibc)
import Glibc
import MatteMemory
#endif

/// What goes behind the person, for one frame.
public enum BackgroundLayer {
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
public final class Compositor {
    public let width: Int, height: Int
    public let modelWidth: Int, modelHeight: Int
    public var effects: [PersonEffect] = [] {
        didSet { prepareEffects() }
    }
    public var overlay: Overlay?
    public var maskSettings: MaskSettings {
        get { refiner.settings }
        set {
            if newValue != refiner.settings {
                refiner.reset()
                refinedMask = nil
            }
            refiner.settings = newValue
        }
    }

    package let refiner: MaskRefiner
    private let expander: AlphaExpander
    private let guide: Plane<Float>
    /// Samples the frame's luma at the mask's cells: the guide for refining.
    private let guideSampler: ModelInputSampler
    /// The mask the refiner's coefficients were made from.
    private var refinedMask: MaskIdentity?
    /// Made at the first mask that carries a colour shift (a matting network's).
    private lazy var edgeColour = EdgeColour(
        width: width,
        height: height,
        maskWidth: modelWidth,
        maskHeight: modelHeight
    )
    private let foreground: PixelBuffer
    private let scratch: PixelBuffer
    /// Made up front, like the frames: the default background, and memory best found missing before the first frame.
    private let blur: BackgroundBlur
    /// Rows for the blurred background and the light-wrapped person, and the expander that widens the wrap map.
    private lazy var blurRow = Self.row(width)
    private lazy var wrappedRow = Self.row(width)
    private lazy var wrapExpander = AlphaExpander(
        lowWidth: modelWidth,
        lowHeight: modelHeight,
        width: width,
        height: height
    )
    /// One YUYV row of the solid background colour, so a colour blends like a picture (the fastest loop).
    private let colorRow: Plane<UInt8>
    private var colorRowValue: (UInt8, UInt8, UInt8)?
    private var colorTables: [(y: [UInt8], u: [UInt8], v: [UInt8])] = []
    private var hologramTables = ColorMap.winter.lookupTables()
    private var frameCounter: UInt64 = 0

    public init(
        width: Int,
        height: Int,
        modelWidth: Int,
        modelHeight: Int,
        maskSettings: MaskSettings = MaskSettings()
    ) throws(OutOfMemory) {
        self.width = width
        self.height = height
        self.modelWidth = modelWidth
        self.modelHeight = modelHeight
        refiner = MaskRefiner(width: modelWidth, height: modelHeight, settings: maskSettings)
        expander = AlphaExpander(lowWidth: modelWidth, lowHeight: modelHeight, width: width, height: height)
        guide = Plane(count: modelWidth * modelHeight, repeating: 0)
        guideSampler = ModelInputSampler(
            sourceWidth: width,
            sourceHeight: height,
            targetWidth: modelWidth,
            targetHeight: modelHeight
        )
        foreground = try PixelBuffer.allocate(width: width, height: height, format: .yuyv)
        scratch = try PixelBuffer.allocate(width: width, height: height, format: .yuyv)
        // The radius follows the layer's strength at each frame.
        blur = try BackgroundBlur(width: width, height: height, strength: 1)
        colorRow = Self.row(width)
    }

    private static func row(_ width: Int) -> Plane<UInt8> { Plane(count: width * 2, repeating: 0) }

    /// Forgets the smoothing history, so the next mask is taken as it is (the first real mask after a stand-in).
    public func resetSmoothing() {
        refiner.reset()
        refinedMask = nil
    }

    /// Whether a frame needs the person mask at all (a pass-through with no effects does not).
    public func needsMask(for background: BackgroundLayer) -> Bool {
        if case .none = background { return Self.needsMask(passThrough: true, effects: effects) }
        return true
    }

    /// The rule itself, for callers that hold settings rather than a compositor (the live camera's capture thread
    /// decides from them whether to run the model at all).
    public static func needsMask(passThrough: Bool, effects: [PersonEffect]) -> Bool {
        !passThrough || !effects.isEmpty
    }

    /// - Parameters:
    ///   - frame: the camera frame, YUYV at the compositor's size.
    ///   - mask: the person mask, modelWidth × modelHeight (nil, or ignored, when no mask is needed); possibly
    ///     made from an earlier frame.
    ///   - out: the result; must not be `frame`.
    ///   - drawsOverlay: false when the caller draws the overlay itself, after cropping the result.
    public func composite(
        frame: PixelBuffer,
        mask: PersonMask?,
        background: BackgroundLayer,
        into out: PixelBuffer,
        drawsOverlay: Bool = true
    ) {
        precondition(
            frame.format == .yuyv && out.format == .yuyv && frame.width == width && frame.height == height
                && out.width == width && out.height == height && frame !== out,
            "frames must be distinct YUYV at the compositor's size"
        )
        frameCounter &+= 1
        guard needsMask(for: background), let mask else {
            out.bytes.copyMemory(from: UnsafeRawBufferPointer(frame.bytes))
            if drawsOverlay { overlay?.draw(onto: out) }
            return
        }
        precondition(mask.width == modelWidth && mask.height == modelHeight, "the mask is at the compositor's size")
        // The live camera composites every frame but gets a new mask only a few times a second: refine each
        // mask once, guided by the luma of the frame it first meets (the full-resolution step still follows
        // every frame's own edges).
        if mask.identity != refinedMask {
            guideSampler.sampleLuma(frame, into: guide.pointer)
            mask.values.withUnsafeBufferPointer {
                refiner.refine(probabilities: $0.baseAddress!, guide: guide.pointer, isAlpha: mask.isAlpha)
            }
            refinedMask = mask.identity
        }
        let a = UnsafePointer(refiner.a.pointer)
        let b = UnsafePointer(refiner.b.pointer)
        let person = applyEffects(to: frame)
        var opacity: UInt32? = nil
        for case let .opacity(factor) in effects { opacity = UInt32((factor * 256).rounded()) }

        if case let .blur(strength) = background {
            blur.radius = BackgroundBlur.radius(strength: strength, height: height)
            // The blur is of the original frame; the (possibly recoloured) person goes over it.
            blur.prepare(frame: frame, a: a, b: b, modelWidth: modelWidth, modelHeight: modelHeight)
        }
        if case let .color(luma, u, v) = background, colorRowValue.map({ $0 != (luma, u, v) }) ?? true {
            for index in stride(from: 0, to: colorRow.count, by: 4) {
                colorRow[index] = luma
                colorRow[index + 1] = u
                colorRow[index + 2] = luma
                colorRow[index + 3] = v
            }
            colorRowValue = (luma, u, v)
        }
        // The person's own colour at see-through edges, where the maker gives it; effects recolour the person
        // whole, so it is left to them then.
        let correctsColour = effects.isEmpty && mask.colourShift.count == modelWidth * modelHeight * 3
        // Row by row, so each row's alpha is made, used and dropped while it is still in cache.
        expander.beginFrame()
        let wrapping = refiner.settings.lightWrap > 0
        if wrapping { wrapExpander.beginFrame() }
        let rowBytes = frame.rowBytes
        mask.colourShift.withUnsafeBufferPointer { colourShift in
            for y in 0..<height {
                let offset = y &* rowBytes
                let alpha = expander.row(y, a: a, b: b, luma: frame.base + offset)
                if let opacity { BlendKernels.scaleAlpha(alpha, count: rowBytes, factor: opacity) }
                var foreground = UnsafePointer(person.base + offset)
                let out = out.base + offset
                let backgroundRow: UnsafePointer<UInt8>
                switch background {
                case .blur:
                    blur.backgroundRow(y, into: blurRow.pointer)
                    backgroundRow = UnsafePointer(blurRow.pointer)
                case .color:
                    backgroundRow = UnsafePointer(colorRow.pointer)
                case let .picture(picture):
                    precondition(
                        picture.format == .yuyv && picture.width == width && picture.height == height,
                        "background picture must be YUYV at the output size"
                    )
                    backgroundRow = UnsafePointer(picture.base + offset)
                case .none:
                    backgroundRow = UnsafePointer(frame.base + offset)
                }
                if correctsColour {
                    foreground = edgeColour.correct(
                        row: y,
                        frame: foreground,
                        alpha: alpha,
                        shift: colourShift.baseAddress!
                    )
                }
                if wrapping {
                    // Background light spills onto the person's edge: mix it into the person before the blend.
                    let wrap = wrapExpander.row(
                        y,
                        a: refiner.zeros.pointer,
                        b: refiner.wrap.pointer,
                        luma: frame.base + offset
                    )
                    BlendKernels.blend(
                        foreground: backgroundRow,
                        background: foreground,
                        alpha: wrap,
                        into: wrappedRow.pointer,
                        count: rowBytes
                    )
                    foreground = UnsafePointer(wrappedRow.pointer)
                }
                BlendKernels.blend(
                    foreground: foreground,
                    background: backgroundRow,
                    alpha: alpha,
                    into: out,
                    count: rowBytes
                )
            }
        }
        if drawsOverlay { overlay?.draw(onto: out) }
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
                                EffectKernels.colorMapYUYV(
                                    current.base + row * current.rowBytes,
                                    into: foreground.base + row * foreground.rowBytes,
                                    pairs: pairs,
                                    lutY: y.baseAddress!,
                                    lutU: u.baseAddress!,
                                    lutV: v.baseAddress!
                                )
                            }
                        }
                    }
                }
                current = foreground
            case let .brightness(factor):
                for row in 0..<height {
                    EffectKernels.brightnessYUYV(
                        current.base + row * current.rowBytes,
                        into: foreground.base + row * foreground.rowBytes,
                        pairs: pairs,
                        factor: Int32((factor * 256).rounded())
                    )
                }
                current = foreground
            case .hologram:
                hologram(current, into: foreground)
                current = foreground
            case .opacity:
                break  // applied to each row's alpha while blending
            }
        }
        return current
    }

    /// Blue tint, scan lines and ghosting, after the hologram of the open-source virtual background post:
    /// winter colour map; two rows in five dimmed by a flickering factor; the tinted image mixed with copies
    /// shifted down-right and up-left; finally mixed with the original.
    private func hologram(_ frame: PixelBuffer, into out: PixelBuffer) {
        let pairs = width / 2
        let rowBytes = frame.rowBytes
        hologramTables.y.withUnsafeBufferPointer { y in
            hologramTables.u.withUnsafeBufferPointer { u in
                hologramTables.v.withUnsafeBufferPointer { v in
                    for row in 0..<height {
                        EffectKernels.colorMapYUYV(
                            frame.base + row * rowBytes,
                            into: scratch.base + row * rowBytes,
                            pairs: pairs,
                            lutY: y.baseAddress!,
                            lutU: u.baseAddress!,
                            lutV: v.baseAddress!
                        )
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
            let line = scratch.base + row * rowBytes
            let ghost = out.base + row * rowBytes
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
