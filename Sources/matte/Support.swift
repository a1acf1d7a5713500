import ArgumentParser
import MatteFileNames
import MatteImaging
import MatteInference
import MatteMedia
import MatteMemory
import MatteSegmentation

#if canImport(Glibc)
import Glibc
#endif

/// Why a command could not do its job, in one line; the top-level handler prints it as `matte: …`.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A command stopped by a signal before it finished; it exits with 128 + the signal, as a shell reports it.
struct Interrupted: Error, CustomStringConvertible {
    let signal: Int32
    let unfinished: String
    var description: String { "interrupted by \(InterruptionGuard.signalName(signal)); \(unfinished)" }
}

/// Writes to standard output, failing (not succeeding silently) when it cannot: a full disk, a closed pipe.
func writeStdout(_ text: String) throws {
    var text = text
    if let failure = text.withUTF8({ writeAll(STDOUT_FILENO, UnsafeRawBufferPointer($0)) }) {
        throw CommandError("cannot write the output: \(String(cString: strerror(failure)))")
    }
}

/// Removes the output a command is writing, if memory runs out where no error can be thrown (see
/// `installOutOfMemoryHandler`). Set by the command once its output exists.
nonisolated(unsafe) var abandonOutput: (() -> Void)?

/// Small allocations that fail (`OutOfMemory.lastResort`) end Matte as a thrown error would: the unfinished
/// output removed, one line, exit 1.
func installOutOfMemoryHandler() {
    OutOfMemory.lastResort = { failure in
        abandonOutput?()
        writeStderr("matte: \(failure.description)\n")
        Glibc.exit(1)
    }
}

/// A problem that does not stop the command: one line, `matte: warning: …`.
func warn(_ message: String) {
    writeStderr("matte: warning: " + FileName.printable(message) + "\n")
}

/// What masks are made for: every frame of a file, or the live camera (where the matting network is sized to
/// fit its budget).
enum MaskUse { case file, live }

/// Loads what makes person masks for a `--model` value: a MediaPipe segmenter (`auto` resolved against the
/// frame size), or the matting network, planned for the frame's size.
func loadMaskMaker(
    _ choice: ModelChoice,
    frameWidth: Int,
    frameHeight: Int,
    for use: MaskUse = .file
) throws -> PersonMaskMaker {
    let resolved = choice.resolved(frameWidth: frameWidth, frameHeight: frameHeight)
    let path = try ModelLocator.path(for: resolved)
    // Some reasons name the file already; say it once, escaped (the top-level handler keeps a message's first line).
    let shown = FileName.printable(path)
    func failure(_ reason: String) -> CommandError {
        CommandError(reason.contains(shown) ? reason : "model \(shown): \(reason)")
    }
    if resolved == .rvm || path.lowercased().hasSuffix(".onnx") {
        do {
            let sizing: VideoMatter.Sizing =
                switch use {
                case .file: .file(frameWidth: frameWidth, frameHeight: frameHeight)
                case .live: .live(frameWidth: frameWidth, frameHeight: frameHeight)
                }
            // The foreground colour too: the compositor uses it where the person is see-through.
            return try VideoMatter(contentsOf: path, sizing: sizing, foreground: true)
        } catch { throw failure(error.description) }
    }
    do { return try Segmenter(contentsOf: path) } catch { throw failure(error.description) }
}

extension ModelChoice {
    /// A model name, or the path of an existing file.
    static func parse(_ text: String) throws -> ModelChoice {
        let choice = ModelChoice(argument: text)
        if case .file = choice, FileName.withCString(text, { access($0, F_OK) }) != 0 {
            throw ValidationError(
                "use general, landscape, rvm, auto, or the path of a .tflite or .onnx model file (no such file)"
            )
        }
        return choice
    }
}

/// The signals that end a command, caught so that a file being written is never cut off halfway: the
/// command calls `stopIfInterrupted` between frames and cleans up when it throws. A second signal
/// (the first was not noticed, e.g. a decoder stuck on a damaged file) removes the temporary file at once
/// and exits.
final class InterruptionGuard {
    static let signals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    init() {
        // Touch the globals first: a signal handler must not be the one to initialise them.
        receivedSignal = 0
        temporaryFileToRemove = nil
        for signal in Self.signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                if receivedSignal != 0 {
                    if let path = temporaryFileToRemove { unlink(path) }  // (already the name's bytes)
                    _exit(128 + signal)
                }
                receivedSignal = signal
            }
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }

    /// The temporary file a second signal removes before exiting.
    func removeOnSecondSignal(_ path: String?) {
        temporaryFileToRemove = path.flatMap(FileName.duplicateCString)
    }

    /// Ends the command, saying `what` was not done, if a signal has arrived.
    func stopIfInterrupted(_ what: @autoclosure () -> String) throws {
        guard receivedSignal != 0 else { return }
        throw Interrupted(signal: receivedSignal, unfinished: what())
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        case SIGHUP: return "SIGHUP"
        case SIGQUIT: return "SIGQUIT"
        default: return "signal \(signal)"
        }
    }
}

// Shared with the signal handler, which can only reach globals; written once before handlers are installed.
nonisolated(unsafe) private var receivedSignal: Int32 = 0
nonisolated(unsafe) private var temporaryFileToRemove: UnsafeMutablePointer<CChar>?
