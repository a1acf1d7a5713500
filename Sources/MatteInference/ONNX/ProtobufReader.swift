/// A bounds-checked reader of protobuf wire format (protobuf.dev/programming-guides/encoding), enough for
/// onnx.proto.
///
/// Model files are untrusted input: every length is checked against the end of the message that contains it
/// before it is followed, a varint has at most 10 bytes, and repeated fields count their values against a limit
/// as they are read, so a hostile file costs at most time and memory proportional to its own size. Nothing
/// recurses: a nested message is a new reader over its bytes, read by the caller's own loop. Offsets in errors
/// are absolute byte offsets in the file.
struct ProtobufReader {
    /// The wire types proto3 writes; groups (3 and 4) and the reserved types 6 and 7 are malformed.
    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    /// A field's key; its value follows at the reader's position.
    struct Field {
        let number: Int
        let wireType: WireType
        /// Where the key starts, for error messages.
        let offset: Int
    }

    /// Protobuf's largest field number (2^29 - 1).
    static let maxFieldNumber = (1 << 29) - 1

    let bytes: [UInt8]
    /// What this message is, for error messages: "model", "node 3".
    let name: String
    /// Where this message ends: none of its fields may reach past.
    let end: Int
    private(set) var position: Int

    /// A reader of the whole file as one message.
    init(_ bytes: [UInt8], name: String) {
        self.init(bytes, name: name, range: 0..<bytes.count)
    }

    private init(_ bytes: [UInt8], name: String, range: Range<Int>) {
        self.bytes = bytes
        self.name = name
        self.end = range.upperBound
        self.position = range.lowerBound
    }

    var isAtEnd: Bool { position >= end }

    /// The next field's key, or nil at the end of the message.
    mutating func nextField() throws(ONNXError) -> Field? {
        guard !isAtEnd else { return nil }
        let offset = position
        let key = try varint(for: nil)
        let number = key >> 3
        guard number >= 1, number <= Self.maxFieldNumber else {
            throw .malformed("\(name) has field number \(number) at byte \(offset)")
        }
        let rawType = key & 7
        guard let wireType = WireType(rawValue: rawType) else {
            let kind = rawType == 3 || rawType == 4 ? "a group (wire type \(rawType))" : "reserved wire type \(rawType)"
            throw .malformed("\(name) field \(number) at byte \(offset) has \(kind), which ONNX never writes")
        }
        return Field(number: Int(number), wireType: wireType, offset: offset)
    }

    /// Steps over a field this reader does not read.
    mutating func skip(_ field: Field) throws(ONNXError) {
        switch field.wireType {
        case .varint: _ = try varint(for: field)
        case .fixed64: try advance(8, for: field)
        case .fixed32: try advance(4, for: field)
        case .lengthDelimited: _ = try lengthDelimited(field)
        }
    }

    /// An int64, int32 or enum field as a signed integer (negative int32s are written sign-extended to 64 bits).
    mutating func int(_ field: Field) throws(ONNXError) -> Int {
        try expect(field, .varint)
        return Int(truncatingIfNeeded: try varint(for: field))
    }

    mutating func float(_ field: Field) throws(ONNXError) -> Float {
        try expect(field, .fixed32)
        return try fixed32(for: field)
    }

    /// The byte range of a string, bytes or embedded-message field, checked against the end of this message.
    mutating func lengthDelimited(_ field: Field) throws(ONNXError) -> Range<Int> {
        try expect(field, .lengthDelimited)
        let length = try varint(for: field)
        guard length <= UInt64(end - position) else {
            throw overrun("\(describe(field)) (\(length) bytes)", count: Int(clamping: length))
        }
        let start = position
        position += Int(length)
        return start..<position
    }

    /// A string field; bytes that are not UTF-8 become U+FFFD, as for every name in the TFLite reader.
    mutating func string(_ field: Field) throws(ONNXError) -> String {
        String(decoding: bytes[try lengthDelimited(field)], as: UTF8.self)
    }

    mutating func byteArray(_ field: Field) throws(ONNXError) -> [UInt8] {
        Array(bytes[try lengthDelimited(field)])
    }

    /// An embedded message, as a reader of its own bytes.
    mutating func message(_ field: Field, name: String) throws(ONNXError) -> ProtobufReader {
        ProtobufReader(bytes, name: name, range: try lengthDelimited(field))
    }

    /// Appends a repeated int64 or int32 field's values, packed (proto3's default) or one per field.
    mutating func appendInts(
        _ field: Field,
        to values: inout [Int],
        limit: Int,
        _ what: @autoclosure () -> String
    ) throws(ONNXError) {
        switch field.wireType {
        case .varint:
            try values.append(try int(field), limit: limit, what())
        case .lengthDelimited:
            var packed = try message(field, name: name)
            while !packed.isAtEnd {
                try values.append(Int(truncatingIfNeeded: try packed.varint(for: field)), limit: limit, what())
            }
        default:
            throw wireTypeError(field, expected: .varint)
        }
    }

    /// Appends a repeated float field's values, packed (proto3's default) or one per field.
    mutating func appendFloats(
        _ field: Field,
        to values: inout [Float],
        limit: Int,
        _ what: @autoclosure () -> String
    ) throws(ONNXError) {
        switch field.wireType {
        case .fixed32:
            try values.append(try float(field), limit: limit, what())
        case .lengthDelimited:
            var packed = try message(field, name: name)
            while !packed.isAtEnd {
                try values.append(try packed.fixed32(for: field), limit: limit, what())
            }
        default:
            throw wireTypeError(field, expected: .fixed32)
        }
    }

    /// Little-endian words in `range` (a multiple of the word size, inside the file), each converted.
    func littleEndian<Word: FixedWidthInteger, Value>(
        _ range: Range<Int>,
        _ word: Word.Type,
        _ convert: (Word) -> Value
    ) -> [Value] {
        bytes[range].withUnsafeBytes { raw in
            let size = MemoryLayout<Word>.size
            return (0..<(raw.count / size)).map {
                convert(Word(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * size, as: Word.self)))
            }
        }
    }

    private func describe(_ field: Field) -> String { "\(name) field \(field.number)" }

    private func expect(_ field: Field, _ wireType: WireType) throws(ONNXError) {
        guard field.wireType == wireType else { throw wireTypeError(field, expected: wireType) }
    }

    private func wireTypeError(_ field: Field, expected: WireType) -> ONNXError {
        .malformed(
            "\(describe(field)) at byte \(field.offset) has wire type \(field.wireType.rawValue), "
                + "not \(expected.rawValue) as onnx.proto declares"
        )
    }

    /// The error for `count` bytes at the position that do not fit: past the file, the file was cut short;
    /// inside the file but past this message, a length is wrong.
    private func overrun(_ what: String, count: Int) -> ONNXError {
        if count > bytes.count - position { return .truncated(what, offset: position, fileSize: bytes.count) }
        return .malformed("\(what) at byte \(position) runs past the end of \(name) at byte \(end)")
    }

    private mutating func advance(_ count: Int, for field: Field) throws(ONNXError) {
        guard count <= end - position else { throw overrun(describe(field), count: count) }
        position += count
    }

    /// A varint: the value of `field`, or with nil a field's key.
    private mutating func varint(for field: Field?) throws(ONNXError) -> UInt64 {
        let start = position
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < end else {
                let count = position - start + 1
                position = start
                throw overrun("\(field.map(describe) ?? "\(name) field key") varint", count: count)
            }
            let byte = bytes[position]
            position += 1
            // The tenth byte holds bit 63 alone: anything more overflows 64 bits or makes an eleventh byte.
            guard shift < 63 || byte <= 1 else {
                throw .malformed(
                    "\(field.map(describe) ?? "\(name) field key") varint at byte \(start) overflows 64 bits"
                )
            }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    private mutating func fixed32(for field: Field) throws(ONNXError) -> Float {
        let start = position
        try advance(4, for: field)
        var word: UInt32 = 0
        for index in 0..<4 { word |= UInt32(bytes[start + index]) << (8 * index) }
        return Float(bitPattern: word)
    }
}

extension Array {
    /// Appends the next value of a repeated field, refusing more than `limit`, so that no list a hostile file
    /// declares outgrows its bound.
    mutating func append(_ element: Element, limit: Int, _ what: @autoclosure () -> String) throws(ONNXError) {
        guard count < limit else { throw .malformed("\(what()) has more than \(limit) entries") }
        append(element)
    }
}
