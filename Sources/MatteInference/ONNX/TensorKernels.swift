// The operators XNNPACK (2022) lacks or defines differently from ONNX, on float32 NHWC tensors of batch 1.
// Each is a plain loop: the reference implementation and the one that runs are the same code, checked
// against ONNX Runtime's outputs by the fidelity tests.

/// Where each output row or column of an ONNX "linear" Resize with "pytorch_half_pixel" coordinates samples
/// its input, as ONNX Runtime computes it: source = (destination + 0.5) / scale − 0.5 (0 for a one-pixel
/// output), clamped to the input; the scale is the one the graph gives, not output ÷ input, so an output cut
/// short by flooring (127 rows for 255 × 0.5) is sampled as the graph meant.
struct ResizeTaps {
    let lower: [Int]
    let upper: [Int]
    /// Weight of `upper`; `lower` gets 1 − weight.
    let weight: [Float]

    init(input: Int, output: Int, scale: Float) {
        var lower = [Int](repeating: 0, count: output)
        var upper = lower
        var weight = [Float](repeating: 0, count: output)
        for index in 0..<output {
            var source: Float = output > 1 ? (Float(index) + 0.5) / scale - 0.5 : 0
            source = max(0, min(source, Float(input - 1)))
            let below = min(Int(source), input - 1)
            lower[index] = below
            upper[index] = min(below + 1, input - 1)
            weight[index] = upper[index] == below ? 0 : source - Float(below)
        }
        self.lower = lower
        self.upper = upper
        self.weight = weight
    }
}

/// Bilinear resize of an NHWC image (`channels` per pixel, rows packed) by precomputed taps.
func resizeBilinear(
    _ input: UnsafePointer<Float>,
    width inputWidth: Int,
    channels: Int,
    rows: ResizeTaps,
    columns: ResizeTaps,
    into output: UnsafeMutablePointer<Float>
) {
    let outputWidth = columns.weight.count
    let inputRow = inputWidth * channels
    for y in 0..<rows.weight.count {
        let top = input + rows.lower[y] * inputRow
        let bottom = input + rows.upper[y] * inputRow
        let wy = rows.weight[y]
        var out = output + y * outputWidth * channels
        for x in 0..<outputWidth {
            let left = columns.lower[x] * channels
            let right = columns.upper[x] * channels
            let wx = columns.weight[x]
            for c in 0..<channels {
                let upperRow = top[left + c] + wx * (top[right + c] - top[left + c])
                let lowerRow = bottom[left + c] + wx * (bottom[right + c] - bottom[left + c])
                out[c] = upperRow + wy * (lowerRow - upperRow)
            }
            out += channels
        }
    }
}

/// ONNX AveragePool without padding: windows that `ceil_mode` lets run past the edge average only the pixels
/// inside (count_include_pad = 0), as ONNX Runtime does.
func averagePool(
    _ input: UnsafePointer<Float>,
    height: Int,
    width: Int,
    channels: Int,
    kernel: (height: Int, width: Int),
    stride: (height: Int, width: Int),
    outputHeight: Int,
    outputWidth: Int,
    into output: UnsafeMutablePointer<Float>
) {
    for oy in 0..<outputHeight {
        let y0 = oy * stride.height
        let y1 = min(y0 + kernel.height, height)
        for ox in 0..<outputWidth {
            let x0 = ox * stride.width
            let x1 = min(x0 + kernel.width, width)
            let out = output + (oy * outputWidth + ox) * channels
            for c in 0..<channels { out[c] = 0 }
            for y in y0..<y1 {
                for x in x0..<x1 {
                    let pixel = input + (y * width + x) * channels
                    for c in 0..<channels { out[c] += pixel[c] }
                }
            }
            let scale = 1 / Float((y1 - y0) * (x1 - x0))
            for c in 0..<channels { out[c] *= scale }
        }
    }
}

/// ReduceMean over the channel axis, keeping it (NHWC: the mean of each pixel's channels).
func channelMean(_ input: UnsafePointer<Float>, pixels: Int, channels: Int, into output: UnsafeMutablePointer<Float>) {
    let scale = 1 / Float(channels)
    for pixel in 0..<pixels {
        var sum: Float = 0
        for c in 0..<channels { sum += input[pixel * channels + c] }
        output[pixel] = sum * scale
    }
}

func scale(_ input: UnsafePointer<Float>, count: Int, by factor: Float, into output: UnsafeMutablePointer<Float>) {
    for index in 0..<count { output[index] = input[index] * factor }
}

/// 2v − 1 in place: with `scale` and a sigmoid, tanh.
func twiceMinusOne(_ values: UnsafeMutablePointer<Float>, count: Int) {
    for index in 0..<count { values[index] = 2 * values[index] - 1 }
}

/// ONNX HardSigmoid: max(0, min(1, alpha·x + beta)).
func hardSigmoid(
    _ input: UnsafePointer<Float>,
    count: Int,
    alpha: Float,
    beta: Float,
    into output: UnsafeMutablePointer<Float>
) {
    for index in 0..<count { output[index] = max(0, min(1, alpha * input[index] + beta)) }
}

/// The end of RVM's deep guided filter in one pass over the full-resolution image: per-pixel linear
/// coefficients A and b (4 channels each, at low resolution) are resized bilinearly to the image and applied
/// to [r, g, b, mean(r, g, b)]: out = A·x + b; foreground = clip(out.rgb + rgb, 0, 1), alpha = clip(out.a, 0, 1).
/// The graph does this as two full-size resizes, a concatenation, a multiply, two adds, a split and two
/// clips, most of RVM's time at small downsample ratios; here each output row blends two coefficient rows
/// once, and only the channels a wanted output needs are interpolated.
func applyUpsampledCoefficients(
    a: UnsafePointer<Float>,
    b: UnsafePointer<Float>,
    coefficientWidth: Int,
    image: UnsafePointer<Float>,
    rows: ResizeTaps,
    columns: ResizeTaps,
    alpha: UnsafeMutablePointer<Float>?,
    foreground: UnsafeMutablePointer<Float>?,
    scratch: UnsafeMutablePointer<Float>
) {
    let width = columns.weight.count
    let rowStride = coefficientWidth * 4
    // Only alpha wanted: channel 3 alone.
    let firstChannel = foreground == nil ? 3 : 0
    let blendedA = scratch
    let blendedB = scratch + rowStride
    for y in 0..<rows.weight.count {
        let wy = rows.weight[y]
        let (topA, bottomA) = (a + rows.lower[y] * rowStride, a + rows.upper[y] * rowStride)
        let (topB, bottomB) = (b + rows.lower[y] * rowStride, b + rows.upper[y] * rowStride)
        for index in 0..<rowStride {
            blendedA[index] = topA[index] + wy * (bottomA[index] - topA[index])
            blendedB[index] = topB[index] + wy * (bottomB[index] - topB[index])
        }
        for x in 0..<width {
            let left = columns.lower[x] * 4
            let right = columns.upper[x] * 4
            let wx = columns.weight[x]
            let pixel = image + (y * width + x) * 3
            let mean = (pixel[0] + pixel[1] + pixel[2]) / 3
            for c in firstChannel..<4 {
                let coefficient = blendedA[left + c] + wx * (blendedA[right + c] - blendedA[left + c])
                let offset = blendedB[left + c] + wx * (blendedB[right + c] - blendedB[left + c])
                if c == 3 {
                    alpha?[y * width + x] = max(0, min(1, coefficient * mean + offset))
                } else {
                    foreground![(y * width + x) * 3 + c] = max(0, min(1, coefficient * pixel[c] + offset + pixel[c]))
                }
            }
        }
    }
}
