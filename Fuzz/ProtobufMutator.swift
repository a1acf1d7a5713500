// A protobuf-aware mutator for scripts/fuzz-onnx.sh. libFuzzer's byte mutations rarely keep an .onnx file
// readable (every length around a change must change with it), so they seldom put a hostile number where the
// planner reads one. Half the time this mutator parses the input as protobuf (a length-delimited field that parses
// completely is taken for a message), changes one value to one at an edge (0, 1, -1, 2^31, 2^62, Int64.max, NaN,
// 60.0, …) or repeats or drops one field, and writes it back with every length right; the other half it leaves to
// libFuzzer.

@_silgen_name("LLVMFuzzerMutate")
private func libFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

@_cdecl("LLVMFuzzerCustomMutator")
public func mutateONNXModel(
    _ data: UnsafeMutablePointer<UInt8>,
    _ size: Int,
    _ maxSize: Int,
    _ seed: UInt32
) -> Int {
    var random = SplitMix(state: UInt64(seed))
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard random.next() % 2 == 0, var message = Protobuf.parse(bytes[...]) else {
        return libFuzzerMutate(data, size, maxSize)
    }
    var fields = 0
    Protobuf.visit(&message) { _ in fields += 1 }
    guard fields > 0 else { return libFuzzerMutate(data, size, maxSize) }
    let target = Int(random.next() % UInt64(fields))
    var index = 0
    Protobuf.visit(&message) { field in
        if index == target { field = Protobuf.mutate(field, &random) }
        index += 1
    }
    let mutated = Protobuf.serialize(message)
    guard mutated.count <= maxSize else { return libFuzzerMutate(data, size, maxSize) }
    for (offset, byte) in mutated.enumerated() { data[offset] = byte }
    return mutated.count
}

struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum Protobuf {
    indirect enum Field {
        case varint(Int, UInt64)
        case fixed64(Int, UInt64)
        case fixed32(Int, UInt32)
        case bytes(Int, [UInt8])
        case message(Int, [Field])
        /// A mutation's way to drop a field: written as nothing.
        case removed
    }

    static let edgeIntegers: [Int64] = [
        0, 1, 2, 3, 4, 7, 8, 16, 60, 255, 256, 1 << 15, 1 << 16, 1 << 20, 1 << 26, 1 << 31, 1 << 32, 1 << 62,
        .max, -1, -2, -4, .min,
    ]
    static let edgeFloats: [Float] = [
        0, -0.0, 1, -1, 0.5, 2, 1 / 6, 6, 60, 64, 65, 1e-30, 1e30, .infinity, -.infinity, .nan,
    ]

    /// The fields of a message, or nil if `bytes` is not one (wire types 3 and 4, groups, count as not).
    static func parse(_ bytes: ArraySlice<UInt8>, depth: Int = 0) -> [Field]? {
        var fields: [Field] = []
        var position = bytes.startIndex
        func varint() -> UInt64? {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while position < bytes.endIndex, shift < 64 {
                let byte = bytes[position]
                position += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
            return nil
        }
        while position < bytes.endIndex {
            guard let key = varint(), key >> 3 >= 1, key >> 3 <= 1 << 29 else { return nil }
            let number = Int(key >> 3)
            switch key & 7 {
            case 0:
                guard let value = varint() else { return nil }
                fields.append(.varint(number, value))
            case 1:
                guard bytes.endIndex - position >= 8 else { return nil }
                let value = (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[position + $1]) << (8 * UInt64($1)) }
                position += 8
                fields.append(.fixed64(number, value))
            case 5:
                guard bytes.endIndex - position >= 4 else { return nil }
                let value = (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[position + $1]) << (8 * UInt32($1)) }
                position += 4
                fields.append(.fixed32(number, value))
            case 2:
                guard let length = varint(), length <= UInt64(bytes.endIndex - position) else { return nil }
                let payload = bytes[position..<position + Int(length)]
                position += Int(length)
                if depth < 8, !payload.isEmpty, let inner = parse(payload, depth: depth + 1) {
                    fields.append(.message(number, inner))
                } else {
                    fields.append(.bytes(number, Array(payload)))
                }
            default:
                return nil
            }
        }
        return fields
    }

    /// Calls `body` with every field, depth first, a message before its fields.
    static func visit(_ fields: inout [Field], _ body: (inout Field) -> Void) {
        for index in fields.indices {
            body(&fields[index])
            if case .message(let number, var inner) = fields[index] {
                visit(&inner, body)
                fields[index] = .message(number, inner)
            }
        }
    }

    static func mutate(_ field: Field, _ random: inout SplitMix) -> Field {
        func edgeInteger() -> UInt64 { UInt64(bitPattern: edgeIntegers.randomElement(using: &random)!) }
        func edgeFloat() -> UInt32 { edgeFloats.randomElement(using: &random)!.bitPattern }
        switch field {
        case let .varint(number, value):
            return .varint(number, random.next() % 4 == 0 ? value &+ (random.next() % 5) &- 2 : edgeInteger())
        case let .fixed64(number, _):
            return .fixed64(number, edgeInteger())
        case let .fixed32(number, _):
            return .fixed32(number, edgeFloat())
        case .bytes(let number, var payload):
            // Packed varints, raw int64 or float32 data, or a string: one value at an edge.
            if random.next() % 2 == 0, var values = packedVarints(payload), !values.isEmpty {
                values[Int(random.next() % UInt64(values.count))] = edgeInteger()
                return .bytes(number, values.flatMap { serialize([.varint(1, $0)]).dropFirst() })
            }
            if payload.count % 8 == 0, !payload.isEmpty, random.next() % 2 == 0 {
                let at = Int(random.next() % UInt64(payload.count / 8)) * 8
                let value = edgeInteger()
                for byte in 0..<8 { payload[at + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte))) }
            } else if payload.count % 4 == 0, !payload.isEmpty {
                let at = Int(random.next() % UInt64(payload.count / 4)) * 4
                let value = edgeFloat()
                for byte in 0..<4 { payload[at + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(byte))) }
            } else if !payload.isEmpty {
                payload[Int(random.next() % UInt64(payload.count))] = UInt8(truncatingIfNeeded: edgeInteger())
            }
            return .bytes(number, payload)
        case .message(let number, var inner):
            guard !inner.isEmpty else { return field }
            let at = Int(random.next() % UInt64(inner.count))
            switch random.next() % 3 {
            case 0: inner.insert(inner[at], at: at)
            case 1: inner[at] = .removed
            default: inner.append(inner[at])
            }
            return .message(number, inner)
        case .removed:
            return field
        }
    }

    /// `payload` read as packed varints, if it is.
    static func packedVarints(_ payload: [UInt8]) -> [UInt64]? {
        var values: [UInt64] = []
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for byte in payload {
            guard shift < 64 else { return nil }
            value |= UInt64(byte & 0x7F) << shift
            shift += 7
            if byte < 0x80 {
                values.append(value)
                (value, shift) = (0, 0)
            }
        }
        return shift == 0 ? values : nil
    }

    static func serialize(_ fields: [Field]) -> [UInt8] {
        var out: [UInt8] = []
        func varint(_ value: UInt64) {
            var rest = value
            while rest >= 0x80 {
                out.append(UInt8(rest & 0x7F) | 0x80)
                rest >>= 7
            }
            out.append(UInt8(rest))
        }
        for field in fields {
            switch field {
            case let .varint(number, value):
                varint(UInt64(number) << 3)
                varint(value)
            case let .fixed64(number, value):
                varint(UInt64(number) << 3 | 1)
                for byte in 0..<8 { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte)))) }
            case let .fixed32(number, value):
                varint(UInt64(number) << 3 | 5)
                for byte in 0..<4 { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(byte)))) }
            case let .bytes(number, payload):
                varint(UInt64(number) << 3 | 2)
                varint(UInt64(payload.count))
                out += payload
            case let .message(number, inner):
                let payload = serialize(inner)
                varint(UInt64(number) << 3 | 2)
                varint(UInt64(payload.count))
                out += payload
            case .removed:
                break
            }
        }
        return out
    }
}
