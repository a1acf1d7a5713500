import MatteImaging
import MatteTestSupport
import Testing

@Suite struct FrameConversionTests {
    static func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    @Test func nv12RepacksToYUYV() {
        let (width, height) = (8, 6)
        let luma = Self.bytes(width * height, seed: 1)
        let chroma = Self.bytes(width * height / 2, seed: 2)
        var out = [UInt8](repeating: 0, count: width * height * 2)
        FrameConversion.nv12ToYUYV(
            luma: luma,
            lumaStride: width,
            chroma: chroma,
            chromaStride: width,
            into: &out,
            outStride: width * 2,
            width: width,
            height: height
        )
        for y in 0..<height {
            for x in 0..<width {
                #expect(out[y * width * 2 + x * 2] == luma[y * width + x])
                // Chroma of the 2x2 block: NV12 stores U V pairs per two columns, one row per two rows.
                let chromaAt = (y / 2) * width + (x / 2) * 2
                #expect(out[y * width * 2 + (x / 2) * 4 + 1] == chroma[chromaAt])
                #expect(out[y * width * 2 + (x / 2) * 4 + 3] == chroma[chromaAt + 1])
            }
        }
    }

    @Test func yuyvToI420AveragesChromaOverTwoRows() {
        let (width, height) = (6, 4)
        let yuyv = Self.bytes(width * height * 2, seed: 3)
        var y = [UInt8](repeating: 0, count: width * height)
        var u = [UInt8](repeating: 0, count: 6)
        var v = u
        FrameConversion.yuyvToI420(yuyv, stride: width * 2, width: width, height: height, y: &y, u: &u, v: &v)
        for row in 0..<height { for x in 0..<width { #expect(y[row * width + x] == yuyv[row * width * 2 + x * 2]) } }
        for chromaRow in 0..<2 {
            for pair in 0..<3 {
                let top = chromaRow * 2 * width * 2 + pair * 4
                let bottom = top + width * 2
                #expect(u[chromaRow * 3 + pair] == UInt8((Int(yuyv[top + 1]) + Int(yuyv[bottom + 1]) + 1) / 2))
                #expect(v[chromaRow * 3 + pair] == UInt8((Int(yuyv[top + 3]) + Int(yuyv[bottom + 3]) + 1) / 2))
            }
        }
    }

    /// NV12 and padded rows (PipeWire's layouts) hold exactly the I420 kernel's values, and nothing is written
    /// into the padding.
    @Test func yuyvToNV12WithStridesMatchesI420() {
        let (width, height) = (6, 5)
        let yuyv = Self.bytes(width * height * 2, seed: 4)
        var y = [UInt8](repeating: 0, count: width * height)
        var u = [UInt8](repeating: 0, count: 9)
        var v = u
        FrameConversion.yuyvToI420(yuyv, stride: width * 2, width: width, height: height, y: &y, u: &u, v: &v)
        let (yStride, uvStride) = (8, 8)
        var padded = [UInt8](repeating: 7, count: yStride * height)
        var uv = [UInt8](repeating: 7, count: uvStride * 3)
        uv.withUnsafeMutableBufferPointer { plane in
            FrameConversion.yuyvTo420(
                yuyv,
                stride: width * 2,
                width: width,
                height: height,
                y: &padded,
                yStride: yStride,
                u: plane.baseAddress!,
                v: plane.baseAddress! + 1,
                chromaStride: uvStride,
                chromaStep: 2
            )
        }
        for row in 0..<height {
            #expect(Array(padded[row * yStride..<row * yStride + width]) == Array(y[row * width..<(row + 1) * width]))
            #expect(padded[row * yStride + width..<(row + 1) * yStride].allSatisfy { $0 == 7 })
        }
        for row in 0..<3 {
            for pair in 0..<3 {
                #expect(uv[row * uvStride + pair * 2] == u[row * 3 + pair])
                #expect(uv[row * uvStride + pair * 2 + 1] == v[row * 3 + pair])
            }
            #expect(uv[row * uvStride + 6..<(row + 1) * uvStride].allSatisfy { $0 == 7 })
        }
    }

    @Test func fullToLimitedRangeTables() {
        #expect(FrameConversion.fullToLimitedLuma[0] == 16 && FrameConversion.fullToLimitedLuma[255] == 235)
        #expect(
            FrameConversion.fullToLimitedChroma[0] == 16 && FrameConversion.fullToLimitedChroma[128] == 128
                && FrameConversion.fullToLimitedChroma[255] == 240
        )
    }
}
