import Foundation
import MatteImaging

/// A camera frame between the capture and output threads.
struct CapturedFrame {
    var picture: PixelBuffer
    var stamp = FrameStamp()
}

/// The newest value of one kind, handed between threads by swapping: the writer never waits for a reader, a
/// reader always gets the newest value, and older ones are simply overwritten (never queued). Only the swap
/// happens under the lock, so no two threads ever touch the same pixels.
final class Mailbox<Value>: @unchecked Sendable {
    // @unchecked: `held` and `closed` are touched only under `condition`.
    private let condition = NSCondition()
    private var held: Value
    private var closed = false
    private let sequence: (Value) -> Int

    /// - Parameters:
    ///   - empty: what the box holds before the first publish (its buffers are handed out like any other).
    ///   - sequence: the value's sequence number; 0 means "nothing yet".
    init(_ empty: Value, sequence: @escaping (Value) -> Int) {
        held = empty
        self.sequence = sequence
    }

    /// Publishes `value`; the caller gets the box's old buffers back to fill next.
    func publish(_ value: inout Value) {
        condition.lock()
        swap(&held, &value)
        condition.broadcast()
        condition.unlock()
    }

    /// Waits up to `timeout` seconds for a value newer than `after` and swaps it into `value`.
    func take(_ value: inout Value, after: Int, timeout: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: timeout)
        while sequence(held) <= after && !closed {
            if !condition.wait(until: deadline) { break }
        }
        guard sequence(held) > after else { return false }
        swap(&held, &value)
        return true
    }

    /// Lets `body` read the newest value in place (it stays in the box), if it is newer than `after`; copying
    /// its cells out, rather than sharing its storage, keeps the writer's next fill from reallocating it.
    func read<Result>(after: Int, _ body: (Value) -> Result) -> Result? {
        condition.withLock { sequence(held) > after ? body(held) : nil }
    }

    /// Wakes every waiting `take` for good (the pipeline stops).
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}

/// The model input waiting for the segmentation thread, and whether that thread can take another: the
/// capture thread samples a frame only when the maker is free.
final class InputMailbox: @unchecked Sendable {
    // @unchecked: `waiting` and `inferring` are touched only under `lock`; `box` locks itself.
    private let box: Mailbox<ModelInput>
    private let lock = NSLock()
    private var waiting = false
    private var inferring = false

    init(width: Int, height: Int) { box = Mailbox(ModelInput(width: width, height: height)) { $0.stamp.sequence } }

    /// Whether an input is waiting or the maker is still on the last one.
    var makerBusy: Bool { lock.withLock { waiting || inferring } }

    func publish(_ input: inout ModelInput) {
        // Marked before it can be taken: marked after, a take in between would leave it marked for good and
        // the capture thread would never hand over another input.
        lock.withLock { waiting = true }
        box.publish(&input)
    }

    /// Waits up to `timeout` seconds for an input newer than `after`; the maker counts as busy until `finished`.
    func take(_ input: inout ModelInput, after: Int, timeout: Double) -> Bool {
        guard box.take(&input, after: after, timeout: timeout) else { return false }
        lock.withLock {
            waiting = false
            inferring = true
        }
        return true
    }

    func finished() { lock.withLock { inferring = false } }

    func close() { box.close() }
}
