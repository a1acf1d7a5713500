// The control protocol `matte-ctl 1` (docs/control-protocol.md): what a client may ask a running Matte and how
// a reply is written. This file imports nothing, so the fuzzer (scripts/fuzz-control.sh) compiles it alone.

/// Bounds on what one client can make the server hold.
public struct ControlLimits: Sendable {
    /// Longest request line, `\n` included.
    public var lineBytes = 4096
    /// Clients connected at once; one more is told `err busy` and closed.
    public var clients = 16
    /// A client that sends nothing for this long is closed (ms). `matte preview` pings to stay.
    public var idle = 10_000.0
    /// A started line must be finished within this (ms): a byte every few seconds cannot hold a slot.
    public var partialLine = 5000.0
    /// Replies left unread for this long close the client (ms).
    public var unreadReplies = 10_000.0
    /// While this much is queued for a client (bytes), its further requests wait: a client that asks for
    /// frames and never reads them cannot grow the server's memory.
    public var queuedBytes = 8 << 20

    public init() {}
}

/// What went wrong with a request, as the client is told: `err CODE: message`.
public struct ControlError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// The first line was not `matte-ctl 1`.
        case version
        /// An unknown verb, or a verb with the wrong words.
        case usage
        /// A value the option does not take, or a file that cannot be used.
        case value
        /// Not possible now (e.g. a snapshot while nothing is written).
        case state
        /// Too many clients.
        case busy
        /// A line longer than `ControlLimits.lineBytes`.
        case toolong
        case `internal`
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// One request line.
public enum ControlRequest: Equatable, Sendable {
    /// `blur`, `blur:N`, `#RRGGBB`, `none` or an absolute path.
    case background(String)
    /// The whole list of person effects; empty for `effect none`.
    case effect([String])
    /// Any processing option by its command-line name without `--`; flags take `on` or `off`.
    case set(option: String, value: String)
    case next
    case previous
    /// Release the camera and show a still: the last frame blurred, or this picture.
    case pause(picture: String?)
    case resume
    case togglePause
    case status
    /// The frame last written to the virtual camera, as raw YUYV.
    case snapshot
    /// The newest person mask, one byte a cell.
    case mask
    case ping
    case quit
}

public enum ControlProtocol {
    public static let version = 1
    /// The first line a client sends.
    public static let hello = "matte-ctl \(version)"

    /// Checks a client's first line.
    public static func parseHello(_ line: [UInt8]) -> ControlError? {
        line == Array(hello.utf8)
            ? nil
            : ControlError(.version, "this matte speaks \(hello); send it as the first line")
    }

    /// Parses one request line (without its `\n`; a `\r` before it is dropped).
    public static func parse(_ line: [UInt8]) -> Result<ControlRequest, ControlError> {
        var bytes = line[...]
        if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            return .failure(ControlError(.usage, "a request is UTF-8 text"))
        }
        // Control characters have no meaning in any request; refusing them keeps echoed text on one line.
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            return .failure(ControlError(.usage, "a request cannot contain control characters"))
        }
        let verb = text.prefix { $0 != " " }
        let rest = text.count > verb.count ? String(text.dropFirst(verb.count + 1)) : nil
        func bare(_ request: ControlRequest) -> Result<ControlRequest, ControlError> {
            rest == nil ? .success(request) : .failure(ControlError(.usage, "\(verb) takes no value"))
        }
        func valued(_ make: (String) -> ControlRequest) -> Result<ControlRequest, ControlError> {
            guard let rest, !rest.isEmpty else { return .failure(ControlError(.usage, "\(verb) needs a value")) }
            return .success(make(rest))
        }
        switch verb {
        case "background": return valued { .background($0) }
        case "effect":
            return valued { value in
                let names = value.split(separator: " ").map(String.init)
                return .effect(names == ["none"] ? [] : names)
            }
        case "set":
            guard let rest, let space = rest.firstIndex(of: " "), space != rest.startIndex,
                rest.index(after: space) != rest.endIndex
            else {
                return .failure(ControlError(.usage, "use: set OPTION VALUE"))
            }
            return .success(.set(option: String(rest[..<space]), value: String(rest[rest.index(after: space)...])))
        case "pause":
            guard let rest else { return .success(.pause(picture: nil)) }
            return rest.isEmpty
                ? .failure(ControlError(.usage, "pause takes a picture or nothing")) : .success(.pause(picture: rest))
        case "next": return bare(.next)
        case "previous": return bare(.previous)
        case "resume": return bare(.resume)
        case "toggle-pause": return bare(.togglePause)
        case "status": return bare(.status)
        case "snapshot": return bare(.snapshot)
        case "mask": return bare(.mask)
        case "ping": return bare(.ping)
        case "quit": return bare(.quit)
        default:
            return .failure(
                ControlError(
                    .usage,
                    "unknown request \(escaped(String(verb.prefix(40)))); use background, effect, set, next, previous, pause, resume, toggle-pause, status, snapshot, ping or quit"
                )
            )
        }
    }

    /// The request as a client sends it (without `\n`).
    public static func render(_ request: ControlRequest) -> String {
        switch request {
        case let .background(value): return "background \(value)"
        case let .effect(names): return "effect \(names.isEmpty ? "none" : names.joined(separator: " "))"
        case let .set(option, value): return "set \(option) \(value)"
        case .next: return "next"
        case .previous: return "previous"
        case let .pause(picture): return picture.map { "pause \($0)" } ?? "pause"
        case .resume: return "resume"
        case .togglePause: return "toggle-pause"
        case .status: return "status"
        case .snapshot: return "snapshot"
        case .mask: return "mask"
        case .ping: return "ping"
        case .quit: return "quit"
        }
    }

    /// A success line: `ok` and an optional text, on one line whatever the text holds.
    public static func okLine(_ text: String) -> String {
        text.isEmpty ? "ok\n" : "ok \(escaped(text))\n"
    }

    public static func errorLine(_ error: ControlError) -> String {
        "err \(error.code.rawValue): \(escaped(error.message))\n"
    }

    /// Control characters as `\xNN`, so a hostile file name echoed in a reply cannot forge a second line.
    public static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16)
                out += "\\x" + (hex.count == 1 ? "0" : "") + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// The header of a reply that carries a picture: `ok KIND W H FORMAT N`, then N bytes. A `snapshot` is YUYV,
/// a `mask` one byte a cell; N follows from the size, so a header that says otherwise is not one.
public struct PictureHeader: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case snapshot, mask
    }

    public let kind: Kind
    public let width: Int, height: Int

    public init(kind: Kind, width: Int, height: Int) {
        (self.kind, self.width, self.height) = (kind, width, height)
    }

    public var format: String { kind == .snapshot ? "yuyv" : "gray8" }
    /// The bytes that follow the header.
    public var count: Int { width * height * (kind == .snapshot ? 2 : 1) }
    /// The header as sent, `\n` included.
    public var line: String { "ok \(kind.rawValue) \(width) \(height) \(format) \(count)\n" }

    /// Parses a reply's text after `ok `; nil when it is not a picture header, or its count does not fit its size.
    public init?(replyText: String) {
        let words = replyText.split(separator: " ", omittingEmptySubsequences: false)
        // The bound keeps a hostile server's sizes from overflowing the count.
        guard words.count == 5, let kind = Kind(rawValue: String(words[0])), let width = Int(words[1]),
            let height = Int(words[2]), (1...(1 << 16)).contains(width), (1...(1 << 16)).contains(height)
        else { return nil }
        self.init(kind: kind, width: width, height: height)
        guard words[3] == format, words[4] == String(count) else { return nil }
    }
}

/// Collects a client's bytes and cuts them into lines, holding at most one limit's worth of an unfinished line.
public struct LineBuffer: Sendable {
    public enum Item: Equatable, Sendable {
        case line([UInt8])
        /// No `\n` within the limit: the client is told and closed.
        case tooLong
    }

    public let limit: Int
    public private(set) var bytes: [UInt8] = []
    private var start = 0

    public init(limit: Int) { self.limit = limit }

    /// Bytes held that are not yet a whole line.
    public var pending: Int { bytes.count - start }

    /// How much may be read now without holding more than twice the limit.
    public var room: Int { max(0, 2 * limit - pending) }

    public mutating func append(_ chunk: some Collection<UInt8>) {
        if start > 0 {
            bytes.removeFirst(start)
            start = 0
        }
        bytes.append(contentsOf: chunk.prefix(room))
    }

    /// The next whole line (without `\n`), `.tooLong`, or nil when more bytes are needed.
    public mutating func next() -> Item? {
        let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n"))
        if let newline, newline - start < limit {
            defer { start = newline + 1 }
            return .line(Array(bytes[start..<newline]))
        }
        return pending >= limit ? .tooLong : nil
    }
}
