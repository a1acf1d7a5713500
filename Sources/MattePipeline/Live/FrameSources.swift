import Foundation
import MatteCore
import MatteImaging
import MatteMedia

/// A video played in a loop at its own frame rate, or a picture repeated at the rate asked, standing in for a camera.
public final class FileSource: FrameSource {
    public let path: String
    public let width: Int, height: Int, frameRate: Double
    public var description: String { "\(path) (looped, \(width)x\(height) at \(Int(frameRate.rounded())) fps)" }
    public let corruptFrames = 0
    public let lastCorruption: String? = nil
    private var decoder: MediaDecoder
    private var nextDue: Double?
    private let still: PixelBuffer?

    /// `frameRate`: a picture's, and a video's whose file gives no usable rate.
    public init(path: String, frameRate askedRate: Double) throws(MediaError) {
        self.path = path
        decoder = try MediaDecoder(path: path, format: .yuyv)
        if let problem = FrameLimits.frameProblem(width: decoder.width, height: decoder.height) {
            throw MediaError(path, problem)
        }
        // An odd width plays with its last column repeated: a virtual camera's YUYV needs an even one.
        width = decoder.frameWidth
        height = decoder.height
        // A single picture is kept and repeated instead of reopening the file every frame.
        let first = try decoder.makeFrame()
        guard try decoder.decodeNext(into: first) else { throw MediaError(path, "contains no decodable frame") }
        let probe = try decoder.makeFrame()
        still = try decoder.decodeNext(into: probe) ? nil : first
        // A picture's "rate" is its demuxer's default (25 for image2), not the file's.
        let ownRate = still == nil ? decoder.frameRate.flatMap { $0 > 0 && $0 <= 240 ? $0 : nil } : nil
        frameRate = ownRate ?? askedRate
        decoder = try MediaDecoder(path: path, format: .yuyv)
    }

    public func next(into out: PixelBuffer, timeout: Int32) throws(PipelineError) -> Double? {
        do { return try nextFrame(into: out, timeout: timeout) } catch { throw PipelineError(error.description) }
    }

    private func nextFrame(into out: PixelBuffer, timeout: Int32) throws(MediaError) -> Double? {
        // Pace to the file's rate in real time, as a camera would deliver.
        let now = monotonicMilliseconds()
        let due = nextDue ?? now
        if due > now {
            guard due - now <= Double(timeout) else {
                usleep(UInt32(Double(timeout) * 1000))
                return nil
            }
            usleep(UInt32((due - now) * 1000))
        }
        nextDue = max(due, monotonicMilliseconds() - 1000 / frameRate) + 1000 / frameRate
        if let still {
            out.bytes.copyMemory(from: UnsafeRawBufferPointer(still.bytes))
        } else if try !decoder.decodeNext(into: out) {
            decoder = try MediaDecoder(path: path, format: .yuyv)
            guard try decoder.decodeNext(into: out) else { throw MediaError(path, "contains no decodable frame") }
        }
        return monotonicMilliseconds()
    }
}

/// Generated frames at a fixed rate (moving gradients and noise), for `matte bench pipeline`.
public final class SyntheticSource: FrameSource {
    public let width: Int, height: Int, frameRate: Double
    public var description: String { "generated \(width)x\(height) at \(Int(frameRate)) fps" }
    public let corruptFrames = 0
    public let lastCorruption: String? = nil
    private var frames: [PixelBuffer]
    private var index = 0
    private var nextDue: Double?
    /// When false, frames come as fast as they are asked for.
    private let paced: Bool

    public init(width: Int, height: Int, frameRate: Double, paced: Bool = true, distinctFrames: Int = 4) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.paced = paced
        // A few distinct frames, made once, so generating costs nothing per frame. Each has a bright block (a
        // stand-in for a person) an eighth of the width further right than the last: motion a camera would see,
        // where the patterns alone differ mostly in noise, which the still-scene test rightly ignores.
        frames = (0..<max(distinctFrames, 1)).map { index in
            let frame = YUYVKernels.testPattern(width: width, height: height, seed: UInt32(index + 1))
            let blockWidth = max(width / 4, 2) & ~1
            let left = (index * width / 8) % max(width - blockWidth, 1) & ~1
            for row in height / 4..<height * 3 / 4 {
                let start = frame.base + row * frame.rowBytes + left * 2
                for pair in 0..<blockWidth / 2 {
                    start[pair * 4] = 200
                    start[pair * 4 + 2] = 200
                }
            }
            return frame
        }
    }

    /// The first frames of a file, scaled to the size, instead of generated ones.
    public convenience init(file: String, width: Int, height: Int, frameRate: Double) throws(MediaError) {
        self.init(width: width, height: height, frameRate: frameRate)
        let decoder = try MediaDecoder(path: file, format: .rgb24)
        let decoded = try decoder.makeFrame()
        let resampler = Resampler()
        var loaded: [PixelBuffer] = []
        while loaded.count < 4, try decoder.decodeNext(into: decoded) {
            let frame = PixelBuffer(width: width, height: height, format: .yuyv)
            resampler.scale(
                decoded,
                crop: PixelRect(x: 0, y: 0, width: decoded.width, height: decoded.height),
                into: frame,
                at: PixelRect(x: 0, y: 0, width: width, height: height)
            )
            loaded.append(frame)
        }
        guard !loaded.isEmpty else { throw MediaError(file, "contains no decodable frame") }
        frames = loaded
    }

    public func next(into out: PixelBuffer, timeout: Int32) throws(PipelineError) -> Double? {
        if paced {
            let now = monotonicMilliseconds()
            let due = nextDue ?? now
            if due > now { usleep(UInt32(min(due - now, Double(timeout)) * 1000)) }
            nextDue = max(due, monotonicMilliseconds() - 1000 / frameRate) + 1000 / frameRate
        }
        out.bytes.copyMemory(from: UnsafeRawBufferPointer(frames[index % frames.count].bytes))
        index += 1
        return monotonicMilliseconds()
    }
}
