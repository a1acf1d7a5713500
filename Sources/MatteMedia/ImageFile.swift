import CFFmpeg
import MatteImaging

#if canImport(Glibc)
import Glibc
#endif

/// Still images in and out: any image FFmpeg reads, PNG out.
public enum ImageFile {
    /// The first picture of an image (or video) file, upright, converted to `format`.
    public static func load(_ path: String, format: PixelFormat = .rgb24) throws(MediaError) -> PixelBuffer {
        let decoder = try MediaDecoder(path: path, format: format)
        let image = try decoder.makeFrame()
        guard try decoder.decodeNext(into: image) else { throw MediaError(path, "contains no decodable frame") }
        return image
    }

    /// Writes `image` (gray8 or rgb24) as a PNG, safely (see `OutputFile`): complete or not at all, never
    /// over one of `inputs`.
    public static func savePNG(_ image: PixelBuffer, to path: String, inputs: [String] = []) throws(MediaError) {
        let target = try OutputFile(path, inputs: inputs)
        try target.write(try encodePNG(image, path: path))
    }

    public static func encodePNG(_ image: PixelBuffer, path: String) throws(MediaError) -> [UInt8] {
        quietFFmpegLogs
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_PNG) else {
            throw MediaError(path, "this FFmpeg has no PNG encoder")
        }
        guard let context = avcodec_alloc_context3(codec) else { throw MediaError(path, MediaError.notEnoughMemory) }
        var contextPointer: UnsafeMutablePointer<AVCodecContext>? = context
        defer { avcodec_free_context(&contextPointer) }
        context.pointee.width = Int32(image.width)
        context.pointee.height = Int32(image.height)
        context.pointee.pix_fmt = image.format.ffmpegFormat
        context.pointee.time_base = AVRational(num: 1, den: 25)
        guard avcodec_open2(context, codec, nil) >= 0 else { throw MediaError(path, "cannot start the PNG encoder") }

        var frame: UnsafeMutablePointer<AVFrame>? = av_frame_alloc()
        var packet: UnsafeMutablePointer<AVPacket>? = av_packet_alloc()
        defer {
            av_frame_free(&frame)
            av_packet_free(&packet)
        }
        guard let frame, let packet else { throw MediaError(path, MediaError.notEnoughMemory) }
        frame.pointee.width = Int32(image.width)
        frame.pointee.height = Int32(image.height)
        frame.pointee.format = image.format.ffmpegFormat.rawValue
        frame.pointee.data.0 = image.base
        frame.pointee.linesize.0 = Int32(image.rowBytes)
        let sent = avcodec_send_frame(context, frame)
        guard sent >= 0 else { throw MediaError(path, "PNG encoding failed", code: sent) }
        avcodec_send_frame(context, nil)
        let received = avcodec_receive_packet(context, packet)
        guard received >= 0 else { throw MediaError(path, "PNG encoding failed", code: received) }
        defer { av_packet_unref(packet) }
        return Array(UnsafeBufferPointer(start: packet.pointee.data, count: Int(packet.pointee.size)))
    }
}
