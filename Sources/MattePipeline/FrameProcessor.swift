import MatteCompositing
import MatteImaging
import MatteMedia
import MatteSegmentation

/// Everything that turns a camera frame into a finished one, as `matte render` and the live camera share it.
public struct ProcessingSettings: Sendable {
    public var background: BackgroundChoice = .blur(strength: BackgroundChoice.defaultBlurStrength)
    public var fit: Fit = .cover
    public var foreground: String?
    public var foregroundOpacity: Float = 1
    public var effects: [PersonEffect] = []
    public var mirror = false
    public var mask = MaskSettings()

    public init() {}
}

/// Why a frame processor could not be set up; the description is the one-line reason.
public struct SetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Segments and composites YUYV frames of one size: mirror → segmentation → mask refinement → effects →
/// background → overlay. Allocates its buffers once; `process` allocates nothing for image, colour and blur
/// backgrounds.
public final class FrameProcessor {
    public let width: Int, height: Int
    public let segmenter: Segmenter
    public let compositor: Compositor
    public private(set) var settings: ProcessingSettings
    private var backgroundSource: BackgroundSource?
    private let mirrored: PixelBuffer
    public let output: PixelBuffer
    private let outputRate: Double
    public private(set) var framesProcessed = 0

    public init(width: Int, height: Int, segmenter: Segmenter, settings: ProcessingSettings, outputRate: Double) throws(SetupError) {
        self.width = width
        self.height = height
        self.segmenter = segmenter
        self.outputRate = outputRate
        self.settings = settings
        compositor = Compositor(width: width, height: height, modelWidth: segmenter.modelWidth,
                                modelHeight: segmenter.modelHeight, maskSettings: settings.mask)
        mirrored = PixelBuffer(width: width, height: height, format: .yuyv)
        output = PixelBuffer(width: width, height: height, format: .yuyv)
        try apply(settings)
    }

    /// Switches to new settings (SIGHUP in the live camera); on failure the old settings stay in force.
    public func apply(_ settings: ProcessingSettings) throws(SetupError) {
        var source: BackgroundSource? = nil
        if case let .file(path) = settings.background {
            do {
                source = try BackgroundSource(path: path, width: width, height: height, fit: settings.fit, outputRate: outputRate)
            } catch { throw SetupError("background \(error.description)") }
        }
        var overlay: Overlay? = nil
        if let path = settings.foreground {
            do {
                let image = try ImageFile.load(path, format: .rgba32)
                let scaled = PixelBuffer(width: width, height: height, format: .rgba32)
                Resampler().scale(image, crop: PixelRect(x: 0, y: 0, width: image.width, height: image.height),
                                  into: scaled, at: PixelRect(x: 0, y: 0, width: width, height: height))
                overlay = Overlay(rgba: scaled, opacity: settings.foregroundOpacity)
            } catch { throw SetupError("foreground \(error.description)") }
        }
        backgroundSource = source
        compositor.overlay = overlay
        compositor.effects = settings.effects
        compositor.maskSettings = settings.mask
        self.settings = settings
    }

    private var layer: BackgroundLayer {
        switch settings.background {
        case let .blur(strength): return .blur(strength: strength)
        case let .color(r, g, b):
            let yuv = BT601.yuv(r: r, g: g, b: b)
            return .color(y: yuv.y, u: yuv.u, v: yuv.v)
        case .file: return .picture(backgroundSource!.frame)
        case .none: return .none
        }
    }

    /// Processes one frame (YUYV at the processor's size) into `output`.
    public func process(_ frame: PixelBuffer) throws -> PixelBuffer {
        var input = frame
        if settings.mirror {
            BlendKernels.mirrorYUYV(frame, into: mirrored)
            input = mirrored
        }
        try backgroundSource?.advance(toOutputFrame: framesProcessed)
        let layer = self.layer
        var probabilities: UnsafePointer<Float>? = nil
        if compositor.needsMask(for: layer) {
            probabilities = UnsafePointer(try segmenter.segment(input).baseAddress!)
        }
        compositor.composite(frame: input, probabilities: probabilities, modelInput: segmenter.engine.input.baseAddress!,
                             background: layer, into: output)
        framesProcessed += 1
        return output
    }
}
