import CFFmpeg
import MatteMemory
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What the media libraries say about a failure, kept off the terminal: FFmpeg's newest error line (see
/// `matte_keep_ffmpeg_logs`) and what a library prints on stdio's stderr during one call (libx264 does, see
/// `matte_swap_stdio_stderr`). Matte's errors are one line of its own; this text tells it what went wrong.
enum LibraryOutput {
    /// Where printed text goes when no buffer can be had (memory has run out): nowhere. Opened on first use.
    nonisolated(unsafe) private static let discard = fopen("/dev/null", "w")

    /// FFmpeg's newest error line, written by its log callback on any thread: a buffer made once, since the
    /// callback must not allocate (it reports failed allocations too).
    nonisolated(unsafe) private static let lastLog = Plane<CChar>(count: 256, repeating: 0)
    private static let lastLogLock = Mutex(())

    /// Routes FFmpeg's log (and that of the libraries it wraps: libvpx's "Memory allocation error", a
    /// decoder's reason) here instead of stderr: error lines are kept, not printed.
    static func keepFFmpegLogs() {
        av_log_set_level(AV_LOG_ERROR)
        av_log_set_callback { object, level, format, arguments in
            guard level <= AV_LOG_ERROR, let arguments else { return }
            LibraryOutput.lastLogLock.withLock { _ in
                var printPrefix: Int32 = 0
                let line = LibraryOutput.lastLog
                av_log_format_line2(object, level, format, arguments, line.pointer, Int32(line.count), &printPrefix)
            }
        }
    }

    /// Runs `body`; returns its result and what the libraries said meanwhile (printed, then logged).
    static func capture<T>(_ body: () -> T) -> (T, String) {
        _ = takeLastLog()
        var text: UnsafeMutablePointer<CChar>? = nil
        var size = 0
        let buffer = open_memstream(&text, &size)
        guard let stream = buffer ?? discard else { return (body(), takeLastLog()) }
        let was = matte_swap_stdio_stderr(stream)
        let result = body()
        _ = matte_swap_stdio_stderr(was)
        guard buffer != nil else { return (result, takeLastLog()) }
        fclose(stream)
        defer { free(text) }
        let printed = text.map { String(cString: $0) } ?? ""
        return (result, [printed, takeLastLog()].filter { !$0.isEmpty }.joined(separator: "\n"))
    }

    /// FFmpeg's newest error line since the last call ("" if none).
    static func takeLastLog() -> String {
        lastLogLock.withLock { _ in
            defer { lastLog[0] = 0 }
            return String(cString: lastLog.pointer)
        }
    }

    /// Whether the libraries' words say memory ran out: libx264 "malloc of size … failed", libvpx "Memory
    /// allocation error", FFmpeg "Cannot allocate memory", "get_buffer() failed".
    static func mentionsMemory(_ text: String) -> Bool {
        let lower = text.lowercased()
        return ["malloc", "memory", "alloc", "get_buffer"].contains { lower.contains($0) }
    }
}
