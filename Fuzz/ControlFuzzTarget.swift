// libFuzzer entry point for the control protocol's parser and line buffer, the code that reads a client's
// untrusted bytes. Built by scripts/fuzz-control.sh with `swiftc -sanitize=fuzzer,address` from
// ControlProtocol.swift alone.

/// The first byte sets the chunk size, so the same bytes arrive split as a socket might split them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzControlProtocol(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let chunkSize = Int(data[0]) * 16 + 1
    let bytes = UnsafeBufferPointer(start: data + 1, count: size - 1)
    var buffer = LineBuffer(limit: 4096)
    var offset = 0
    while offset < bytes.count {
        let end = min(offset + chunkSize, bytes.count)
        buffer.append(bytes[offset..<end])
        offset = end
        precondition(buffer.pending <= 2 * buffer.limit, "the buffer outgrew its bound")
        while let item = buffer.next() {
            guard case let .line(line) = item else { return 0 }
            precondition(line.count < buffer.limit && !line.contains(10), "a line longer than the limit")
            // The server reads the first line as a hello and the rest as requests; both must take any line. A
            // client reads picture headers from the server the same way.
            _ = ControlProtocol.parseHello(line)
            if let header = PictureHeader(replyText: String(decoding: line, as: UTF8.self)) {
                precondition(PictureHeader(replyText: String(header.line.dropFirst(3).dropLast())) == header)
            }
            switch ControlProtocol.parse(line) {
            case let .success(request):
                let rendered = ControlProtocol.render(request)
                guard case let .success(again) = ControlProtocol.parse(Array(rendered.utf8)) else {
                    preconditionFailure("a rendered request does not parse: \(rendered)")
                }
                precondition(again == request, "render and parse disagree: \(rendered)")
            case let .failure(error):
                let reply = ControlProtocol.errorLine(error)
                precondition(reply.utf8.filter { $0 == 10 }.count == 1, "a reply of more than one line")
            }
        }
    }
    return 0
}
