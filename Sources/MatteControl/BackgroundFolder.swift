import MatteFileNames

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

    public init(path: String) { self.path = path }

    /// The folder's usable files, as absolute paths, in byte order of their names.
    public func files() -> [String] {
        var names: [[UInt8]] = []
        forEachUsableName { names.append($0) }
        return names.sorted { $0.lexicographicallyPrecedes($1) }.map(absolutePath)
    }

    /// The file after (or before) `current` in byte order; from a background not in the folder, the first
    /// (or last). One pass over the folder keeping only the best candidates, so every file of a folder of any
    /// size is reachable and the work and memory do not grow with a sort of all its names.
    public func neighbour(of current: String?, forward: Bool) -> String? {
        let currentName = current.flatMap(nameInFolder).map(FileName.bytes)
        // Forward: the smallest name after the current one, else (wrapping round) the smallest of all.
        // Backward: the same with the order reversed.
        let precedes: ([UInt8], [UInt8]) -> Bool =
            forward ? { $0.lexicographicallyPrecedes($1) } : { $1.lexicographicallyPrecedes($0) }
        var first: [UInt8]? = nil
        var next: [UInt8]? = nil
        var found = false
        forEachUsableName { name in
            if first.map({ precedes(name, $0) }) ?? true { first = name }
            guard let currentName else { return }
            if name == currentName { found = true }
            if precedes(currentName, name), next.map({ precedes(name, $0) }) ?? true { next = name }
        }
        // A background that is not (or no longer) in the folder starts the cycle again.
        let chosen = found ? (next ?? first) : first
        return chosen.map(absolutePath)
    }

    /// The name of `file` when it lies directly in this folder.
    private func nameInFolder(_ file: String) -> String? {
        let prefix = path + "/"
        guard file.hasPrefix(prefix) else { return nil }
        let name = file.dropFirst(prefix.count)
        return name.contains("/") ? nil : String(name)
    }

    private func absolutePath(_ name: [UInt8]) -> String {
        path + "/" + FileName.string(name)
    }

    /// Calls `body` with the name of each regular, visible file with a picture or video extension, in the
    /// order the directory lists them (no limit: a huge folder costs one pass, not memory).
    private func forEachUsableName(_ body: ([UInt8]) -> Void) {
        guard let directory = FileName.withCString(path, { opendir($0) }) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            guard name.first != UInt8(ascii: "."), let dot = name.lastIndex(of: UInt8(ascii: ".")),
                Self.extensions.contains(String(decoding: name[(dot + 1)...], as: UTF8.self).lowercased())
            else { continue }
            // The directory's own file type saves a stat per file; links and unknown types need one.
            let type = entry.pointee.d_type
            if type != UInt8(DT_REG) {
                guard type == UInt8(DT_LNK) || type == UInt8(DT_UNKNOWN) else { continue }
                var info = stat()
                guard FileName.withCString(absolutePath(name), { stat($0, &info) }) == 0,
                    info.st_mode & S_IFMT == S_IFREG
                else { continue }
            }
            body(name)
        }
    }

    /// `$XDG_PICTURES_DIR/Backgrounds`, the folder `matte ctl next` uses unless `--backgrounds` names one:
    /// the variable from the environment, else from `user-dirs.dirs`, else `~/Pictures`.
    public static func defaultPath(environment: [String: String], userDirs: String?) -> String {
        let home = UserDirectories.home(environment: environment) ?? ""
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
