import MatteImaging

/// The pixel formats the PipeWire camera offers, in Matte's order of preference: YUY2 is Matte's own (a copy),
/// I420 and NV12 are what WebRTC and hardware encoders take.
public enum PipeWireFormat: String, CaseIterable, Sendable {
    case yuy2, i420, nv12
}

/// Where a frame's planes go in one PipeWire buffer block. Chroma planes cover odd heights with one more row, as
/// `FrameConversion.yuyvTo420` writes them.
///
/// A single block has one chunk stride, so a consumer either asks for the row length it assumes (libwebrtc, in
/// Chromium and Firefox, asks for unpadded rows and reads the planes at width and width / 2) or asks for none and
/// assumes GStreamer's default layout (pipewiresrc up to PipeWire 1.6 wraps the block with that layout, whatever the
/// chunk says). Both are offered (`offered`), and the buffer size PipeWire settles on says which one a link took.
package struct VideoLayout: Equatable, Sendable {
    /// How rows are padded.
    package enum Rows: Sendable {
        /// GStreamer's default (gst_video_info_set_format): each plane's rows padded to 4 bytes.
        case gstreamer
        /// No padding: rows of width bytes per sample, as libwebrtc assumes.
        case unpadded
    }

    package let format: PipeWireFormat
    package let width: Int, height: Int
    /// Bytes per row of the first plane (YUY2: the packed pixels; I420 and NV12: luma).
    package let stride: Int
    package let chromaStride: Int
    /// Offsets of the U and V samples' planes (NV12: V is U + 1 in the one interleaved plane).
    package let uOffset: Int, vOffset: Int
    package let frameBytes: Int

    package init(format: PipeWireFormat, width: Int, height: Int, rows: Rows = .gstreamer) {
        func padded(_ bytes: Int) -> Int { rows == .gstreamer ? (bytes + 3) & ~3 : bytes }
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
            chromaStride = padded((width + 1) / 2)
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

    /// The layouts a link may take, GStreamer's first: a consumer that leaves the row length open gets what
    /// GStreamer assumes, and one that asks for unpadded rows gets those. One layout where the two are the same.
    package static func offered(format: PipeWireFormat, width: Int, height: Int) -> [VideoLayout] {
        let gstreamer = VideoLayout(format: format, width: width, height: height)
        let unpadded = VideoLayout(format: format, width: width, height: height, rows: .unpadded)
        return gstreamer == unpadded ? [gstreamer] : [gstreamer, unpadded]
    }

    /// Which of `layouts` a buffer of `bytes` holds: the one of exactly that size (PipeWire sizes a link's
    /// buffers from the Buffers parameter the link took), else the first that fits.
    package static func layout(in layouts: [VideoLayout], forBufferOf bytes: Int) -> VideoLayout? {
        layouts.first { $0.frameBytes == bytes } ?? layouts.first { $0.frameBytes <= bytes }
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
