/// Settings files (`matte --settings FILE`): the same options as the command line, one or more per line;
/// lines whose first character (after spaces) is `#` are comments. A colour such as `#1d3557` after an
/// option is a value, not a comment.
public enum SettingsFile {
    public static func arguments(_ text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).flatMap { line -> [String] in
            line.drop(while: \.isWhitespace).hasPrefix("#") ? [] : words(String(line))
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
