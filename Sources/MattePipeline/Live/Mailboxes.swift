import Foundation
import MatteImaging

/// The newest captured frame, handed between threads by swapping buffers: the writer never waits for a
/// reader, a reader always gets the newest frame, and older ones are simply overwritten (never queued).
final class FrameMailbox {
    struct Frame {
        var picture: PixelBuffer
        var modelInput: [Float]
        var timestamp: Double = 0
        var sequence = 0
        /// Whether the picture was mirrored, so a mask made from another frame can be matched to it.
        var mirrored = false
    }

    private let condition = NSCondition()
    private var held: Frame
    private var closed = false

    init(width: Int, height: Int, modelInputCount: Int) {
        held = Frame(
            picture: PixelBuffer(width: width, height: height, format: .yuyv),
            modelInput: [Float](repeating: 0, count: modelInputCount)
        )
    }

    /// Publishes `frame` (its buffers are swapped in; the caller gets the old ones back to fill next).
    func publish(_ frame: inout Frame) {
        condition.lock()
        swap(&held, &frame)
        condition.broadcast()
        condition.unlock()
    }

    /// Waits up to `timeout` seconds for a frame newer than `after` and swaps it into `frame`.
    func take(_ frame: inout Frame, after sequence: Int, timeout: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while held.sequence <= sequence && !closed {
            if !condition.wait(until: deadline) { break }
        }
        guard held.sequence > sequence else { return false }
        swap(&held, &frame)
        return true
    }

    /// The newest model input (copied; the frame stays for the compositor), if newer than `after`.
    func copyModelInput(
        into buffer: UnsafeMutableBufferPointer<Float>,
        after sequence: Int,
        timeout: Double
    ) -> (sequence: Int, mirrored: Bool)? {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while latestInputSequence <= sequence && !closed {
            if !condition.wait(until: deadline) { break }
        }
        guard latestInputSequence > sequence else { return nil }
        _ = buffer.update(fromContentsOf: latestInput)
        return (latestInputSequence, latestInputMirrored)
    }

    /// Segmentation reads the model input of every published frame, even one the compositor already took.
    private var latestInput: [Float] = []
    private var latestInputSequence = 0
    private var latestInputMirrored = false

    func publishModelInput(_ input: [Float], sequence: Int, mirrored: Bool) {
        condition.lock()
        if latestInput.count != input.count {
            latestInput = input
        } else {
            latestInput.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: input) }
        }
        latestInputSequence = sequence
        latestInputMirrored = mirrored
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// The newest person mask: probabilities at model resolution and the frame they belong to.
final class MaskMailbox {
    private let lock = NSLock()
    private var probabilities: [Float]
    private(set) var sequence = 0
    private var mirrored = false

    init(count: Int) { probabilities = [Float](repeating: 0, count: count) }

    func publish(_ values: UnsafeBufferPointer<Float>, sequence: Int, mirrored: Bool) {
        lock.lock()
        probabilities.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: values) }
        self.sequence = sequence
        self.mirrored = mirrored
        lock.unlock()
    }

    /// Copies the newest mask into `buffer` when it is newer than `after`; returns its sequence and whether it
    /// was made from a mirrored frame (nil when there is nothing newer).
    func copy(into buffer: inout [Float], after: Int) -> (sequence: Int, mirrored: Bool)? {
        lock.lock()
        defer { lock.unlock() }
        guard sequence > after else { return nil }
        buffer.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: probabilities) }
        return (sequence, mirrored)
    }
}
