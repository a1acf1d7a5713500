import CLinux
import MatteCore

#if canImport(Glibc)
import Glibc
import MatteFileNames
#endif

/// Notices when any of some files is written, created, replaced or removed — including files that do not
/// exist yet and editors that save by writing a new file and renaming it over the old one — by watching
/// their directories with inotify (a watch on the file itself would follow the replaced inode).
public final class FileWatcher {
    /// Poll this for `POLLIN`; then call `changes()`.
    public let fd: Int32
    private let files: [(directory: String, name: String)]
    /// Watch descriptor → the directory it watches.
    private var watches: [Int32: String] = [:]

    public init(paths: [String]) throws(PipelineError) {
        files = paths.map { path in
            let slash = path.lastIndex(of: "/")
            let directory = slash.map { path[..<$0].isEmpty ? "/" : String(path[..<$0]) } ?? "."
            return (directory, slash.map { String(path[path.index(after: $0)...]) } ?? path)
        }
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else {
            throw PipelineError("cannot watch the configuration files: \(String(cString: strerror(errno)))")
        }
        watchDirectories()
    }

    deinit { close(fd) }

    /// Watches each file's directory, or while that does not exist, the nearest existing ancestor, so a
    /// directory made later (`matte config --edit` makes ~/.config/matte) is picked up.
    private func watchDirectories() {
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_DELETE_SELF)
        for (directory, _) in files {
            var candidate = directory
            while FileName.withCString(candidate, { access($0, F_OK) }) != 0, candidate != "/",
                let slash = candidate.lastIndex(of: "/")
            {
                candidate = slash == candidate.startIndex ? "/" : String(candidate[..<slash])
            }
            let watch = FileName.withCString(candidate) { inotify_add_watch(fd, $0, mask) }
            if watch >= 0 { watches[watch] = candidate }
        }
    }

    /// Reads every pending event; true when one concerns a watched file (or a directory on its way).
    public func changes() -> Bool {
        var changed = false
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            var offset = 0
            let headerSize = MemoryLayout<inotify_event>.size
            buffer.withUnsafeBytes { raw in
                while offset + headerSize <= count {
                    let watch = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let nameLength = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameBytes = raw[(offset + headerSize)..<min(offset + headerSize + nameLength, count)]
                    let name = FileName.string(nameBytes.prefix { $0 != 0 })
                    if let directory = watches[watch], concerns(directory: directory, name: name) { changed = true }
                    offset += headerSize + nameLength
                }
            }
        }
        // Directories may have appeared or gone: watch what exists now (inotify returns the same watch
        // descriptor for a directory already watched).
        if changed { watchDirectories() }
        return changed
    }

    private func concerns(directory: String, name: String) -> Bool {
        files.contains { file in
            if file.directory == directory { return name.isEmpty || file.name == name }
            // An ancestor: a change on the way to the file's directory.
            let prefix = directory == "/" ? "/" : directory + "/"
            return file.directory.hasPrefix(prefix)
                && file.directory.dropFirst(prefix.count).split(separator: "/").first.map(String.init) == name
        }
    }
}
