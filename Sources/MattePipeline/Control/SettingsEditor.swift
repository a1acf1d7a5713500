import MatteControl

#if canImport(Glibc)
import Glibc
import MatteFileNames
#endif

/// Turns the control requests that change settings (`background`, `effect`, `set`, `next`, `previous`) into
/// settings. The command line implements it: it alone knows the options, their names and their checks.
public protocol SettingsEditor: AnyObject {
    /// The settings `request` asks for, starting from `current`: checked, but not yet kept.
    func propose(_ request: ControlRequest, current: ProcessingSettings) throws(ControlError) -> SettingsProposal
    /// The options changed through the control socket so far, which reloads keep on top.
    var overrides: [String] { get }
}

public struct SettingsProposal {
    public let settings: ProcessingSettings
    /// What changes, for the log and the reply: `threshold 0.6`.
    public let summary: String
    /// Records the change once the pipeline accepted it, so later reloads keep it.
    public let keep: () -> Void

    public init(settings: ProcessingSettings, summary: String, keep: @escaping () -> Void) {
        self.settings = settings
        self.summary = summary
        self.keep = keep
    }
}

/// The files a control request names (a background, a foreground, a pause picture), which the control loop opens.
public enum ControlFile {
    /// Why `path` must not be opened, or nil. It must be absolute (the server's working directory is not the
    /// client's) and a regular file: a FIFO or device handed to a decoder would block the control loop.
    public static func problem(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return "give an absolute path" }
        var info = stat()
        guard FileName.withCString(path, { stat($0, &info) }) == 0 else { return String(cString: strerror(errno)) }
        return info.st_mode & S_IFMT == S_IFREG ? nil : "not a regular file"
    }
}
