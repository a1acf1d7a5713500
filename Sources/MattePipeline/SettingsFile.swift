/// Settings files (`matte --settings FILE`): the same options as the command line, one or more per line;
/// lines whose first character (after spaces) is `#` are comments. A colour such as `#1d3557` after an
/// option is a value, not a comment.
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
                if started { words.append(current) }
                current = ""
                started = false
            } else {
                current.append(character)
                started = true
            }
        }
        if started { words.append(current) }
        return words
    }
}
