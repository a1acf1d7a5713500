import ArgumentParser
import Foundation
import MatteControl
import MatteFileNames
import MatteMedia
import MatteSegmentation

#if canImport(Glibc)
import Glibc
#endif

struct ControlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctl",
        abstract: "Control the running matte: background, effects, options, pause, status, snapshot.",
        discussion: """
            Talks to the matte of this user (matte live or the matte service) through its socket in \
            $XDG_RUNTIME_DIR/matte/. Changes apply from the next frame without dropping the virtual camera, and \
            outrank the configuration files until matte stops. A refused change alters nothing and exits 64. \
            The protocol is in docs/control-protocol.md.
            """,
        subcommands: [
            Background.self, Effect.self, Set.self, Next.self, Previous.self, Pause.self, Resume.self,
            TogglePause.self, Status.self, Snapshot.self,
        ]
    )

    /// Sends one request to the running matte and returns its reply; a refusal throws with the exit status
    /// its kind deserves (64 for a wrong request or value, 1 otherwise).
    static func send(_ request: ControlRequest) throws -> ControlReply {
        let runtime = try ControlDirectory.runtimeDirectory(environment: UserDirectories.currentEnvironment())
        let client = try ControlClient(runtimeDirectory: runtime)
        let reply = try client.request(ControlProtocol.render(request))
        guard reply.ok else {
            let code = reply.text.prefix { $0 != ":" }
            let message = reply.text.dropFirst(code.count + 2)
            if code == ControlError.Code.usage.rawValue || code == ControlError.Code.value.rawValue {
                throw ValidationError(String(message))
            }
            throw CommandError(String(message))
        }
        return reply
    }

    /// Sends a request and prints the reply's text.
    static func run(_ request: ControlRequest) throws {
        try writeStdout(FileName.printable(try send(request).text) + "\n")
    }

    /// The server's own check of an option's value, made before connecting: a wrong value is refused (status 64)
    /// even with no matte running.
    static func precheck(_ option: String, _ value: String) throws {
        do { _ = try ControlSettings.check(option, value) } catch {
            throw error.code == .state ? CommandError(error.message) : ValidationError(error.message)
        }
    }

    /// A path as the server must get it: absolute, `~` expanded (the server's working directory is not ours).
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        if path == "~" || path.hasPrefix("~/") {
            return (UserDirectories.home(environment: UserDirectories.currentEnvironment()) ?? "") + path.dropFirst()
        }
        // getcwd, not FileManager: a working directory whose name is not UTF-8 must keep its bytes.
        guard let directory = getcwd(nil, 0) else { return path }
        defer { free(directory) }
        return FileName.string(cString: directory) + "/" + path
    }

    struct Background: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the background: blur, blur:STRENGTH (1-100), #RRGGBB, none, or an image or video file."
        )
        @Argument(help: ArgumentHelp("The new background.", valueName: "value")) var value: String

        func run() throws {
            let value =
                ControlSettings.namesFile(option: "background", value: value) ? ControlCommand.absolute(value) : value
            try ControlCommand.precheck("background", value)
            try ControlCommand.run(.background(value))
        }
    }

    struct Effect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the person effects (replacing the current ones): hologram, grayscale, sepia, …, or none."
        )
        @Argument(help: ArgumentHelp("Effects, as --effect takes them, or none.", valueName: "effect"))
        var effects: [String]

        func run() throws {
            let names = effects == ["none"] ? [] : effects
            try ControlCommand.precheck("effect", names.isEmpty ? "none" : names.joined(separator: " "))
            try ControlCommand.run(.effect(names))
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a processing option as the command line names it (without --); flags take on or off.",
            discussion: "Options: \(ControlSettings.settableNames.joined(separator: ", "))."
        )
        @Argument(help: "The option, e.g. threshold.") var option: String
        // Taken whatever it looks like: `dilate -5` and `threshold -0.1` must not read as unknown options.
        @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Its value, e.g. 0.6 or -5.", valueName: "value"))
        var values: [String] = []

        func validate() throws {
            guard values.count == 1 else {
                throw ValidationError(
                    values.isEmpty ? "give the value for \(option)" : "one value for \(option), not \(values.count)"
                )
            }
        }

        func run() throws {
            let given = values[0]
            let value = ControlSettings.namesFile(option: option, value: given) ? ControlCommand.absolute(given) : given
            try ControlCommand.precheck(option, value)
            try ControlCommand.run(.set(option: option, value: value))
        }
    }

    struct Next: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Switch to the next picture or video in the backgrounds folder (--backgrounds)."
        )
        func run() throws { try ControlCommand.run(.next) }
    }

    struct Previous: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Switch to the previous picture or video in the backgrounds folder."
        )
        func run() throws { try ControlCommand.run(.previous) }
    }

    struct Pause: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Release the camera (its light goes off); the virtual camera shows a still picture.",
            discussion: "The still is the last frame blurred, or the picture given here or by --pause-image."
        )
        @Argument(help: ArgumentHelp("A picture to show instead.", valueName: "picture")) var picture: String?

        func run() throws { try ControlCommand.run(.pause(picture: picture.map(ControlCommand.absolute))) }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open the camera again after a pause.")
        func run() throws { try ControlCommand.run(.resume) }
    }

    struct TogglePause: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pause, or resume when paused (for one keyboard shortcut)."
        )
        func run() throws { try ControlCommand.run(.togglePause) }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the running matte's state, rates, stage times, CPU and settings as one JSON object."
        )
        func run() throws {
            let reply = try ControlCommand.send(.status)
            try writeStdout(String(reply.text.dropFirst("status ".count)) + "\n")
        }
    }

    struct Snapshot: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Save the frame the virtual camera shows now as a PNG."
        )
        @Argument(help: ArgumentHelp("Where to write it (.png).", valueName: "file")) var file: String

        func validate() throws {
            guard file.lowercased().hasSuffix(".png") else {
                throw ValidationError("\(file): a snapshot is written as a PNG; give a name ending in .png")
            }
        }

        func run() throws {
            let reply = try ControlCommand.send(.snapshot)
            guard let image = reply.snapshotImage else {
                let header = reply.text.split(separator: " ").prefix(4).joined(separator: " ")
                throw CommandError("matte sent a snapshot this client cannot read (\(header))")
            }
            try ImageFile.savePNG(image, to: file)
            try writeStdout("\(FileName.printable(file)): \(image.width)x\(image.height)\n")
        }
    }
}
