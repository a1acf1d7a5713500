/// Settings and configuration files: the same options as the command line, one or more per line; `#` at
/// the start of a line, or as a word of its own (`--effect sepia  # warm`), starts a comment. A colour such
/// as `#1d3557` is a value, not a comment.
public enum SettingsFile {
    public static func arguments(_ text: String) -> [String] {
        lines(text).flatMap(\.words)
    }

    /// The words of each line that has any, with its line number (from 1), for messages that point at it.
    public static func lines(_ text: String) -> [(number: Int, words: [String])] {
        text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated().compactMap {
            index,
            line in
            let words = line.drop(while: \.isWhitespace).hasPrefix("#") ? [] : words(String(line))
            return words.isEmpty ? nil : (index + 1, words)
        }
    }

    /// Splits on white space, keeping "quoted strings" (paths with spaces) whole.
    public static func words(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quoted = false
        var started = false
        for character in line {
            if character == "\"" {
                quoted.toggle()
                started = true
            } else if character.isWhitespace && !quoted {
                // A # standing alone starts a comment; joined to more (#1d3557) it is a value.
                if started && current == "#" { return words }
                if started { words.append(current) }
                current = ""
                started = false
            } else {
                current.append(character)
                started = true
            }
        }
        if started && current != "#" { words.append(current) }
        return words
    }
}
