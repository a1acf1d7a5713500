import MatteImaging
import MatteTestSupport
import Testing

/// Each fast kernel against a plain reference written here from the definition, in Double.
@Suite struct KernelTests {
    static func randomImage(width: Int, height: Int, format: PixelFormat, seed: UInt64) -> PixelBuffer {
        var generator = SeededGenerator(seed: seed)
        let image = PixelBuffer(width: width, height: height, format: format)
        for index in 0..<image.bytes.count { image.bytes[index] = UInt8.random(in: 0...255, using: &generator) }
        return image
    }

    /// BT.601 limited range from its defining equations.
    static func referenceRGB(y: UInt8, u: UInt8, v: UInt8) -> [Double] {
        let luma = 255.0 / 219.0 * (Double(y) - 16)
        let cb = Double(u) - 128
        let cr = Double(v) - 128
        let kr = 0.299
        let kb = 0.114
        let chroma = 255.0 / 224.0
        let r = luma + chroma * 2 * (1 - kr) * cr
        let b = luma + chroma * 2 * (1 - kb) * cb
        let g = luma - chroma * 2 * (1 - kb) * kb / (1 - kb - kr) * cb - chroma * 2 * (1 - kr) * kr / (1 - kb - kr) * cr
        return [r, g, b].map { min(max($0, 0), 255) }
    }

    @Test func yuyvToRGBFollowsBT601() {
        var worst = 0.0
        for y in stride(from: 0, through: 255, by: 5) {
            for u in stride(from: 0, through: 255, by: 5) {
                for v in stride(from: 0, through: 255, by: 5) {
                    let fast = BT601.rgb(y: UInt8(y), u: UInt8(u), v: UInt8(v))
                    let reference = Self.referenceRGB(y: UInt8(y), u: UInt8(u), v: UInt8(v))
                    for (a, b) in zip([fast.r, fast.g, fast.b], reference) { worst = max(worst, abs(Double(a) - b)) }
                }
            }
        }
        #expect(worst <= 1.0)
        // Black and white of limited range map to the full range.
        #expect(BT601.rgb(y: 16, u: 128, v: 128) == (0, 0, 0))
        #expect(BT601.rgb(y: 235, u: 128, v: 128) == (255, 255, 255))
    }

    @Test func yuyvImageConversionSharesChromaAcrossThePair() {
        let yuyv = Self.randomImage(width: 64, height: 8, format: .yuyv, seed: 1)
        let rgb = PixelBuffer(width: 64, height: 8, format: .rgb24)
        BT601.yuyvToRGB24(yuyv, into: rgb)
        for row in 0..<8 {
            for x in 0..<64 {
                let pair = row * yuyv.rowBytes + (x / 2) * 4
                let expected = BT601.rgb(
                    y: yuyv.bytes[pair + (x % 2) * 2],
                    u: yuyv.bytes[pair + 1],
                    v: yuyv.bytes[pair + 3]
                )
                let at = row * rgb.rowBytes + x * 3
                #expect([rgb.bytes[at], rgb.bytes[at + 1], rgb.bytes[at + 2]] == [expected.r, expected.g, expected.b])
            }
        }
    }

    /// MediaPipe's stretch: src = dst · (W / w) with no half-pixel offset, neighbours clamped at the edge.
    static func referenceSample(_ image: PixelBuffer, width: Int, height: Int) -> [Float] {
        var tensor: [Float] = []
        func pixel(_ x: Int, _ y: Int, _ channel: Int) -> Double {
            Double(image.bytes[y * image.rowBytes + x * 3 + channel])
        }
        for y in 0..<height {
            let sy = Double(y) * Double(image.height) / Double(height)
            let y0 = Int(sy.rounded(.down))
            let y1 = min(y0 + 1, image.height - 1)
            let fy = sy - Double(y0)
            for x in 0..<width {
                let sx = Double(x) * Double(image.width) / Double(width)
                let x0 = Int(sx.rounded(.down))
                let x1 = min(x0 + 1, image.width - 1)
                let fx = sx - Double(x0)
                for channel in 0..<3 {
                    let top = pixel(x0, y0, channel) * (1 - fx) + pixel(x1, y0, channel) * fx
                    let bottom = pixel(x0, y1, channel) * (1 - fx) + pixel(x1, y1, channel) * fx
                    tensor.append(Float((top * (1 - fy) + bottom * fy) / 255))
                }
            }
        }
        return tensor
    }

    @Test(arguments: [(640, 480, 256, 144), (1280, 720, 256, 144), (100, 37, 256, 256), (7, 5, 3, 2)])
    func modelInputMatchesReference(sourceWidth: Int, sourceHeight: Int, width: Int, height: Int) {
        let image = Self.randomImage(width: sourceWidth, height: sourceHeight, format: .rgb24, seed: 2)
        let sampler = ModelInputSampler(
            sourceWidth: sourceWidth,
            sourceHeight: sourceHeight,
            targetWidth: width,
            targetHeight: height
        )
        var tensor = [Float](repeating: -1, count: width * height * 3)
        sampler.sample(image, into: &tensor)
        #expect(maxAbsDifference(tensor, Self.referenceSample(image, width: width, height: height)) <= 1e-5)
    }

    @Test func yuyvModelInputEqualsConvertingFirst() {
        let yuyv = Self.randomImage(width: 320, height: 180, format: .yuyv, seed: 3)
        let rgb = PixelBuffer(width: 320, height: 180, format: .rgb24)
        BT601.yuyvToRGB24(yuyv, into: rgb)
        let sampler = ModelInputSampler(sourceWidth: 320, sourceHeight: 180, targetWidth: 256, targetHeight: 144)
        var direct = [Float](repeating: 0, count: 256 * 144 * 3)
        var converted = direct
        sampler.sample(yuyv, into: &direct)
        sampler.sample(rgb, into: &converted)
        #expect(direct == converted)
    }

    @Test(arguments: [(320, 180, 256, 144), (1280, 720, 256, 144), (64, 36, 256, 144), (100, 38, 256, 256)])
    func lumaGuideIsTheFramesLumaAtTheModelInputsPositions(width: Int, height: Int, modelWidth: Int, modelHeight: Int) {
        let yuyv = Self.randomImage(width: width, height: height, format: .yuyv, seed: 4)
        // The frame's Y as a grey RGB picture, sampled by the reference: each channel is then the sampled luma.
        let grey = PixelBuffer(width: width, height: height, format: .rgb24)
        for pixel in 0..<width * height {
            let luma = yuyv.bytes[(pixel / width) * yuyv.rowBytes + (pixel % width) * 2]
            for channel in 0..<3 { grey.bytes[pixel * 3 + channel] = luma }
        }
        let reference = Self.referenceSample(grey, width: modelWidth, height: modelHeight)
        let expected = (0..<modelWidth * modelHeight).map { (reference[$0 * 3] * 255 - 16) / 219 }
        var guide = [Float](repeating: -9, count: modelWidth * modelHeight)
        ModelInputSampler(sourceWidth: width, sourceHeight: height, targetWidth: modelWidth, targetHeight: modelHeight)
            .sampleLuma(yuyv, into: &guide)
        #expect(maxAbsDifference(guide, expected) <= 1e-4)
    }

    /// Half-pixel-centre bilinear (cv2.resize INTER_LINEAR) of a float mask, rounded to bytes.
    static func referenceUpscale(_ mask: [Float], width: Int, height: Int, toWidth: Int, toHeight: Int) -> [Double] {
        func position(_ index: Int, _ size: Int, _ target: Int) -> (Int, Int, Double) {
            let at = min(max((Double(index) + 0.5) * Double(size) / Double(target) - 0.5, 0), Double(size - 1))
            let lower = Int(at.rounded(.down))
            return (lower, min(lower + 1, size - 1), at - Double(lower))
        }
        var out: [Double] = []
        for y in 0..<toHeight {
            let (y0, y1, fy) = position(y, height, toHeight)
            for x in 0..<toWidth {
                let (x0, x1, fx) = position(x, width, toWidth)
                func m(_ xx: Int, _ yy: Int) -> Double { Double(mask[yy * width + xx]) }
                let value =
                    (m(x0, y0) * (1 - fx) + m(x1, y0) * fx) * (1 - fy) + (m(x0, y1) * (1 - fx) + m(x1, y1) * fx) * fy
                out.append(min(max(value, 0), 1) * 255)
            }
        }
        return out
    }

    @Test(arguments: [(256, 144, 1280, 720), (256, 256, 512, 512), (256, 144, 1920, 1080), (3, 2, 10, 9)])
    func maskUpscaleMatchesReference(width: Int, height: Int, toWidth: Int, toHeight: Int) {
        var generator = SeededGenerator(seed: 4)
        // Values slightly outside 0…1 as well: the kernel must clamp, not wrap.
        let mask = (0..<(width * height)).map { _ in Float.random(in: -0.1...1.1, using: &generator) }
        let output = PixelBuffer(width: toWidth, height: toHeight, format: .gray8)
        MaskUpscaler(sourceWidth: width, sourceHeight: height, targetWidth: toWidth, targetHeight: toHeight)
            .upscale(mask, into: output)
        let reference = Self.referenceUpscale(mask, width: width, height: height, toWidth: toWidth, toHeight: toHeight)
        let worst = zip(output.array, reference).reduce(0.0) { max($0, abs(Double($1.0) - $1.1)) }
        #expect(worst <= 0.51)
    }
}
