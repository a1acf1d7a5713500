import ArgumentParser
import Foundation
import MattePipeline
import MatteSegmentation

#if canImport(Glibc)
import Glibc
#endif

/// The live command's configuration files, in today's settings-file format (options, one or more per line,
/// `#` comments). Lowest precedence first: `/etc/matte/config`, the user's
/// `$XDG_CONFIG_HOME/matte/config` (`~/.config/matte/config`), then the command line, then a `--settings`
/// file: later options win, `--effect`s add up.
enum ConfigFiles {
    static let systemPath = "/etc/matte/config"

    static func userPath(environment: [String: String] = ModelLocator.currentEnvironment()) -> String {
        if let base = environment["XDG_CONFIG_HOME"], base.hasPrefix("/") { return base + "/matte/config" }
        return (environment["HOME"] ?? "") + "/.config/matte/config"
    }

    static var paths: [String] { [systemPath, userPath()] }

    /// One line of a file that holds options.
    struct Line {
        let path: String
        let number: Int
        let words: [String]
    }

    /// The lines of every configuration file that exists.
    static func lines() throws(CommandError) -> [Line] {
        var all: [Line] = []
        for path in paths { all += try lines(of: path, what: "config") ?? [] }
        return all
    }

    /// The lines of a file of options, or nil when there is no such file.
    static func lines(of path: String, what: String) throws(CommandError) -> [Line]? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw CommandError("\(what) \(path): \(String(cString: strerror(errno)))")
        }
        // A FIFO or device would block the read forever; a huge file is not a settings file.
        guard info.st_mode & S_IFMT == S_IFREG, info.st_size <= 1 << 20 else {
            throw CommandError("\(what) \(path): not a regular file of at most 1 MB")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CommandError("\(what) \(path): cannot read it (not UTF-8, or no permission)")
        }
        return SettingsFile.lines(text).map { Line(path: path, number: $0.number, words: $0.words) }
    }

    /// The live options in force: the configuration files', the command line's, then the settings file's.
    /// A failure names the file and line at fault.
    static func effectiveOptions(
        commandLine: [String],
        settingsFile: String?
    ) throws -> LiveOptions {
        let config = try lines()
        let settings = try settingsFile.map { path throws(CommandError) in
            guard let lines = try lines(of: path, what: "settings file") else {
                throw CommandError("settings file \(path): no such file")
            }
            return lines
        }
        let configWords = config.flatMap(\.words)
        let settingsWords = (settings ?? []).flatMap(\.words)
        do {
            return try LiveOptions.parse(configWords + commandLine + settingsWords)
        } catch {
            try firstBreakingLine(of: config, after: [], what: "config")
            if let settings, (try? LiveOptions.parse(configWords + commandLine)) != nil {
                try firstBreakingLine(of: settings, after: configWords + commandLine, what: "settings file")
            }
            // The command line's own fault: the same one-line message and status as any wrong option.
            throw ValidationError(LiveOptions.message(for: error))
        }
    }

    /// Finds the culprit of a failed parse: the first of `lines` whose words, added to `prefix` and the lines
    /// before it, no longer parse; throws naming its file and line.
    private static func firstBreakingLine(of lines: [Line], after prefix: [String], what: String) throws(CommandError) {
        var words = prefix
        for line in lines {
            words += line.words
            do { _ = try LiveOptions.parse(words) } catch {
                throw CommandError("\(what) \(line.path):\(line.number): \(LiveOptions.message(for: error))")
            }
        }
    }
}
