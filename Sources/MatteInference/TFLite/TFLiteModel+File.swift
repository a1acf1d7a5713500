#if canImport(Glibc)
import Glibc
import MatteFileNames
#endif

extension TFLiteModel {
    /// Model files larger than this are refused before reading (the selfie models are ~250 KB).
    public static let maxFileSize = 256 << 20

    /// Reads and parses a .tflite file.
    public init(contentsOf path: String) throws(TFLiteError) {
        try self.init(bytes: try readFile(path))
    }
}

/// Reads a whole regular file; errors name the file and the reason.
func readFile(_ path: String, limit: Int = TFLiteModel.maxFileSize) throws(TFLiteError) -> [UInt8] {
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer (regular files ignore the flag).
    let fd = FileName.withCString(path) { open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
    guard fd >= 0 else { throw .unreadable(path, String(cString: strerror(errno))) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
        throw .unreadable(path, "not a regular file")
    }
    guard Int(info.st_size) <= limit else { throw .unreadable(path, "\(info.st_size) bytes is too large for a model") }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
    var done = 0
    while done < bytes.count {
        let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
        if got < 0 && errno == EINTR { continue }
        guard got > 0 else {
            throw .unreadable(path, got == 0 ? "file shrank while reading" : String(cString: strerror(errno)))
        }
        done += got
    }
    return bytes
}
