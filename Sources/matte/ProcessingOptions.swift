import ArgumentParser
import MatteCompositing
import MatteImaging
import MattePipeline
import MatteSegmentation

#if canImport(Glibc)
import Glibc
#endif

/// The options `matte render` shares with the live camera.
struct ProcessingOptions: ParsableArguments {
    @Option(
        help: "general, landscape, auto (landscape for wide frames), or a path to a .tflite model.",
        transform: ModelChoice.parse
    )
    var model: ModelChoice = .automatic

    @Option(
        help: ArgumentHelp(
            "What replaces the background: blur, blur:STRENGTH (1-100), an image or video file, #RRGGBB, or none.",
            valueName: "value"
        ),
        transform: BackgroundChoice.parse
    )
    var background: BackgroundChoice = .blur(strength: BackgroundChoice.defaultBlurStrength)

    @Option(help: "How a background image or video fills the frame: cover, contain, stretch or tile.")
    var fit: Fit = .cover

    @Option(
        help: ArgumentHelp(
            "An image drawn over everything (PNG with alpha), scaled to the frame; none for no image.",
            valueName: "path"
        )
    )
    var foreground: String?

    /// The foreground picture, if any: `none` (which lets a later configuration line or `matte ctl` take back an
    /// earlier one) is no picture.
    var foregroundFile: String? { foreground == Self.noForeground ? nil : foreground }
    static let noForeground = "none"

    @Option(parsing: .unconditional, help: "Opacity of the foreground image, 0-1.")
    var foregroundOpacity: Float = 1

    @Option(
        help: ArgumentHelp(
            "Person effect, repeatable: hologram, grayscale, sepia, colormap:NAME (gray, sepia, winter, thermal, ocean), brightness:F, opacity:F.",
            valueName: "effect"
        ),
        transform: PersonEffect.parse
    )
    var effect: [PersonEffect] = []

    @Flag(help: "Mirror the picture left to right.")
    var mirror = false

    @Option(parsing: .unconditional, help: "Mask threshold: the probability that counts as half person (0-1).")
    var threshold: Float = MaskSettings().threshold

    @Option(
        parsing: .unconditional,
        help: "Mask softness: width of the soft edge around the threshold (0 = hard, 1 = very soft)."
    )
    var softness: Float = MaskSettings().softness

    @Option(parsing: .unconditional, help: "Grow (positive) or shrink (negative) the person, in pixels at 720p.")
    var dilate: Int = 0

    @Option(parsing: .unconditional, help: "Blur the mask edge by this many pixels at 720p.")
    var feather: Int = 0

    @Option(parsing: .unconditional, help: "Temporal smoothing of the mask against flicker, 0 (off) to 1 (strong).")
    var smoothing: Float = MaskSettings().smoothing

    @Flag(
        inversion: .prefixedNo,
        help: "Refine mask edges against the full-resolution picture (guided filter; off by default)."
    )
    var edgeRefinement = MaskSettings().guided

    @Option(
        parsing: .unconditional,
        help: "Light wrap: let background light spill onto the person's edges, 0 (off) to 1."
    )
    var lightWrap: Float = 0

    @Option(
        help: ArgumentHelp(
            "Follow the person by cropping and zooming: off, auto, or auto:MAX_ZOOM (1.1-3.0, default 1.6).",
            valueName: "mode"
        ),
        transform: Framing.parse
    )
    var framing: Framing = .off

    func validate() throws {
        guard (0...1).contains(threshold) else { throw ValidationError("--threshold must be between 0 and 1") }
        guard (0...1).contains(softness) else { throw ValidationError("--softness must be between 0 and 1") }
        guard (0...1).contains(smoothing) else { throw ValidationError("--smoothing must be between 0 and 1") }
        guard (0...1).contains(foregroundOpacity) else {
            throw ValidationError("--foreground-opacity must be between 0 and 1")
        }
        guard (-50...50).contains(dilate) else { throw ValidationError("--dilate must be between -50 and 50") }
        guard (0...50).contains(feather) else { throw ValidationError("--feather must be between 0 and 50") }
        guard (0...1).contains(lightWrap) else { throw ValidationError("--light-wrap must be between 0 and 1") }
    }

    /// The files these options read, which an output must never replace.
    var inputFiles: [String] {
        var files: [String] = []
        if case let .file(path) = background { files.append(path) }
        if let foregroundFile { files.append(foregroundFile) }
        return files
    }

    var settings: ProcessingSettings {
        var settings = ProcessingSettings()
        settings.background = background
        settings.fit = fit
        settings.foreground = foregroundFile
        settings.foregroundOpacity = foregroundOpacity
        settings.effects = effect
        settings.mirror = mirror
        settings.mask.threshold = threshold
        settings.mask.softness = softness
        settings.mask.dilate = dilate
        settings.mask.feather = feather
        settings.mask.smoothing = smoothing
        settings.mask.guided = edgeRefinement
        settings.mask.lightWrap = lightWrap
        settings.framing = framing
        return settings
    }
}

extension Fit: ExpressibleByArgument {}

extension BackgroundChoice {
    static func parse(_ text: String) throws -> BackgroundChoice {
        guard let choice = BackgroundChoice(argument: text) else {
            throw ValidationError("use blur, blur:1-100, #RRGGBB (six hex digits), none, or an image or video file")
        }
        return choice
    }
}

extension PersonEffect {
    static func parse(_ text: String) throws -> PersonEffect {
        guard let effect = PersonEffect(argument: text) else {
            throw ValidationError(
                "use hologram, grayscale, sepia, colormap:gray|sepia|winter|thermal|ocean, brightness:0-4 or opacity:0-1"
            )
        }
        return effect
    }
}

extension Framing {
    static func parse(_ text: String) throws -> Framing {
        guard let framing = Framing(argument: text) else {
            throw ValidationError("use off, auto or auto:1.1-3.0 (the largest zoom)")
        }
        return framing
    }
}
