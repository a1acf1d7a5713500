import MatteFileNames
import MatteImaging
import MatteInference

/// Robust Video Matting (RVM): a recurrent matting network that gives the person's alpha (hair included) and
/// foreground colour at the resolution it is fed. Its recurrent state carries what it learnt from earlier
/// frames; `resetState` forgets it (a new camera, a new size, a cut). Planned for one input size: make a new
/// matter for another. Use one from one thread at a time.
public final class VideoMatter {
    public let width: Int
    public let height: Int
    public let downsampleRatio: Float
    private let engine: ONNXEngine
    private let source: UnsafeMutableBufferPointer<Float>
    private let alpha: UnsafeMutableBufferPointer<Float>
    /// Each recurrent output and the input it becomes at the next frame (r1o → r1i, …).
    private let recurrence: [(output: UnsafeMutableBufferPointer<Float>, input: UnsafeMutableBufferPointer<Float>)]
    /// RGB in 0…1, height × width × 3, valid after `makeMask` when made with `foreground: true`.
    public let foreground: UnsafeMutableBufferPointer<Float>?

    /// - Parameters:
    ///   - downsampleRatio: the share of the input's size at which the network itself runs (RVM's own advice:
    ///     about 0.25 for 1280×720, 0.4 for 512 px); its refiner brings the alpha back to full size.
    ///   - foreground: also compute the foreground colour.
    ///   - threads: XNNPACK threads (see `ONNXEngine`); 1 for anything real-time.
    public init(
        model: ONNXModel,
        width: Int,
        height: Int,
        downsampleRatio: Float,
        foreground: Bool = false,
        threads: Int = 1
    ) throws(ONNXError) {
        guard width >= 1, height >= 1, downsampleRatio > 0, downsampleRatio <= 1 else {
            throw .unsupported("a \(width)×\(height) input at downsample ratio \(downsampleRatio)")
        }
        let stateNames = (1...4).map { (input: "r\($0)i", output: "r\($0)o") }
        let names = Set(model.inputs.map(\.name))
        guard names.contains("src"), names.contains("downsample_ratio"),
            stateNames.allSatisfy({ names.contains($0.input) })
        else {
            // The names come from the file: quoted, escaped and at most eight of them, so the message stays one line.
            let shown = names.sorted().prefix(8).map { "'\(FileName.printable($0, limit: 40))'" }
            let more = names.count > 8 ? ", … (\(names.count) inputs)" : ""
            throw .unsupported(
                "the graph's inputs are [\(shown.joined(separator: ", "))\(more)]; Robust Video Matting has src, r1i…r4i and downsample_ratio"
            )
        }
        engine = try ONNXEngine(
            model: model,
            inputs: ["src": ONNXEngine.Shape(channels: 3, height: height, width: width)],
            constants: [
                "downsample_ratio": ONNXTensor(name: "downsample_ratio", shape: [1], values: .float([downsampleRatio]))
            ],
            outputs: ["pha"] + stateNames.map(\.output) + (foreground ? ["fgr"] : []),
            threads: threads
        )
        guard let source = engine.tensor("src"), let alpha = engine.tensor("pha"),
            engine.shape(of: "pha") == ONNXEngine.Shape(channels: 1, height: height, width: width)
        else { throw .unsupported("the graph's alpha output 'pha' is not [1, 1, \(height), \(width)]") }
        // The colour shift reads and writes the foreground as a whole frame's RGB.
        let colour = foreground ? engine.tensor("fgr") : nil
        if foreground,
            colour == nil || engine.shape(of: "fgr") != ONNXEngine.Shape(channels: 3, height: height, width: width)
        {
            throw .unsupported("the graph's foreground output 'fgr' is not [1, 3, \(height), \(width)]")
        }
        var recurrence: [(UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>)] = []
        for names in stateNames {
            guard let output = engine.tensor(names.output), let input = engine.tensor(names.input),
                engine.shape(of: names.output) == engine.shape(of: names.input)
            else { throw .unsupported("the recurrent state \(names.output) does not match \(names.input)") }
            recurrence.append((output, input))
        }
        self.width = width
        self.height = height
        self.downsampleRatio = downsampleRatio
        self.source = source
        self.alpha = alpha
        self.recurrence = recurrence
        self.foreground = colour
    }

    public convenience init(
        contentsOf path: String,
        width: Int,
        height: Int,
        downsampleRatio: Float,
        foreground: Bool = false,
        threads: Int = 1
    ) throws(ONNXError) {
        try self.init(
            model: try ONNXModel(contentsOf: path),
            width: width,
            height: height,
            downsampleRatio: downsampleRatio,
            foreground: foreground,
            threads: threads
        )
    }

    /// Forgets the earlier frames: the next is matted as the first.
    public func resetState() {
        for state in recurrence { state.input.update(repeating: 0) }
    }

    /// Mats one frame (RGB in 0…1, height × width × 3) and carries the state to the next; the alpha lands in
    /// `alpha` (height × width).
    public func mat(
        _ rgb: UnsafeBufferPointer<Float>,
        into alphaOut: UnsafeMutableBufferPointer<Float>
    ) throws(ONNXError) {
        precondition(rgb.count == source.count && alphaOut.count == alpha.count, "the frame is at the matter's size")
        _ = source.update(fromContentsOf: rgb)
        try engine.run()
        _ = alphaOut.update(fromContentsOf: alpha)
        for state in recurrence { _ = state.input.update(fromContentsOf: state.output) }
    }
}

extension VideoMatter: PersonMaskMaker {
    public var inputWidth: Int { width }
    public var inputHeight: Int { height }
    public var maskWidth: Int { width }
    public var maskHeight: Int { height }
    /// With `Sizing.live`, 8 inferences of ~33 ms a second stay under half a core with compositing.
    public var liveInferenceRate: Double { 8 }

    public func makeMask(from input: ModelInput, into mask: inout PersonMask) throws(PersonMaskError) {
        do {
            try input.values.withUnsafeBufferPointer { rgb throws(ONNXError) in
                try mask.values.withUnsafeMutableBufferPointer { alpha throws(ONNXError) in try mat(rgb, into: alpha) }
            }
        } catch {
            throw PersonMaskError(error.description)
        }
        mask.isAlpha = true
        guard let foreground else { return }
        if mask.colourShift.count != foreground.count {
            mask.colourShift = [Float](repeating: 0, count: foreground.count)
        }
        input.values.withUnsafeBufferPointer { rgb in
            mask.colourShift.withUnsafeMutableBufferPointer {
                Self.colourShift(
                    foreground: UnsafePointer(foreground.baseAddress!),
                    frame: rgb.baseAddress!,
                    into: $0.baseAddress!,
                    cells: width * height
                )
            }
        }
    }

    /// The person's colour (RVM's foreground estimate) less the frame's, per cell, as BT.601 limited-range
    /// dY, dU, dV in 8-bit levels: what the compositor adds at see-through edges (`PersonMask.colourShift`).
    static func colourShift(
        foreground: UnsafePointer<Float>,
        frame: UnsafePointer<Float>,
        into shift: UnsafeMutablePointer<Float>,
        cells: Int
    ) {
        for cell in 0..<cells {
            let r = foreground[3 * cell] - frame[3 * cell]
            let g = foreground[3 * cell + 1] - frame[3 * cell + 1]
            let b = foreground[3 * cell + 2] - frame[3 * cell + 2]
            shift[3 * cell] = 65.481 * r + 128.553 * g + 24.966 * b
            shift[3 * cell + 1] = -37.797 * r - 74.203 * g + 112.0 * b
            shift[3 * cell + 2] = 112.0 * r - 93.786 * g - 18.214 * b
        }
    }
}

extension VideoMatter {
    /// What the network is fed for a frame, and at what downsample ratio.
    public struct Sizing: Equatable, Sendable {
        public let width: Int, height: Int
        public let downsampleRatio: Float

        /// Every frame of a file, at the frame's own size: the network runs with its short side near 180 px
        /// (RVM's advice: a ratio of 0.25 for 720p, 0.4 for 512 px), its refiner brings alpha to full size.
        public static func file(frameWidth: Int, frameHeight: Int) -> Sizing {
            Sizing(
                width: frameWidth,
                height: frameHeight,
                downsampleRatio: min(1, 180 / Float(min(frameWidth, frameHeight)))
            )
        }

        /// The live camera: at most 360 lines (a 720p or 1080p frame is sampled down, and the compositor brings
        /// the alpha back up, following the frame's own edges), the network's short side at 144 px. Measured on
        /// this project's 2-core machine (docs/performance.md): 640×360 at 0.4 costs ~33 ms an inference, and at
        /// `liveInferenceRate` 1280×720 at 30 fps stays under half a core; 720 lines (1280×720 at 0.2, ~37 ms,
        /// and a full-size refiner and mask) did not. A 128 px network (~27 ms) at 10 a second cost the same
        /// but lost the person's body on a close-up (alpha 0.7), which RVM's own advice (256–512 px) foretells.
        public static func live(frameWidth: Int, frameHeight: Int) -> Sizing {
            let shrink = min(1, 360 / Float(min(frameWidth, frameHeight)))
            let width = max(1, Int((Float(frameWidth) * shrink).rounded()))
            let height = max(1, Int((Float(frameHeight) * shrink).rounded()))
            return Sizing(width: width, height: height, downsampleRatio: min(1, 144 / Float(min(width, height))))
        }
    }

    public convenience init(contentsOf path: String, sizing: Sizing, foreground: Bool = false) throws(ONNXError) {
        try self.init(
            contentsOf: path,
            width: sizing.width,
            height: sizing.height,
            downsampleRatio: sizing.downsampleRatio,
            foreground: foreground
        )
    }
}
