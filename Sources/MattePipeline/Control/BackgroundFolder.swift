#if canImport(Glibc)
import Glibc
#endif

/// The pictures and videos `matte ctl next` and `previous` cycle through: the regular, visible files of one
/// folder with an image or video extension, in byte order of their names (so the order is the same in every
/// locale), read again at each request so that files added during a call count.
public struct BackgroundFolder: Sendable {
    public let path: String

    public static let extensions: Set<String> = [
        "jpg", "jpeg", "png", "webp", "bmp", "gif", "tif", "tiff", "mp4", "mkv", "webm", "mov", "avi", "m4v",
    ]
    /// More files than anyone cycles through by key; bounds the work a huge folder can cause.
    public static let maximumFiles = 1000

    public init(path: String) { self.path = path }

    /// The folder's usable files, as absolute paths.
    public func files() -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while names.count < Self.maximumFiles, let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard !name.hasPrefix("."), let dot = name.lastIndex(of: "."),
                Self.extensions.contains(name[name.index(after: dot)...].lowercased())
            else { continue }
            var info = stat()
            guard stat(path + "/" + name, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            names.append(name)
        }
        return names.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }.map { path + "/" + $0 }
    }

    /// The file after (or before) `current`; from a background not in the folder, the first (or last).
    public func neighbour(of current: String?, forward: Bool) -> String? {
        let files = files()
        guard !files.isEmpty else { return nil }
        guard let current, let index = files.firstIndex(of: current) else {
            return forward ? files.first : files.last
        }
        return files[(index + (forward ? 1 : files.count - 1)) % files.count]
    }

    /// `$XDG_PICTURES_DIR/Backgrounds`, the folder `matte ctl next` uses unless `--backgrounds` names one:
    /// the variable from the environment, else from `user-dirs.dirs`, else `~/Pictures`.
    public static func defaultPath(environment: [String: String], userDirs: String?) -> String {
        let home = environment["HOME"] ?? ""
        var pictures = environment["XDG_PICTURES_DIR"]
        if pictures == nil, let userDirs {
            for line in userDirs.split(separator: "\n") where line.hasPrefix("XDG_PICTURES_DIR=") {
                // The file's format: XDG_PICTURES_DIR="$HOME/Pictures", always quoted, $HOME the only variable.
                let value = line.dropFirst("XDG_PICTURES_DIR=".count).filter { $0 != "\"" }
                pictures = value.hasPrefix("$HOME") ? home + value.dropFirst(5) : String(value)
            }
        }
        return (pictures ?? home + "/Pictures") + "/Backgrounds"
    }
}
