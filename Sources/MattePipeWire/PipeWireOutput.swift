import CLinux
internal import CPipeWire
import Logging
import MatteCore
import MatteImaging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Matte's camera as a PipeWire video source node, for apps that read cameras through PipeWire (and Flatpak
/// apps, which can only reach cameras through the camera portal), with no kernel module.
///
/// The node drives its own graph: each `write` fills a free buffer in the format the consumer chose and
/// triggers one cycle, so frames leave at the pipeline's rate with its timestamps. A consumer that falls behind
/// holds every buffer and the frame is dropped; nothing here waits for it. The readers it reports are the
/// consumers linked and streaming, for on-demand. When the daemon goes away Matte keeps running and tries again
/// every second, republishing the node when the daemon is back.
///
/// PipeWire calls back on its own thread (a `pw_thread_loop`); every piece of mutable state below is touched
/// only with that loop's lock held (callbacks run with it held), except `streaming`, which the session reads.
public final class PipeWireOutput {
    public let width: Int, height: Int
    public let frameRate: Double
    /// What camera lists show.
    public static let nodeDescription = "Matte"
    /// How long after losing the daemon, and between attempts, Matte connects again (ms).
    static let retryInterval: UInt64 = 1000
    /// Buffers in flight between Matte and a consumer: one being filled, one being read, two queued.
    static let bufferCount: UInt32 = 4

    private let logger: Logger
    private let threadLoop: OpaquePointer
    private let context: OpaquePointer
    private let loop: UnsafeMutablePointer<pw_loop>
    private let retryTimer: UnsafeMutablePointer<spa_source>
    private let coreHook = UnsafeMutablePointer<spa_hook>.allocate(capacity: 1)
    private let streamHook = UnsafeMutablePointer<spa_hook>.allocate(capacity: 1)
    private let coreEvents = UnsafeMutablePointer<pw_core_events>.allocate(capacity: 1)
    private let streamEvents = UnsafeMutablePointer<pw_stream_events>.allocate(capacity: 1)
    private var core: OpaquePointer?
    private var stream: OpaquePointer?
    private var layout: VideoLayout?
    private var sequence: UInt64 = 0
    /// Whether the daemon was unreachable at the last attempt, so an outage is logged once, not every second.
    private var unreachable = false
    private let streaming = Atomic<Bool>(false)
    /// Whether there is no daemon to publish the node on (for `outage`, which other threads read).
    private let daemonGone = Atomic<Bool>(false)
    private let readerEvents: Int32

    /// Publishes the node, or keeps trying every second when no daemon answers (see `PipeWireDaemon.check` for
    /// a startup check that fails instead).
    public init(width: Int, height: Int, frameRate: Double, logger: Logger) throws(PipelineError) {
        pw_init(nil, nil)
        let readerEvents = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard readerEvents >= 0, let threadLoop = pw_thread_loop_new("matte-pipewire", nil) else {
            if readerEvents >= 0 { close(readerEvents) }
            throw PipelineError("cannot start PipeWire's event loop: \(String(cString: strerror(errno)))")
        }
        let loop = pw_thread_loop_get_loop(threadLoop)!
        guard let context = pw_context_new(loop, nil, 0) else {
            pw_thread_loop_destroy(threadLoop)
            close(readerEvents)
            throw PipelineError("cannot make a PipeWire context: \(String(cString: strerror(errno)))")
        }
        (self.width, self.height, self.frameRate, self.logger) = (width, height, frameRate, logger)
        (self.threadLoop, self.loop, self.context, self.readerEvents) = (threadLoop, loop, context, readerEvents)
        retryTimer = matte_pw_loop_add_timer(
            loop,
            { data, _ in PipeWireOutput.from(data).reconnect() },
            nil
        )
        let me = Unmanaged.passUnretained(self).toOpaque()
        retryTimer.pointee.data = me
        setUpEvents()
        pw_thread_loop_lock(threadLoop)
        if !connect() {
            unreachable = true
            daemonGone.store(true, ordering: .releasing)
            logger.warning(
                "PipeWire: no daemon answers (\(PipeWireDaemon.socketDescription)); trying again every second"
            )
            matte_pw_loop_arm_timer(loop, retryTimer, Self.retryInterval)
        }
        pw_thread_loop_unlock(threadLoop)
        pw_thread_loop_start(threadLoop)
    }

    deinit {
        pw_thread_loop_stop(threadLoop)
        disconnect()
        matte_pw_loop_destroy_source(loop, retryTimer)
        pw_context_destroy(context)
        pw_thread_loop_destroy(threadLoop)
        for hook in [coreHook, streamHook] { hook.deallocate() }
        coreEvents.deallocate()
        streamEvents.deallocate()
        close(readerEvents)
    }

    private static func from(_ data: UnsafeMutableRawPointer?) -> PipeWireOutput {
        Unmanaged<PipeWireOutput>.fromOpaque(data!).takeUnretainedValue()
    }

    private func setUpEvents() {
        coreEvents.initialize(to: pw_core_events())
        coreEvents.pointee.version = UInt32(PW_VERSION_CORE_EVENTS)
        coreEvents.pointee.error = { data, id, _, result, message in
            PipeWireOutput.from(data).coreError(id: id, result: result, message: message.map { String(cString: $0) })
        }
        streamEvents.initialize(to: pw_stream_events())
        streamEvents.pointee.version = UInt32(PW_VERSION_STREAM_EVENTS)
        streamEvents.pointee.state_changed = { data, _, state, error in
            PipeWireOutput.from(data).stateChanged(state, error: error.map { String(cString: $0) })
        }
        streamEvents.pointee.param_changed = { data, id, param in
            PipeWireOutput.from(data).paramChanged(id: id, param: param)
        }
    }

    // MARK: Connection (loop thread, or with the loop locked)

    /// The node's properties: a video source in the camera role, named as camera lists (browsers' WebRTC, the
    /// camera portal, GNOME Snapshot) show it.
    static let properties = [
        "media.class": "Video/Source",
        "media.type": "Video",
        "media.category": "Capture",
        "media.role": "Camera",
        "node.name": "matte",
        "node.description": nodeDescription,
        "node.nick": nodeDescription,
    ]

    private func connect() -> Bool {
        guard let core = pw_context_connect(context, nil, 0) else { return false }
        self.core = core
        coreHook.initialize(to: spa_hook())
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = matte_pw_core_add_listener(core, coreHook, coreEvents, me)
        let properties = pw_properties_new_string("")
        for (key, value) in Self.properties { pw_properties_set(properties, key, value) }
        guard let stream = pw_stream_new(core, "Matte", properties) else {
            disconnect()
            return false
        }
        self.stream = stream
        streamHook.initialize(to: spa_hook())
        pw_stream_add_listener(stream, streamHook, streamEvents, me)
        let rate = Self.fraction(frameRate)
        let offered = VideoLayout.offered(width: width)
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: 1024 * offered.count)
        defer { storage.deallocate() }
        var formats: [UnsafePointer<spa_pod>?] = offered.enumerated().map { index, format in
            matte_pw_video_format(
                storage + index * 1024,
                1024,
                Self.spaFormat(format).rawValue,
                UInt32(width),
                UInt32(height),
                rate.numerator,
                rate.denominator
            )
        }
        let flags = pw_stream_flags(rawValue: PW_STREAM_FLAG_DRIVER.rawValue | PW_STREAM_FLAG_MAP_BUFFERS.rawValue)
        // UInt32.max is PW_ID_ANY: no target; the session manager links whichever consumer asks for this node.
        guard pw_stream_connect(stream, SPA_DIRECTION_OUTPUT, UInt32.max, flags, &formats, UInt32(formats.count)) >= 0
        else {
            disconnect()
            return false
        }
        return true
    }

    private func disconnect() {
        if let stream { pw_stream_destroy(stream) }
        if let core {
            spa_hook_remove(coreHook)
            pw_core_disconnect(core)
        }
        (stream, core, layout) = (nil, nil, nil)
        setStreaming(false)
    }

    private func reconnect() {
        disconnect()
        if connect() {
            logger.notice("PipeWire: connected to the daemon again; republishing the camera")
            unreachable = false
            daemonGone.store(false, ordering: .releasing)
        } else {
            if !unreachable { logger.warning("PipeWire: the daemon is not back yet; trying again every second") }
            unreachable = true
            matte_pw_loop_arm_timer(loop, retryTimer, Self.retryInterval)
        }
    }

    private func coreError(id: UInt32, result: Int32, message: String?) {
        // PW_ID_CORE with EPIPE: the connection to the daemon is gone (it stopped or restarted).
        guard id == 0, result == -EPIPE else {
            logger.warning("PipeWire: \(message ?? String(cString: strerror(-result)))")
            return
        }
        logger.warning("PipeWire: lost the daemon; the camera node is gone until it is back (retrying every second)")
        daemonGone.store(true, ordering: .releasing)
        setStreaming(false)
        // Not torn down here: the core is still calling this listener.
        matte_pw_loop_arm_timer(loop, retryTimer, Self.retryInterval)
    }

    private func stateChanged(_ state: pw_stream_state, error: String?) {
        switch state {
        case PW_STREAM_STATE_STREAMING:
            setStreaming(true)
        case PW_STREAM_STATE_PAUSED:
            if !streaming.load(ordering: .relaxed), let stream, layout == nil {
                logger.info(
                    "PipeWire: camera node \(pw_stream_get_node_id(stream)) (\"\(Self.nodeDescription)\") published"
                )
            }
            setStreaming(false)
        case PW_STREAM_STATE_ERROR:
            logger.error("PipeWire: the camera node failed (\(error ?? "no reason given")); publishing it again")
            setStreaming(false)
            matte_pw_loop_arm_timer(loop, retryTimer, Self.retryInterval)
        default:
            setStreaming(false)
        }
    }

    private func paramChanged(id: UInt32, param: UnsafePointer<spa_pod>?) {
        guard id == SPA_PARAM_Format.rawValue else { return }
        guard let param, let stream else {
            layout = nil
            return
        }
        var (format, width, height): (UInt32, UInt32, UInt32) = (0, 0, 0)
        guard matte_pw_parse_video_format(param, &format, &width, &height) != 0,
            let chosen = VideoLayout.offered(width: self.width).first(where: { Self.spaFormat($0).rawValue == format }),
            width == self.width, height == self.height
        else {
            // Consumers choose among the formats offered, so this would be a bug in the daemon or the consumer.
            layout = nil
            logger.error("PipeWire: a consumer chose a format Matte did not offer; sending it nothing")
            return
        }
        let layout = VideoLayout(format: chosen, width: self.width, height: self.height)
        self.layout = layout
        logger.info("PipeWire: a consumer takes \(chosen.rawValue.uppercased()) \(width)x\(height)")
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: 1024)
        defer { storage.deallocate() }
        var params: [UnsafePointer<spa_pod>?] = [nil, nil]
        matte_pw_buffer_params(
            storage,
            1024,
            UInt32(layout.frameBytes),
            UInt32(layout.stride),
            Self.bufferCount,
            &params
        )
        pw_stream_update_params(stream, &params, UInt32(params.count))
    }

    private func setStreaming(_ value: Bool) {
        guard streaming.exchange(value, ordering: .acquiringAndReleasing) != value else { return }
        var one: UInt64 = 1
        _ = Glibc.write(readerEvents, &one, 8)
    }

    static func spaFormat(_ format: PipeWireFormat) -> spa_video_format {
        switch format {
        case .yuy2: return SPA_VIDEO_FORMAT_YUY2
        case .i420: return SPA_VIDEO_FORMAT_I420
        case .nv12: return SPA_VIDEO_FORMAT_NV12
        }
    }

    /// A frame rate as PipeWire's fraction: whole rates over 1, others (29.97) in thousandths.
    package static func fraction(_ rate: Double) -> (numerator: UInt32, denominator: UInt32) {
        rate == rate.rounded() ? (UInt32(rate), 1) : (UInt32((rate * 1000).rounded()), 1000)
    }
}

extension PipeWireOutput: FrameSink {
    public var outage: String? {
        daemonGone.load(ordering: .acquiring)
            ? "no PipeWire daemon (\(PipeWireDaemon.socketDescription)): the camera node is gone until it is back" : nil
    }

    /// Sends one YUYV frame in the negotiated format, or drops it when no consumer streams or every buffer is
    /// still held by one.
    public func write(_ frame: PixelBuffer, captureTime: Double) throws(PipelineError) -> SinkResult {
        precondition(
            frame.format == .yuyv && frame.width == width && frame.height == height,
            "frames are YUYV at the output size"
        )
        guard streaming.load(ordering: .acquiring) else { return .dropped }
        pw_thread_loop_lock(threadLoop)
        defer { pw_thread_loop_unlock(threadLoop) }
        guard let stream, let layout else { return .dropped }
        guard let buffer = pw_stream_dequeue_buffer(stream) else { return .dropped }
        let spaBuffer = buffer.pointee.buffer!
        let data = spaBuffer.pointee.datas!
        var result = SinkResult.written
        if let base = data.pointee.data, Int(data.pointee.maxsize) >= layout.frameBytes {
            layout.write(frame, into: base.assumingMemoryBound(to: UInt8.self))
            data.pointee.chunk.pointee.offset = 0
            data.pointee.chunk.pointee.size = UInt32(layout.frameBytes)
            data.pointee.chunk.pointee.stride = Int32(layout.stride)
            if let header = matte_pw_header(spaBuffer) {
                // The camera's capture time, so a consumer can line the picture up with its audio.
                header.pointee.pts = Int64(captureTime * 1e6)
                header.pointee.flags = 0
                header.pointee.seq = sequence
                header.pointee.dts_offset = 0
            }
            sequence += 1
        } else {
            // A buffer the consumer sized or mapped differently: sent empty rather than overrun.
            data.pointee.chunk.pointee.size = 0
            result = .dropped
        }
        pw_stream_queue_buffer(stream, buffer)
        if pw_stream_is_driving(stream) { pw_stream_trigger_process(stream) }
        return result
    }
}

extension PipeWireOutput: ReaderCount {
    public var fd: Int32 { readerEvents }
    public var events: Int16 { Int16(POLLIN) }

    /// 1 while a consumer is linked and streaming, else 0.
    public func update() -> Int {
        var count: UInt64 = 0
        _ = read(readerEvents, &count, 8)
        return streaming.load(ordering: .acquiring) ? 1 : 0
    }
}
