import ArgumentParser
import MatteDoctor
import MatteSegmentation

#if canImport(Glibc)
import Glibc
import MatteFileNames
#endif

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check everything a call app needs to see Matte's camera, and say how to fix what is wrong.",
        discussion: """
            One line per check: `ok: ID: …`, `warning: ID: …`, or `problem: ID: …`; a problem (and a warning that \
            has a remedy) is followed by `fix:` lines with the commands that fix it. With a PipeWire daemon, \
            v4l2loopback findings are warnings: `--output auto` publishes a PipeWire camera instead. Exits 0 only \
            when there is no problem.
            """
    )

    @Option(help: ArgumentHelp("The camera to check (default: the first real camera).", valueName: "path"))
    var camera: String?

    @Option(
        help: ArgumentHelp("The virtual camera to check (default: the first v4l2loopback device).", valueName: "path")
    )
    var output: String?

    func run() throws {
        var findings = Doctor(camera: camera, output: output, environment: UserDirectories.currentEnvironment()).run()
        findings.append(configFinding())
        for finding in findings {
            var text = "\(finding.level.rawValue): \(finding.id): \(finding.message)\n"
            for fix in finding.fixes { text += "  fix: \(fix)\n" }
            try writeStdout(text)
        }
        if findings.contains(where: { $0.level == .problem }) { throw ExitCode.failure }
    }

    func configFinding() -> Finding {
        do {
            _ = try ConfigFiles.effectiveOptions(commandLine: [], settingsFile: nil)
            let present = ConfigFiles.paths.filter { FileName.withCString($0) { access($0, F_OK) } == 0 }
            return Finding(
                "config",
                .ok,
                present.isEmpty ? "no configuration files (defaults)" : present.joined(separator: ", ")
            )
        } catch {
            // The message starts "config FILE:LINE: …"; the finding already says config.
            let message = "\(error)"
            let trimmed = message.hasPrefix("config ") ? String(message.dropFirst(7)) : message
            return Finding("config", .problem, trimmed, fixes: ["matte config --edit"])
        }
    }
}
