import Foundation
import MatteFileNames

#if canImport(Glibc)
import Glibc
#endif

/// Which processes have a device open, from /proc (only the processes this user may inspect).
public enum ProcessScan {
    public struct Holder: CustomStringConvertible, Sendable {
        public let pid: Int32
        public let name: String
        public var isMatte: Bool { name == "matte" }
        public var description: String { "\(name) (pid \(pid))" }
    }

    public static func holders(of path: String, proc: String = "/proc") -> [Holder] {
        let target =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: path)).map {
                $0.hasPrefix("/") ? $0 : (path as NSString).deletingLastPathComponent + "/" + $0
            } ?? path
        let me = getpid()
        var holders: [Holder] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: proc)) ?? [] {
            guard let pid = Int32(entry), pid != me else { continue }
            let descriptors = "\(proc)/\(entry)/fd"
            guard let fds = try? FileManager.default.contentsOfDirectory(atPath: descriptors) else { continue }
            let holds = fds.contains { fd in
                let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(descriptors)/\(fd)")
                return link == target || link == path
            }
            if holds {
                let name =
                    (try? String(contentsOfFile: "\(proc)/\(entry)/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                holders.append(Holder(pid: pid, name: name))
            }
        }
        return holders.sorted { $0.pid < $1.pid }
    }

    /// Whether this process has the group (by name) among its groups.
    public static func inGroup(_ name: String) -> Bool {
        guard let group = getgrnam(name) else { return false }
        let gid = group.pointee.gr_gid
        if getegid() == gid { return true }
        var groups = [gid_t](repeating: 0, count: Int(getgroups(0, nil)))
        let count = getgroups(Int32(groups.count), &groups)
        return groups.prefix(Int(max(count, 0))).contains(gid)
    }

    /// "0600 root:root", for messages.
    public static func permissions(of path: String) -> String {
        var info = stat()
        guard FileName.withCString(path, { stat($0, &info) }) == 0 else { return "unknown" }
        let owner = getpwuid(info.st_uid).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "\(info.st_uid)"
        let group = getgrgid(info.st_gid).flatMap { $0.pointee.gr_name.map { String(cString: $0) } } ?? "\(info.st_gid)"
        return String(info.st_mode & 0o777, radix: 8) + " \(owner):\(group)"
    }

    /// The user running this, for commands that name them.
    public static func userName() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "$USER"
    }
}

/// The CPU features the pixel kernels are compiled for.
public enum CPUFeatures {
    /// The required flags /proc/cpuinfo does not list (empty on other architectures), or nil when it cannot
    /// be read.
    public static func missing() -> [String]? {
        #if arch(x86_64)
        guard let file = fopen("/proc/cpuinfo", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 8192)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix("flags") else { continue }
            let flags = Set(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init))
            return ["avx2", "fma"].filter { !flags.contains($0) }
        }
        return nil
        #else
        return []
        #endif
    }
}
