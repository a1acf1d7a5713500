import CFFmpeg

/// Re-encodes an audio stream for a container that cannot hold its codec (AAC into WebM becomes Opus):
/// decode → resample (libswresample) → encode in the encoder's frame size → packets for the muxer.
final class AudioTranscoder {
    let output: UnsafeMutablePointer<AVStream>
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private var encoder: UnsafeMutablePointer<AVCodecContext>?
    private var resampler: OpaquePointer?
    private var decoded: UnsafeMutablePointer<AVFrame>?
    private var chunk: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private let inputTimeBase: AVRational
    /// The next chunk's time, in samples at the output rate.
    private var nextSample: Int64?

    /// Nil when this FFmpeg has no decoder for the input or no encoder for the container's audio codec.
    init?(
        input: UnsafeMutablePointer<AVStream>,
        format: UnsafeMutablePointer<AVFormatContext>,
        container: UnsafePointer<AVOutputFormat>
    ) {
        inputTimeBase = input.pointee.time_base
        let target = container.pointee.audio_codec
        guard target != AV_CODEC_ID_NONE,
            let decoderCodec = avcodec_find_decoder(input.pointee.codecpar.pointee.codec_id),
            let encoderCodec = (target == AV_CODEC_ID_OPUS ? avcodec_find_encoder_by_name("libopus") : nil)
                ?? avcodec_find_encoder(target),
            let decoder = avcodec_alloc_context3(decoderCodec), let encoder = avcodec_alloc_context3(encoderCodec),
            let output = avformat_new_stream(format, nil)
        else { return nil }
        self.decoder = decoder
        self.encoder = encoder
        self.output = output
        guard avcodec_parameters_to_context(decoder, input.pointee.codecpar) >= 0,
            avcodec_open2(decoder, decoderCodec, nil) >= 0,
            decoder.pointee.ch_layout.nb_channels > 0
        else { return nil }

        // Mono stays mono; anything else becomes stereo, which every encoder and container takes.
        av_channel_layout_default(&encoder.pointee.ch_layout, decoder.pointee.ch_layout.nb_channels == 1 ? 1 : 2)
        encoder.pointee.sample_rate = Self.rate(for: encoderCodec, near: decoder.pointee.sample_rate)
        encoder.pointee.sample_fmt = encoderCodec.pointee.sample_fmts?.pointee ?? AV_SAMPLE_FMT_FLTP
        encoder.pointee.time_base = AVRational(num: 1, den: encoder.pointee.sample_rate)
        encoder.pointee.bit_rate = 128_000
        if (format.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER) != 0 {
            encoder.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER
        }
        guard avcodec_open2(encoder, encoderCodec, nil) >= 0,
            avcodec_parameters_from_context(output.pointee.codecpar, encoder) >= 0
        else { return nil }
        output.pointee.time_base = encoder.pointee.time_base

        guard
            swr_alloc_set_opts2(
                &resampler,
                &encoder.pointee.ch_layout,
                encoder.pointee.sample_fmt,
                encoder.pointee.sample_rate,
                &decoder.pointee.ch_layout,
                decoder.pointee.sample_fmt,
                decoder.pointee.sample_rate,
                0,
                nil
            ) >= 0,
            swr_init(resampler) >= 0
        else { return nil }
        decoded = av_frame_alloc()
        chunk = av_frame_alloc()
        packet = av_packet_alloc()
        guard decoded != nil, let chunk, packet != nil else { return nil }
        chunk.pointee.nb_samples = encoder.pointee.frame_size > 0 ? encoder.pointee.frame_size : 1024
        chunk.pointee.format = encoder.pointee.sample_fmt.rawValue
        chunk.pointee.sample_rate = encoder.pointee.sample_rate
        guard av_channel_layout_copy(&chunk.pointee.ch_layout, &encoder.pointee.ch_layout) >= 0,
            av_frame_get_buffer(chunk, 0) >= 0
        else { return nil }
    }

    deinit {
        avcodec_free_context(&decoder)
        avcodec_free_context(&encoder)
        swr_free(&resampler)
        av_frame_free(&decoded)
        av_frame_free(&chunk)
        av_packet_free(&packet)
    }

    /// The encoder's supported rate nearest to `wanted` (Opus takes 48 kHz and a few lower rates).
    static func rate(for codec: UnsafePointer<AVCodec>, near wanted: Int32) -> Int32 {
        guard var rates = codec.pointee.supported_samplerates else { return wanted }
        var best: Int32 = 48_000
        while rates.pointee != 0 {
            if rates.pointee == wanted { return wanted }
            if abs(rates.pointee - wanted) < abs(best - wanted) { best = rates.pointee }
            rates += 1
        }
        return best
    }

    /// Decodes one input packet (nil: the end) and writes what the encoder makes of it through `write`.
    func transcode(_ input: UnsafeMutablePointer<AVPacket>?, write: (UnsafeMutablePointer<AVPacket>) -> Int32) -> Int32
    {
        guard let decoder, let decoded else { return -1 }
        // A damaged audio packet is skipped, as a player would.
        _ = avcodec_send_packet(decoder, input)
        while avcodec_receive_frame(decoder, decoded) >= 0 {
            if nextSample == nil, decoded.pointee.best_effort_timestamp != matte_av_nopts_value() {
                nextSample = av_rescale_q(
                    decoded.pointee.best_effort_timestamp,
                    inputTimeBase,
                    encoder!.pointee.time_base
                )
            }
            withUnsafeMutableBytes(of: &decoded.pointee.data) { planes in
                _ = swr_convert(
                    resampler,
                    nil,
                    0,
                    UnsafeMutablePointer(mutating: planes.bindMemory(to: UnsafePointer<UInt8>?.self).baseAddress!),
                    decoded.pointee.nb_samples
                )
            }
            av_frame_unref(decoded)
            let status = drain(final: false, write: write)
            guard status >= 0 else { return status }
        }
        return input == nil ? drain(final: true, write: write) : 0
    }

    /// Encodes every whole chunk the resampler holds; at the end also the last partial one, then flushes.
    private func drain(final: Bool, write: (UnsafeMutablePointer<AVPacket>) -> Int32) -> Int32 {
        guard let encoder, let chunk else { return -1 }
        let size = chunk.pointee.nb_samples > 0 ? max(encoder.pointee.frame_size, 1) : 1024
        while swr_get_out_samples(resampler, 0) >= size || final {
            guard av_frame_make_writable(chunk) >= 0 else { return -1 }
            chunk.pointee.nb_samples = size
            let got = withUnsafeMutableBytes(of: &chunk.pointee.data) { planes in
                swr_convert(
                    resampler,
                    planes.bindMemory(to: UnsafeMutablePointer<UInt8>?.self).baseAddress!,
                    size,
                    nil,
                    0
                )
            }
            guard got > 0 else { break }
            chunk.pointee.nb_samples = got
            chunk.pointee.pts = nextSample ?? 0
            nextSample = (nextSample ?? 0) + Int64(got)
            let status = encode(chunk, write: write)
            guard status >= 0 else { return status }
        }
        return final ? encode(nil, write: write) : 0
    }

    private func encode(
        _ frame: UnsafeMutablePointer<AVFrame>?,
        write: (UnsafeMutablePointer<AVPacket>) -> Int32
    ) -> Int32 {
        guard let encoder, let packet else { return -1 }
        let sent = avcodec_send_frame(encoder, frame)
        guard sent >= 0 else { return sent }
        while avcodec_receive_packet(encoder, packet) >= 0 {
            av_packet_rescale_ts(packet, encoder.pointee.time_base, output.pointee.time_base)
            packet.pointee.stream_index = output.pointee.index
            let written = write(packet)
            guard written >= 0 else { return written }
        }
        return 0
    }
}
