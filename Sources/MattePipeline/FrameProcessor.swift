import MatteCompositing
import MatteCore
import MatteImaging
import MatteMedia
import MatteSegmentation

/// Everything that turns a camera frame into a finished one, as `matte render` and the live camera share it.
public struct ProcessingSettings: Equatable, Sendable {
    public var background: BackgroundChoice = .blur(strength: BackgroundChoice.defaultBlurStrength)
    public var fit: Fit = .cover
    public var foreground: String?
    public var foregroundOpacity: Float = 1
    public var effects: [PersonEffect] = []
    public var mirror = false
    public var mask = MaskSettings()
    public var framing: Framing = .off

    public init() {}
}

/// Composites YUYV frames of one size with everything the settings ask for: mask refinement → effects →
/// background → framing → overlay, with the mirror applied before segmentation. Segmentation itself is the caller's
/// (in the live camera it runs on its own thread). Allocates its buffers once; compositing allocates
/// nothing for image, colour and blur backgrounds.
public final class FrameProcessor {
    public let width: Int, height: Int
    public let compositor: Compositor
    public private(set) var settings: ProcessingSettings
    private var backgroundSource: BackgroundSource?
    /// Made when mirroring is first asked for (the live camera mirrors on its capture thread instead).
    private lazy var mirrored = PixelBuffer(width: width, height: height, format: .yuyv)
    public let output: PixelBuffer
    /// Framing crops the composite and zooms it back to the output size into this buffer; the overlay is drawn
    /// after, so a logo stays where it is. Made when framing is first turned on.
    private lazy var framed = PixelBuffer(width: width, height: height, format: .yuyv)
    private lazy var scaler = YUYVScaler(sourceWidth: width, sourceHeight: height, width: width, height: height)
    private let framingController: FramingController
    /// The part of the composite the output shows: the whole frame unless framing follows someone.
    public private(set) var crop: CropRect
    private let outputRate: Double
    public private(set) var framesProcessed = 0
    /// The output frame at which the current background source started.
    private var backgroundStartFrame = 0
    /// Why the background video could not advance at the last frame, if it could not.
    public private(set) var backgroundError: MediaError?

    public init(
        width: Int,
        height: Int,
        modelWidth: Int,
        modelHeight: Int,
        settings: ProcessingSettings,
        outputRate: Double
    ) throws(PipelineError) {
        self.width = width
        self.height = height
        self.outputRate = outputRate
        self.settings = settings
        do {
            compositor = try Compositor(
                width: width,
                height: height,
                modelWidth: modelWidth,
                modelHeight: modelHeight,
                maskSettings: settings.mask
            )
            output = try PixelBuffer.allocate(width: width, height: height, format: .yuyv)
        } catch {
            throw PipelineError(error.description)
        }
        framingController = FramingController(
            width: width,
            height: height,
            maskWidth: modelWidth,
            maskHeight: modelHeight
        )
        crop = .whole(width: width, height: height)
        do {
            // Buffers the settings need from the first frame are made now, where running out of memory can be
            // reported; a later change (live) makes them when first needed.
            if settings.mirror { mirrored = try PixelBuffer.allocate(width: width, height: height, format: .yuyv) }
            if settings.framing != .off {
                framed = try PixelBuffer.allocate(width: width, height: height, format: .yuyv)
            }
        } catch {
            throw PipelineError(error.description)
        }
        try apply(settings)
    }

    /// The files new settings need, decoded: made on any thread (the live camera's control thread, so the
    /// output never stalls on a decode) and installed with `apply(_:)`.
    /// Built by one thread and handed over whole to the output thread through the pipeline's lock.
    public struct Prepared {
        let settings: ProcessingSettings
        let backgroundSource: BackgroundSource?
        let overlay: Overlay?
    }

    /// Decodes the background and foreground files `settings` name, at this processor's size.
    public func prepare(_ settings: ProcessingSettings) throws(PipelineError) -> Prepared {
        var source: BackgroundSource? = nil
        if case let .file(path) = settings.background {
            do {
                source = try BackgroundSource(
                    path: path,
                    width: width,
                    height: height,
                    fit: settings.fit,
                    outputRate: outputRate
                )
            } catch { throw PipelineError("background \(error.description)") }
        }
        var overlay: Overlay? = nil
        if let path = settings.foreground {
            do throws(MediaError) {
                let image = try ImageFile.load(path, format: .rgba32)
                let scaled = try PixelBuffer.allocate(width: width, height: height, format: .rgba32, for: path)
                guard
                    Resampler().scale(
                        image,
                        crop: PixelRect(x: 0, y: 0, width: image.width, height: image.height),
                        into: scaled,
                        at: PixelRect(x: 0, y: 0, width: width, height: height)
                    )
                else {
                    throw MediaError(path, "cannot be scaled to \(width)×\(height)")
                }
                do { overlay = try Overlay(rgba: scaled, opacity: settings.foregroundOpacity) } catch {
                    throw MediaError(path, error.description)
                }
            } catch { throw PipelineError("foreground \(error.description)") }
        }
        return Prepared(settings: settings, backgroundSource: source, overlay: overlay)
    }

    /// Switches to new settings; on failure the old settings stay in force.
    public func apply(_ settings: ProcessingSettings) throws(PipelineError) {
        apply(try prepare(settings))
    }

    public func apply(_ prepared: Prepared) {
        backgroundSource = prepared.backgroundSource
        // A new background video starts from its first frame now, not from the frame the output has reached.
        backgroundStartFrame = framesProcessed
        compositor.overlay = prepared.overlay
        compositor.effects = prepared.settings.effects
        compositor.maskSettings = prepared.settings.mask
        switch prepared.settings.framing {
        case .off:
            crop = .whole(width: width, height: height)
        case let .auto(maxZoom):
            // Turned on, framing starts from the whole picture, not from where it was when last turned off.
            if settings.framing == .off { framingController.reset() }
            framingController.maxZoom = maxZoom
        }
        settings = prepared.settings
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

    /// The frame segmentation and compositing should see: mirrored when the settings say so.
    public func oriented(_ frame: PixelBuffer) -> PixelBuffer {
        guard settings.mirror else { return frame }
        YUYVKernels.mirror(frame, into: mirrored)
        return mirrored
    }

    /// Whether the current settings need the person mask at all.
    public var needsMask: Bool { Self.needsMask(settings) }

    /// Whether `settings` need the person mask at all: not for a pass-through with no effects and no framing.
    public static func needsMask(_ settings: ProcessingSettings) -> Bool {
        var passThrough = false
        if case .none = settings.background { passThrough = true }
        return settings.framing != .off || Compositor.needsMask(passThrough: passThrough, effects: settings.effects)
    }

    /// Composites one oriented frame into `output` with `mask`, the newest person mask (possibly of an earlier
    /// frame; nil when none is needed). A background video that stops decoding keeps its last picture (see
    /// `backgroundError`): a live camera must not go dark because a file went away. It is decoded ahead on its
    /// own thread; the live camera shows the newest frame decoded in time, `waitingForBackground` waits for its
    /// exact frame (files).
    public func composite(_ frame: PixelBuffer, mask: PersonMask?, waitingForBackground: Bool = false) -> PixelBuffer {
        do {
            try backgroundSource?.advance(
                toOutputFrame: framesProcessed - backgroundStartFrame,
                waitingForDecoder: waitingForBackground
            )
            backgroundError = nil
        } catch {
            backgroundError = error
        }
        let framing = settings.framing != .off
        compositor.composite(
            frame: frame,
            mask: mask,
            background: layer,
            into: output,
            drawsOverlay: !framing
        )
        framesProcessed += 1
        guard framing else { return output }
        crop = framingController.update(
            mask: mask,
            threshold: settings.mask.threshold,
            dt: 1 / outputRate
        )
        var result = output
        if !scaler.isIdentity(crop) {
            scaler.scale(output, crop: crop, into: framed)
            result = framed
        }
        compositor.overlay?.draw(onto: result)
        return result
    }

    /// Segments and composites one frame, for files (the live camera splits the two across threads).
    public func process(_ frame: PixelBuffer, maker: PersonMaskMaker) throws(PipelineError) -> PixelBuffer {
        let oriented = oriented(frame)
        var mask: PersonMask? = nil
        if needsMask {
            let sampler =
                fileSampler
                ?? ModelInputSampler(
                    sourceWidth: width,
                    sourceHeight: height,
                    targetWidth: maker.inputWidth,
                    targetHeight: maker.inputHeight
                )
            fileSampler = sampler
            var input = fileInput ?? ModelInput(width: maker.inputWidth, height: maker.inputHeight)
            input.values.withUnsafeMutableBufferPointer { sampler.sample(oriented, into: $0.baseAddress!) }
            var made = fileMask ?? PersonMask(width: maker.maskWidth, height: maker.maskHeight)
            do { try maker.makeMask(from: input, into: &made) } catch { throw PipelineError(error.description) }
            // Every frame of a file has its own mask: the compositor refines each.
            made.stamp = FrameStamp(sequence: framesProcessed + 1, mirrored: settings.mirror)
            fileInput = input
            fileMask = made
            mask = made
        }
        let result = composite(oriented, mask: mask, waitingForBackground: true)
        // A file render has no one watching live: a broken background fails it.
        if let backgroundError { throw PipelineError(backgroundError.description) }
        return result
    }

    /// The model input and mask of `process`, made at the first frame that needs them.
    private var fileSampler: ModelInputSampler?
    private var fileInput: ModelInput?
    private var fileMask: PersonMask?
}
