#if canImport(Glibc)
import Glibc
import MatteFileNames
#endif

/// Why a model file could not be read; each model kind maps it into its own error type.
struct UnreadableFile: Error {
    let path: String
    let reason: String
}

/// Reads a whole regular file of at most `limit` bytes; errors name the file and the reason.
func readFile(_ path: String, limit: Int) throws(UnreadableFile) -> [UInt8] {
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer (regular files ignore the flag).
    let fd = FileName.withCString(path) { open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
    guard fd >= 0 else { throw UnreadableFile(path: path, reason: String(cString: strerror(errno))) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
        throw UnreadableFile(path: path, reason: "not a regular file")
    }
    guard Int(info.st_size) <= limit else {
        throw UnreadableFile(path: path, reason: "\(info.st_size) bytes is too large for a model")
    }
    var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
    var done = 0
    while done < bytes.count {
        let got = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
        if got < 0 && errno == EINTR { continue }
        guard got > 0 else {
            throw UnreadableFile(
                path: path,
                reason: got == 0 ? "file shrank while reading" : String(cString: strerror(errno))
            )
        }
        done += got
    }
    return bytes
}
