/// A bounds-checked reader of FlatBuffers binary data, enough for the TFLite schema.
///
/// Model files are untrusted input: every offset and length is checked against the buffer before it is
/// followed, and vector lengths are checked against the bytes that remain before anything is allocated,
/// so a hostile file costs at most time and memory proportional to its own size.
struct FlatBufferReader {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Checks that `count` bytes at `start` lie inside the buffer, without forming a range that could trap.
    func require(start: Int, count: Int, _ what: @autoclosure () -> String) throws(TFLiteError) {
        guard start >= 0, count >= 0, start <= bytes.count, count <= bytes.count - start else {
            throw .outOfBounds(what(), offset: start, fileSize: bytes.count)
        }
    }

    func u8(at offset: Int, _ what: @autoclosure () -> String) throws(TFLiteError) -> UInt8 {
        try require(start: offset, count: 1, what())
        return bytes[offset]
    }

    func u16(at offset: Int, _ what: @autoclosure () -> String) throws(TFLiteError) -> UInt16 {
        try require(start: offset, count: 2, what())
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    func u32(at offset: Int, _ what: @autoclosure () -> String) throws(TFLiteError) -> UInt32 {
        try require(start: offset, count: 4, what())
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[offset + index]) << (8 * index) }
        return value
    }

    func u64(at offset: Int, _ what: @autoclosure () -> String) throws(TFLiteError) -> UInt64 {
        try require(start: offset, count: 8, what())
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[offset + index]) << (8 * index) }
        return value
    }

    func i32(at offset: Int, _ what: @autoclosure () -> String) throws(TFLiteError) -> Int32 {
        Int32(bitPattern: try u32(at: offset, what()))
    }

    /// Follows an unsigned offset stored at `offset` (relative to where it is stored).
    func indirect(at offset: Int, _ what: @autoclosure () -> String) throws(TFLiteError) -> Int {
        let target = offset &+ Int(try u32(at: offset, what()))
        try require(start: target, count: 0, what())
        return target
    }

    func rootTable() throws(TFLiteError) -> Table {
        try table(at: try indirect(at: 0, "root table offset"), "model table")
    }

    func table(at position: Int, _ what: @autoclosure () -> String) throws(TFLiteError) -> Table {
        let vtableOffset = Int(try i32(at: position, "\(what()) vtable offset"))
        let vtable = position &- vtableOffset
        let vtableSize = Int(try u16(at: vtable, "\(what()) vtable"))
        let tableSize = Int(try u16(at: vtable &+ 2, "\(what()) vtable"))
        guard vtableSize >= 4, vtableSize % 2 == 0 else {
            throw .malformed("\(what()) has a vtable of \(vtableSize) bytes")
        }
        try require(start: vtable, count: vtableSize, "\(what()) vtable")
        try require(start: position, count: tableSize, "\(what()) fields")
        return Table(
            reader: self,
            position: position,
            vtable: vtable,
            fieldCount: (vtableSize - 4) / 2,
            tableSize: tableSize,
            name: what()
        )
    }

    /// A table: fields are found through its vtable; absent fields take the schema default.
    struct Table {
        let reader: FlatBufferReader
        let position: Int
        let vtable: Int
        let fieldCount: Int
        let tableSize: Int
        let name: String

        /// The absolute position of field `slot`, or nil when the field is absent.
        func fieldPosition(_ slot: Int, size: Int) throws(TFLiteError) -> Int? {
            guard slot < fieldCount else { return nil }
            let relative = Int(try reader.u16(at: vtable + 4 + 2 * slot, "\(name) vtable"))
            guard relative != 0 else { return nil }
            guard relative &+ size <= tableSize else {
                throw .outOfBounds("\(name) field \(slot)", offset: position &+ relative, fileSize: reader.bytes.count)
            }
            return position + relative
        }

        func u8(_ slot: Int, default value: UInt8 = 0) throws(TFLiteError) -> UInt8 {
            guard let at = try fieldPosition(slot, size: 1) else { return value }
            return try reader.u8(at: at, "\(name) field \(slot)")
        }

        func bool(_ slot: Int) throws(TFLiteError) -> Bool { try u8(slot) != 0 }

        func i8(_ slot: Int, default value: Int8 = 0) throws(TFLiteError) -> Int8 {
            Int8(bitPattern: try u8(slot, default: UInt8(bitPattern: value)))
        }

        func u32(_ slot: Int, default value: UInt32 = 0) throws(TFLiteError) -> UInt32 {
            guard let at = try fieldPosition(slot, size: 4) else { return value }
            return try reader.u32(at: at, "\(name) field \(slot)")
        }

        func i32(_ slot: Int, default value: Int32 = 0) throws(TFLiteError) -> Int32 {
            Int32(bitPattern: try u32(slot, default: UInt32(bitPattern: value)))
        }

        func u64(_ slot: Int, default value: UInt64 = 0) throws(TFLiteError) -> UInt64 {
            guard let at = try fieldPosition(slot, size: 8) else { return value }
            return try reader.u64(at: at, "\(name) field \(slot)")
        }

        func table(_ slot: Int, _ what: String) throws(TFLiteError) -> Table? {
            guard let at = try fieldPosition(slot, size: 4) else { return nil }
            return try reader.table(at: try reader.indirect(at: at, what), what)
        }

        func string(_ slot: Int, _ what: String) throws(TFLiteError) -> String? {
            guard let bytes = try vector(slot, elementSize: 1, what) else { return nil }
            return String(decoding: reader.bytes[bytes.start..<(bytes.start + bytes.count)], as: UTF8.self)
        }

        /// A vector's element range; its length is checked against the file before anything is read.
        func vector(_ slot: Int, elementSize: Int, _ what: String) throws(TFLiteError) -> VectorSpan? {
            guard let at = try fieldPosition(slot, size: 4) else { return nil }
            let start = try reader.indirect(at: at, what)
            let count = Int(try reader.u32(at: start, "\(what) length"))
            let (byteCount, overflow) = count.multipliedReportingOverflow(by: elementSize)
            guard !overflow else { throw .malformed("\(what) claims \(count) elements") }
            try reader.require(start: start + 4, count: byteCount, "\(what) (\(count) elements)")
            return VectorSpan(start: start + 4, count: count)
        }

        func int32s(_ slot: Int, _ what: String) throws(TFLiteError) -> [Int32] {
            guard let span = try vector(slot, elementSize: 4, what) else { return [] }
            var values: [Int32] = []
            values.reserveCapacity(span.count)
            for index in 0..<span.count {
                values.append(try reader.i32(at: span.start + 4 * index, what))
            }
            return values
        }

        func tables(_ slot: Int, _ what: String) throws(TFLiteError) -> [Table] {
            guard let span = try vector(slot, elementSize: 4, what) else { return [] }
            var values: [Table] = []
            values.reserveCapacity(span.count)
            for index in 0..<span.count {
                let element = "\(what)[\(index)]"
                values.append(try reader.table(at: try reader.indirect(at: span.start + 4 * index, element), element))
            }
            return values
        }
    }

    struct VectorSpan {
        let start: Int
        let count: Int
    }
}
