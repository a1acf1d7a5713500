import MatteImaging
import MattePipeWire
import MatteTestSupport
import Testing

@Suite struct VideoLayoutTests {
    /// Planes back to back, rows unpadded (libwebrtc's reading), worked out by hand at a width whose half is odd.
    @Test func layoutsHaveUnpaddedRows() {
        let yuy2 = VideoLayout(format: .yuy2, width: 6, height: 5)
        #expect(yuy2.stride == 12 && yuy2.frameBytes == 60)
        let i420 = VideoLayout(format: .i420, width: 6, height: 5)
        #expect(i420.stride == 6 && i420.chromaStride == 3)
        #expect(i420.uOffset == 30 && i420.vOffset == 39 && i420.frameBytes == 48)
        let nv12 = VideoLayout(format: .nv12, width: 6, height: 5)
        #expect(nv12.stride == 6 && nv12.chromaStride == 6)
        #expect(nv12.uOffset == 30 && nv12.vOffset == 31 && nv12.frameBytes == 48)
    }

    /// A format is offered only where its layout is also GStreamer's default one (gst_video_info_set_format:
    /// each plane's rows padded to 4 bytes, planes back to back), computed here from that rule.
    @Test(arguments: [160, 162, 164, 166, 426, 640, 722, 852, 854, 1366, 1920])
    func formatsAreOfferedWhereGStreamerLaysThemOutAlike(width: Int) {
        func padded(_ bytes: Int) -> Int { (bytes + 3) / 4 * 4 }
        let height = 241
        let chromaRows = (height + 1) / 2
        let gstreamerBytes: [PipeWireFormat: Int] = [
            .yuy2: padded(width * 2) * height,
            .i420: padded(width) * height + 2 * padded((width + 1) / 2) * chromaRows,
            .nv12: padded(width) * height + padded(width) * chromaRows,
        ]
        let gstreamerChroma: [PipeWireFormat: Int] = [.yuy2: 0, .i420: padded((width + 1) / 2), .nv12: padded(width)]
        let same = PipeWireFormat.allCases.filter { format in
            let layout = VideoLayout(format: format, width: width, height: height)
            return layout.stride == padded(layout.stride) && layout.chromaStride == gstreamerChroma[format]
                && layout.frameBytes == gstreamerBytes[format]
        }
        #expect(VideoLayout.offered(width: width) == same)
        #expect(VideoLayout.offered(width: width).first == .yuy2)
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

    @Test func frameRatesBecomeFractions() {
        #expect(PipeWireOutput.fraction(30) == (30, 1))
        #expect(PipeWireOutput.fraction(29.97) == (29970, 1000))
    }
}
