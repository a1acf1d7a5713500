/// One reply of matte's control socket: `ok`/`err`, the text after it, and the bytes that follow a `snapshot` or
/// `mask` reply.
public struct PreviewReply: Sendable {
    public let ok: Bool
    public let text: String
    public let payload: [UInt8]

    public init(ok: Bool, text: String, payload: [UInt8] = []) {
        (self.ok, self.text, self.payload) = (ok, text, payload)
    }
}

/// A connection to the running matte's control socket, as the preview uses it: one request line, one reply.
/// Throws when the connection is lost; the preview then connects again.
public protocol PreviewController: AnyObject {
    func request(_ line: String) throws -> PreviewReply
}

/// A failure of the preview, in one line naming the thing and the fix.
public struct PreviewError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
