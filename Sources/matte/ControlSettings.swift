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
    private let folder: BackgroundFolder
    /// Accepted changes in order, each the settings parsed from its option alone.
    private var changes: [(name: String, parsed: ProcessingSettings)] = []

    init(backgrounds: BackgroundFolder) { folder = backgrounds }

    var overrides: [String] { changes.map(\.name) }

    /// `settings` with every accepted change on top.
    func applyingOverrides(to settings: ProcessingSettings) -> ProcessingSettings {
        var settings = settings
        for change in changes { SettingDeclarations.named(change.name)?.copy(from: change.parsed, to: &settings) }
        return settings
    }

    func propose(_ request: ControlRequest, current: ProcessingSettings) throws(ControlError) -> SettingsProposal {
        let (name, value) = try Self.option(for: request, current: current, folder: folder)
        let parsed = try Self.check(name, value)
        var settings = current
        SettingDeclarations.named(name)?.copy(from: parsed, to: &settings)
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
        guard let setting = SettingDeclarations.named(option) else { return false }
        var settings = ProcessingSettings()
        do { try setting.parse(value, into: &settings) } catch { return false }
        return setting.file(in: settings) != nil
    }

    /// Parses one option as the command line would; the settings it gives, or the command line's message.
    static func check(_ name: String, _ value: String) throws(ControlError) -> ProcessingSettings {
        guard let setting = SettingDeclarations.named(name) else {
            if name == "model" { throw ControlError(.state, "--model needs a restart of matte") }
            throw ControlError(
                .usage,
                "\(name) cannot be set while running; use one of: \(settableNames.joined(separator: ", "))"
            )
        }
        let arguments: [String]
        switch setting.form {
        case .flag:
            // On the command line a flag is there or not; `on` and `off` are the control's words for it.
            var settings = ProcessingSettings()
            do { try setting.parse(value, into: &settings) } catch {
                throw ControlError(.value, "\(name) takes \(error)")
            }
            return settings
        case .list: arguments = SettingForm.values(ofList: value).flatMap { ["--\(name)", $0] }
        case .value: arguments = ["--\(name)", value]
        }
        if namesFile(option: name, value: value), let problem = ControlFile.problem(value) {
            throw ControlError(.value, "\(name) \(value): \(problem)")
        }
        do {
            return try ProcessingOptions.parse(arguments).settings
        } catch {
            let message = ProcessingOptions.message(for: error).split(whereSeparator: \.isNewline).first ?? ""
            throw ControlError(.value, String(message.hasPrefix("Error: ") ? message.dropFirst(7) : message))
        }
    }

    /// What `matte ctl set` changes: every processing setting.
    static var settableNames: [String] { SettingDeclarations.all.map(\.name) }
}
