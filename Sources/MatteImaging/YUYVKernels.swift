/// Whole-picture operations on packed YUYV that several stages share: filling, mirroring, tiling.
public enum YUYVKernels {
    /// Fills a YUYV picture with one colour.
    public static func fill(_ picture: PixelBuffer, y: UInt8, u: UInt8, v: UInt8) {
        precondition(picture.format == .yuyv, "fill needs a YUYV picture")
        let pattern = UInt32(y) | UInt32(u) << 8 | UInt32(y) << 16 | UInt32(v) << 24
        let words = picture.bytes.count / 4
        picture.bytes.withMemoryRebound(to: UInt32.self) {
            $0.baseAddress!.update(repeating: pattern.littleEndian, count: words)
        }
    }

    /// Mirrors one YUYV row: pixel pairs in reverse order, the two lumas of each pair swapped.
    public static func mirrorRow(_ source: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<UInt8>, width: Int) {
        let pairs = width / 2
        for pair in 0..<pairs {
            let s = source + pair &* 4
            let d = out + (pairs &- 1 &- pair) &* 4
            d[0] = s[2]
            d[1] = s[1]
            d[2] = s[0]
            d[3] = s[3]
        }
    }

    /// Mirrors a whole picture left to right into another of the same size.
    public static func mirror(_ source: PixelBuffer, into out: PixelBuffer) {
        precondition(
            source.format == .yuyv && out.format == .yuyv && source.width == out.width
                && source.height == out.height && source !== out,
            "mirror takes a distinct YUYV frame of the same size"
        )
        for row in 0..<source.height {
            mirrorRow(source.base + row * source.rowBytes, into: out.base + row * out.rowBytes, width: source.width)
        }
    }

    /// Repeats `tile` across and down `destination` from its top-left corner (same pixel format).
    public static func tile(_ tile: PixelBuffer, over destination: PixelBuffer) {
        precondition(tile.format == destination.format, "a tile has its destination's pixel format")
        for row in 0..<destination.height {
            let source = tile.base + (row % tile.height) * tile.rowBytes
            let out = destination.base + row * destination.rowBytes
            var column = 0
            while column < destination.rowBytes {
                let count = min(tile.rowBytes, destination.rowBytes - column)
                (out + column).update(from: source, count: count)
                column += count
            }
        }
    }

    /// A picture with smooth gradients and fine noise, the same for the same seed (which also shifts the
    /// gradient, so that seeds differ like frames of a moving scene): benchmarks and generated sources use it
    /// so that no kernel sees unrealistically uniform data.
    public static func testPattern(width: Int, height: Int, seed: UInt32 = 1) -> PixelBuffer {
        let frame = PixelBuffer(width: width, height: height, format: .yuyv)
        var state = seed
        let shift = Int(seed % 64) * 16
        for y in 0..<height {
            for x in stride(from: 0, to: width, by: 2) {
                state = state &* 1_664_525 &+ 1_013_904_223
                let noise = Int(state >> 28)
                let at = y * frame.rowBytes + x * 2
                frame.bytes[at] = UInt8(16 + ((x + shift) * 200 / width + noise) % 220)
                frame.bytes[at + 1] = UInt8(64 + y * 128 / height)
                frame.bytes[at + 2] = UInt8(16 + (y * 200 / height + noise) % 220)
                frame.bytes[at + 3] = UInt8(192 - x * 128 / width)
            }
        }
        return frame
    }
}

/// Small numeric kernels on float planes.
public enum FloatKernels {
    /// Rounds to the nearest byte (halves to even), clamping to 0…255, without the trapping Float→Int
    /// conversion so that loops using it vectorise: adding 1.5 · 2²³ leaves the rounded integer in the low
    /// mantissa bits.
    @inlinable @inline(__always)
    public static func roundedByte(_ value: Float) -> UInt8 {
        UInt8(truncatingIfNeeded: (min(max(value, 0), 255) + 12_582_912.0).bitPattern)
    }
}
