import Foundation
import MatteImaging

#if canImport(Glibc)
import Glibc
#endif

/// A background picture or looping video from a file, delivered as YUYV at the output size.
///
/// A video is decoded and fitted ahead on a thread of its own (named `matte-bgvideo`) into a ring of three
/// frames: the one on show and up to two ready ones. `advance` only picks a ready frame, so the thread that calls
/// it (the live camera's output thread) never waits for a decode. A still needs no thread.
public final class BackgroundSource {
    public let path: String
    /// The background for the output frame last advanced to (YUYV, output size). Unchanged until the next `advance`.
    public private(set) var frame: PixelBuffer
    /// For a video: which clip frame shows at each output frame, the frames, and the thread that fills them.
    private let pacer: FramePacer?
    private let ring: FrameRing?
    private let decodingThread: pthread_t?

    /// Opens `path`; a file with one frame is a still image, anything longer a video looped at its own speed.
    public convenience init(path: String, width: Int, height: Int, fit: Fit, outputRate: Double) throws(MediaError) {
        try self.init(path: path, width: width, height: height, fit: fit, outputRate: outputRate, decodeDelay: nil)
    }

    /// `decodeDelay` (seconds) slows every decode of a video, for tests of a decoder slower than the output.
    init(
        path: String,
        width: Int,
        height: Int,
        fit: Fit,
        outputRate: Double,
        decodeDelay: TimeInterval?
    ) throws(MediaError) {
        self.path = path
        let fitter = BackgroundFitter(width: width, height: height, fit: fit)
        frame = try PixelBuffer.allocate(width: width, height: height, format: .yuyv, for: path)
        let decoder = try MediaDecoder(path: path, format: .rgb24)
        let decoded = try decoder.makeFrame()
        guard try decoder.decodeNext(into: decoded) else { throw MediaError(path, "contains no decodable frame") }
        try fitter.fill(frame, from: decoded, path: path)
        // A second frame makes it a video; the decoding thread starts from it.
        guard try decoder.decodeNext(into: decoded) else {
            pacer = nil
            ring = nil
            decodingThread = nil
            return
        }
        let pacer = FramePacer(clipRate: decoder.frameRate ?? outputRate, outputRate: outputRate)
        var slots = [frame]
        for _ in 1..<FrameRing.capacity {
            slots.append(try PixelBuffer.allocate(width: width, height: height, format: .yuyv, for: path))
        }
        let ring = FrameRing(slots: slots)
        let decoding = BackgroundDecoding(
            decoder: decoder,
            decoded: decoded,
            fitter: fitter,
            pacer: pacer,
            ring: ring,
            decodeDelay: decodeDelay
        )
        // The thread owns `decoding` (its one reference, handed over here) and shares only `ring` with this object.
        let handOver = Unmanaged.passRetained(decoding).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(
            &thread,
            nil,
            { context in
                Thread.current.name = "matte-bgvideo"
                Unmanaged<BackgroundDecoding>.fromOpaque(context!).takeRetainedValue().run()
                return nil
            },
            handOver
        )
        guard started == 0 else {
            Unmanaged<BackgroundDecoding>.fromOpaque(handOver).release()
            // EAGAIN: no room for the thread's stack (a memory limit) or too many threads.
            throw MediaError(
                path,
                started == EAGAIN
                    ? MediaError.notEnoughMemory
                    : "cannot start a thread to decode it: \(String(cString: strerror(started)))"
            )
        }
        self.pacer = pacer
        self.ring = ring
        decodingThread = thread
    }

    /// Stops the decoding thread and waits for it: it notices within the decode or fit it is doing.
    deinit {
        guard let ring, let decodingThread else { return }
        ring.condition.lock()
        ring.stopping = true
        ring.condition.broadcast()
        ring.condition.unlock()
        pthread_join(decodingThread, nil)
    }

    /// Brings `frame` to what shows at output frame `outputFrame` (frames are asked for in increasing order), and
    /// throws when the video stopped decoding (`frame` then keeps the last picture that came).
    ///
    /// By default it never waits: when the decoder is late, `frame` stays the newest frame decoded in time (the
    /// live camera). `waitingForDecoder` waits for exactly the clip frame of `outputFrame`, so a file render is
    /// the same on every run.
    public func advance(toOutputFrame outputFrame: Int, waitingForDecoder: Bool = false) throws(MediaError) {
        guard let pacer, let ring else { return }
        let wanted = pacer.clipFrame(forOutputFrame: outputFrame)
        ring.condition.lock()
        defer { ring.condition.unlock() }
        ring.wantedOutputFrame = max(ring.wantedOutputFrame, outputFrame)
        while true {
            ring.showNewestReady(upTo: wanted)
            // Wakes the decoder: a slot may be free now, and after a failure it tries again at each output frame.
            ring.condition.broadcast()
            // Ready frames left are past `wanted`: the decoder will bring nothing nearer.
            guard waitingForDecoder, ring.shownClipFrame < wanted, ring.ready.isEmpty, ring.failure == nil else {
                break
            }
            ring.condition.wait()
        }
        frame = ring.slots[ring.shown]
        if let failure = ring.failure { throw failure }
    }
}

/// The frames a video background's caller and its decoding thread share, touched only under `condition`'s lock.
///
/// Each slot is on show (the caller reads it until its next `advance`), ready (nobody writes it), or free. Only
/// the decoding thread writes a slot, and only a free one, outside the lock: the caller never touches a free slot,
/// and a slot becomes ready or shown only when the decoder hands it over under the lock.
private final class FrameRing {
    /// One frame on show and two ready: enough to ride out an uneven decode time, and bounded memory.
    static let capacity = 3

    let condition = NSCondition()
    let slots: [PixelBuffer]
    var shown = 0
    /// The clip frame (counted across loops) in `slots[shown]`: the first one, fitted at opening.
    var shownClipFrame = 0
    /// Fitted frames not yet shown, oldest first.
    var ready: [(slot: Int, clipFrame: Int)] = []
    /// The newest output frame the caller has asked for: the decoder's clock.
    var wantedOutputFrame = 0
    /// Why the video stopped decoding, until a new frame comes.
    var failure: MediaError?
    var stopping = false

    init(slots: [PixelBuffer]) {
        self.slots = slots
        ready.reserveCapacity(slots.count)
    }

    /// Shows the newest ready frame that is not past `clipFrame`; older ones will never show and are freed.
    func showNewestReady(upTo clipFrame: Int) {
        guard let newest = ready.lastIndex(where: { $0.clipFrame <= clipFrame }) else { return }
        (shown, shownClipFrame) = ready[newest]
        ready.removeFirst(newest + 1)
    }

    /// A slot neither on show nor ready, if any.
    var freeSlot: Int? {
        slots.indices.first { slot in slot != shown && !ready.contains { $0.slot == slot } }
    }
}

/// The decoding thread's work: decode the clip in a loop and fit the frames the output will show into the ring.
/// Everything here but `ring` belongs to that thread alone.
private final class BackgroundDecoding {
    private var decoder: MediaDecoder
    private var decoded: PixelBuffer
    private let fitter: BackgroundFitter
    private let pacer: FramePacer
    private let ring: FrameRing
    private let decodeDelay: TimeInterval?
    /// The clip frame (counted across loops) in `decoded`.
    private var decodedClipFrame = 1
    /// Where the search for the first output frame that shows `decodedClipFrame` starts (output frames only move
    /// forward).
    private var outputCursor = 0
    /// The caller's output frame when a frame was last fitted.
    private var outputFrameAtLastFit = 0
    /// A decoder behind the output fits none of the frames the output has passed (later frames still need them
    /// decoded), unless the picture would stay still this long: a decoder slower than the clip then still moves it.
    private let longestStillOutputFrames: Int

    init(
        decoder: MediaDecoder,
        decoded: PixelBuffer,
        fitter: BackgroundFitter,
        pacer: FramePacer,
        ring: FrameRing,
        decodeDelay: TimeInterval?
    ) {
        self.decoder = decoder
        self.decoded = decoded
        self.fitter = fitter
        self.pacer = pacer
        self.ring = ring
        self.decodeDelay = decodeDelay
        longestStillOutputFrames = max(2, Int((pacer.outputRate / 10).rounded()))
    }

    private enum Decision {
        case fit(slot: Int)
        case skip
        case stop
    }

    func run() {
        while true {
            switch decide() {
            case .stop: return
            case .skip: break
            case .fit(let slot):
                do {
                    try fitter.fill(ring.slots[slot], from: decoded, path: decoder.path)
                    publish(slot)
                } catch {
                    guard waitForNextOutputFrame(after: error) else { return }
                }
            }
            while true {
                do {
                    try decodeNextClipFrame()
                    break
                } catch {
                    guard waitForNextOutputFrame(after: error) else { return }
                }
            }
        }
    }

    /// What becomes of the decoded frame: fitted into a free slot (waiting while the ring is full), skipped, or
    /// nothing because the source is going away.
    private func decide() -> Decision {
        ring.condition.lock()
        defer { ring.condition.unlock() }
        while !ring.stopping {
            let outputFrame = ring.wantedOutputFrame
            outputCursor = max(outputCursor, outputFrame)
            while pacer.clipFrame(forOutputFrame: outputCursor) < decodedClipFrame { outputCursor += 1 }
            if decodedClipFrame >= pacer.clipFrame(forOutputFrame: outputFrame) {
                // In time: fitted if an output frame shows it (a clip faster than the output skips some).
                guard pacer.clipFrame(forOutputFrame: outputCursor) == decodedClipFrame else { return .skip }
            } else if outputFrame - outputFrameAtLastFit < longestStillOutputFrames {
                return .skip
            }
            if let slot = ring.freeSlot {
                outputFrameAtLastFit = outputFrame
                return .fit(slot: slot)
            }
            ring.condition.wait()
        }
        return .stop
    }

    private func publish(_ slot: Int) {
        ring.condition.lock()
        ring.ready.append((slot, decodedClipFrame))
        ring.failure = nil
        ring.condition.broadcast()
        ring.condition.unlock()
    }

    /// Decodes the next clip frame into `decoded`, starting the clip again after its last frame.
    private func decodeNextClipFrame() throws(MediaError) {
        if let decodeDelay { Thread.sleep(forTimeInterval: decodeDelay) }
        if try !decoder.decodeNext(into: decoded) {
            if !decoder.rewind() {
                decoder = try MediaDecoder(path: decoder.path, format: .rgb24)
                // The file may have been replaced by one of another size.
                if decoded.width != decoder.frameWidth || decoded.height != decoder.height {
                    decoded = try decoder.makeFrame()
                }
            }
            guard try decoder.decodeNext(into: decoded) else {
                throw MediaError(decoder.path, "contains no decodable frame")
            }
        }
        decodedClipFrame += 1
    }

    /// Reports `error` to the caller and waits for its next output frame, to try again then (as often as the output
    /// asks, no more). False when the source is going away.
    private func waitForNextOutputFrame(after error: MediaError) -> Bool {
        ring.condition.lock()
        defer { ring.condition.unlock() }
        ring.failure = error
        ring.condition.broadcast()
        let failedAt = ring.wantedOutputFrame
        while !ring.stopping && ring.wantedOutputFrame == failedAt { ring.condition.wait() }
        return !ring.stopping
    }
}
