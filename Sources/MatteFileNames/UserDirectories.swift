#if canImport(Glibc)
import Glibc
#endif

/// Where the user's files live: the home directory and the XDG base directories, read from the environment
/// byte for byte (see `FileName`).
public enum UserDirectories {
    /// The process environment, each value decoded losslessly (a HOME that is not UTF-8 still names the home).
    public static func currentEnvironment() -> [String: String] {
        var environment: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let pair = FileName.string(cString: pointer)
            if let equals = pair.firstIndex(of: "=") {
                environment[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            entry += 1
        }
        return environment
    }

    /// The user's home: `$HOME` when it is an absolute path; when it is unset, empty or relative (which would
    /// put files under `/` or wherever the command happens to run), the home of the user's passwd entry; nil
    /// when neither gives one.
    public static func home(environment: [String: String], passwdHome: () -> String? = passwdHome) -> String? {
        if let home = environment["HOME"], home.hasPrefix("/") { return home }
        return passwdHome().flatMap { $0.hasPrefix("/") ? $0 : nil }
    }

    /// An XDG base directory: the variable when it is an absolute path (the XDG spec says relative ones are to
    /// be ignored, and an empty one counts as unset), else `home/fallback` (e.g. `.config`); nil without a home.
    public static func base(
        _ variable: String,
        fallback: String,
        environment: [String: String],
        passwdHome: () -> String? = passwdHome
    ) -> String? {
        if let value = environment[variable], value.hasPrefix("/") { return value }
        return home(environment: environment, passwdHome: passwdHome).map { $0 + "/" + fallback }
    }

    /// The home directory of the user this process runs as, from the passwd database.
    public static func passwdHome() -> String? {
        guard let entry = getpwuid(geteuid()), let directory = entry.pointee.pw_dir else { return nil }
        return FileName.string(cString: directory)
    }
}
