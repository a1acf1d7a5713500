import CFFmpeg
import MatteImaging
import MatteMemory

#if canImport(Glibc)
import Glibc
import MatteFileNames
#endif

/// FFmpeg prints its own multi-line diagnostics to stderr; Matte reports one line per failure instead, and
/// keeps FFmpeg's newest error line to word it (`LibraryOutput`).
let quietFFmpegLogs: Void = LibraryOutput.keepFFmpegLogs()

/// Decodes the pictures of any file FFmpeg reads (JPEG photos through libjpeg-turbo) into frames of one
/// pixel format, shown upright: EXIF orientation and a video's rotation are applied.
///
/// `width` × `height` is the displayed size. Frames are `frameWidth` wide: YUYV pairs pixels, so an odd
/// width gets one more column, a copy of the last (`MediaEncoder` crops it off again).
public final class MediaDecoder {
    public let path: String
    public let width: Int
    public let height: Int
    public let frameWidth: Int
    public let format: PixelFormat
    public let orientation: Orientation
    /// Frames per second of the stream, when the container says.
    public let frameRate: Double?
    /// The number of frames the container announces (or its duration × rate), when it says.
    public let frameCountEstimate: Int?
    /// The stream's time base: timestamps count this fraction of a second.
    public let timeBase: (numerator: Int32, denominator: Int32)
    /// The shape of a pixel as displayed (width:height), when it is not square: anamorphic video.
    public let sampleAspectRatio: (numerator: Int32, denominator: Int32)?
    /// The input's colour primaries and transfer (what its RGB means), for the encoder to tag its output with.
    let colourPrimaries: AVColorPrimaries
    let colourTransfer: AVColorTransferCharacteristic
    /// Whether the input is HDR (PQ or HLG transfer): Matte keeps the signal as it is, without tone mapping.
    public var isHDR: Bool { colourTransfer == AVCOL_TRC_SMPTE2084 || colourTransfer == AVCOL_TRC_ARIB_STD_B67 }
    /// The presentation time and duration of the last frame decoded, in `timeBase` units (nil when unknown).
    public private(set) var timestamp: Int64?
    public private(set) var duration: Int64 = 0
    public private(set) var framesDecoded = 0

    private var formatContext: UnsafeMutablePointer<AVFormatContext>?
    private var codecContext: UnsafeMutablePointer<AVCodecContext>?
    private var streamIndex: Int32 = -1
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private let converter = PixelConverter()
    private var drained = false
    /// Set when the decoder could not allocate a frame (see `matte_watch_frame_allocations`).
    private let frameAllocationFailed = Plane<Int32>(count: 1, repeating: 0)
    /// Interlaced pictures go through a deinterlacer (made at the first one) and come out progressive.
    private var deinterlacer: Deinterlacer?
    private var deinterlaced: UnsafeMutablePointer<AVFrame>?
    /// The first picture of another size than the stream's first, for the user ("64×48 to 96×64").
    public private(set) var sizeChange: String?
    private var damagedPackets = 0
    private var readFailure: Int32?
    /// A JPEG photo decoded at opening, delivered once.
    private var still: JPEGStill.Decoded?
    private var stillDelivered = false
    /// Pictures as stored and then upright, for inputs that need turning.
    private var stored: PixelBuffer?
    private var upright: PixelBuffer?
    private let orientationConverter = PixelConverter()
    /// Streams whose packets a `MediaEncoder` copies into its output (audio), and their packets read so far.
    private(set) var carriedStreams: [UnsafeMutablePointer<AVStream>] = []
    private var carriedPackets: [UnsafeMutablePointer<AVPacket>] = []
    private let carriesAudio: Bool

    /// Opens `path`, checking its picture size against `FrameLimits` before anything is decoded.
    /// `carryAudio` keeps the audio packets for an encoder to copy (see `MediaEncoder`).
    public init(path: String, format: PixelFormat = .rgb24, carryAudio: Bool = false) throws(MediaError) {
        quietFFmpegLogs
        self.path = path
        self.format = format
        carriesAudio = carryAudio
        try Self.checkReadable(path)

        let header = Self.readPrefix(path, count: 24)
        if let declared = Self.declaredPNGSize(header),
            let problem = FrameLimits.pictureProblem(width: declared.width, height: declared.height)
        {
            throw MediaError(path, problem)
        }
        if JPEGStill.isJPEG(header), let decoded = try JPEGStill.decode(try Self.readAll(path), path: path) {
            still = decoded
            orientation = decoded.orientation
            (width, height) = decoded.orientation.displayedSize(
                width: decoded.picture.width,
                height: decoded.picture.height
            )
            frameWidth = format == .yuyv ? (width + 1) & ~1 : width
            frameRate = nil
            frameCountEstimate = 1
            timeBase = (1, 25)
            sampleAspectRatio = nil
            colourPrimaries = AVCOL_PRI_UNSPECIFIED
            colourTransfer = AVCOL_TRC_UNSPECIFIED
            return
        }

        var opened: UnsafeMutablePointer<AVFormatContext>? = nil
        // A name is a name: FFmpeg's image reader would take `photo%d.png` as a numbered sequence.
        var openOptions: OpaquePointer? = nil
        av_dict_set(&openOptions, "pattern_type", "none", 0)
        let status = FileName.withCString(path) { avformat_open_input(&opened, $0, nil, &openOptions) }
        av_dict_free(&openOptions)
        guard status >= 0, let context = opened else {
            throw MediaError(path, "not a readable image or video", code: status)
        }
        formatContext = context
        // Decoding refuses pictures over the limit before it allocates them (a decompression bomb).
        var probeOptions = [OpaquePointer?](repeating: nil, count: Int(context.pointee.nb_streams))
        for index in probeOptions.indices { av_dict_set(&probeOptions[index], "max_pixels", Self.maximumPixels, 0) }
        let probed = avformat_find_stream_info(context, &probeOptions)
        for index in probeOptions.indices { av_dict_free(&probeOptions[index]) }
        guard probed >= 0 else { throw MediaError(path, "not a readable image or video") }
        var codec: UnsafePointer<AVCodec>? = nil
        let stream = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)
        guard stream >= 0, let codec else { throw MediaError(path, "has no image or video stream FFmpeg can decode") }
        // Only memory running out makes this fail (met under a tight `ulimit -v`).
        guard let codecContext = avcodec_alloc_context3(codec) else {
            throw MediaError(path, MediaError.notEnoughMemory)
        }
        self.codecContext = codecContext
        streamIndex = stream
        let videoStream = context.pointee.streams[Int(stream)]!
        let parameters = videoStream.pointee.codecpar!
        if let problem = FrameLimits.pictureProblem(
            width: Int(parameters.pointee.width),
            height: Int(parameters.pointee.height)
        ),
            parameters.pointee.width > 0
        {
            throw MediaError(path, problem)
        }
        var codecOptions: OpaquePointer? = nil
        av_dict_set(&codecOptions, "max_pixels", Self.maximumPixels, 0)
        matte_watch_frame_allocations(codecContext, frameAllocationFailed.pointer)
        let opening =
            avcodec_parameters_to_context(codecContext, parameters) >= 0
            ? avcodec_open2(codecContext, codec, &codecOptions) : -1
        av_dict_free(&codecOptions)
        guard opening >= 0 else { throw MediaError(path, "cannot decode its video stream", code: opening) }
        guard codecContext.pointee.width > 0, codecContext.pointee.height > 0 else {
            // The probe could not decode a picture: a kind FFmpeg does not decode, over the pixel limit, or not a
            // picture at all.
            if let unsupported = UnsupportedImage.kind(of: Self.readPrefix(path, count: UnsupportedImage.prefixBytes)) {
                throw MediaError(path, unsupported)
            }
            throw MediaError(
                path,
                "cannot decode its video stream (damaged, or too large: the limit is "
                    + "\(FrameLimits.maximumSide)×\(FrameLimits.maximumSide))"
            )
        }
        if let problem = FrameLimits.pictureProblem(
            width: Int(codecContext.pointee.width),
            height: Int(codecContext.pointee.height)
        ) {
            throw MediaError(path, problem)
        }
        orientation = Self.orientation(of: videoStream)
        (width, height) = orientation.displayedSize(
            width: Int(codecContext.pointee.width),
            height: Int(codecContext.pointee.height)
        )
        frameWidth = format == .yuyv ? (width + 1) & ~1 : width
        let rate = videoStream.pointee.avg_frame_rate
        frameRate = rate.num > 0 && rate.den > 0 ? Double(rate.num) / Double(rate.den) : nil
        timeBase = (videoStream.pointee.time_base.num, videoStream.pointee.time_base.den)
        frameCountEstimate = Self.frameCountEstimate(of: videoStream, in: context, rate: frameRate)
        let aspect = av_guess_sample_aspect_ratio(context, videoStream, nil)
        sampleAspectRatio =
            aspect.num > 0 && aspect.den > 0 && aspect.num != aspect.den
            ? (orientation.swapsSides ? (aspect.den, aspect.num) : (aspect.num, aspect.den)) : nil
        colourPrimaries = parameters.pointee.color_primaries
        colourTransfer = parameters.pointee.color_trc
        if carryAudio {
            for index in 0..<Int(context.pointee.nb_streams)
            where context.pointee.streams[index]!.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_AUDIO {
                carriedStreams.append(context.pointee.streams[index]!)
            }
        }
        packet = av_packet_alloc()
        frame = av_frame_alloc()
        deinterlaced = av_frame_alloc()
        guard packet != nil, frame != nil, deinterlaced != nil else {
            throw MediaError(path, MediaError.notEnoughMemory)
        }
    }

    deinit {
        av_packet_free(&packet)
        av_frame_free(&frame)
        av_frame_free(&deinterlaced)
        for var carried in carriedPackets as [UnsafeMutablePointer<AVPacket>?] { av_packet_free(&carried) }
        avcodec_free_context(&codecContext)
        avformat_close_input(&formatContext)
    }

    static let maximumPixels = "\(FrameLimits.maximumSide * FrameLimits.maximumSide)"

    /// A buffer of the right size and format for `decodeNext`.
    public func makeFrame() throws(MediaError) -> PixelBuffer {
        try PixelBuffer.allocate(width: frameWidth, height: height, format: format, for: path)
    }

    /// The number of frames to expect: the frames the container counts, or its duration × rate when that is
    /// fewer (an MP4 edit list counts the frames it skips), or the file's duration × rate when it says nothing.
    static func frameCountEstimate(
        of stream: UnsafeMutablePointer<AVStream>,
        in context: UnsafeMutablePointer<AVFormatContext>,
        rate: Double?
    ) -> Int? {
        let announced = Int(stream.pointee.nb_frames)
        let timeBase = stream.pointee.time_base
        let streamSeconds =
            stream.pointee.duration > 0 && timeBase.den > 0
            ? Double(stream.pointee.duration) * Double(timeBase.num) / Double(timeBase.den) : 0
        let seconds = streamSeconds > 0 ? streamSeconds : Double(context.pointee.duration) / Double(AV_TIME_BASE)
        let timed = seconds > 0 && rate != nil ? Int((seconds * rate!).rounded()) : nil
        switch (announced > 0 ? announced : nil, timed) {
        case let (announced?, timed?): return min(announced, max(timed, 1))
        case let (announced?, nil): return announced
        case let (nil, timed): return timed
        }
    }

    /// Why the input looks damaged or cut short, once decoding has ended; nil when it looked whole.
    public var damage: String? {
        if let damage = still?.damage { return damage }
        if let readFailure { return MediaError(path, "reading stopped early", code: readFailure).reason }
        if let expected = frameCountEstimate, expected > 1, framesDecoded < expected - max(1, expected / 50) {
            return "ends early or is damaged: \(framesDecoded) of about \(expected) frames could be decoded"
        }
        if damagedPackets > 0 {
            return "is damaged: \(damagedPackets) damaged packet\(damagedPackets == 1 ? "" : "s") skipped"
        }
        return nil
    }

    /// Decodes the next frame into `destination` (`makeFrame()`'s size and format). False at the end.
    public func decodeNext(into destination: PixelBuffer) throws(MediaError) -> Bool {
        precondition(
            destination.width == frameWidth && destination.height == height && destination.format == format,
            "destination must match the decoder's frame size and format"
        )
        if let still {
            guard !stillDelivered else { return false }
            stillDelivered = true
            try turnUpright(still.picture, into: destination)
            padOddWidth(destination)
            framesDecoded = 1
            timestamp = 0
            return true
        }
        guard let codecContext, let frame, let deinterlaced else { return false }
        while true {
            if let deinterlacer {
                let pulled = deinterlacer.pull(into: deinterlaced)
                if pulled >= 0 {
                    defer { av_frame_unref(deinterlaced) }
                    try deliver(deinterlaced, into: destination)
                    return true
                }
                if pulled == matte_averror_eof() { return try endOfStream() }
                if pulled != matte_averror_eagain() { throw MediaError(path, "cannot deinterlace", code: pulled) }
            }
            let received = avcodec_receive_frame(codecContext, frame)
            if received == -ENOMEM { throw memoryError() }
            if received >= 0 {
                defer { av_frame_unref(frame) }
                if deinterlacer == nil, frame.pointee.interlaced_frame != 0 {
                    deinterlacer = try Deinterlacer(
                        first: frame,
                        timeBase: AVRational(num: timeBase.numerator, den: timeBase.denominator),
                        path: path
                    )
                }
                if let deinterlacer {
                    let pushed = deinterlacer.push(frame)
                    guard pushed >= 0 else { throw MediaError(path, "cannot deinterlace", code: pushed) }
                    continue
                }
                try deliver(frame, into: destination)
                return true
            }
            if received == matte_averror_eof() {
                // The deinterlacer holds a picture back (it looks at the next one): flush it out.
                if let deinterlacer, !deinterlacer.flushed {
                    let pushed = deinterlacer.push(nil)
                    guard pushed >= 0 else { throw MediaError(path, "cannot deinterlace", code: pushed) }
                    continue
                }
                return try endOfStream()
            }
            if received != matte_averror_eagain() {
                if ranOutOfMemory { throw memoryError() }
                // A damaged frame is skipped; the decoder resynchronises on the next packet.
                damagedPackets += 1
                if drained { return try endOfStream() }
            }
            if drained {
                // Pictures still held by the deinterlacer come out before the end.
                if let deinterlacer, !deinterlacer.flushed {
                    let pushed = deinterlacer.push(nil)
                    guard pushed >= 0 else { throw MediaError(path, "cannot deinterlace", code: pushed) }
                    continue
                }
                return try endOfStream()
            }
            try sendNextPacket()
        }
    }

    /// Goes back to the first frame, so a looping clip plays again without opening the file again. False when the
    /// container cannot seek back reliably (a stream without an index, timestamps that restart): then open the
    /// file again instead. Not for a decoder that carries audio (its packets would be carried twice).
    public func rewind() -> Bool {
        precondition(!carriesAudio, "a decoder carrying audio cannot rewind")
        if still != nil {
            stillDelivered = false
        } else {
            // Timestamps that may restart mid-file (MPEG-TS and -PS: clips joined by `cat`) make a seek to the first
            // one land anywhere.
            guard let formatContext, let codecContext,
                formatContext.pointee.iformat.pointee.flags & AVFMT_TS_DISCONT == 0
            else { return false }
            let start = formatContext.pointee.streams[Int(streamIndex)]!.pointee.start_time
            let seeked = av_seek_frame(
                formatContext,
                streamIndex,
                start == matte_av_nopts_value() ? 0 : start,
                AVSEEK_FLAG_BACKWARD
            )
            guard seeked >= 0 else { return false }
            avcodec_flush_buffers(codecContext)
            // A deinterlacer that has been flushed takes no more pictures: the next interlaced one makes a new one.
            deinterlacer = nil
            drained = false
        }
        framesDecoded = 0
        timestamp = nil
        return true
    }

    /// The end of the pictures, unless they ended because memory ran out: frame threads drop a picture they
    /// failed to allocate without an error, so the stream would just look short; and h264 reports tables it
    /// could not allocate as damaged slices ("decode_slice_header error"), so a stream none of whose packets
    /// decode is memory when there is no room for the frames its threads hold.
    private func endOfStream() throws(MediaError) -> Bool {
        if matte_frame_allocation_failed(frameAllocationFailed.pointer) != 0 { throw memoryError() }
        if framesDecoded == 0, damagedPackets > 0, let codecContext {
            let frames = Int(max(codecContext.pointee.thread_count, 1)) + 3
            if !OutOfMemory.couldReserve(bytes: frames * width * height * 2) { throw memoryError() }
        }
        return false
    }

    /// Converts a decoded picture into `destination` and notes its timing.
    private func deliver(_ frame: UnsafeMutablePointer<AVFrame>, into destination: PixelBuffer) throws(MediaError) {
        try convert(frame, into: destination)
        padOddWidth(destination)
        let pts = frame.pointee.best_effort_timestamp
        timestamp = pts == matte_av_nopts_value() ? nil : pts
        duration = frame.pointee.pkt_duration
        framesDecoded += 1
    }

    /// Whether a decoding error was memory running out: a frame FFmpeg could not allocate, or its own words.
    private var ranOutOfMemory: Bool {
        matte_frame_allocation_failed(frameAllocationFailed.pointer) != 0
            || LibraryOutput.mentionsMemory(LibraryOutput.takeLastLog())
    }

    /// FFmpeg ran out of memory decoding: one line naming the frame size, as a failed frame allocation says.
    private func memoryError() -> MediaError {
        MediaError(path, "not enough memory to decode its \(width)×\(height) frames; \(OutOfMemory.advice)")
    }

    private func sendNextPacket() throws(MediaError) {
        guard let formatContext, let packet else {
            drained = true
            return
        }
        while true {
            let read = av_read_frame(formatContext, packet)
            if read == -ENOMEM { throw memoryError() }
            if read < 0 {
                if read != matte_averror_eof() { readFailure = read }
                // End of file (or a truncated one): flush the decoder so buffered frames still come out.
                drained = true
                avcodec_send_packet(codecContext, nil)
                return
            }
            if packet.pointee.stream_index != streamIndex {
                if carriesAudio, carriedStreams.contains(where: { $0.pointee.index == packet.pointee.stream_index }),
                    let copy = av_packet_clone(packet)
                {
                    carriedPackets.append(copy)
                }
                av_packet_unref(packet)
                continue
            }
            defer { av_packet_unref(packet) }
            // The receive loop has emptied the decoder, so this cannot say EAGAIN; a damaged packet is
            // refused and skipped, and the decoder resynchronises on the next one.
            let sent = avcodec_send_packet(codecContext, packet)
            if sent == -ENOMEM || ranOutOfMemory { throw memoryError() }
            if sent < 0 { damagedPackets += 1 }
            return
        }
    }

    /// Hands over the carried packets read so far; the caller frees them.
    func takeCarriedPackets() -> [UnsafeMutablePointer<AVPacket>] {
        defer { carriedPackets.removeAll(keepingCapacity: true) }
        return carriedPackets
    }

    /// Reads to the end of the file for the carried streams' packets (after the last picture).
    func readRemainingCarriedPackets() throws(MediaError) {
        guard !carriedStreams.isEmpty else { return }
        while !drained { try sendNextPacket() }
    }

    private func convert(_ frame: UnsafeMutablePointer<AVFrame>, into destination: PixelBuffer) throws(MediaError) {
        let storedSize = orientation.swapsSides ? (width: height, height: width) : (width: width, height: height)
        if frame.pointee.width != Int32(storedSize.width) || frame.pointee.height != Int32(storedSize.height) {
            try fitToStreamSize(frame, storedSize)
        }
        let (sourceFormat, fullRange) = Self.rangeExplicit(
            AVPixelFormat(frame.pointee.format),
            frame.pointee.color_range
        )
        let source = PixelConverter.Endpoint(
            width: frame.pointee.width,
            height: frame.pointee.height,
            format: sourceFormat,
            fullRange: fullRange,
            matrix: Self.matrix(frame.pointee.colorspace)
        )
        // Upright pictures convert straight into the destination; others go through RGB to be turned.
        if orientation != .upright && stored == nil {
            stored = try PixelBuffer.allocate(
                width: storedSize.width,
                height: storedSize.height,
                format: .rgb24,
                for: path
            )
        }
        // An odd-width YUYV destination is one column wider than the picture swscale writes into it.
        let (target, targetWidth) = orientation == .upright ? (destination, width) : (stored!, storedSize.width)
        var destinationPlanes: [UnsafeMutablePointer<UInt8>?] = [target.base, nil, nil, nil]
        var destinationStrides: [Int32] = [Int32(target.rowBytes), 0, 0, 0]
        let converted = withUnsafeBytes(of: &frame.pointee.data) { planes in
            withUnsafeBytes(of: &frame.pointee.linesize) { strides in
                converter.convert(
                    from: source,
                    planes: planes.bindMemory(to: UnsafePointer<UInt8>?.self).baseAddress!,
                    strides: strides.bindMemory(to: Int32.self).baseAddress!,
                    to: target.format.endpoint(width: targetWidth, height: target.height),
                    planes: &destinationPlanes,
                    strides: &destinationStrides
                )
            }
        }
        guard converted else { throw MediaError(path, "cannot convert its pixel format") }
        if let stored, orientation != .upright { try turnUpright(stored, into: destination) }
    }

    /// A stream whose pictures change size mid-way (clips joined, a resolution switch): the picture is cropped
    /// to the shape of the stream's first size and scaled to it, as `cover` fits a background, so every frame
    /// comes out at one size, undistorted.
    private func fitToStreamSize(
        _ frame: UnsafeMutablePointer<AVFrame>,
        _ size: (width: Int, height: Int)
    ) throws(MediaError) {
        let (frameWidth, frameHeight) = (Int(frame.pointee.width), Int(frame.pointee.height))
        if sizeChange == nil { sizeChange = "\(size.width)×\(size.height) to \(frameWidth)×\(frameHeight)" }
        if let problem = FrameLimits.pictureProblem(width: frameWidth, height: frameHeight) {
            throw MediaError(path, "changes its frame size mid-stream to \(frameWidth)×\(frameHeight): \(problem)")
        }
        let (crop, _) = Fit.cover.layout(
            sourceWidth: frameWidth,
            sourceHeight: frameHeight,
            targetWidth: size.width,
            targetHeight: size.height
        )
        frame.pointee.crop_left = Int(crop.x)
        frame.pointee.crop_top = Int(crop.y)
        frame.pointee.crop_right = Int(frameWidth - crop.x - crop.width)
        frame.pointee.crop_bottom = Int(frameHeight - crop.y - crop.height)
        let cropped = av_frame_apply_cropping(frame, Int32(AV_FRAME_CROP_UNALIGNED))
        guard cropped >= 0 else { throw MediaError(path, "cannot crop a resized frame", code: cropped) }
    }

    /// Turns an RGB24 picture as stored upright and converts it to the destination's format.
    private func turnUpright(_ picture: PixelBuffer, into destination: PixelBuffer) throws(MediaError) {
        if destination.format != .rgb24 && upright == nil {
            upright = try PixelBuffer.allocate(width: width, height: height, format: .rgb24, for: path)
        }
        let target = destination.format == .rgb24 ? destination : upright!
        orientation.apply(
            picture.base,
            width: picture.width,
            height: picture.height,
            rowBytes: picture.rowBytes,
            bytesPerPixel: 3,
            into: target.base,
            destinationRowBytes: target.rowBytes
        )
        if target !== destination {
            guard
                orientationConverter.convert(
                    target,
                    crop: PixelRect(x: 0, y: 0, width: width, height: height),
                    into: destination,
                    at: PixelRect(x: 0, y: 0, width: width, height: height)
                )
            else {
                throw MediaError(path, "cannot convert its pixel format")
            }
        }
    }

    /// The extra YUYV column of an odd width repeats the last real pixel.
    private func padOddWidth(_ picture: PixelBuffer) {
        guard picture.format == .yuyv, width % 2 == 1 else { return }
        for row in 0..<picture.height {
            let pair = picture.base + row * picture.rowBytes + picture.rowBytes - 4
            pair[2] = pair[0]
        }
    }
}

extension MediaDecoder {
    /// Only regular files are read: a FIFO or a device could block forever, a directory is a mistake.
    static func checkReadable(_ path: String) throws(MediaError) {
        var info = stat()
        guard FileName.withCString(path, { stat($0, &info) }) == 0 else {
            throw MediaError(path, "cannot open: \(String(cString: strerror(errno)))")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw MediaError(path, "is a directory, not an image or video file")
        default: throw MediaError(path, "is not a regular file (a device, FIFO or socket); give an image or video file")
        }
        guard FileName.withCString(path, { access($0, R_OK) }) == 0 else {
            throw MediaError(path, "cannot open: \(String(cString: strerror(errno)))")
        }
        guard info.st_size > 0 else { throw MediaError(path, "is empty (0 bytes)") }
    }

    /// The size a PNG's header declares (FFmpeg does not report it when it refuses the size).
    static func declaredPNGSize(_ header: [UInt8]) -> (width: Int, height: Int)? {
        guard header.count >= 24, header[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
            header[12..<16].elementsEqual(Array("IHDR".utf8))
        else { return nil }
        func u32(_ at: Int) -> Int { header[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (u32(16), u32(20))
    }

    static func readPrefix(_ path: String, count: Int) -> [UInt8] {
        guard let file = FileName.withCString(path, { fopen($0, "rb") }) else { return [] }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: count)
        let read = fread(&bytes, 1, count, file)
        return Array(bytes.prefix(read))
    }

    static func readAll(_ path: String) throws(MediaError) -> [UInt8] {
        guard let file = FileName.withCString(path, { fopen($0, "rb") }) else {
            throw MediaError(path, "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let read = fread(&chunk, 1, chunk.count, file)
            if read == 0 { break }
            bytes.append(contentsOf: chunk.prefix(read))
            guard bytes.count <= JPEGStill.maximumFileBytes else {
                throw MediaError(path, "is too large for a JPEG photo")
            }
        }
        guard ferror(file) == 0 else { throw MediaError(path, "cannot read: \(String(cString: strerror(errno)))") }
        return bytes
    }

    /// The rotation a video's display matrix asks for.
    static func orientation(of stream: UnsafeMutablePointer<AVStream>) -> Orientation {
        guard let data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, nil) else { return .upright }
        return data.withMemoryRebound(to: Int32.self, capacity: 9) { matrix in
            let rotation = av_display_rotation_get(matrix)
            guard rotation.isFinite else { return .upright }
            // A negative determinant of the 2×2 part means the matrix also mirrors.
            let mirrored = Int64(matrix[0]) * Int64(matrix[4]) - Int64(matrix[1]) * Int64(matrix[3]) < 0
            return Orientation(displayRotation: rotation, mirrored: mirrored)
        }
    }

    /// The swscale matrix for a YUV source: the one the stream names, else BT.601.
    static func matrix(_ space: AVColorSpace) -> Int32 {
        switch space {
        case AVCOL_SPC_BT709: return SWS_CS_ITU709
        // swscale has one BT.2020 matrix; the constant-luminance variant is rare and close to it.
        case AVCOL_SPC_BT2020_NCL, AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020
        case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M
        case AVCOL_SPC_FCC: return SWS_CS_FCC
        default: return SWS_CS_ITU601
        }
    }

    /// JPEG decoders report the deprecated full-range "yuvj" formats; swscale wants the plain format
    /// with the range given separately. RGB and grey pictures are full range whatever they say.
    static func rangeExplicit(_ format: AVPixelFormat, _ range: AVColorRange) -> (AVPixelFormat, Bool) {
        switch format {
        case AV_PIX_FMT_YUVJ420P: return (AV_PIX_FMT_YUV420P, true)
        case AV_PIX_FMT_YUVJ422P: return (AV_PIX_FMT_YUV422P, true)
        case AV_PIX_FMT_YUVJ444P: return (AV_PIX_FMT_YUV444P, true)
        case AV_PIX_FMT_YUVJ440P: return (AV_PIX_FMT_YUV440P, true)
        case AV_PIX_FMT_YUVJ411P: return (AV_PIX_FMT_YUV411P, true)
        default:
            guard let descriptor = av_pix_fmt_desc_get(format) else { return (format, range == AVCOL_RANGE_JPEG) }
            let isYUV =
                descriptor.pointee.flags & UInt64(AV_PIX_FMT_FLAG_RGB) == 0 && descriptor.pointee.nb_components >= 3
            return (format, isYUV ? range == AVCOL_RANGE_JPEG : true)
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
