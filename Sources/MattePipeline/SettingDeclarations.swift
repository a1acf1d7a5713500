import MatteCompositing
import MatteImaging

/// Every processing setting, each declared once: its option's name as typed (`edge-refinement`), how its value
/// is typed and checked, its help, the field of `ProcessingSettings` it sets and how status shows it. The command
/// line's options (so the configuration files' too), `matte ctl set` and the status JSON are derived from these.
public enum SettingDeclarations {
    public static let background = ProcessingSetting(
        "background",
        help: "What replaces the background: blur, blur:STRENGTH (1-100), an image or video file, #RRGGBB, or none.",
        valueName: "value",
        field: \.background,
        read: BackgroundChoice.init(argument:),
        hint: "use blur, blur:1-100, #RRGGBB (six hex digits), none, or an image or video file",
        report: { $0.description },
        file: { if case let .file(path) = $0 { path } else { nil } }
    )

    public static let fit = ProcessingSetting(
        "fit",
        help: "How a background image or video fills the frame: cover, contain, stretch or tile.",
        field: \.fit,
        read: Fit.init(rawValue:),
        report: { $0.rawValue }
    )

    /// `none` is no picture, so that a later configuration line or `matte ctl` can take back an earlier one.
    public static let foreground = ProcessingSetting(
        "foreground",
        help: "An image drawn over everything (PNG with alpha), scaled to the frame; none for no image.",
        valueName: "path",
        field: \.foreground,
        read: { $0 == "none" ? .some(nil) : $0 },
        report: { $0 },
        file: { $0 }
    )

    public static let foregroundOpacity = ProcessingSetting.fraction(
        "foreground-opacity",
        help: "Opacity of the foreground image, 0-1.",
        field: \.foregroundOpacity
    )

    public static let effect = ProcessingListSetting(
        "effect",
        help:
            "Person effect, repeatable: hologram, grayscale, sepia, colormap:NAME (gray, sepia, winter, thermal, ocean), brightness:F, opacity:F.",
        valueName: "effect",
        field: \.effects,
        read: PersonEffect.init(argument:),
        hint:
            "use hologram, grayscale, sepia, colormap:gray|sepia|winter|thermal|ocean, brightness:0-4 or opacity:0-1",
        report: \.argument
    )

    public static let mirror = ProcessingSetting.flag(
        "mirror",
        help: "Mirror the picture left to right.",
        field: \.mirror
    )

    public static let threshold = ProcessingSetting.fraction(
        "threshold",
        help: "Mask threshold: the probability that counts as half person (0-1).",
        field: \.mask.threshold
    )

    public static let softness = ProcessingSetting.fraction(
        "softness",
        help: "Mask softness: width of the soft edge around the threshold (0 = hard, 1 = very soft).",
        field: \.mask.softness
    )

    public static let dilate = ProcessingSetting.number(
        "dilate",
        help: "Grow (positive) or shrink (negative) the person, in pixels at 720p.",
        field: \.mask.dilate,
        limits: -50...50
    )

    public static let feather = ProcessingSetting.number(
        "feather",
        help: "Blur the mask edge by this many pixels at 720p.",
        field: \.mask.feather,
        limits: 0...50
    )

    public static let smoothing = ProcessingSetting.fraction(
        "smoothing",
        help: "Temporal smoothing of the mask against flicker, 0 (off) to 1 (strong).",
        field: \.mask.smoothing
    )

    /// Negatable: it was on by default until the matting benchmark, and configurations written then may say
    /// `--no-edge-refinement`.
    public static let edgeRefinement = ProcessingSetting.flag(
        "edge-refinement",
        help: "Refine mask edges against the full-resolution picture (guided filter; off by default).",
        field: \.mask.guided,
        negatable: true
    )

    public static let lightWrap = ProcessingSetting.fraction(
        "light-wrap",
        help: "Light wrap: let background light spill onto the person's edges, 0 (off) to 1.",
        field: \.mask.lightWrap
    )

    public static let framing = ProcessingSetting(
        "framing",
        help: "Follow the person by cropping and zooming: off, auto, or auto:MAX_ZOOM (1.1-3.0, default 1.6).",
        valueName: "mode",
        field: \.framing,
        read: Framing.init(argument:),
        hint: "use off, auto or auto:1.1-3.0 (the largest zoom)",
        report: { $0.argument }
    )

    /// In the order help lists them, which `matte ctl set` and the checks follow.
    public static let all: [any DeclaredSetting] = [
        background, fit, foreground, foregroundOpacity, effect.list, mirror, threshold, softness, dilate, feather,
        smoothing, edgeRefinement, lightWrap, framing,
    ]

    public static func named(_ name: String) -> (any DeclaredSetting)? {
        all.first { $0.name == name }
    }

    /// The first setting out of its bounds, as the command line says it: `--threshold must be between 0 and 1`.
    public static func problem(in settings: ProcessingSettings) -> String? {
        all.lazy.compactMap { $0.problem(in: settings) }.first
    }

    /// The files the settings read (a background picture or video, a foreground picture).
    public static func files(in settings: ProcessingSettings) -> [String] {
        all.compactMap { $0.file(in: settings) }
    }

    /// The `settings` object of the status: each setting under its `statusKey`, none for a value that is absent.
    static func encodeStatus(of settings: ProcessingSettings, to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: StatusKey.self)
        for setting in all {
            if let value = setting.statusValue(in: settings) {
                try container.encode(value, forKey: StatusKey(stringValue: setting.statusKey))
            }
        }
    }

    private struct StatusKey: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }
}

/// How a setting's value follows its option's name.
public enum SettingForm: Equatable, Sendable {
    /// `--threshold 0.6`: the last one given wins.
    case value
    /// `--effect sepia --effect hologram`: each adds one to the list.
    case list
    /// `--mirror`: on when given; `matte ctl set` takes `on` or `off`. A negatable one also takes `--no-NAME`.
    case flag(negatable: Bool)

    /// The values of a list as `matte ctl` types it: separated by spaces, or `none` for an empty list.
    public static func values(ofList text: String) -> [String] {
        text == "none" ? [] : text.split(separator: " ").map(String.init)
    }
}

/// Why a value as typed was refused.
public enum SettingError: Error, Equatable, CustomStringConvertible {
    /// Not of the setting's form. `hint` says what to type instead; nil where the parser's own message says it
    /// (a number, a choice among listed names).
    case unreadable(hint: String?)
    /// Readable but out of bounds, the whole message: `--threshold must be between 0 and 1`.
    case outOfRange(String)

    public var description: String {
        switch self {
        case let .unreadable(hint): return hint ?? "not a value this setting takes"
        case let .outOfRange(message): return message
        }
    }
}

/// What `matte ctl set`, the status and the checks need of a setting, whatever the type of its value.
public protocol DeclaredSetting: Sendable {
    /// The option's name without `--`, as `matte ctl set` takes it too.
    var name: String { get }
    var form: SettingForm { get }
    /// Sets the setting's field from a value as `matte ctl set` types it: `on` or `off` for a flag, a list's
    /// values separated by spaces or `none`. Checks bounds; on failure `settings` is unchanged.
    func parse(_ text: String, into settings: inout ProcessingSettings) throws(SettingError)
    /// Copies this setting's field alone.
    func copy(from source: ProcessingSettings, to target: inout ProcessingSettings)
    /// Why the value in `settings` is out of bounds, or nil.
    func problem(in settings: ProcessingSettings) -> String?
    /// The file the value in `settings` reads, if it names one.
    func file(in settings: ProcessingSettings) -> String?
    /// The value as status shows it; nil leaves it out.
    func statusValue(in settings: ProcessingSettings) -> (any Encodable & Sendable)?
}

extension DeclaredSetting {
    /// The key of the status JSON: the name in snake case, a list's in the plural (`light_wrap`, `effects`).
    public var statusKey: String {
        name.replacing("-", with: "_") + (form == .list ? "s" : "")
    }
}

/// A setting with one value (a number, a choice, a file, a flag).
public struct ProcessingSetting<Value: Sendable>: DeclaredSetting {
    public let name: String
    public let help: String
    /// What help calls the value: `--background <value>`.
    public let valueName: String
    public let form: SettingForm
    /// The value settings start with, which help shows as the default.
    public let initial: Value
    private let field: WritableKeyPath<ProcessingSettings, Value> & Sendable
    private let readValue: @Sendable (String) -> Value?
    let hint: String?
    private let limits: @Sendable (Value) -> String?
    private let report: @Sendable (Value) -> (any Encodable & Sendable)?
    private let fileOfValue: @Sendable (Value) -> String?

    init(
        _ name: String,
        help: String,
        valueName: String? = nil,
        form: SettingForm = .value,
        field: WritableKeyPath<ProcessingSettings, Value> & Sendable,
        read: @escaping @Sendable (String) -> Value?,
        hint: String? = nil,
        limits: @escaping @Sendable (Value) -> String? = { _ in nil },
        report: @escaping @Sendable (Value) -> (any Encodable & Sendable)?,
        file: @escaping @Sendable (Value) -> String? = { _ in nil }
    ) {
        self.name = name
        self.help = help
        self.valueName = valueName ?? name
        self.form = form
        self.initial = ProcessingSettings()[keyPath: field]
        self.field = field
        self.readValue = read
        self.hint = hint
        self.limits = limits
        self.report = report
        self.fileOfValue = file
    }

    /// Reads a value as typed after the option; the bounds are `problem(in:)`'s to check.
    public func read(_ text: String) throws(SettingError) -> Value {
        guard let value = readValue(text) else { throw .unreadable(hint: hint) }
        return value
    }

    public func set(_ value: Value, in settings: inout ProcessingSettings) {
        settings[keyPath: field] = value
    }

    public func parse(_ text: String, into settings: inout ProcessingSettings) throws(SettingError) {
        let value = try read(text)
        if let problem = limits(value) { throw .outOfRange(problem) }
        settings[keyPath: field] = value
    }

    public func copy(from source: ProcessingSettings, to target: inout ProcessingSettings) {
        target[keyPath: field] = source[keyPath: field]
    }

    public func problem(in settings: ProcessingSettings) -> String? { limits(settings[keyPath: field]) }

    public func file(in settings: ProcessingSettings) -> String? { fileOfValue(settings[keyPath: field]) }

    public func statusValue(in settings: ProcessingSettings) -> (any Encodable & Sendable)? {
        report(settings[keyPath: field])
    }
}

extension ProcessingSetting where Value: LosslessStringConvertible & Comparable & Encodable {
    /// A number within `limits`; status shows it as a JSON number.
    static func number(
        _ name: String,
        help: String,
        field: WritableKeyPath<ProcessingSettings, Value> & Sendable,
        limits: ClosedRange<Value>
    ) -> Self {
        // Whole bounds read as typed: 0 and 1, not 0.0 and 1.0.
        func bound(_ value: Value) -> String {
            let text = value.description
            return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
        }
        let message = "--\(name) must be between \(bound(limits.lowerBound)) and \(bound(limits.upperBound))"
        return ProcessingSetting(
            name,
            help: help,
            field: field,
            read: { Value($0) },
            limits: { limits.contains($0) ? nil : message },
            report: { $0 }
        )
    }
}

extension ProcessingSetting where Value == Float {
    /// A number from 0 to 1.
    static func fraction(
        _ name: String,
        help: String,
        field: WritableKeyPath<ProcessingSettings, Float> & Sendable
    ) -> Self {
        number(name, help: help, field: field, limits: 0...1)
    }
}

extension ProcessingSetting where Value == Bool {
    static func flag(
        _ name: String,
        help: String,
        field: WritableKeyPath<ProcessingSettings, Bool> & Sendable,
        negatable: Bool = false
    ) -> Self {
        ProcessingSetting(
            name,
            help: help,
            form: .flag(negatable: negatable),
            field: field,
            read: { ["on": true, "off": false][$0] },
            hint: "on or off",
            report: { $0 }
        )
    }
}

/// A repeatable setting: each option given adds one value to the list.
public struct ProcessingListSetting<Element: Sendable>: Sendable {
    /// The whole list as one setting: what `matte ctl` sets (`sepia hologram`, `none`), copies and status shows.
    public let list: ProcessingSetting<[Element]>
    private let readElement: @Sendable (String) -> Element?

    init(
        _ name: String,
        help: String,
        valueName: String,
        field: WritableKeyPath<ProcessingSettings, [Element]> & Sendable,
        read: @escaping @Sendable (String) -> Element?,
        hint: String,
        report: @escaping @Sendable (Element) -> String
    ) {
        readElement = read
        list = ProcessingSetting(
            name,
            help: help,
            valueName: valueName,
            form: .list,
            field: field,
            read: { text in
                let words = SettingForm.values(ofList: text)
                let elements = words.compactMap(read)
                return elements.count == words.count ? elements : nil
            },
            hint: hint,
            report: { $0.map(report) }
        )
    }

    /// Reads one value, as typed after the option.
    public func read(_ text: String) throws(SettingError) -> Element {
        guard let element = readElement(text) else { throw .unreadable(hint: list.hint) }
        return element
    }
}
