import MatteImaging
import MatteMemory

/// Where the person is partly see-through (hair, a moving edge), the camera's pixel mixes the person with the
/// old background, and blending it over a new one lets the old background show through as a halo. A matting
/// network estimates the person's own colour there; `PersonMask.colourShift` carries it as a change of Y, U
/// and V per mask cell, which this adds, upsampled, to the frame's pixels in the edge band only (alpha
/// strictly between 0 and 255) before the blend.
package final class EdgeColour {
    let width: Int, height: Int
    let maskWidth: Int, maskHeight: Int
    /// Per frame column (pixel) and row: the two mask cells it lies between and the weight of the second.
    let columns: ResampleTaps
    let rows: ResampleTaps
    let row: Plane<UInt8>
    /// The shift of the two mask rows around a frame row, blended: dY, dU, dV per mask column.
    let blended: Plane<Float>

    package init(width: Int, height: Int, maskWidth: Int, maskHeight: Int) {
        self.width = width
        self.height = height
        self.maskWidth = maskWidth
        self.maskHeight = maskHeight
        columns = ResampleTaps(input: maskWidth, output: width)
        rows = ResampleTaps(input: maskHeight, output: height)
        row = Plane(count: width * 2, repeating: 0)
        blended = Plane(count: maskWidth * 3, repeating: 0)
    }

    /// Frame row `y` with the shift added in the edge band, in a buffer reused by the next call.
    package func correct(
        row y: Int,
        frame: UnsafePointer<UInt8>,
        alpha: UnsafePointer<UInt8>,
        shift: UnsafePointer<Float>
    ) -> UnsafePointer<UInt8> {
        let stride = maskWidth * 3
        let top = shift + Int(rows.lower[y]) * stride
        let bottom = shift + Int(rows.upper[y]) * stride
        let weight = rows.weight[y]
        for index in 0..<stride { blended[index] = top[index] + weight * (bottom[index] - top[index]) }
        Self.correctRow(
            frame: frame,
            alpha: alpha,
            shift: UnsafePointer(blended.pointer),
            columns: columns,
            into: row.pointer,
            pairs: width / 2
        )
        return UnsafePointer(row.pointer)
    }

    /// One YUYV row: each byte whose alpha is in the edge band gets its channel's shift (Y at its own pixel,
    /// U and V at the pair's first), interpolated across the cells of `shift` (dY, dU, dV per mask column, the
    /// row's two mask rows already blended) by `columns`; other bytes are copied.
    static func correctRow(
        frame: UnsafePointer<UInt8>,
        alpha: UnsafePointer<UInt8>,
        shift cells: UnsafePointer<Float>,
        columns: ResampleTaps,
        into out: UnsafeMutablePointer<UInt8>,
        pairs: Int
    ) {
        let (lowerColumn, upperColumn, weights) = (columns.lower.pointer, columns.upper.pointer, columns.weight.pointer)
        func shift(atPixel x: Int, channel: Int) -> Float {
            let left = cells[Int(lowerColumn[x]) &* 3 &+ channel]
            let right = cells[Int(upperColumn[x]) &* 3 &+ channel]
            return left + weights[x] * (right - left)
        }
        let count = pairs * 4
        out.update(from: frame, count: count)
        // Most of a row is wholly person or wholly background: eight alpha bytes at a time, skip words whose
        // bytes are all 0 or 255 (each byte then equals its low bit times 255).
        let ones: UInt64 = 0x0101_0101_0101_0101
        var word = 0
        while word < count {
            let end = min(word + 8, count)
            if end - word == 8 {
                let bytes = UnsafeRawPointer(alpha + word).loadUnaligned(as: UInt64.self)
                if (bytes & ones) &* 0xFF == bytes {
                    word = end
                    continue
                }
            }
            for byte in word..<end where alpha[byte] != 0 && alpha[byte] != 255 {
                // Bytes of a pair: Y0 U Y1 V.
                let pair = byte / 4
                let position = byte % 4
                let pixel = pair * 2 + (position == 2 ? 1 : 0)
                let channel = position % 2 == 0 ? 0 : (position == 1 ? 1 : 2)
                let corrected = Float(frame[byte]) + shift(atPixel: pixel, channel: channel)
                out[byte] = UInt8(max(0, min(255, corrected.rounded())))
            }
            word = end
        }
    }
}

/// Bilinear taps with half-pixel centres from `input` cells to `output` pixels, clamped at the edges; in planes,
/// so the per-byte loop reads them without bounds checks or reference counting.
package struct ResampleTaps {
    let lower: Plane<Int32>
    let upper: Plane<Int32>
    let weight: Plane<Float>

    init(input: Int, output: Int) {
        let scale = Float(input) / Float(output)
        lower = Plane(count: output, repeating: 0)
        upper = Plane(count: output, repeating: 0)
        weight = Plane(count: output, repeating: 0)
        for index in 0..<output {
            let source = max(0, min(Float(input - 1), (Float(index) + 0.5) * scale - 0.5))
            lower[index] = Int32(source)
            upper[index] = Int32(min(Int(source) + 1, input - 1))
            weight[index] = source - Float(Int(source))
        }
    }
}
