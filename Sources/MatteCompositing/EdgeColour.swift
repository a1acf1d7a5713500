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

    package init(width: Int, height: Int, maskWidth: Int, maskHeight: Int) {
        self.width = width
        self.height = height
        self.maskWidth = maskWidth
        self.maskHeight = maskHeight
        columns = ResampleTaps(input: maskWidth, output: width)
        rows = ResampleTaps(input: maskHeight, output: height)
        row = Plane(count: width * 2, repeating: 0)
    }

    /// Frame row `y` with the shift added in the edge band, in a buffer reused by the next call.
    package func correct(
        row y: Int,
        frame: UnsafePointer<UInt8>,
        alpha: UnsafePointer<UInt8>,
        shift: UnsafePointer<Float>
    ) -> UnsafePointer<UInt8> {
        let stride = maskWidth * 3
        Self.correctRow(
            frame: frame,
            alpha: alpha,
            top: shift + rows.lower[y] * stride,
            bottom: shift + rows.upper[y] * stride,
            rowWeight: rows.weight[y],
            columns: columns,
            into: row.pointer,
            pairs: width / 2
        )
        return UnsafePointer(row.pointer)
    }

    /// One YUYV row: each byte whose alpha is in the edge band gets its channel's shift (Y at its own pixel,
    /// U and V at the pair's first), interpolated between two mask rows `top` and `bottom` (cells of dY, dU,
    /// dV) by `rowWeight` and across cells by `columns`; other bytes are copied.
    static func correctRow(
        frame: UnsafePointer<UInt8>,
        alpha: UnsafePointer<UInt8>,
        top: UnsafePointer<Float>,
        bottom: UnsafePointer<Float>,
        rowWeight: Float,
        columns: ResampleTaps,
        into out: UnsafeMutablePointer<UInt8>,
        pairs: Int
    ) {
        func shift(atPixel x: Int, channel: Int) -> Float {
            let left = columns.lower[x] * 3 + channel
            let right = columns.upper[x] * 3 + channel
            let upper = top[left] + columns.weight[x] * (top[right] - top[left])
            let lower = bottom[left] + columns.weight[x] * (bottom[right] - bottom[left])
            return upper + rowWeight * (lower - upper)
        }
        for byte in 0..<pairs * 4 {
            let value = frame[byte]
            let a = alpha[byte]
            guard a != 0 && a != 255 else {
                out[byte] = value
                continue
            }
            // Bytes of a pair: Y0 U Y1 V.
            let pair = byte / 4
            let position = byte % 4
            let pixel = pair * 2 + (position == 2 ? 1 : 0)
            let channel = position % 2 == 0 ? 0 : (position == 1 ? 1 : 2)
            let corrected = Float(value) + shift(atPixel: pixel, channel: channel)
            out[byte] = UInt8(max(0, min(255, corrected.rounded())))
        }
    }
}

/// Bilinear taps with half-pixel centres from `input` cells to `output` pixels, clamped at the edges.
package struct ResampleTaps {
    let lower: [Int]
    let upper: [Int]
    let weight: [Float]

    init(input: Int, output: Int) {
        let scale = Float(input) / Float(output)
        var lower = [Int](repeating: 0, count: output)
        var upper = lower
        var weight = [Float](repeating: 0, count: output)
        for index in 0..<output {
            let source = max(0, min(Float(input - 1), (Float(index) + 0.5) * scale - 0.5))
            lower[index] = Int(source)
            upper[index] = min(lower[index] + 1, input - 1)
            weight[index] = source - Float(lower[index])
        }
        self.lower = lower
        self.upper = upper
        self.weight = weight
    }
}
