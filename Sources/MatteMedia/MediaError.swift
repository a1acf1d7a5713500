import CFFmpeg
import MatteMemory

#if canImport(Glibc)
import Glibc
#endif

/// Why a media file could not be read or written; the description names the file.
public struct MediaError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }

    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    /// What a failed allocation inside FFmpeg or libjpeg-turbo says (Matte's own name the frame they wanted).
    static let notEnoughMemory = "not enough memory; " + OutOfMemory.advice

    /// `what` failed with FFmpeg's error `code` (an `AVERROR`).
    init(_ path: String, _ what: String, code: Int32) {
        self.init(path, "\(what): \(Self.reason(forFFmpegCode: code))")
    }

    /// FFmpeg's text for an error, or Matte's own where FFmpeg's says too little to act on.
    static func reason(forFFmpegCode code: Int32) -> String {
        // AVERROR(e) is -e on POSIX systems.
        if code < 0, code > -4096, let own = ownReason(forErrno: -code) { return own }
        var text = [CChar](repeating: 0, count: 256)
        av_strerror(code, &text, text.count)
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The system's text for `errno`, or Matte's own where it says too little to act on.
    public static func reason(forErrno code: Int32) -> String {
        ownReason(forErrno: code) ?? String(cString: strerror(code))
    }

    private static func ownReason(forErrno code: Int32) -> String? {
        switch code {
        case EFBIG:
            // SIGXFSZ is ignored (see `main`), so a write past `ulimit -f` fails with EFBIG instead of killing.
            var limit = rlimit()
            let size =
                getrlimit(__rlimit_resource_t(RLIMIT_FSIZE.rawValue), &limit) == 0 && limit.rlim_cur != rlim_t.max
                ? " (\(limit.rlim_cur / 1024) KB)" : ""
            return "the file size limit\(size) of this shell (ulimit -f) is reached; raise it (ulimit -f unlimited) "
                + "or write a smaller file"
        case ENOMEM:
            return notEnoughMemory
        default:
            return nil
        }
    }
}
