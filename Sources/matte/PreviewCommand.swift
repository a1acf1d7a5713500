import ArgumentParser
import MatteFileNames

#if canImport(Glibc)
import Glibc
#endif

/// `matte preview` runs the separate `matte-preview` program: the window needs SDL, whose many libraries
/// (X11, Wayland, PulseAudio, ALSA, …) should not load in the camera service that `matte` is.
struct PreviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Show the virtual camera as applications see it, and control the running matte with keys.",
        discussion: """
            A window reads the virtual camera like any application. Keys: n or Right next background, p or Left \
            previous, m mirror, e next effect, space pause, s snapshot (a PNG in $XDG_PICTURES_DIR or \
            ~/Pictures), f framing, o status overlay, k mask overlay, q or Esc quit.
            """
    )

    @Option(help: "The virtual camera to show (default: the first v4l2loopback device).")
    var device: String?

    @Flag(help: "Start without the status overlay (o shows it).")
    var noOverlay = false

    func run() throws {
        var arguments = ["matte-preview"]
        if let device { arguments += ["--device", device] }
        if noOverlay { arguments.append("--no-overlay") }
        let beside = Self.directoryOfThisProgram().map { "\($0)/matte-preview" }
        let searchPath = getenv("PATH").map { FileName.string(cString: $0) } ?? "/usr/bin:/bin"
        let path = searchPath.split(separator: ":").map { "\($0)/matte-preview" }
        for candidate in (beside.map { [$0] } ?? []) + path
        where FileName.withCString(candidate, { access($0, X_OK) }) == 0 {
            Self.exec(candidate, arguments)
        }
        throw CommandError(
            "matte-preview is not installed (looked beside matte and in PATH); it comes with matte's package"
        )
    }

    private static func directoryOfThisProgram() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        let path = FileName.string(buffer[0..<length].map { UInt8(bitPattern: $0) })
        return path.lastIndex(of: "/").map { String(path[..<$0]) }
    }

    /// Replaces this process; returns only when `execv` failed, and then the search goes on.
    private static func exec(_ path: String, _ arguments: [String]) {
        var argv = arguments.map(FileName.duplicateCString) + [nil]
        _ = FileName.withCString(path) { execv($0, &argv) }
        for pointer in argv { free(pointer) }
    }
}
