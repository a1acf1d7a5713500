import CFFmpeg
import MatteImaging

/// Why a media file could not be read or written; the description names the file.
public struct MediaError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }

    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    init(_ path: String, _ what: String, code: Int32) {
        var text = [CChar](repeating: 0, count: 256)
        av_strerror(code, &text, text.count)
        self.init(path, "\(what): \(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))")
    }
}

/// FFmpeg prints its own multi-line diagnostics to stderr; Matte reports one line per failure instead.
let quietFFmpegLogs: Void = av_log_set_level(AV_LOG_QUIET)

/// Decodes the video stream of any file FFmpeg reads (images included) into frames of one pixel format.
public final class MediaDecoder {
    public let path: String
    public let width: Int
    public let height: Int
    /// Frames per second of the stream, when the container says.
    public let frameRate: Double?
    /// The number of frames the container announces (or its duration × rate), when it says.
    public let frameCountEstimate: Int?
    public let format: PixelFormat

    private var formatContext: UnsafeMutablePointer<AVFormatContext>?
    private var codecContext: UnsafeMutablePointer<AVCodecContext>?
    private let streamIndex: Int32
    private let packet: UnsafeMutablePointer<AVPacket>
    private let frame: UnsafeMutablePointer<AVFrame>
    private var scaler: OpaquePointer?
    private var scalerSource: (width: Int32, height: Int32, format: Int32) = (0, 0, -1)
    private var drained = false

    /// Frames come out at the stream's size, except that YUYV output drops an odd last column.
    public init(path: String, format: PixelFormat = .rgb24) throws(MediaError) {
        quietFFmpegLogs
        self.path = path
        self.format = format
        var opened: UnsafeMutablePointer<AVFormatContext>? = nil
        let status = avformat_open_input(&opened, path, nil, nil)
        guard status >= 0, let context = opened else { throw MediaError(path, "cannot open", code: status) }
        guard avformat_find_stream_info(context, nil) >= 0 else {
            avformat_close_input(&opened)
            throw MediaError(path, "not a readable image or video")
        }
        var codec: UnsafePointer<AVCodec>? = nil
        let stream = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)
        guard stream >= 0, let codec, let codecContext = avcodec_alloc_context3(codec) else {
            avformat_close_input(&opened)
            throw MediaError(path, "has no image or video stream FFmpeg can decode")
        }
        let parameters = context.pointee.streams[Int(stream)]!.pointee.codecpar
        var codecPointer: UnsafeMutablePointer<AVCodecContext>? = codecContext
        guard avcodec_parameters_to_context(codecContext, parameters) >= 0, avcodec_open2(codecContext, codec, nil) >= 0,
              codecContext.pointee.width > 0, codecContext.pointee.height > 0 else {
            avcodec_free_context(&codecPointer)
            avformat_close_input(&opened)
            throw MediaError(path, "cannot decode its video stream")
        }
        let rate = context.pointee.streams[Int(stream)]!.pointee.avg_frame_rate
        formatContext = context
        self.codecContext = codecContext
        streamIndex = stream
        width = Int(codecContext.pointee.width) & (format == .yuyv ? ~1 : ~0)
        height = Int(codecContext.pointee.height)
        frameRate = rate.num > 0 && rate.den > 0 ? Double(rate.num) / Double(rate.den) : nil
        let announced = Int(context.pointee.streams[Int(stream)]!.pointee.nb_frames)
        let seconds = Double(context.pointee.duration) / Double(AV_TIME_BASE)
        frameCountEstimate = announced > 0 ? announced
            : (seconds > 0 && frameRate != nil) ? Int((seconds * frameRate!).rounded()) : nil
        packet = av_packet_alloc()
        frame = av_frame_alloc()
    }

    deinit {
        var packetPointer: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&packetPointer)
        var framePointer: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&framePointer)
        sws_freeContext(scaler)
        avcodec_free_context(&codecContext)
        avformat_close_input(&formatContext)
    }

    /// Decodes the next frame into `destination` (which must be width × height in `format`).
    /// Returns false at the end of the stream.
    public func decodeNext(into destination: PixelBuffer) throws(MediaError) -> Bool {
        precondition(destination.width == width && destination.height == height && destination.format == format,
                     "destination must match the decoder's size and format")
        while true {
            let received = avcodec_receive_frame(codecContext, frame)
            if received >= 0 {
                defer { av_frame_unref(frame) }
                try convert(frame, into: destination)
                return true
            }
            if received == matte_averror_eof() { return false }
            guard received == matte_averror_eagain() else { throw MediaError(path, "decoding failed", code: received) }
            if drained { return false }
            try sendNextPacket()
        }
    }

    private func sendNextPacket() throws(MediaError) {
        while true {
            let read = av_read_frame(formatContext, packet)
            if read < 0 {
                // End of file (or a truncated one): flush the decoder so buffered frames still come out.
                drained = true
                avcodec_send_packet(codecContext, nil)
                return
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            // The receive loop has emptied the decoder, so this cannot say EAGAIN; a damaged packet is
            // refused and skipped, and the decoder resynchronises on the next one.
            _ = avcodec_send_packet(codecContext, packet)
            return
        }
    }

    private func convert(_ frame: UnsafeMutablePointer<AVFrame>, into destination: PixelBuffer) throws(MediaError) {
        let source = (width: frame.pointee.width, height: frame.pointee.height, format: frame.pointee.format)
        guard source.width & (format == .yuyv ? ~1 : ~0) == Int32(width), source.height == Int32(height) else {
            throw MediaError(path, "frame size changed mid-stream to \(source.width)×\(source.height)")
        }
        if scaler == nil || scalerSource != source {
            sws_freeContext(scaler)
            let (sourceFormat, fullRange) = Self.rangeExplicit(AVPixelFormat(source.format), frame.pointee.color_range)
            scaler = sws_getContext(source.width, source.height, sourceFormat,
                                    Int32(width), Int32(height), format.ffmpegFormat, SWS_BILINEAR, nil, nil, nil)
            scalerSource = source
            if let scaler {
                // RGB is full range; YUYV output is limited range, as cameras send it.
                let coefficients = sws_getCoefficients(SWS_CS_ITU601)
                sws_setColorspaceDetails(scaler, coefficients, fullRange ? 1 : 0, coefficients,
                                         format == .yuyv ? 0 : 1, 0, 1 << 16, 1 << 16)
            }
        }
        guard let scaler else { throw MediaError(path, "cannot convert its pixel format") }
        var planes: [UnsafeMutablePointer<UInt8>?] = [destination.base, nil, nil, nil]
        var strides: [Int32] = [Int32(destination.rowBytes), 0, 0, 0]
        var sourcePlanes = frame.pointee.data, sourceStrides = frame.pointee.linesize
        withUnsafeBytes(of: &sourcePlanes) { planeBytes in
            withUnsafeBytes(of: &sourceStrides) { strideBytes in
                _ = sws_scale(scaler, planeBytes.bindMemory(to: UnsafePointer<UInt8>?.self).baseAddress,
                              strideBytes.bindMemory(to: Int32.self).baseAddress, 0, source.height, &planes, &strides)
            }
        }
    }
}

extension MediaDecoder {
    /// JPEG decoders report the deprecated full-range "yuvj" formats; swscale wants the plain format
    /// with the range given separately.
    static func rangeExplicit(_ format: AVPixelFormat, _ range: AVColorRange) -> (AVPixelFormat, Bool) {
        switch format {
        case AV_PIX_FMT_YUVJ420P: return (AV_PIX_FMT_YUV420P, true)
        case AV_PIX_FMT_YUVJ422P: return (AV_PIX_FMT_YUV422P, true)
        case AV_PIX_FMT_YUVJ444P: return (AV_PIX_FMT_YUV444P, true)
        case AV_PIX_FMT_YUVJ440P: return (AV_PIX_FMT_YUV440P, true)
        case AV_PIX_FMT_YUVJ411P: return (AV_PIX_FMT_YUV411P, true)
        default: return (format, range == AVCOL_RANGE_JPEG)
        }
    }
}

extension PixelFormat {
    var ffmpegFormat: AVPixelFormat {
        switch self {
        case .rgb24: return AV_PIX_FMT_RGB24
        case .yuyv: return AV_PIX_FMT_YUYV422
        case .gray8: return AV_PIX_FMT_GRAY8
        case .rgba32: return AV_PIX_FMT_RGBA
        }
    }
}
