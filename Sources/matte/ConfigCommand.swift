import ArgumentParser
import Foundation
import MatteDoctor
import MatteFileNames
import MatteMedia
import MatteSegmentation

#if canImport(Glibc)
import Glibc
#endif

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the live command's configuration and where each value comes from, or edit it.",
        discussion: """
            The configuration files hold `matte live` options, one or more per line, # for comments: \
            \(ConfigFiles.systemPath) for everyone, then ~/.config/matte/config ($XDG_CONFIG_HOME/matte/config). \
            Options on the command line override them. A running matte applies changes to the processing options \
            (background, effects, mask, …) within a second; camera and output options apply at its next start.
            """
    )

    @Flag(help: "Open your configuration file in $VISUAL or $EDITOR (made if missing), then check it.")
    var edit = false

    func run() throws {
        if edit { try openEditor() }
        let lines = try ConfigFiles.lines()
        for path in ConfigFiles.paths {
            let present = FileName.withCString(path) { access($0, F_OK) } == 0
            try writeStdout("# \(FileName.printable(path))\(present ? "" : " (not present)")\n")
        }
        let entries = ConfiguredOption.entries(in: lines)
        if entries.isEmpty { try writeStdout("# no options set: every value is the default (`matte live --help`)\n") }
        let width = min(48, entries.map(\.text.count).max() ?? 0)
        for entry in entries {
            // Escaped: a line of a hostile file must not write control characters to the terminal.
            let text = FileName.printable(entry.text)
            let padding = String(repeating: " ", count: max(0, width - text.count))
            var line = "\(text)\(padding)  # \(FileName.printable(entry.source))"
            if let winner = entry.overriddenBy {
                line =
                    "# \(text)\(padding)  # \(FileName.printable(entry.source)), overridden by \(FileName.printable(winner))"
            }
            try writeStdout(line + "\n")
        }
        // The same check `matte live` makes at start: say which line is wrong.
        let effective = try ConfigFiles.effectiveOptions(commandLine: [], settingsFile: nil)
        let model = effective.processing.model
        let installed: String
        switch model {
        case .automatic: installed = "landscape for wide cameras, general otherwise"
        default:
            do { installed = "at " + FileName.printable(try ModelLocator.path(for: model)) } catch {
                installed = FileName.printable(error.description)
            }
        }
        try writeStdout("# model: \(FileName.printable(model.description)) (\(installed))\n")
    }

    func openEditor() throws {
        let environment = UserDirectories.currentEnvironment()
        guard let path = ConfigFiles.userPath(environment: environment) else {
            throw CommandError(
                "no home directory for the configuration file: HOME is unset or not an absolute path and the "
                    + "passwd entry names none; set HOME or XDG_CONFIG_HOME to an absolute path"
            )
        }
        try Self.makeFolders(for: path, home: UserDirectories.home(environment: environment))
        if FileName.withCString(path, { access($0, F_OK) }) != 0 {
            let template = """
                # matte live options, one or more per line (see `matte live --help`); the command line overrides them.
                # A running matte applies changes within a second. For example:
                # --background ~/Pictures/beach.jpg
                # --effect sepia

                """
            try OutputFile(path, inputs: []).write(Array(template.utf8))
        }
        let editor =
            [environment["VISUAL"], environment["EDITOR"]].compactMap { $0 }.first { !$0.isEmpty }
            ?? "sensible-editor"
        // Through the shell, as git and crontab do: EDITOR may carry arguments ("code --wait").
        guard let result = Subprocess.run(["/bin/sh", "-c", "\(editor) \"$1\"", "sh", path], captureOutput: false)
        else {
            throw CommandError("cannot start the editor \(editor)")
        }
        guard result.status == 0 else { throw CommandError("the editor \(editor) exited with status \(result.status)") }
    }

    /// Makes the folders that hold the configuration file (`~/.config/matte`), the outermost first, but never
    /// a home directory: a HOME that does not exist is a mistake to report, not a directory to invent.
    static func makeFolders(for file: String, home: String?) throws(CommandError) {
        func parent(_ path: String) -> String {
            guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
            return String(path[..<slash])
        }
        let folder = parent(file)
        // Up to the nearest thing that exists; what is below it is missing.
        var missing: [String] = []
        var existing = folder
        var info = stat()
        while FileName.withCString(existing, { stat($0, &info) }) != 0 {
            guard errno == ENOENT || errno == ENOTDIR else {
                throw CommandError(
                    "cannot use \(existing) for the configuration file: \(String(cString: strerror(errno)))"
                )
            }
            guard existing != home else {
                throw CommandError(
                    "the home directory \(existing) does not exist and Matte does not create one; set HOME to your home"
                )
            }
            missing.append(existing)
            existing = parent(existing)
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw CommandError(
                "cannot make the folder \(folder) for the configuration file: \(existing) is not a directory "
                    + "(check XDG_CONFIG_HOME and HOME)"
            )
        }
        for directory in missing.reversed() where FileName.withCString(directory, { mkdir($0, 0o700) }) != 0 {
            throw CommandError(
                "cannot make the folder \(directory) for the configuration file: \(String(cString: strerror(errno)))"
            )
        }
    }
}

/// One option as a configuration file sets it, with the line it comes from.
struct ConfiguredOption {
    let text: String
    let source: String
    /// Where a later value of the same (single-valued) option was set.
    let overriddenBy: String?

    /// How each live option is written: whether it takes a value and may be repeated, from the parser's own
    /// description of `LiveOptions`, so no list of names is kept by hand.
    struct Shape {
        let takesValue: Bool
        let repeats: Bool
    }

    static let shapes: [String: Shape] = {
        guard let json = try? JSONSerialization.jsonObject(with: Data(LiveOptions._dumpHelp().utf8)) as? [String: Any],
            let command = json["command"] as? [String: Any],
            let arguments = command["arguments"] as? [[String: Any]]
        else { return [:] }
        var shapes: [String: Shape] = [:]
        for argument in arguments {
            let shape = Shape(
                takesValue: argument["kind"] as? String == "option",
                repeats: argument["isRepeating"] as? Bool ?? false
            )
            for name in argument["names"] as? [[String: Any]] ?? [] {
                if let text = name["name"] as? String { shapes["--" + text] = shape }
            }
        }
        return shapes
    }()

    /// The options the lines set, in order, each with its source and what overrides it.
    static func entries(in lines: [ConfigFiles.Line]) -> [ConfiguredOption] {
        var found: [(key: String, text: String, source: String, repeats: Bool)] = []
        for line in lines {
            var index = 0
            while index < line.words.count {
                let word = line.words[index]
                let name = String(word.split(separator: "=", maxSplits: 1).first ?? "")
                let shape = shapes[name]
                var text = word
                if let shape, shape.takesValue, !word.contains("="), index + 1 < line.words.count {
                    text += " " + line.words[index + 1]
                    index += 1
                }
                // --no-x and --x set the same thing.
                let key =
                    name.hasPrefix("--no-") && shapes["--" + name.dropFirst(5)] != nil ? "--" + name.dropFirst(5) : name
                found.append((key, text, "\(line.path):\(line.number)", shape?.repeats ?? false))
                index += 1
            }
        }
        return found.enumerated().map { index, entry in
            let later = entry.repeats ? nil : found[(index + 1)...].last { $0.key == entry.key }
            return ConfiguredOption(text: entry.text, source: entry.source, overriddenBy: later?.source)
        }
    }
}
