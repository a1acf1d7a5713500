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

    /// Unpadded rows, as libwebrtc asks for and reads them (stride = width, chroma planes at width / 2, one after
    /// another), worked out by hand at a width whose half is odd.
    @Test func unpaddedLayoutsHaveRowsOfTheWidth() {
        let i420 = VideoLayout(format: .i420, width: 6, height: 5, rows: .unpadded)
        #expect(i420.stride == 6 && i420.chromaStride == 3)
        #expect(i420.uOffset == 30 && i420.vOffset == 39 && i420.frameBytes == 48)
        let nv12 = VideoLayout(format: .nv12, width: 6, height: 5, rows: .unpadded)
        #expect(nv12.stride == 6 && nv12.chromaStride == 6)
        #expect(nv12.uOffset == 30 && nv12.vOffset == 31 && nv12.frameBytes == 48)
    }

    /// Both layouts are offered where they differ, GStreamer's first; a buffer's size picks the one it was made
    /// for. Widths from 160 to 1920 whose rows need padding in one plane, both or neither.
    @Test(arguments: [160, 162, 164, 166, 426, 640, 722, 852, 854, 1366, 1920])
    func buffersOfEachSizeTakeTheirLayout(width: Int) {
        for format in PipeWireFormat.allCases {
            let offered = VideoLayout.offered(format: format, width: width, height: 241)
            let gstreamer = VideoLayout(format: format, width: width, height: 241)
            let unpadded = VideoLayout(format: format, width: width, height: 241, rows: .unpadded)
            #expect(offered == (gstreamer == unpadded ? [gstreamer] : [gstreamer, unpadded]))
            #expect(VideoLayout.layout(in: offered, forBufferOf: unpadded.frameBytes) == unpadded)
            #expect(VideoLayout.layout(in: offered, forBufferOf: gstreamer.frameBytes) == gstreamer)
            #expect(VideoLayout.layout(in: offered, forBufferOf: gstreamer.frameBytes + 4096) == gstreamer)
            #expect(VideoLayout.layout(in: offered, forBufferOf: unpadded.frameBytes - 1) == nil)
        }
        // YUY2 rows of an even width are whole words: one layout. I420 luma pads unless the width is a multiple of
        // 4, chroma unless it is a multiple of 8.
        #expect(VideoLayout.offered(format: .yuy2, width: width, height: 241).count == 1)
        #expect(VideoLayout.offered(format: .i420, width: width, height: 241).count == (width % 8 == 0 ? 1 : 2))
        #expect(VideoLayout.offered(format: .nv12, width: width, height: 241).count == (width % 4 == 0 ? 1 : 2))
    }

    /// Each layout holds the frame's samples where its offsets and strides say, and writes nothing past
    /// `frameBytes`; at sizes with odd heights and widths whose half is odd.
    @Test(arguments: PipeWireFormat.allCases, [(6, 5), (10, 4), (12, 7), (854, 9)])
    func writesWithinTheLayout(format: PipeWireFormat, size: (width: Int, height: Int)) {
        let (width, height) = size
        var generator = SeededGenerator(seed: 5)
        let frame = PixelBuffer(
            width: width,
            height: height,
            format: .yuyv,
            copying: (0..<(width * height * 2)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        )
        for rows in [VideoLayout.Rows.gstreamer, .unpadded] {
            let layout = VideoLayout(format: format, width: width, height: height, rows: rows)
            var out = [UInt8](repeating: 7, count: layout.frameBytes + 16)
            out.withUnsafeMutableBufferPointer { layout.write(frame, into: $0.baseAddress!) }
            #expect(out[layout.frameBytes...].allSatisfy { $0 == 7 })
            for row in 0..<height {
                for x in 0..<width {
                    let luma = frame.base[row * frame.rowBytes + x * 2]
                    #expect(out[row * layout.stride + (format == .yuy2 ? x * 2 : x)] == luma)
                }
            }
            guard format != .yuy2 else { continue }
            let step = format == .nv12 ? 2 : 1
            for chromaRow in 0..<(height + 1) / 2 {
                for pair in 0..<width / 2 {
                    let top = chromaRow * 2 * frame.rowBytes + pair * 4
                    let bottom = min(chromaRow * 2 + 1, height - 1) * frame.rowBytes + pair * 4
                    let u = UInt8((Int(frame.base[top + 1]) + Int(frame.base[bottom + 1]) + 1) / 2)
                    let v = UInt8((Int(frame.base[top + 3]) + Int(frame.base[bottom + 3]) + 1) / 2)
                    #expect(out[layout.uOffset + chromaRow * layout.chromaStride + pair * step] == u)
                    #expect(out[layout.vOffset + chromaRow * layout.chromaStride + pair * step] == v)
                }
            }
        }
    }

    @Test func frameRatesBecomeFractions() {
        #expect(PipeWireOutput.fraction(30) == (30, 1))
        #expect(PipeWireOutput.fraction(29.97) == (29970, 1000))
    }
}
