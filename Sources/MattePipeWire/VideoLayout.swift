import MatteImaging

/// The pixel formats the PipeWire camera offers, in Matte's order of preference: YUY2 is Matte's own (a copy),
/// I420 and NV12 are what WebRTC and hardware encoders take.
public enum PipeWireFormat: String, CaseIterable, Sendable {
    case yuy2, i420, nv12
}

/// Where a frame's planes go in one PipeWire buffer block: one after another, rows unpadded. Chroma planes cover odd
/// heights with one more row, as `FrameConversion.yuyvTo420` writes them.
///
/// A block has one chunk stride, and consumers do not agree on the rest: libwebrtc (Chromium 156 asks for no row
/// length; older releases ask for the width) reads I420 and NV12 planes at the width and half of it, back to back,
/// while GStreamer's pipewiresrc (up to PipeWire 1.6) reads GStreamer's default layout, each plane's rows padded to 4
/// bytes, whatever the chunk says. So a format is offered only at widths where the two are the same (`offered`):
/// YUY2 always (rows of an even width are whole words), NV12 at multiples of 4, I420 at multiples of 8. At other
/// widths (854, 852, 426, 1366 …) every consumer takes YUY2, which all of them read alike.
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
        (self.format, self.width, self.height) = (format, width, height)
        let chromaRows = (height + 1) / 2
        switch format {
        case .yuy2:
            stride = width * 2
            chromaStride = 0
            (uOffset, vOffset) = (0, 0)
            frameBytes = stride * height
        case .i420:
            stride = width
            chromaStride = (width + 1) / 2
            uOffset = stride * height
            vOffset = uOffset + chromaStride * chromaRows
            frameBytes = vOffset + chromaStride * chromaRows
        case .nv12:
            stride = width
            chromaStride = stride
            uOffset = stride * height
            vOffset = uOffset + 1
            frameBytes = uOffset + chromaStride * chromaRows
        }
    }

    /// The formats whose unpadded layout is also GStreamer's at this (even) width, in Matte's order of preference.
    package static func offered(width: Int) -> [PipeWireFormat] {
        PipeWireFormat.allCases.filter { format in
            switch format {
            case .yuy2: return width % 2 == 0
            case .nv12: return width % 4 == 0
            case .i420: return width % 8 == 0
            }
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
