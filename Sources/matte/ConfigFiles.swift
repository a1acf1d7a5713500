import ArgumentParser
import Foundation
import MatteFileNames
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

    /// The user's file; nil when there is no home to hold it (HOME unset or relative, and no passwd entry).
    static func userPath(environment: [String: String] = UserDirectories.currentEnvironment()) -> String? {
        UserDirectories.base("XDG_CONFIG_HOME", fallback: ".config", environment: environment)
            .map { $0 + "/matte/config" }
    }

    static var paths: [String] { [systemPath] + (userPath().map { [$0] } ?? []) }

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
        guard let text = try text(of: path, what: what) else { return nil }
        return SettingsFile.lines(text).map { Line(path: path, number: $0.number, words: $0.words) }
    }

    /// A small text file (at most 1 MB), decoded as file names are so that a path in it that is not UTF-8
    /// still names its file; nil when there is no such file.
    static func text(of path: String, what: String = "file") throws(CommandError) -> String? {
        // O_NONBLOCK: a FIFO would block the open forever (regular files ignore the flag).
        let fd = FileName.withCString(path) { open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw CommandError("\(what) \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        // A FIFO or device is not a settings file; a huge file is not one either.
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size <= 1 << 20 else {
            throw CommandError("\(what) \(path): not a regular file of at most 1 MB")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var count = 0
        while count < bytes.count {
            let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw CommandError("\(what) \(path): \(String(cString: strerror(errno)))") }
            if got == 0 { break }
            count += got
        }
        return FileName.string(bytes.prefix(count))
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
                let message = quotingBriefly(line.words, in: LiveOptions.message(for: error))
                throw CommandError("\(what) \(line.path):\(line.number): \(message)")
            }
        }
    }

    /// The longest quote of a configuration line's word an error shows: a file of 100 KB of NULs is one word,
    /// which the parser's message would otherwise repeat whole.
    static let quoteLimit = 80

    /// `message` with each long word of the line in it cut to its first `quoteLimit` characters (escaped).
    static func quotingBriefly(_ words: [String], in message: String) -> String {
        var message = message
        for word in Set(words) where word.count > quoteLimit {
            message = message.replacingOccurrences(of: word, with: FileName.printable(word, limit: quoteLimit))
        }
        return message
    }
}
