import ArgumentParser
import Foundation
import MatteControl
import MatteFileNames
import MattePreview
import MatteV4L2

#if canImport(Glibc)
import Glibc
#endif

struct MattePreviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matte-preview",
        abstract: "Show the virtual camera as applications see it, and control the running matte.",
        discussion: """
            The window reads the virtual camera like any application, so it shows exactly what apps get (and \
            counts as one of them: matte processes while it is open). Keys: n or Right next background, p or \
            Left previous, m mirror, e next effect (none, hologram, grayscale, sepia), space pause, s snapshot \
            (a PNG in $XDG_PICTURES_DIR or ~/Pictures), f framing, o status overlay, k mask overlay, q or Esc \
            quit. Run as `matte preview`.
            """
    )

    @Option(help: "The virtual camera to show (default: the first v4l2loopback device).")
    var device: String?

    @Flag(help: "Start without the status overlay (o shows it).")
    var noOverlay = false

    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as PreviewError {
            say("\(error)")
            Glibc.exit(1)
        } catch {
            exit(withError: error)
        }
    }

    func run() throws {
        guard let device = device ?? DeviceCatalog.firstLoopback() else {
            throw PreviewError(
                "no virtual camera (v4l2loopback device) found; load it with scripts/setup-loopback.sh, or give --device"
            )
        }
        let preview = try Preview(
            device: device,
            showStatus: !noOverlay,
            connect: {
                let environment = UserDirectories.currentEnvironment()
                do {
                    return try ControlClient(
                        runtimeDirectory: try ControlDirectory.runtimeDirectory(environment: environment)
                    )
                } catch { throw PreviewError("\(error)") }
            },
            report: say
        )
        preview.run()
    }
}

/// One line on stderr, named as the user ran it.
func say(_ text: String) {
    var line = "matte preview: \(text)\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
}

/// The keys act through the same client as `matte ctl`.
extension ControlClient: PreviewController {}

MattePreviewCommand.main(FileName.commandLineArguments())
