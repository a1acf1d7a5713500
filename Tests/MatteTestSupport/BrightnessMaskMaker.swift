import Foundation
import MatteImaging

/// A mask maker without a model, for tests of the live path: a cell is person where its input is brighter
/// than `threshold` (mean of R, G, B). Counts its calls and can take a set time per mask, like a slow model.
public final class BrightnessMaskMaker: PersonMaskMaker, @unchecked Sendable {
    // @unchecked: the counters are touched only under `lock`; the rest is immutable.
    public let inputWidth: Int, inputHeight: Int
    public var maskWidth: Int { inputWidth }
    public var maskHeight: Int { inputHeight }
    private let threshold: Float
    private let delay: Double
    private let lock = NSLock()
    private var count = 0

    /// - Parameter delay: seconds each mask takes.
    public init(width: Int = 256, height: Int = 144, threshold: Float = 0.5, delay: Double = 0) {
        inputWidth = width
        inputHeight = height
        self.threshold = threshold
        self.delay = delay
    }

    /// How many masks it made.
    public var calls: Int { lock.withLock { count } }
    /// How many times it was told to forget earlier frames.
    public var resets: Int { lock.withLock { resetCount } }
    private var resetCount = 0

    public func resetState() { lock.withLock { resetCount += 1 } }

    public func makeMask(from input: ModelInput, into mask: inout PersonMask) throws(PersonMaskError) {
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        // Through pointers: a debug build checks every subscript, and this runs on every inference of a test.
        let limit = threshold * 3
        input.values.withUnsafeBufferPointer { rgb in
            mask.values.withUnsafeMutableBufferPointer { cells in
                for cell in 0..<cells.count {
                    cells[cell] = rgb[cell &* 3] + rgb[cell &* 3 &+ 1] + rgb[cell &* 3 &+ 2] > limit ? 1 : 0
                }
            }
        }
        lock.withLock { count += 1 }
    }
}
