import MatteControl

/// A connection to the running matte's control socket, as the preview uses it: one request line, one reply.
/// Throws when the connection is lost; the preview then connects again.
public protocol PreviewController: AnyObject {
    func request(_ line: String) throws -> ControlReply
}

/// A failure of the preview, in one line naming the thing and the fix.
public struct PreviewError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
