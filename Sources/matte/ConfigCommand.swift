import ArgumentParser
import Foundation
import MatteDoctor

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
            try writeStdout("# \(path)\(access(path, F_OK) == 0 ? "" : " (not present)")\n")
        }
        let entries = ConfiguredOption.entries(in: lines)
        if entries.isEmpty { try writeStdout("# no options set: every value is the default (`matte live --help`)\n") }
        let width = min(48, entries.map(\.text.count).max() ?? 0)
        for entry in entries {
            let padding = String(repeating: " ", count: max(0, width - entry.text.count))
            var line = "\(entry.text)\(padding)  # \(entry.source)"
            if let winner = entry.overriddenBy {
                line = "# \(entry.text)\(padding)  # \(entry.source), overridden by \(winner)"
            }
            try writeStdout(line + "\n")
        }
        // The same check `matte live` makes at start: say which line is wrong.
        _ = try ConfigFiles.effectiveOptions(commandLine: [], settingsFile: nil)
    }

    func openEditor() throws {
        let path = ConfigFiles.userPath()
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if access(path, F_OK) != 0 {
            let template = """
                # matte live options, one or more per line (see `matte live --help`); the command line overrides them.
                # A running matte applies changes within a second. For example:
                # --background ~/Pictures/beach.jpg
                # --effect sepia

                """
            guard FileManager.default.createFile(atPath: path, contents: Data(template.utf8)) else {
                throw CommandError("cannot create \(path)")
            }
        }
        let environment = ProcessInfo.processInfo.environment
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
