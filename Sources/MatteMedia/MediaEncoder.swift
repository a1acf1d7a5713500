import CFFmpeg
import MatteImaging
import MatteMemory

#if canImport(Glibc)
import Glibc
import MatteFileNames
#endif

/// Encodes YUYV frames to a file whose kind follows the path: `.y4m` (raw 4:2:2), `.mkv`/`.mp4`/`.mov`
/// (H.264 where Debian's libavcodec has libx264, else MPEG-4 Part 2), `.webm` (VP9), one picture (`.png`,
/// `.jpg`), or a picture sequence when the path is an image name with a `%d`-style pattern (`frames/%05d.png`);
/// elsewhere `%` is just a character.
///
/// What it writes is faithful to the input: the size (odd sizes included), the colours (BT.601, tagged),
/// every frame with its timestamp, and the input's audio (copied where the container takes the codec).
/// The file appears only when `finish()` succeeds (see `OutputFile` and `OutputSequence`).
public final class MediaEncoder {
    public let path: String
    public let width: Int, height: Int
    public private(set) var framesWritten = 0
    /// What could not be kept (audio a container cannot hold), one line each, for the user.
    public private(set) var notes: [String] = []

    /// The file being written until `finish()` moves it into place (nil for a picture sequence).
    public var temporaryPath: String? { file?.temporary }

    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var codec: UnsafeMutablePointer<AVCodecContext>?
    private let stream: UnsafeMutablePointer<AVStream>
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private let converter = PixelConverter()
    private let destination: PixelConverter.Endpoint
    private let file: OutputFile?
    private let sequence: OutputSequence?
    private let isSinglePicture: Bool
    private var finished = false
    private let source: MediaDecoder?
    /// Output stream for each carried input stream index, copied as it is or re-encoded.
    private var carried: [Int32: UnsafeMutablePointer<AVStream>] = [:]
    private var transcoders: [Int32: AudioTranscoder] = [:]
    private var lastTimestamp: Int64?
    /// How long the newest frame shows, in the codec's time base: packets need it, or an MP4 drops its last frame.
    private var frameDuration: Int64 = 1

    /// `source`, when given, supplies timestamps (its time base) and the audio to copy; `inputs` are the
    /// files the run reads, which the output must not replace.
    public init(
        path: String,
        width: Int,
        height: Int,
        frameRate: Double,
        source: MediaDecoder? = nil,
        inputs: [String] = []
    ) throws(MediaError) {
        quietFFmpegLogs
        self.path = path
        self.width = width
        self.height = height
        self.source = source
        let lower = path.lowercased()
        let isSequence = OutputSequence.isPattern(path)
        let isY4M = lower.hasSuffix(".y4m")
        let pictureExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff"]
        isSinglePicture = !isSequence && pictureExtensions.contains { lower.hasSuffix($0) }
        let isJPEG = lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg")

        let writtenPath: String
        if isSequence {
            sequence = try OutputSequence(path, inputs: inputs)
            file = nil
            writtenPath = sequence!.temporaryPattern
        } else {
            file = try OutputFile(path, inputs: inputs)
            sequence = nil
            writtenPath = file!.temporary
        }
        let containerName: String? = isSequence || isSinglePicture ? "image2" : isY4M ? "yuv4mpegpipe" : nil
        var context: UnsafeMutablePointer<AVFormatContext>? = nil
        // The context's url is where FFmpeg's picture writer opens each frame: the name's exact bytes.
        guard let container = FileName.withCString(path, { av_guess_format(containerName, $0, nil) }),
            FileName.withCString(writtenPath, { avformat_alloc_output_context2(&context, container, nil, $0) }) >= 0,
            let context
        else {
            sequence?.discard()
            throw MediaError(
                path,
                "unknown output format; use .mkv, .mp4, .webm, .y4m, .png, .jpg or a pattern like frames/%05d.png"
            )
        }
        format = context
        if isSinglePicture {
            // The muxer would otherwise number a single name; the encoder refuses a second frame anyway.
            av_opt_set(context.pointee.priv_data, "update", "1", 0)
        }
        let choice = Self.choose(
            format: container,
            isPicture: isSequence || isSinglePicture,
            isJPEG: isJPEG,
            isY4M: isY4M,
            oddSize: width % 2 == 1 || height % 2 == 1
        )
        let encoder =
            choice.encoderName.flatMap { avcodec_find_encoder_by_name($0) } ?? avcodec_find_encoder(choice.codec)
        guard let encoder, let codecContext = avcodec_alloc_context3(encoder),
            let stream = avformat_new_stream(context, nil)
        else {
            avformat_free_context(context)
            format = nil
            sequence?.discard()
            // With the encoder there, only memory running out makes the two allocations fail.
            throw MediaError(
                path,
                encoder == nil ? "this FFmpeg cannot encode that format" : MediaError.notEnoughMemory
            )
        }
        codec = codecContext
        self.stream = stream
        frame = av_frame_alloc()
        packet = av_packet_alloc()
        let (planar, fullRange) = MediaDecoder.rangeExplicit(choice.pixelFormat, AVCOL_RANGE_MPEG)
        destination = .init(width: Int32(width), height: Int32(height), format: planar, fullRange: fullRange)

        let rate = av_d2q(frameRate, 100_000)
        codecContext.pointee.width = Int32(width)
        codecContext.pointee.height = Int32(height)
        codecContext.pointee.pix_fmt = choice.pixelFormat
        if let source, source.timeBase.numerator > 0, source.timeBase.denominator > 0 {
            codecContext.pointee.time_base = AVRational(
                num: source.timeBase.numerator,
                den: source.timeBase.denominator
            )
        } else {
            codecContext.pointee.time_base = av_inv_q(rate)
        }
        codecContext.pointee.framerate = rate
        codecContext.pointee.color_range = fullRange ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG
        if !choice.isRGB {
            // Matte's YUV is BT.601: say so, or players guess BT.709 for HD sizes and shift the colours.
            codecContext.pointee.colorspace = AVCOL_SPC_SMPTE170M
        }
        if let source {
            // The matrix is Matte's, but the RGB it encodes is the input's: its primaries and transfer (BT.2020
            // and PQ for HDR video) still describe it.
            codecContext.pointee.color_primaries = source.colourPrimaries
            codecContext.pointee.color_trc = source.colourTransfer
        }
        // Frames are progressive: the decoder deinterlaces interlaced input.
        codecContext.pointee.field_order = AV_FIELD_PROGRESSIVE
        if let aspect = source?.sampleAspectRatio {
            // Anamorphic video keeps its pixel shape, or it would show squeezed.
            codecContext.pointee.sample_aspect_ratio = AVRational(num: aspect.numerator, den: aspect.denominator)
        }
        if (context.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER) != 0 {
            codecContext.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        Self.tune(codecContext, encoder: encoder)
        var (status, printed) = LibraryOutput.capture { avcodec_open2(codecContext, encoder, nil) }
        if status >= 0 { status = avcodec_parameters_from_context(stream.pointee.codecpar, codecContext) }
        stream.pointee.time_base = codecContext.pointee.time_base
        stream.pointee.sample_aspect_ratio = codecContext.pointee.sample_aspect_ratio
        if status >= 0 {
            addCarriedStreams(container: container, extensionName: String(lower.split(separator: ".").last ?? ""))
        }
        if status >= 0, (context.pointee.oformat.pointee.flags & AVFMT_NOFILE) == 0 {
            status = FileName.withCString(writtenPath) { avio_open(&context.pointee.pb, $0, AVIO_FLAG_WRITE) }
        }
        if status >= 0 { status = avformat_write_header(context, nil) }
        guard status >= 0, let frame else {
            let error = failure("cannot start writing", code: status, printed: printed)
            abandon()
            throw error
        }
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        frame.pointee.format = choice.pixelFormat.rawValue
        guard av_frame_get_buffer(frame, 0) >= 0 else {
            abandon()
            throw MediaError(path, MediaError.notEnoughMemory)
        }
    }

    deinit {
        if !finished { abandon() }
        av_frame_free(&frame)
        av_packet_free(&packet)
    }

    struct Choice {
        let codec: AVCodecID, encoderName: String?, pixelFormat: AVPixelFormat
        var isRGB: Bool { pixelFormat == AV_PIX_FMT_RGB24 }
    }

    /// Codec and pixel format for a container: H.264 (libx264) where the container takes it.
    /// `format` must be FFmpeg's own pointer: the struct has private fields past its public ones.
    static func choose(
        format: UnsafePointer<AVOutputFormat>,
        isPicture: Bool,
        isJPEG: Bool,
        isY4M: Bool,
        oddSize: Bool
    ) -> Choice {
        if isPicture {
            return isJPEG
                ? Choice(codec: AV_CODEC_ID_MJPEG, encoderName: nil, pixelFormat: AV_PIX_FMT_YUVJ444P)
                : Choice(codec: AV_CODEC_ID_PNG, encoderName: nil, pixelFormat: AV_PIX_FMT_RGB24)
        }
        // FFmpeg's y4m muxer takes frames wrapped as packets, not raw video.
        if isY4M {
            return Choice(codec: AV_CODEC_ID_WRAPPED_AVFRAME, encoderName: nil, pixelFormat: AV_PIX_FMT_YUV422P)
        }
        let preferred = format.pointee.video_codec
        if preferred == AV_CODEC_ID_VP9 || preferred == AV_CODEC_ID_VP8 {
            return Choice(codec: preferred, encoderName: nil, pixelFormat: AV_PIX_FMT_YUV420P)
        }
        if avcodec_find_encoder_by_name("libx264") != nil, avformat_query_codec(format, AV_CODEC_ID_H264, 0) == 1 {
            // 4:2:0 needs even sides; an odd size keeps full chroma instead of losing a row or column.
            return Choice(
                codec: AV_CODEC_ID_H264,
                encoderName: "libx264",
                pixelFormat: oddSize ? AV_PIX_FMT_YUV444P : AV_PIX_FMT_YUV420P
            )
        }
        return Choice(
            codec: AV_CODEC_ID_MPEG4,
            encoderName: nil,
            pixelFormat: oddSize ? AV_PIX_FMT_YUV444P : AV_PIX_FMT_YUV420P
        )
    }

    /// Settings that keep encoding from dominating a render: fast presets, good quality.
    static func tune(_ context: UnsafeMutablePointer<AVCodecContext>, encoder: UnsafePointer<AVCodec>) {
        switch encoder.pointee.id {
        case AV_CODEC_ID_H264:
            av_opt_set(context.pointee.priv_data, "preset", "veryfast", 0)
            av_opt_set(context.pointee.priv_data, "crf", "18", 0)
            // x264's defaults (a frame thread per core plus lookahead, B-frames, a 40-frame lookahead) hold
            // ~26 frames in flight: 107 MB at 720p. Two slice threads, no B-frames and a short lookahead keep
            // the speed for ~5 % more bytes at the same quality (docs/performance.md, "Memory").
            av_opt_set(
                context.pointee.priv_data,
                "x264-params",
                "threads=2:sliced-threads=1:bframes=0:rc-lookahead=3",
                0
            )
        case AV_CODEC_ID_VP9, AV_CODEC_ID_VP8:
            av_opt_set(context.pointee.priv_data, "deadline", "realtime", 0)
            av_opt_set(context.pointee.priv_data, "cpu-used", "8", 0)
            av_opt_set(context.pointee.priv_data, "crf", "24", 0)
            context.pointee.bit_rate = Int64(context.pointee.width * context.pointee.height) * 4
        case AV_CODEC_ID_PNG:
            context.pointee.compression_level = 3
        case AV_CODEC_ID_MJPEG:
            // Quality 2 on FFmpeg's 2-31 scale: a photo, not a preview.
            context.pointee.flags |= AV_CODEC_FLAG_QSCALE
            context.pointee.global_quality = 2 * FF_QP2LAMBDA
        case AV_CODEC_ID_MPEG4:
            context.pointee.bit_rate = Int64(context.pointee.width * context.pointee.height) * 6
        default:
            break
        }
    }

    /// An output stream for each carried input stream: copied where the container takes the codec, re-encoded
    /// to the container's own audio codec otherwise; a note for what cannot be kept.
    private func addCarriedStreams(container: UnsafePointer<AVOutputFormat>, extensionName: String) {
        guard let source, let format else { return }
        for input in source.carriedStreams {
            let parameters = input.pointee.codecpar!
            let name = String(cString: avcodec_get_name(parameters.pointee.codec_id))
            if avformat_query_codec(container, parameters.pointee.codec_id, FF_COMPLIANCE_NORMAL) == 1,
                let output = avformat_new_stream(format, nil),
                avcodec_parameters_copy(output.pointee.codecpar, parameters) >= 0
            {
                output.pointee.codecpar.pointee.codec_tag = 0
                output.pointee.time_base = input.pointee.time_base
                carried[input.pointee.index] = output
            } else if let transcoder = AudioTranscoder(input: input, format: format, container: container) {
                transcoders[input.pointee.index] = transcoder
            } else {
                notes.append(
                    "the \(name) audio cannot go into a .\(extensionName) file and was left out; use .mkv to keep it"
                )
            }
        }
    }

    /// Encodes one frame: YUYV at `width` (one column more when it is odd) × `height`. `timestamp` and
    /// `duration` are the source's for this frame, in the source's time base.
    public func write(_ picture: PixelBuffer, timestamp: Int64? = nil, duration: Int64 = 0) throws(MediaError) {
        precondition(
            picture.format == .yuyv && picture.width == (width + 1) & ~1 && picture.height == height,
            "frames are YUYV at the encoder's size"
        )
        if isSinglePicture && framesWritten == 1 {
            throw MediaError(
                path,
                "holds one picture but the input has more frames; write a video (.mkv, .mp4, .webm) "
                    + "or a picture sequence such as frames/%05d.png"
            )
        }
        guard let frame, av_frame_make_writable(frame) >= 0 else { throw MediaError(path, MediaError.notEnoughMemory) }
        var sourcePlanes: [UnsafePointer<UInt8>?] = [UnsafePointer(picture.base), nil, nil, nil]
        var sourceStrides: [Int32] = [Int32(picture.rowBytes), 0, 0, 0]
        let converted = withUnsafeMutableBytes(of: &frame.pointee.data) { planes in
            withUnsafeMutableBytes(of: &frame.pointee.linesize) { strides in
                converter.convert(
                    from: PixelFormat.yuyv.endpoint(width: width, height: height),
                    planes: &sourcePlanes,
                    strides: &sourceStrides,
                    to: destination,
                    planes: planes.bindMemory(to: UnsafeMutablePointer<UInt8>?.self).baseAddress!,
                    strides: strides.bindMemory(to: Int32.self).baseAddress!
                )
            }
        }
        guard converted else { throw MediaError(path, "cannot convert frames for this format") }
        frame.pointee.pts = nextTimestamp(timestamp)
        frameDuration = duration > 0 ? duration : frameStep
        try send(frame)
        framesWritten += 1
        try copyCarriedPackets()
    }

    /// The frame's timestamp, kept increasing: a missing or repeated one follows the last by one frame.
    private func nextTimestamp(_ given: Int64?) -> Int64 {
        var pts = given ?? (lastTimestamp.map { $0 + frameStep } ?? 0)
        if let lastTimestamp, pts <= lastTimestamp { pts = lastTimestamp + frameStep }
        lastTimestamp = pts
        return pts
    }

    /// One frame interval at the nominal rate, in the codec's time base.
    private var frameStep: Int64 {
        max(1, av_rescale_q(1, av_inv_q(codec!.pointee.framerate), codec!.pointee.time_base))
    }

    private func copyCarriedPackets() throws(MediaError) {
        guard let source, !carried.isEmpty || !transcoders.isEmpty else { return }
        var packets = source.takeCarriedPackets() as [UnsafeMutablePointer<AVPacket>?]
        defer { for index in packets.indices { av_packet_free(&packets[index]) } }
        for case let packet? in packets {
            if let transcoder = transcoders[packet.pointee.stream_index] {
                let written = transcoder.transcode(packet) { av_interleaved_write_frame(format, $0) }
                guard written >= 0 else { throw MediaError(path, "cannot write its audio", code: written) }
                continue
            }
            guard let input = source.carriedStreams.first(where: { $0.pointee.index == packet.pointee.stream_index }),
                let output = carried[packet.pointee.stream_index]
            else { continue }
            av_packet_rescale_ts(packet, input.pointee.time_base, output.pointee.time_base)
            packet.pointee.stream_index = output.pointee.index
            packet.pointee.pos = -1
            let (written, printedWriting) = LibraryOutput.capture { av_interleaved_write_frame(format, packet) }
            guard written >= 0 else { throw failure("cannot write", code: written, printed: printedWriting) }
        }
    }

    /// Flushes the encoder, copies the rest of the audio, writes the trailer and moves the file into place.
    public func finish() throws(MediaError) {
        do throws(MediaError) {
            try send(nil)
            try source?.readRemainingCarriedPackets()
            try copyCarriedPackets()
            for transcoder in transcoders.values {
                let written = transcoder.transcode(nil) { av_interleaved_write_frame(format, $0) }
                guard written >= 0 else { throw MediaError(path, "cannot write its audio", code: written) }
            }
        } catch {
            abandon()
            throw error
        }
        let status = av_write_trailer(format)
        if let format, (format.pointee.oformat.pointee.flags & AVFMT_NOFILE) == 0 { avio_closep(&format.pointee.pb) }
        guard status >= 0 else {
            abandon()
            throw MediaError(path, "cannot finish the file", code: status)
        }
        avcodec_free_context(&codec)
        avformat_free_context(format)
        format = nil
        finished = true
        if let file { try file.commit() }
        if let sequence { try sequence.commit(count: framesWritten) }
    }

    private func send(_ frame: UnsafeMutablePointer<AVFrame>?) throws(MediaError) {
        guard let packet else { throw MediaError(path, MediaError.notEnoughMemory) }
        let (sent, printedSending) = LibraryOutput.capture { avcodec_send_frame(codec, frame) }
        guard sent >= 0 else { throw failure("encoding failed", code: sent, printed: printedSending) }
        while true {
            let (received, printed) = LibraryOutput.capture { avcodec_receive_packet(codec, packet) }
            if received == matte_averror_eagain() || received == matte_averror_eof() { return }
            guard received >= 0 else { throw failure("encoding failed", code: received, printed: printed) }
            if packet.pointee.duration <= 0 { packet.pointee.duration = frameDuration }
            av_packet_rescale_ts(packet, codec!.pointee.time_base, stream.pointee.time_base)
            packet.pointee.stream_index = stream.pointee.index
            let (written, printedWriting) = LibraryOutput.capture { av_interleaved_write_frame(format, packet) }
            guard written >= 0 else { throw failure("cannot write", code: written, printed: printedWriting) }
        }
    }

    /// `what` failed with FFmpeg's `code`, the encoder library having `printed` that. Running out of memory
    /// names the frame size, as the decoder does; libx264 says "malloc of size … failed" and FFmpeg passes
    /// it on as a "generic error in an external library", and the image writer turns any failure to open the
    /// picture's file into "Could not open file" and EIO, so its own words decide.
    private func failure(_ what: String, code: Int32, printed: String = "") -> MediaError {
        // Without a word from the library on memory, such a failure is memory when memory is short: room for
        // two encoder threads' stacks and four frames.
        let vague =
            (code == matte_averror_external() && printed.isEmpty)
            || (code == -EIO && printed.contains("Could not open file"))
        let silentlyShort = vague && !OutOfMemory.couldReserve(bytes: 16 << 20 + 4 * width * height * 2)
        if code == -ENOMEM || LibraryOutput.mentionsMemory(printed) || silentlyShort {
            return MediaError(path, "not enough memory to encode \(width)×\(height) frames; \(OutOfMemory.advice)")
        }
        if let line = printed.split(whereSeparator: \.isNewline).first {
            return MediaError(path, "\(what): \(line)")
        }
        return MediaError(path, what, code: code)
    }

    /// Removes everything written so far: the temporary file, or a sequence's hidden directory.
    public func abandon() {
        guard !finished else { return }
        finished = true
        if let format {
            if (format.pointee.oformat.pointee.flags & AVFMT_NOFILE) == 0 { avio_closep(&format.pointee.pb) }
            avformat_free_context(format)
            self.format = nil
        }
        avcodec_free_context(&codec)
        file?.discard()
        sequence?.discard()
    }
}
