import MatteMemory

#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// A rectangle in pixels with fractional edges: a crop that moves by less than a pixel a frame must not snap
/// to whole pixels, or a slow pan would jitter.
public struct CropRect: Equatable, Sendable, CustomStringConvertible {
    public var x: Double, y: Double, width: Double, height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        (self.x, self.y, self.width, self.height) = (x, y, width, height)
    }

    /// The whole of a `width` × `height` picture.
    public static func whole(width: Int, height: Int) -> CropRect {
        CropRect(x: 0, y: 0, width: Double(width), height: Double(height))
    }

    public var description: String {
        func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }
        return "\(rounded(width))×\(rounded(height))+\(rounded(x))+\(rounded(y))"
    }
}

/// Crops a YUYV picture (sub-pixel edges) and scales the crop bilinearly to another YUYV picture.
///
/// Sampling, with the crop (x, y, w, h) of a source into an output W × H: output luma `i` samples source
/// `x + (i + 0.5)·w/W − 0.5`, the chroma of output pair `j` samples source chroma `(x + (2j + 1)·w/W − 1)/2`
/// (chroma sits between the two lumas of its pair), output row `r` samples `y + (r + 0.5)·h/H − 0.5`; every
/// position is clamped to the picture. Horizontal weights are 7-bit (the byte multiply-add below takes signed
/// bytes) and a source row's horizontal pass keeps all 15 bits of a · (128 − w) + b · w; vertical weights are
/// 15-bit, so that 7-bit steps on one axis only cost accuracy. The vertical pass rounds the mix to 1/128 of a
/// level and then to a byte, in 16-bit lanes.
///
/// The tables depend only on the crop and are rebuilt when it changes; every buffer is made in `init`, so
/// `scale` allocates nothing.
///
/// On x86-64 the horizontal pass works on blocks of 16 output bytes whose samples all lie in 32 bytes of the
/// source row (any zoom-in): two byte shuffles gather each output byte's left and right samples side by side
/// and one multiply-add weighs them, with the shuffles and weights of every block in tables made per crop.
/// A plain loop over the per-byte tables does the rest (a zoom-out, an odd tail) and other architectures.
public final class YUYVScaler {
    public let sourceWidth: Int, sourceHeight: Int
    public let width: Int, height: Int

    /// Per output byte: the byte offset in a source row of the left sample (the right one is the next luma,
    /// 2 bytes on, or the next chroma of the same kind, 4 bytes on) and the right sample's weight, 0…128.
    /// Clamping at the right edge moves the left sample one back with weight 128, so no read leaves the row.
    private let columnSource: Plane<Int32>
    private let columnWeight: Plane<UInt16>
    /// Per output row: the upper source row and the lower one's weight, 0…32767 (2¹⁵ is the next row).
    private let rowSource: Plane<Int32>
    private let rowWeight: Plane<Int32>
    /// Two source rows after the horizontal pass (15-bit values), with the source row each holds.
    private let ring: Plane<UInt16>
    private var ringRows = (-1, -1)
    private var tablesCrop: CropRect?
    #if arch(x86_64)
    /// Per block of 16 output bytes: where its 32-byte source window starts, the shuffles that pick each output
    /// byte's (left, right) sample pair from the window's first and second halves (32 bytes each, a lane per 8
    /// output bytes), and the pairs' weights (128 − w, w) as the signed bytes the multiply-add takes.
    private let blockWindow: Plane<Int32>
    private let blockShuffles: Plane<UInt8>
    private let blockWeights: Plane<UInt8>
    /// How many blocks the current crop lets the shuffles do: all of a row's, or none if a window overflows.
    private var shuffledBlocks = 0
    #endif

    public init(sourceWidth: Int, sourceHeight: Int, width: Int, height: Int) {
        precondition(
            sourceWidth >= 2 && sourceWidth % 2 == 0 && sourceHeight >= 1 && width >= 2 && width % 2 == 0
                && height >= 1,
            "YUYV pictures have an even width of at least 2"
        )
        (self.sourceWidth, self.sourceHeight, self.width, self.height) = (sourceWidth, sourceHeight, width, height)
        columnSource = Plane(count: width * 2, repeating: 0)
        columnWeight = Plane(count: width * 2, repeating: 0)
        rowSource = Plane(count: height, repeating: 0)
        rowWeight = Plane(count: height, repeating: 0)
        ring = Plane(count: width * 2 * 2, repeating: 0)
        #if arch(x86_64)
        let blocks = width * 2 / 16
        blockWindow = Plane(count: blocks, repeating: 0)
        blockShuffles = Plane(count: blocks * 64, repeating: 0)
        blockWeights = Plane(count: blocks * 32, repeating: 0)
        #endif
    }

    /// Whether `crop` is the whole source at the output's size, which `scale` copies byte for byte.
    public func isIdentity(_ crop: CropRect) -> Bool {
        sourceWidth == width && sourceHeight == height && crop == .whole(width: width, height: height)
    }

    /// Scales `crop` of `source` to fill `out`.
    public func scale(_ source: PixelBuffer, crop: CropRect, into out: PixelBuffer) {
        precondition(
            source.format == .yuyv && out.format == .yuyv && source.width == sourceWidth
                && source.height == sourceHeight && out.width == width && out.height == height && source !== out,
            "the scaler takes a distinct YUYV source and output of the sizes it was made for"
        )
        precondition(crop.width > 0 && crop.height > 0, "a crop has an area")
        if isIdentity(crop) {
            out.bytes.copyMemory(from: UnsafeRawBufferPointer(source.bytes))
            return
        }
        if crop != tablesCrop { buildTables(crop) }
        ringRows = (-1, -1)
        let rowBytes = width * 2
        for row in 0..<height {
            let upper = Int(rowSource[row])
            let lower = min(upper + 1, sourceHeight - 1)
            let top = horizontalRow(upper, of: source)
            let bottom = horizontalRow(lower, of: source)
            Self.verticalPass(top, bottom, weight: rowWeight[row], into: out.base + row * out.rowBytes, count: rowBytes)
        }
    }

    /// Source row `row` after the horizontal pass, from the ring or made into the slot the previous output
    /// row no longer needs (source rows only move down as output rows do).
    private func horizontalRow(_ row: Int, of source: PixelBuffer) -> UnsafePointer<UInt16> {
        let rowBytes = width * 2
        if ringRows.0 == row { return UnsafePointer(ring.pointer) }
        if ringRows.1 == row { return UnsafePointer(ring.pointer + rowBytes) }
        let slot = ringRows.0 < ringRows.1 ? 0 : 1
        let target = ring.pointer + slot * rowBytes
        let line = UnsafePointer(source.base + row * source.rowBytes)
        var done = 0
        #if arch(x86_64)
        Self.shuffleBlocks(
            line,
            windows: blockWindow.pointer,
            shuffles: blockShuffles.pointer,
            weights: blockWeights.pointer,
            into: target,
            blocks: shuffledBlocks
        )
        done = shuffledBlocks * 16
        #endif
        Self.horizontalPass(
            line,
            columns: columnSource.pointer + done,
            weights: columnWeight.pointer + done,
            into: target + done,
            count: rowBytes - done
        )
        if slot == 0 { ringRows.0 = row } else { ringRows.1 = row }
        return UnsafePointer(target)
    }

    private static func horizontalPass(
        _ source: UnsafePointer<UInt8>,
        columns: UnsafePointer<Int32>,
        weights: UnsafePointer<UInt16>,
        into out: UnsafeMutablePointer<UInt16>,
        count: Int
    ) {
        for index in stride(from: 0, to: count, by: 2) {
            let luma = source + Int(columns[index])
            let lumaWeight = weights[index]
            out[index] = UInt16(luma[0]) &* (128 &- lumaWeight) &+ UInt16(luma[2]) &* lumaWeight
            let chroma = source + Int(columns[index &+ 1])
            let chromaWeight = weights[index &+ 1]
            out[index &+ 1] = UInt16(chroma[0]) &* (128 &- chromaWeight) &+ UInt16(chroma[4]) &* chromaWeight
        }
    }

    /// Bytes between two rows of horizontal results (each ≤ 32640): top + (bottom − top) · weight / 2¹⁵,
    /// rounded to 1/128 of a level, then divided by 128 and rounded, each step as the rounding multiply-high
    /// (x · m + 2¹⁴) >> 15 does it, so the vector and plain loops agree to the bit.
    private static func verticalPass(
        _ top: UnsafePointer<UInt16>,
        _ bottom: UnsafePointer<UInt16>,
        weight: Int32,
        into out: UnsafeMutablePointer<UInt8>,
        count: Int
    ) {
        var done = 0
        #if arch(x86_64)
        // The difference fits 16 signed bits as both rows are ≤ 32640.
        let rowWeight = _mm256_set1_epi16(Int16(weight))
        let unit = _mm256_set1_epi16(256)
        let quadOrder = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7)
        func lerp(_ at: Int) -> __m256i {
            let upper = load256(top + at)
            let lower = load256(bottom + at)
            let mixed = _mm256_add_epi16(upper, _mm256_mulhrs_epi16(_mm256_sub_epi16(lower, upper), rowWeight))
            return _mm256_mulhrs_epi16(mixed, unit)
        }
        while done &+ 32 <= count {
            // The pack interleaves the halves of its two inputs lane by lane; the permute restores their order.
            let bytes = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(lerp(done), lerp(done &+ 16)), quadOrder)
            _mm256_storeu_si256(UnsafeMutableRawPointer(out + done).assumingMemoryBound(to: __m256i_u.self), bytes)
            done &+= 32
        }
        #endif
        for index in done..<count {
            let upper = Int32(top[index])
            let mixed = upper &+ ((Int32(bottom[index]) &- upper) &* weight &+ 16384) &>> 15
            out[index] = UInt8(truncatingIfNeeded: (mixed &+ 64) &>> 7)
        }
    }

    #if arch(x86_64)
    /// The horizontal pass by 16-byte blocks; see the type's documentation.
    private static func shuffleBlocks(
        _ source: UnsafePointer<UInt8>,
        windows: UnsafePointer<Int32>,
        shuffles: UnsafePointer<UInt8>,
        weights: UnsafePointer<UInt8>,
        into out: UnsafeMutablePointer<UInt16>,
        blocks: Int
    ) {
        for block in 0..<blocks {
            let window = source + Int(windows[block])
            let first = _mm256_broadcastsi128_si256(
                _mm_loadu_si128(UnsafeRawPointer(window).assumingMemoryBound(to: __m128i_u.self))
            )
            let second = _mm256_broadcastsi128_si256(
                _mm_loadu_si128(UnsafeRawPointer(window + 16).assumingMemoryBound(to: __m128i_u.self))
            )
            let shuffle = shuffles + block &* 64
            let pairs = _mm256_or_si256(
                _mm256_shuffle_epi8(first, load256(shuffle)),
                _mm256_shuffle_epi8(second, load256(shuffle + 32))
            )
            let sums = _mm256_maddubs_epi16(pairs, load256(weights + block &* 32))
            _mm256_storeu_si256(
                UnsafeMutableRawPointer(out + block &* 16).assumingMemoryBound(to: __m256i_u.self),
                sums
            )
        }
    }

    /// Fills the block tables from the per-byte ones; leaves `shuffledBlocks` at 0 when some block's samples
    /// do not fit one window (a zoom-out) or a row is shorter than a window.
    private func buildBlockTables(sourceRowBytes: Int) {
        shuffledBlocks = 0
        let blocks = width * 2 / 16
        guard sourceRowBytes >= 32 else { return }
        for block in 0..<blocks {
            var lowest = Int.max
            var highest = 0
            for byte in (block * 16)..<(block * 16 + 16) {
                let left = Int(columnSource[byte])
                lowest = min(lowest, left)
                highest = max(highest, left + (byte % 2 == 0 ? 2 : 4))
            }
            let start = min(lowest, sourceRowBytes - 32)
            guard highest - start < 32 else { return }
            blockWindow[block] = Int32(start)
            for byte in 0..<16 {
                let column = block * 16 + byte
                var left = Int(columnSource[column]) - start
                var right = left + (column % 2 == 0 ? 2 : 4)
                var weight = Int(columnWeight[column])
                // A signed byte holds at most 127: a whole sample is weighed as half and half of itself.
                if weight == 0 || weight == 128 {
                    if weight == 0 { right = left } else { left = right }
                    weight = 64
                }
                let pair = block * 32 + byte * 2
                blockWeights[pair] = UInt8(128 - weight)
                blockWeights[pair + 1] = UInt8(weight)
                // Shuffle lane b / 8 holds output bytes 8 · lane …; an index with the top bit set gives 0.
                let shuffle = block * 64 + byte * 2
                blockShuffles[shuffle] = left < 16 ? UInt8(left) : 0x80
                blockShuffles[shuffle + 1] = right < 16 ? UInt8(right) : 0x80
                blockShuffles[shuffle + 32] = left >= 16 ? UInt8(left - 16) : 0x80
                blockShuffles[shuffle + 33] = right >= 16 ? UInt8(right - 16) : 0x80
            }
        }
        shuffledBlocks = blocks
    }
    #endif

    /// A position on an axis of `count` samples as the lower sample and the upper one's weight out of `one`.
    private static func sample(_ position: Double, count: Int, one: Int) -> (lower: Int, weight: Int) {
        let clamped = min(max(position, 0), Double(count - 1))
        var lower = Int(clamped.rounded(.down))
        var weight = Int(((clamped - Double(lower)) * Double(one)).rounded())
        if lower == count - 1 && count > 1 { (lower, weight) = (count - 2, one) }
        return (lower, weight)
    }

    private func buildTables(_ crop: CropRect) {
        let step = crop.width / Double(width)
        for pixel in 0..<width {
            let luma = Self.sample(crop.x + (Double(pixel) + 0.5) * step - 0.5, count: sourceWidth, one: 128)
            columnSource[pixel * 2] = Int32(luma.lower * 2)
            columnWeight[pixel * 2] = UInt16(luma.weight)
        }
        for pair in 0..<(width / 2) {
            let chroma = Self.sample((crop.x + Double(2 * pair + 1) * step - 1) / 2, count: sourceWidth / 2, one: 128)
            // U of a pair is its byte 1, V its byte 3.
            columnSource[pair * 4 + 1] = Int32(chroma.lower * 4 + 1)
            columnSource[pair * 4 + 3] = Int32(chroma.lower * 4 + 3)
            columnWeight[pair * 4 + 1] = UInt16(chroma.weight)
            columnWeight[pair * 4 + 3] = UInt16(chroma.weight)
        }
        let rowStep = crop.height / Double(height)
        for row in 0..<height {
            let sample = Self.sample(
                crop.y + (Double(row) + 0.5) * rowStep - 0.5,
                count: sourceHeight,
                one: 32768
            )
            // The multiply-high takes signed 16-bit weights: a whole next row is that row with weight 0.
            let whole = sample.weight == 32768
            rowSource[row] = Int32(sample.lower + (whole ? 1 : 0))
            rowWeight[row] = Int32(whole ? 0 : sample.weight)
        }
        #if arch(x86_64)
        buildBlockTables(sourceRowBytes: sourceWidth * 2)
        #endif
        tablesCrop = crop
    }
}

#if arch(x86_64)
@inline(__always)
private func load256<T>(_ pointer: UnsafePointer<T>) -> __m256i {
    _mm256_loadu_si256(UnsafeRawPointer(pointer).assumingMemoryBound(to: __m256i_u.self))
}
#endif
