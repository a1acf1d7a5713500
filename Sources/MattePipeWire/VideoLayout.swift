import MatteImaging

/// The pixel formats the PipeWire camera offers, in Matte's order of preference: YUY2 is Matte's own (a copy),
/// I420 and NV12 are what WebRTC and hardware encoders take.
public enum PipeWireFormat: String, CaseIterable, Sendable {
    case yuy2, i420, nv12
}

/// Where a frame's planes go in one PipeWire buffer block: GStreamer's default layout (rows padded to 4 bytes,
/// planes one after another), which consumers of single-block buffers assume. Chroma planes cover odd heights
/// with one more row, as `FrameConversion.yuyvTo420` writes them.
package struct VideoLayout: Equatable, Sendable {
    package let format: PipeWireFormat
    package let width: Int, height: Int
    /// Bytes per row of the first plane (YUY2: the packed pixels; I420 and NV12: luma).
    package let stride: Int
    package let chromaStride: Int
    /// Offsets of the U and V samples' planes (NV12: V is U + 1 in the one interleaved plane).
    package let uOffset: Int, vOffset: Int
    package let frameBytes: Int

    package init(format: PipeWireFormat, width: Int, height: Int) {
        func padded(_ bytes: Int) -> Int { (bytes + 3) & ~3 }
        (self.format, self.width, self.height) = (format, width, height)
        let chromaRows = (height + 1) / 2
        switch format {
        case .yuy2:
            stride = padded(width * 2)
            chromaStride = 0
            (uOffset, vOffset) = (0, 0)
            frameBytes = stride * height
        case .i420:
            stride = padded(width)
            chromaStride = padded(width / 2)
            uOffset = stride * height
            vOffset = uOffset + chromaStride * chromaRows
            frameBytes = vOffset + chromaStride * chromaRows
        case .nv12:
            stride = padded(width)
            chromaStride = stride
            uOffset = stride * height
            vOffset = uOffset + 1
            frameBytes = uOffset + chromaStride * chromaRows
        }
    }

    /// Writes a YUYV frame of this size into `out` (at least `frameBytes`) in this layout.
    package func write(_ frame: PixelBuffer, into out: UnsafeMutablePointer<UInt8>) {
        switch format {
        case .yuy2:
            for row in 0..<height {
                (out + row * stride).update(from: frame.base + row * frame.rowBytes, count: width * 2)
            }
        case .i420, .nv12:
            FrameConversion.yuyvTo420(
                frame.base,
                stride: frame.rowBytes,
                width: width,
                height: height,
                y: out,
                yStride: stride,
                u: out + uOffset,
                v: out + vOffset,
                chromaStride: chromaStride,
                chromaStep: format == .nv12 ? 2 : 1
            )
        }
    }
}
