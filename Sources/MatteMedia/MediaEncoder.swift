import CFFmpeg
#if canImport(Glibc)
import Glibc
#endif
import MatteImaging

/// Encodes YUYV frames to a file whose kind follows the path: `.y4m` (raw 4:2:2), `.mkv`/`.mp4`/`.mov`
/// (H.264 where Debian's libavcodec has libx264, else MPEG-4 Part 2), `.webm` (VP9), or a PNG sequence when
/// the path holds a `%d`-style pattern (`frames/%05d.png`).
///
/// Files are written under a temporary name and renamed by `finish()`, so an interrupted or failed run never
/// leaves a truncated file under the requested name; a PNG sequence deletes what it wrote instead.
public final class MediaEncoder {
    public let path: String
    public let width: Int, height: Int
    public private(set) var framesWritten = 0

    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private let stream: UnsafeMutablePointer<AVStream>
    private let frame: UnsafeMutablePointer<AVFrame>
    private let packet: UnsafeMutablePointer<AVPacket>
    private var scaler: OpaquePointer?
    private let temporaryPath: String?
    private let isSequence: Bool
    private var finished = false

    public init(path: String, width: Int, height: Int, frameRate: Double) throws(MediaError) {
        quietFFmpegLogs
        self.path = path
        self.width = width
        self.height = height
        isSequence = path.contains("%")
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let name = String(path.split(separator: "/").last ?? "")
        // The temporary name keeps the extension: FFmpeg's image muxer picks its codec by it.
        temporaryPath = isSequence ? nil : (directory.isEmpty ? "" : directory + "/") + ".partial-\(getpid())-\(name)"

        var context: UnsafeMutablePointer<AVFormatContext>? = nil
        let formatName: String? = isSequence ? "image2" : path.hasSuffix(".y4m") ? "yuv4mpegpipe" : nil
        guard let container = av_guess_format(formatName, path, nil),
              avformat_alloc_output_context2(&context, container, nil, temporaryPath ?? path) >= 0, let context else {
            throw MediaError(path, "unknown output format; use .mkv, .mp4, .webm, .y4m, .png or a pattern like frames/%05d.png")
        }
        format = context
        let isImage = String(cString: container.pointee.name) == "image2"
        if isImage && !isSequence {
            // One picture: each frame overwrites it, so a video leaves its last frame.
            av_opt_set(context.pointee.priv_data, "update", "1", 0)
        }
        let (codecID, encoderName, pixelFormat) = Self.choose(format: container, path: path, isImage: isImage,
                                                              isY4M: formatName == "yuv4mpegpipe")
        guard let encoder = encoderName.flatMap({ avcodec_find_encoder_by_name($0) }) ?? avcodec_find_encoder(codecID),
              let codecContext = avcodec_alloc_context3(encoder), let stream = avformat_new_stream(context, nil) else {
            avformat_free_context(context)
            throw MediaError(path, "this FFmpeg cannot encode that format")
        }
        codec = codecContext
        self.stream = stream
        frame = av_frame_alloc()
        packet = av_packet_alloc()

        let rate = av_d2q(frameRate, 100_000)
        codecContext.pointee.width = Int32(width)
        codecContext.pointee.height = Int32(height)
        codecContext.pointee.pix_fmt = pixelFormat
        codecContext.pointee.time_base = av_inv_q(rate)
        codecContext.pointee.framerate = rate
        codecContext.pointee.color_range = pixelFormat == AV_PIX_FMT_YUVJ420P ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG
        if (context.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER) != 0 {
            codecContext.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        // Settings that keep encoding from dominating a render: fast presets, good quality.
        switch encoder.pointee.id {
        case AV_CODEC_ID_H264:
            av_opt_set(codecContext.pointee.priv_data, "preset", "veryfast", 0)
            av_opt_set(codecContext.pointee.priv_data, "crf", "18", 0)
        case AV_CODEC_ID_VP9, AV_CODEC_ID_VP8:
            av_opt_set(codecContext.pointee.priv_data, "deadline", "realtime", 0)
            av_opt_set(codecContext.pointee.priv_data, "cpu-used", "8", 0)
            av_opt_set(codecContext.pointee.priv_data, "crf", "24", 0)
            codecContext.pointee.bit_rate = Int64(width * height) * 4
        case AV_CODEC_ID_PNG:
            codecContext.pointee.compression_level = 3
        case AV_CODEC_ID_MPEG4:
            codecContext.pointee.bit_rate = Int64(width * height) * 6
        default:
            break
        }
        var status = avcodec_open2(codecContext, encoder, nil)
        if status >= 0 { status = avcodec_parameters_from_context(stream.pointee.codecpar, codecContext) }
        stream.pointee.time_base = codecContext.pointee.time_base
        if status >= 0, (context.pointee.oformat.pointee.flags & AVFMT_NOFILE) == 0 {
            status = avio_open(&context.pointee.pb, temporaryPath ?? path, AVIO_FLAG_WRITE)
        }
        if status >= 0 { status = avformat_write_header(context, nil) }
        guard status >= 0 else {
            let error = MediaError(path, "cannot start writing", code: status)
            abandon()
            throw error
        }

        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        frame.pointee.format = pixelFormat.rawValue
        guard av_frame_get_buffer(frame, 0) >= 0 else {
            abandon()
            throw MediaError(path, "out of memory")
        }
        scaler = sws_getContext(Int32(width), Int32(height), AV_PIX_FMT_YUYV422, Int32(width), Int32(height), pixelFormat,
                                SWS_BILINEAR, nil, nil, nil)
        if let scaler {
            let coefficients = sws_getCoefficients(SWS_CS_ITU601)
            let fullRange = pixelFormat == AV_PIX_FMT_RGB24 || pixelFormat == AV_PIX_FMT_YUVJ420P
            sws_setColorspaceDetails(scaler, coefficients, 0, coefficients, fullRange ? 1 : 0, 0, 1 << 16, 1 << 16)
        }
    }

    deinit {
        if !finished { abandon() }
        var framePointer: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&framePointer)
        var packetPointer: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&packetPointer)
        sws_freeContext(scaler)
    }

    /// Codec and pixel format for a container: H.264 (libx264) where the container takes it.
    /// `format` must be FFmpeg's own pointer: the struct has private fields past its public ones.
    static func choose(format: UnsafePointer<AVOutputFormat>, path: String, isImage: Bool, isY4M: Bool) -> (AVCodecID, String?, AVPixelFormat) {
        if isImage {
            let lower = path.lowercased()
            return lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg")
                ? (AV_CODEC_ID_MJPEG, nil, AV_PIX_FMT_YUVJ420P) : (AV_CODEC_ID_PNG, nil, AV_PIX_FMT_RGB24)
        }
        // FFmpeg's y4m muxer takes frames wrapped as packets, not raw video.
        if isY4M { return (AV_CODEC_ID_WRAPPED_AVFRAME, nil, AV_PIX_FMT_YUV422P) }
        let preferred = format.pointee.video_codec
        if preferred == AV_CODEC_ID_VP9 || preferred == AV_CODEC_ID_VP8 {
            return (preferred, nil, AV_PIX_FMT_YUV420P)
        }
        if avcodec_find_encoder_by_name("libx264") != nil, avformat_query_codec(format, AV_CODEC_ID_H264, 0) == 1 {
            return (AV_CODEC_ID_H264, "libx264", AV_PIX_FMT_YUV420P)
        }
        return (AV_CODEC_ID_MPEG4, nil, AV_PIX_FMT_YUV420P)
    }

    public func write(_ picture: PixelBuffer) throws(MediaError) {
        precondition(picture.format == .yuyv && picture.width == width && picture.height == height, "frames are YUYV at the encoder's size")
        guard av_frame_make_writable(frame) >= 0, let scaler else { throw MediaError(path, "out of memory") }
        var sourcePlanes: [UnsafePointer<UInt8>?] = [UnsafePointer(picture.base), nil, nil, nil]
        var sourceStrides: [Int32] = [Int32(picture.rowBytes), 0, 0, 0]
        withUnsafeMutableBytes(of: &frame.pointee.data) { planes in
            withUnsafeMutableBytes(of: &frame.pointee.linesize) { strides in
                _ = sws_scale(scaler, &sourcePlanes, &sourceStrides, 0, Int32(height),
                              planes.bindMemory(to: UnsafeMutablePointer<UInt8>?.self).baseAddress,
                              strides.bindMemory(to: Int32.self).baseAddress)
            }
        }
        frame.pointee.pts = Int64(framesWritten)
        try send(frame)
        framesWritten += 1
    }

    /// Flushes the encoder, writes the trailer and moves the file into place.
    public func finish() throws(MediaError) {
        try send(nil)
        let status = av_write_trailer(format)
        if let format, (format.pointee.oformat.pointee.flags & AVFMT_NOFILE) == 0 { avio_closep(&format.pointee.pb) }
        guard status >= 0 else {
            abandon()
            throw MediaError(path, "cannot finish the file", code: status)
        }
        if let temporaryPath, rename(temporaryPath, path) != 0 {
            let reason = String(cString: strerror(errno))
            abandon()
            throw MediaError(path, "cannot write: \(reason)")
        }
        finished = true
        avcodec_free_context(&codec)
        avformat_free_context(format)
        format = nil
    }

    private func send(_ frame: UnsafeMutablePointer<AVFrame>?) throws(MediaError) {
        let sent = avcodec_send_frame(codec, frame)
        guard sent >= 0 else { throw MediaError(path, "encoding failed", code: sent) }
        while true {
            let received = avcodec_receive_packet(codec, packet)
            if received == matte_averror_eagain() || received == matte_averror_eof() { return }
            guard received >= 0 else { throw MediaError(path, "encoding failed", code: received) }
            av_packet_rescale_ts(packet, codec!.pointee.time_base, stream.pointee.time_base)
            packet.pointee.stream_index = stream.pointee.index
            let written = av_interleaved_write_frame(format, packet)
            guard written >= 0 else { throw MediaError(path, "cannot write", code: written) }
        }
    }

    /// Removes everything written so far: the temporary file, or a sequence's frames.
    private func abandon() {
        finished = true
        if let format {
            if (format.pointee.oformat.pointee.flags & AVFMT_NOFILE) == 0 { avio_closep(&format.pointee.pb) }
            avformat_free_context(format)
            self.format = nil
        }
        avcodec_free_context(&codec)
        if let temporaryPath { unlink(temporaryPath) }
        if isSequence {
            var name = [CChar](repeating: 0, count: 4096)
            // The image2 muxer numbers frames from 1.
            for number in 1...max(framesWritten, 1) where av_get_frame_filename(&name, Int32(name.count), path, Int32(number)) == 0 {
                unlink(name)
            }
        }
    }
}
