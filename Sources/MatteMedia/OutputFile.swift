import CFFmpeg
import MatteFileNames

#if canImport(Glibc)
import Glibc
#endif

/// A file about to be written, made safe before the first byte: the result is written under a short hidden
/// name beside its destination and renamed over it only when complete, so a failure, a full disk or a signal
/// never leaves a partial file. It refuses to replace an input, a directory, a device, a FIFO or a read-only
/// file; a symlink is written through to its target, and an existing file keeps its permissions.
public struct OutputFile {
    /// The name as given.
    public let path: String
    /// Where the file lands: `path`, or the file a symlink at `path` points to.
    public let destination: String
    /// The name written while the file is incomplete.
    public let temporary: String
    /// The permissions of the file being replaced.
    private let keptMode: mode_t?

    /// `inputs` are the files this run reads; the output may not be one of them.
    public init(_ path: String, inputs: [String]) throws(MediaError) {
        self.path = path
        destination = try Self.destination(of: path)
        let existing = try Self.checkReplaceable(destination, as: path, inputs: inputs)
        keptMode = existing.map { $0.st_mode & 0o7777 }
        let (directory, name) = Self.split(destination)
        try Self.checkDirectory(directory, for: path)
        // Short, so a valid destination name never makes the temporary one too long; the extension stays
        // because FFmpeg's image writer picks its codec by it.
        let dot = name.lastIndex(of: ".")
        let suffix = dot.map { String(name[$0...]) }.flatMap { FileName.bytes($0).count <= 16 ? $0 : nil } ?? ""
        temporary = directory + "/.matte-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))\(suffix)"
    }

    /// Moves the finished temporary file into place with the kept permissions.
    public func commit() throws(MediaError) {
        if let keptMode { _ = FileName.withCString(temporary) { chmod($0, keptMode) } }
        let renamed = FileName.withCString(temporary) { from in FileName.withCString(destination) { rename(from, $0) } }
        guard renamed == 0 else {
            let reason = MediaError.reason(forErrno: errno)
            discard()
            throw MediaError(path, "cannot write: \(reason)")
        }
    }

    public func discard() { _ = FileName.withCString(temporary) { unlink($0) } }

    /// Writes `data` completely, or nothing.
    public func write(_ data: [UInt8]) throws(MediaError) {
        let fd = FileName.withCString(temporary) { open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666) }
        guard fd >= 0 else { throw MediaError(path, "cannot write: \(String(cString: strerror(errno)))") }
        var failure = data.withUnsafeBytes { writeAll(fd, $0) }
        if close(fd) != 0 && failure == nil { failure = errno }
        if let failure {
            discard()
            throw MediaError(path, "cannot write: \(MediaError.reason(forErrno: failure))")
        }
        try commit()
    }

    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// `path`, or the target of the symlink at `path`.
    static func destination(of path: String) throws(MediaError) -> String {
        guard !path.isEmpty else { throw MediaError(path, "an empty output name; give a file name") }
        let name = split(path).name
        guard !name.isEmpty, name != ".", name != ".." else {
            throw MediaError(path, "is a directory; give a file name inside it")
        }
        let nameBytes = FileName.bytes(name).count
        guard nameBytes <= Int(NAME_MAX) else {
            throw MediaError(
                String(name.prefix(40)) + "…",
                "file name too long (\(nameBytes) bytes; the limit is \(NAME_MAX))"
            )
        }
        var info = stat()
        guard FileName.withCString(path, { lstat($0, &info) }) == 0, info.st_mode & S_IFMT == S_IFLNK else {
            return path
        }
        guard let resolved = FileName.withCString(path, { realpath($0, nil) }) else {
            throw MediaError(path, "is a symlink to a missing file; remove the link or choose another name")
        }
        defer { free(resolved) }
        return FileName.string(cString: resolved)
    }

    /// The existing file at `destination` if there is one, after checking that it may be replaced.
    static func checkReplaceable(_ destination: String, as path: String, inputs: [String]) throws(MediaError) -> stat? {
        var info = stat()
        guard FileName.withCString(destination, { stat($0, &info) }) == 0 else {
            guard errno == ENOENT else { throw MediaError(path, "cannot write: \(String(cString: strerror(errno)))") }
            return nil
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw MediaError(path, "is a directory; give a file name inside it")
        case S_IFIFO:
            throw MediaError(path, "is a FIFO, not a regular file; Matte does not write into one (choose a file name)")
        case S_IFCHR, S_IFBLK:
            throw MediaError(path, "is a device, not a regular file; Matte never replaces one (choose a file name)")
        default: throw MediaError(path, "is not a regular file; choose a file name")
        }
        for input in inputs {
            var inputInfo = stat()
            if FileName.withCString(input, { stat($0, &inputInfo) }) == 0, inputInfo.st_dev == info.st_dev,
                inputInfo.st_ino == info.st_ino
            {
                throw MediaError(
                    path,
                    "is the input file \(input); Matte never overwrites an input (choose another output name)"
                )
            }
        }
        // Root may write anything: read-only still means "keep this", so honour the mode bits themselves.
        let writable =
            geteuid() == 0 ? info.st_mode & 0o222 != 0 : FileName.withCString(destination, { access($0, W_OK) }) == 0
        guard writable else {
            throw MediaError(path, "is read-only; Matte does not replace it (make it writable or choose another name)")
        }
        return info
    }

    static func checkDirectory(_ directory: String, for path: String) throws(MediaError) {
        var info = stat()
        guard FileName.withCString(directory, { stat($0, &info) }) == 0 else {
            throw MediaError(path, "cannot write: the directory \(directory) does not exist")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw MediaError(path, "cannot write: \(directory) is not a directory")
        }
        guard FileName.withCString(directory, { access($0, W_OK | X_OK) }) == 0 else {
            throw MediaError(path, "cannot write in \(directory): \(String(cString: strerror(errno)))")
        }
    }
}

/// Writes all of `bytes` to `fd`, retrying interrupted and short writes; the errno that stopped it, or nil.
public func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
    var written = 0
    while written < bytes.count {
        let count = Glibc.write(fd, bytes.baseAddress! + written, bytes.count - written)
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { return count == 0 ? EIO : errno }
        written += count
    }
    return nil
}

/// A numbered picture sequence (`frames/%05d.png`): frames are written into a hidden directory beside the
/// destination and moved into place only when all are done, so an interrupted run leaves none behind.
public struct OutputSequence {
    public let pattern: String
    public let directory: String
    /// Where frames are written while incomplete: the same pattern inside a hidden directory.
    public let temporaryPattern: String
    private let temporaryDirectory: String
    private let inputs: [String]

    /// Whether `path` names a picture sequence: an image extension and a valid `%d` pattern.
    public static func isPattern(_ path: String) -> Bool {
        let lower = path.lowercased()
        guard [".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"].contains(where: { lower.hasSuffix($0) }) else {
            return false
        }
        return frameName(path, 1) != nil && frameName(path, 1) != frameName(path, 2)
    }

    static func frameName(_ pattern: String, _ number: Int) -> String? {
        var name = [CChar](repeating: 0, count: 4096)
        let made = FileName.withCString(pattern) { av_get_frame_filename(&name, Int32(name.count), $0, Int32(number)) }
        guard made == 0 else { return nil }
        return FileName.string(name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) })
    }

    public init(_ pattern: String, inputs: [String]) throws(MediaError) {
        self.pattern = pattern
        self.inputs = inputs
        let (directory, name) = OutputFile.split(pattern)
        guard let first = Self.frameName(name, 1), FileName.bytes(first).count <= Int(NAME_MAX) else {
            throw MediaError(pattern, "file names too long (the limit is \(NAME_MAX) bytes)")
        }
        try OutputFile.checkDirectory(directory, for: pattern)
        self.directory = directory
        var template = (FileName.bytes(directory + "/.matte-\(getpid())-XXXXXX") + [0]).map { CChar(bitPattern: $0) }
        guard mkdtemp(&template) != nil else {
            throw MediaError(pattern, "cannot write: \(String(cString: strerror(errno)))")
        }
        temporaryDirectory = FileName.string(template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) })
        temporaryPattern = temporaryDirectory + "/" + name
    }

    /// Moves frames 1...count into place, after checking every one of them may be replaced.
    public func commit(count: Int) throws(MediaError) {
        var moves: [(String, String)] = []
        for number in 1...max(count, 1) {
            guard let finished = Self.frameName(temporaryPattern, number), let target = Self.frameName(pattern, number)
            else { continue }
            var info = stat()
            if FileName.withCString(target, { lstat($0, &info) }) == 0, info.st_mode & S_IFMT == S_IFLNK {
                discard()
                throw MediaError(
                    target,
                    "is a symlink; Matte does not replace it with a frame (choose another pattern)"
                )
            }
            do { _ = try OutputFile.checkReplaceable(target, as: target, inputs: inputs) } catch {
                discard()
                throw error
            }
            moves.append((finished, target))
        }
        for (finished, target) in moves
        where FileName.withCString(finished, { from in FileName.withCString(target) { rename(from, $0) } }) != 0 {
            let reason = MediaError.reason(forErrno: errno)
            discard()
            throw MediaError(target, "cannot write: \(reason)")
        }
        _ = FileName.withCString(temporaryDirectory) { rmdir($0) }
    }

    /// Removes the hidden directory and every frame written into it.
    public func discard() {
        if let listing = FileName.withCString(temporaryDirectory, { opendir($0) }) {
            while let entry = readdir(listing) {
                let name = FileName.directoryEntryName(entry)
                if name != "." && name != ".." {
                    _ = FileName.withCString(temporaryDirectory + "/" + name) { unlink($0) }
                }
            }
            closedir(listing)
        }
        _ = FileName.withCString(temporaryDirectory) { rmdir($0) }
    }
}
