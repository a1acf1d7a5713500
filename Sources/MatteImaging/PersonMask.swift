/// Which camera frame a value between the live stages came from. Sequence numbers, not pixel comparisons,
/// say whether a mask is new; the orientation says whether it fits a frame; the capture time travels on to
/// the output.
public struct FrameStamp: Sendable, Equatable {
    /// Counts captured frames from 1; 0 stands for "none yet".
    public var sequence: Int
    /// Whether the frame was mirrored before anything was made from it.
    public var mirrored: Bool
    /// When the camera captured it (CLOCK_MONOTONIC ms).
    public var captureTime: Double
    /// Counts unbroken stretches of video: a reopened camera or a cut starts the next, and a mask maker that
    /// remembers earlier frames forgets them there.
    public var stretch: Int

    public init(sequence: Int = 0, mirrored: Bool = false, captureTime: Double = 0, stretch: Int = 0) {
        self.sequence = sequence
        self.mirrored = mirrored
        self.captureTime = captureTime
        self.stretch = stretch
    }
}

/// A frame sampled for a mask maker: RGB in 0…1, height × width × 3 (NHWC), owning its values, so it can be
/// handed from the capture thread to the segmentation thread by a swap.
public struct ModelInput: Sendable {
    public let width: Int, height: Int
    public var values: [Float]
    public var stamp = FrameStamp()

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        values = [Float](repeating: 0, count: width * height * 3)
    }
}

/// Person probability (0…1) per cell, height × width, and the frame it was made from.
public struct PersonMask: Sendable {
    public let width: Int, height: Int
    public var values: [Float]
    public var stamp = FrameStamp()
    /// The cells are alpha, from a matting network, rather than a segmentation model's probability; the maker
    /// says so.
    public var isAlpha = false
    /// How the person's own colour differs from the frame's where they are see-through, as the maker estimates
    /// it: dY, dU, dV (in 8-bit levels) per cell, cells in the mask's order; empty when the maker does not.
    public var colourShift: [Float] = []

    /// An empty mask (all background), stamped with no frame.
    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        values = [Float](repeating: 0, count: width * height)
    }

    /// Takes `other`'s cells and stamp into this mask's own storage (same size), allocating nothing.
    public mutating func copyCells(from other: PersonMask) {
        precondition(other.width == width && other.height == height, "masks of one size")
        values.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: other.values) }
        stamp = other.stamp
        isAlpha = other.isAlpha
        if colourShift.count == other.colourShift.count {
            colourShift.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: other.colourShift) }
        } else {
            colourShift = other.colourShift
        }
    }

    /// Turns the mask around left to right, so it fits frames of the other orientation.
    public mutating func mirror() {
        let width = width
        values.withUnsafeMutableBufferPointer { cells in
            for start in stride(from: 0, to: cells.count - width + 1, by: width) {
                cells[start..<start + width].reverse()
            }
        }
        if !colourShift.isEmpty {
            colourShift.withUnsafeMutableBufferPointer { shifts in
                for start in stride(from: 0, to: shifts.count - 3 * width + 1, by: 3 * width) {
                    for cell in 0..<width / 2 {
                        for channel in 0..<3 {
                            shifts.swapAt(start + 3 * cell + channel, start + 3 * (width - 1 - cell) + channel)
                        }
                    }
                }
            }
        }
        stamp.mirrored.toggle()
    }

    /// Which mask this is, as far as refining it goes: the same frame in the other orientation is another mask.
    public var identity: MaskIdentity { MaskIdentity(sequence: stamp.sequence, mirrored: stamp.mirrored) }
}

/// Tells masks apart without looking at their cells.
public struct MaskIdentity: Sendable, Equatable {
    public var sequence: Int
    public var mirrored: Bool
}

/// Why a mask could not be made; `description` is the one line a user is shown.
public struct PersonMaskError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Something that makes person masks: a segmentation model, a matting network, or (in tests) a rule. The live
/// pipeline samples frames to `inputWidth` × `inputHeight` on its capture thread, only for frames it will
/// segment, and calls `makeMask` from one segmentation thread.
public protocol PersonMaskMaker: AnyObject {
    var inputWidth: Int { get }
    var inputHeight: Int { get }
    var maskWidth: Int { get }
    var maskHeight: Int { get }
    /// Writes the person mask for `input` into `mask` (maskWidth × maskHeight); the caller stamps it.
    func makeMask(from input: ModelInput, into mask: inout PersonMask) throws(PersonMaskError)
    /// Forgets earlier frames (a recurrent network's state): the next input starts a new stretch of video.
    func resetState()
    /// Masks a second the live camera makes unless the user says otherwise: what the maker's cost allows.
    var liveInferenceRate: Double { get }
}

extension PersonMaskMaker {
    /// A maker that sees each frame alone has nothing to forget.
    public func resetState() {}

    /// The selfie models' rate: 15 masks a second for a few milliseconds each.
    public var liveInferenceRate: Double { 15 }
}
