import MatteCore

#if canImport(Glibc)
import Glibc
import MatteFileNames
#endif

/// The address of a Unix socket, for `bind`, `connect` and `sendto`: a file path, or an abstract name (its
/// bytes starting with NUL).
public struct UnixSocketAddress: Sendable {
    private let storage: sockaddr_un
    private let length: socklen_t

    public init(bytes: [UInt8]) throws(PipelineError) {
        var address = sockaddr_un()
        guard !bytes.isEmpty, bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw PipelineError("a Unix socket path is 1 to 107 bytes, not \(bytes.count)")
        }
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        storage = address
        // The exact length, not the whole structure: an abstract name's trailing NULs would be part of its name.
        length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
    }

    public init(path: String) throws(PipelineError) { try self.init(bytes: FileName.bytes(path)) }

    /// Calls `body` with the address as the socket calls take it.
    public func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafePointer(to: storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
    }
}
