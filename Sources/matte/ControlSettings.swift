import ArgumentParser
import MatteControl
import MattePipeline

#if canImport(Glibc)
import Glibc
#endif

/// The live camera's answer to control requests that change settings: each is checked by parsing it as the
/// command-line option it names (the same names, values and messages), and an accepted one is kept as an
/// override that outranks the configuration files, the command line and `--settings`, so a reload keeps it.
/// Overrides last until Matte stops.
final class ControlSettings: SettingsEditor {
    /// The processing options `matte ctl set` changes, each with how it copies its field from settings parsed
    /// from that option alone.
    static let fields: [(name: String, copy: @Sendable (inout ProcessingSettings, ProcessingSettings) -> Void)] = [
        ("background", { $0.background = $1.background }),
        ("fit", { $0.fit = $1.fit }),
        ("foreground", { $0.foreground = $1.foreground }),
        ("foreground-opacity", { $0.foregroundOpacity = $1.foregroundOpacity }),
        ("effect", { $0.effects = $1.effects }),
        ("mirror", { $0.mirror = $1.mirror }),
        ("threshold", { $0.mask.threshold = $1.mask.threshold }),
        ("softness", { $0.mask.softness = $1.mask.softness }),
        ("dilate", { $0.mask.dilate = $1.mask.dilate }),
        ("feather", { $0.mask.feather = $1.mask.feather }),
        ("smoothing", { $0.mask.smoothing = $1.mask.smoothing }),
        ("edge-refinement", { $0.mask.guided = $1.mask.guided }),
        ("light-wrap", { $0.mask.lightWrap = $1.mask.lightWrap }),
        ("framing", { $0.framing = $1.framing }),
    ]

    /// Options that are on/off flags on the command line; `set` takes `on` or `off` for them.
    static let flags = ["mirror", "edge-refinement"]

    private let folder: BackgroundFolder
    /// Accepted changes in order, each the settings parsed from its option alone.
    private var changes: [(name: String, parsed: ProcessingSettings)] = []

    init(backgrounds: BackgroundFolder) { folder = backgrounds }

    var overrides: [String] { changes.map(\.name) }

    /// `settings` with every accepted change on top.
    func applyingOverrides(to settings: ProcessingSettings) -> ProcessingSettings {
        var settings = settings
        for change in changes { Self.copier(change.name)?(&settings, change.parsed) }
        return settings
    }

    func propose(_ request: ControlRequest, current: ProcessingSettings) throws(ControlError) -> SettingsProposal {
        let (name, value) = try Self.option(for: request, current: current, folder: folder)
        let parsed = try Self.check(name, value)
        var settings = current
        Self.copier(name)?(&settings, parsed)
        return SettingsProposal(settings: settings, summary: "\(name) \(value)") { [self] in
            changes.removeAll { $0.name == name }
            changes.append((name, parsed))
        }
    }

    /// The option and value a request sets.
    static func option(
        for request: ControlRequest,
        current: ProcessingSettings,
        folder: BackgroundFolder
    ) throws(ControlError) -> (String, String) {
        switch request {
        case let .background(value): return ("background", value)
        case let .effect(names): return ("effect", names.isEmpty ? "none" : names.joined(separator: " "))
        case let .set(option, value): return (option, value)
        case .next, .previous:
            var currentFile: String? = nil
            if case let .file(path) = current.background { currentFile = path }
            guard let file = folder.neighbour(of: currentFile, forward: request == .next) else {
                throw ControlError(
                    .state,
                    "no pictures or videos in \(folder.path); put some there, or choose the folder with --backgrounds DIR"
                )
            }
            return ("background", file)
        default: throw ControlError(.usage, "not a settings request")
        }
    }

    /// Whether `value` of `option` is a file the server will open (so the client sends it as an absolute path).
    static func namesFile(option: String, value: String) -> Bool {
        switch option {
        case "foreground": return value != ProcessingOptions.noForeground
        case "background": return BackgroundChoice(argument: value) == .file(value)
        default: return false
        }
    }

    private static func copier(_ name: String) -> ((inout ProcessingSettings, ProcessingSettings) -> Void)? {
        fields.first { $0.name == name }?.copy
    }

    /// Parses one option as the command line would; the settings it gives, or the command line's message.
    static func check(_ name: String, _ value: String) throws(ControlError) -> ProcessingSettings {
        guard copier(name) != nil else {
            if name == "model" { throw ControlError(.state, "--model needs a restart of matte") }
            throw ControlError(
                .usage,
                "\(name) cannot be set while running; use one of: \(fields.map(\.name).joined(separator: ", "))"
            )
        }
        var arguments: [String]
        if flags.contains(name) {
            switch value {
            case "on": arguments = ["--\(name)"]
            case "off": arguments = name == "edge-refinement" ? ["--no-edge-refinement"] : []
            default: throw ControlError(.value, "\(name) takes on or off")
            }
        } else if name == "effect" {
            arguments = value == "none" ? [] : value.split(separator: " ").flatMap { ["--effect", String($0)] }
        } else {
            arguments = ["--\(name)", value]
        }
        if ControlSettings.namesFile(option: name, value: value) {
            if let problem = ControlFile.problem(value) { throw ControlError(.value, "\(name) \(value): \(problem)") }
        }
        do {
            return try ProcessingOptions.parse(arguments).settings
        } catch {
            let message = ProcessingOptions.message(for: error).split(whereSeparator: \.isNewline).first ?? ""
            throw ControlError(.value, String(message.hasPrefix("Error: ") ? message.dropFirst(7) : message))
        }
    }

}
