import MatteImaging
import MattePipeWire
import MatteTestSupport
import Testing

@Suite struct VideoLayoutTests {
    /// GStreamer's default layout for each format (gst_video_info_set_format: rows padded to 4 bytes), worked
    /// out by hand at a size where the padding shows.
    @Test func layoutsMatchGStreamerDefaults() {
        let yuy2 = VideoLayout(format: .yuy2, width: 6, height: 5)
        #expect(yuy2.stride == 12 && yuy2.frameBytes == 60)
        let i420 = VideoLayout(format: .i420, width: 6, height: 5)
        #expect(i420.stride == 8 && i420.chromaStride == 4)
        #expect(i420.uOffset == 40 && i420.vOffset == 52 && i420.frameBytes == 64)
        let nv12 = VideoLayout(format: .nv12, width: 6, height: 5)
        #expect(nv12.stride == 8 && nv12.chromaStride == 8)
        #expect(nv12.uOffset == 40 && nv12.vOffset == 41 && nv12.frameBytes == 64)
    }

    /// Each layout holds the frame's samples where its offsets and strides say, and writes nothing past
    /// `frameBytes`.
    @Test(arguments: PipeWireFormat.allCases) func writesWithinTheLayout(format: PipeWireFormat) {
        let (width, height) = (6, 5)
        var generator = SeededGenerator(seed: 5)
        let frame = PixelBuffer(
            width: width,
            height: height,
            format: .yuyv,
            copying: (0..<(width * height * 2)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        )
        let layout = VideoLayout(format: format, width: width, height: height)
        var out = [UInt8](repeating: 7, count: layout.frameBytes + 16)
        out.withUnsafeMutableBufferPointer { layout.write(frame, into: $0.baseAddress!) }
        #expect(out[layout.frameBytes...].allSatisfy { $0 == 7 })
        for row in 0..<height {
            for x in 0..<width {
                let luma = frame.base[row * frame.rowBytes + x * 2]
                #expect(out[row * layout.stride + (format == .yuy2 ? x * 2 : x)] == luma)
            }
        }
        guard format != .yuy2 else { return }
        let step = format == .nv12 ? 2 : 1
        for chromaRow in 0..<3 {
            for pair in 0..<3 {
                let top = chromaRow * 2 * frame.rowBytes + pair * 4
                let bottom = min(chromaRow * 2 + 1, height - 1) * frame.rowBytes + pair * 4
                let u = UInt8((Int(frame.base[top + 1]) + Int(frame.base[bottom + 1]) + 1) / 2)
                let v = UInt8((Int(frame.base[top + 3]) + Int(frame.base[bottom + 3]) + 1) / 2)
                #expect(out[layout.uOffset + chromaRow * layout.chromaStride + pair * step] == u)
                #expect(out[layout.vOffset + chromaRow * layout.chromaStride + pair * step] == v)
            }
        }
    }

    @Test func frameRatesBecomeFractions() {
        #expect(PipeWireOutput.fraction(30) == (30, 1))
        #expect(PipeWireOutput.fraction(29.97) == (29970, 1000))
    }
}
