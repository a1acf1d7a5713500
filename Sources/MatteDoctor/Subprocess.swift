import MatteFileNames

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program and waits for it, with posix_spawn. (Foundation's `Process` needs a run-loop socket over
/// the loopback interface on Linux and hangs where there is none, as in a minimal container or VM.)
public enum Subprocess {
    /// The exit status and standard output of `arguments` (found on PATH), or nil when it cannot start.
    /// With `captureOutput`, standard error is discarded and standard input is /dev/null; without, the
    /// program shares this one's terminal (an editor).
    public static func run(_ arguments: [String], captureOutput: Bool = true) -> (status: Int32, output: String)? {
        var pipe: [Int32] = [-1, -1]
        if captureOutput { guard Glibc.pipe(&pipe) == 0 else { return nil } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if captureOutput {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
            posix_spawn_file_actions_addclose(&actions, pipe[0])
            posix_spawn_file_actions_addclose(&actions, pipe[1])
        }
        var pid: pid_t = 0
        // Each argument as its exact bytes: the editor must open the file named, whatever its name.
        let argv = arguments.map(FileName.duplicateCString) + [nil]
        defer { for pointer in argv { free(pointer) } }
        let spawned = argv[0].map { posix_spawnp(&pid, $0, &actions, nil, argv, environ) } ?? ENOMEM
        if captureOutput { close(pipe[1]) }
        guard spawned == 0 else {
            if captureOutput { close(pipe[0]) }
            return nil
        }
        var output: [UInt8] = []
        if captureOutput {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(pipe[0], &buffer, buffer.count)
                if count > 0 {
                    output += buffer[0..<count]
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            close(pipe[0])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, which Swift does not import.
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (exitStatus, String(decoding: output, as: UTF8.self))
    }
}
