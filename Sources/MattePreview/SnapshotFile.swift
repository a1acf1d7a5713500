import Foundation
import MatteFileNames

#if canImport(Glibc)
import Glibc
#endif

/// Where `s` saves a snapshot: `matte-DATE.png` in the user's pictures directory.
public enum SnapshotFile {
    /// The pictures directory: `$XDG_PICTURES_DIR` when set, else `~/Pictures`.
    public static func directory(environment: [String: String]) -> String {
        if let pictures = environment["XDG_PICTURES_DIR"], pictures.hasPrefix("/") { return pictures }
        return (UserDirectories.home(environment: environment) ?? "") + "/Pictures"
    }

    /// A name that sorts by time and does not exist yet (a second snapshot within one second gets `-2`, …).
    public static func path(
        in directory: String,
        at date: Date,
        exists: (String) -> Bool = { path in FileName.withCString(path) { access($0, F_OK) } == 0 }
    ) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd-HHmmss"
        let stem = "\(directory)/matte-\(formatter.string(from: date))"
        var candidate = stem + ".png"
        var number = 2
        while exists(candidate) {
            candidate = "\(stem)-\(number).png"
            number += 1
        }
        return candidate
    }
}
