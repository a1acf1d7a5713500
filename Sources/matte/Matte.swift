import ArgumentParser
import CLinux
import Foundation
import MatteDoctor
import MatteFileNames
import MatteService

#if canImport(Glibc)
import Glibc
#endif

@main
struct Matte: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matte",
        abstract: "A virtual camera with the background replaced.",
        // The package's upstream version (packaging/changelog; Tests/package/check-deb.sh checks they agree).
        version: "0.9.0",
        subcommands: [
            LiveCommand.self, ControlCommand.self, PreviewCommand.self, DevicesCommand.self, RenderCommand.self,
            MaskCommand.self, ConfigCommand.self, DoctorCommand.self,
            BenchCommand.self,
        ],
        defaultSubcommand: LiveCommand.self
    )

    static func main() {
        #if arch(x86_64)
        // The pixel kernels are compiled for AVX2 + FMA; on an older CPU they would die with SIGILL.
        if let missing = CPUFeatures.missing(), !missing.isEmpty {
            exit(
                reporting: CommandError(
                    "this CPU lacks \(missing.joined(separator: " and ")); Matte needs an x86-64 CPU "
                        + "from 2013 or later (Intel Haswell, AMD Excavator/Zen)"
                )
            )
        }
        #endif
        // Frames and decoded pictures (over 128 KB) go straight to mmap and back to the system when freed,
        // instead of lingering in a malloc arena per thread: 10-14 MB less resident memory live, and no cost
        // per frame, since the frame loop allocates nothing (docs/performance.md, "Memory").
        mallopt(M_MMAP_THRESHOLD, 128 * 1024)
        // A write past the file size limit (ulimit -f) would kill Matte with SIGXFSZ, silently and with its
        // temporary file left behind; ignored, the write fails with EFBIG and is reported like a full disk.
        signal(SIGXFSZ, SIG_IGN)
        installOutOfMemoryHandler()
        // Before any thread starts (ours or a library's): `matte live` reads these signals from a descriptor, and
        // a thread that left them unblocked would die of a reload (SIGHUP) or skip the clean stop (SIGTERM).
        SignalInbox.holdInThisThread()
        do {
            var command = try parseAsRoot(arguments)
            if !(command is LiveCommand) { SignalInbox.release() }
            try command.run()
        } catch {
            exit(reporting: error)
        }
    }

    /// The arguments after the program name, every byte kept (`FileName.commandLineArguments`).
    static let arguments = FileName.commandLineArguments()

    /// The one place a failure is printed: one line, `matte: …`, and the exit status ArgumentParser assigns
    /// (64 for a wrong argument, 1 otherwise; 128 + N after signal N); help and version print as usual.
    static func exit(reporting error: Error) -> Never {
        let code = (error as? Interrupted).map { ExitCode(128 + $0.signal) } ?? exitCode(for: error)
        if code == .success { exit(withError: error) }
        let message = message(for: error).split(whereSeparator: \.isNewline)
            .map { $0.hasPrefix("Error: ") ? $0.dropFirst(7) : $0 }
            .first { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        if let message { writeStderr("matte: \(FileName.printable(message))\n") }
        Glibc.exit(code.rawValue)
    }
}
