import ArgumentParser
import MatteCompositing
import MatteImaging
import MattePipeline
import MatteSegmentation

#if canImport(Glibc)
import Glibc
#endif

/// The options `matte render` shares with the live camera: the model, and one option per processing setting, each
/// named, explained and checked by its declaration (`SettingDeclarations`). ArgumentParser needs a property for each.
struct ProcessingOptions: ParsableArguments {
    @Option(
        help: "general, landscape, auto (landscape for wide frames), or a path to a .tflite model.",
        transform: ModelChoice.parse
    )
    var model: ModelChoice = .automatic

    @Option(SettingDeclarations.background) var background: BackgroundChoice
    @Option(SettingDeclarations.fit) var fit: Fit
    @Option(SettingDeclarations.foreground) var foreground: String?
    @Option(SettingDeclarations.foregroundOpacity) var foregroundOpacity: Float
    @Option(SettingDeclarations.effect) var effect: [PersonEffect]
    @Flag(SettingDeclarations.mirror) var mirror: Bool
    @Option(SettingDeclarations.threshold) var threshold: Float
    @Option(SettingDeclarations.softness) var softness: Float
    @Option(SettingDeclarations.dilate) var dilate: Int
    @Option(SettingDeclarations.feather) var feather: Int
    @Option(SettingDeclarations.smoothing) var smoothing: Float
    @Flag(SettingDeclarations.edgeRefinement) var edgeRefinement: Bool
    @Option(SettingDeclarations.lightWrap) var lightWrap: Float
    @Option(SettingDeclarations.framing) var framing: Framing

    var settings: ProcessingSettings {
        var settings = ProcessingSettings()
        SettingDeclarations.background.set(background, in: &settings)
        SettingDeclarations.fit.set(fit, in: &settings)
        SettingDeclarations.foreground.set(foreground, in: &settings)
        SettingDeclarations.foregroundOpacity.set(foregroundOpacity, in: &settings)
        SettingDeclarations.effect.list.set(effect, in: &settings)
        SettingDeclarations.mirror.set(mirror, in: &settings)
        SettingDeclarations.threshold.set(threshold, in: &settings)
        SettingDeclarations.softness.set(softness, in: &settings)
        SettingDeclarations.dilate.set(dilate, in: &settings)
        SettingDeclarations.feather.set(feather, in: &settings)
        SettingDeclarations.smoothing.set(smoothing, in: &settings)
        SettingDeclarations.edgeRefinement.set(edgeRefinement, in: &settings)
        SettingDeclarations.lightWrap.set(lightWrap, in: &settings)
        SettingDeclarations.framing.set(framing, in: &settings)
        return settings
    }

    func validate() throws {
        if let problem = SettingDeclarations.problem(in: settings) { throw ValidationError(problem) }
    }

    /// The files these options read, which an output must never replace.
    var inputFiles: [String] { SettingDeclarations.files(in: settings) }
}

extension Option {
    /// A setting's option: its name, help and value placeholder from the declaration, starting at the value
    /// settings start with (which help shows as the default); ArgumentParser reads the value and says what is wrong.
    init(_ setting: ProcessingSetting<Value>) where Value: ExpressibleByArgument {
        self.init(wrappedValue: setting.initial, name: .customLong(setting.name), help: setting.argumentHelp)
    }

    /// A number's option takes the word after it whatever it looks like: `--dilate -5`.
    init(_ setting: ProcessingSetting<Value>) where Value: ExpressibleByArgument & SignedNumeric {
        self.init(
            wrappedValue: setting.initial,
            name: .customLong(setting.name),
            parsing: .unconditional,
            help: setting.argumentHelp
        )
    }

    /// A value ArgumentParser cannot read is read by the declaration, whose hint follows ArgumentParser's
    /// "The value … is invalid for …".
    init(_ setting: ProcessingSetting<Value>) where Value: Sendable {
        self.init(
            wrappedValue: setting.initial,
            name: .customLong(setting.name),
            help: setting.argumentHelp,
            transform: { try setting.read($0) }
        )
    }

    init<Element>(_ setting: ProcessingListSetting<Element>) where Value == [Element] {
        self.init(
            wrappedValue: [],
            name: .customLong(setting.list.name),
            help: setting.list.argumentHelp,
            transform: { try setting.read($0) }
        )
    }
}

extension Flag where Value == Bool {
    init(_ setting: ProcessingSetting<Bool>) {
        if setting.form == .flag(negatable: true) {
            self.init(
                wrappedValue: setting.initial,
                name: .customLong(setting.name),
                inversion: .prefixedNo,
                help: ArgumentHelp(setting.help)
            )
        } else {
            self.init(wrappedValue: setting.initial, name: .customLong(setting.name), help: ArgumentHelp(setting.help))
        }
    }
}

extension ProcessingSetting {
    var argumentHelp: ArgumentHelp { ArgumentHelp(help, valueName: valueName) }
}

extension Fit: ExpressibleByArgument {}
