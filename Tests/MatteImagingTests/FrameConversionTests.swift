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

    @Test func fullToLimitedRangeTables() {
        #expect(FrameConversion.fullToLimitedLuma[0] == 16 && FrameConversion.fullToLimitedLuma[255] == 235)
        #expect(
            FrameConversion.fullToLimitedChroma[0] == 16 && FrameConversion.fullToLimitedChroma[128] == 128
                && FrameConversion.fullToLimitedChroma[255] == 240
        )
    }
}
