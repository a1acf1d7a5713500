import CLinux
import MatteCore
import MatteFileNames

#if canImport(Glibc)
import Glibc
#endif

/// `$XDG_RUNTIME_DIR/matte/`: where the running Matte's control socket lives, held by one Matte at a time.
///
/// The runtime directory is the user's own (0700, on tmpfs, removed at logout), so nobody else can create,
/// swap or read anything in it; there is deliberately no fallback to /tmp, where anyone could. Claiming it
/// takes a lock that lasts as long as this object, so a second `matte live` learns at once that one runs.
public final class ControlDirectory {
    public let path: String
    public var socketPath: String { path + "/control" }
    private let lockFD: Int32

    /// The directory for a runtime directory, as clients find it.
    public static func path(runtimeDirectory: String) -> String { runtimeDirectory + "/matte" }

    /// The runtime directory from the environment, or why there is none.
    public static func runtimeDirectory(environment: [String: String]) throws(PipelineError) -> String {
        guard let directory = environment["XDG_RUNTIME_DIR"], directory.hasPrefix("/") else {
            throw PipelineError(
                "XDG_RUNTIME_DIR is not set, so there is no private place for the control socket; run Matte in a login session (or set XDG_RUNTIME_DIR to a directory only you can use)"
            )
        }
        return directory
    }

    /// Another matte holds the directory: a second one must not start.
    public struct Busy: Error, CustomStringConvertible {
        public let description: String
    }

    /// Makes (or checks) the directory and takes its lock. Throws `Busy` when another matte holds it, and a
    /// `PipelineError` when the directory cannot be trusted or made.
    public init(runtimeDirectory: String) throws {
        path = Self.path(runtimeDirectory: runtimeDirectory)
        var info = stat()
        guard FileName.withCString(runtimeDirectory, { stat($0, &info) }) == 0 else {
            throw PipelineError("runtime directory \(runtimeDirectory): \(Self.errorText())")
        }
        guard info.st_uid == geteuid(), info.st_mode & 0o077 == 0 else {
            throw PipelineError(
                "runtime directory \(runtimeDirectory) is not private to you (owner uid \(info.st_uid), mode \(String(info.st_mode & 0o777, radix: 8))); fix it with: chmod 700 \(runtimeDirectory)"
            )
        }
        if FileName.withCString(path, { mkdir($0, 0o700) }) != 0 && errno != EEXIST {
            throw PipelineError("cannot make \(path): \(Self.errorText())")
        }
        // O_NOFOLLOW: a symlink planted in place of the directory is refused, not followed.
        let directory = FileName.withCString(path) { open($0, O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        guard directory >= 0 else {
            throw PipelineError("\(path) is not a directory (\(Self.errorText())); remove it and start again")
        }
        defer { close(directory) }
        guard fstat(directory, &info) == 0, info.st_uid == geteuid(), info.st_mode & 0o777 == 0o700 else {
            throw PipelineError("\(path) must be yours with mode 700; fix it with: chmod 700 \(path)")
        }
        let lock = openat(directory, "lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw PipelineError("cannot open \(path)/lock: \(Self.errorText())") }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            var text = [UInt8](repeating: 0, count: 32)
            let count = pread(lock, &text, 31, 0)
            close(lock)
            let pid = count > 0 ? String(decoding: text[..<count], as: UTF8.self).filter(\.isNumber) : ""
            throw Busy(
                description:
                    "another matte is running\(pid.isEmpty ? "" : " (pid \(pid))"); stop it first (systemctl --user stop matte, or kill \(pid.isEmpty ? "it" : pid))"
            )
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(lock, 0)
        _ = pwrite(lock, pid, pid.count, 0)
        lockFD = lock
    }

    deinit { close(lockFD) }

    static func errorText() -> String { String(cString: strerror(errno)) }
}
