import MatteImaging
import MatteInference
import MatteMemory

#if canImport(Glibc)
import Glibc
#endif

/// Finds the person in a frame: samples the frame into the model's input as MediaPipe does, runs the
/// model, and yields the person probability at model resolution.
///
/// Buffers are allocated when the segmenter is made (and the sampler when the frame size first changes),
/// so `segment` allocates nothing per frame. Use one segmenter from one thread at a time.
public final class Segmenter {
    public let engine: InferenceEngine
    public let modelWidth: Int
    public let modelHeight: Int
    /// Person probability, modelHeight × modelWidth, valid after `segment`.
    public var probabilities: UnsafeMutableBufferPointer<Float> { probabilityPlane.buffer }
    private let probabilityPlane: Plane<Float>
    private let outputChannels: Int
    private var sampler: ModelInputSampler?

    public init(model: TFLiteModel) throws(TFLiteError) {
        let input = model.tensors[model.inputs.first ?? 0]
        guard input.shape.count == 4, input.shape[0] == 1, input.shape[3] == 3 else {
            throw .unsupported("input '\(input.name)' has shape \(input.shape); Matte needs one RGB image [1, H, W, 3]")
        }
        let output = model.tensors[model.outputs.first ?? 0]
        guard output.shape.count == 4, output.shape[0] == 1, output.shape[1] == input.shape[1],
            output.shape[2] == input.shape[2], output.shape[3] == 1 || output.shape[3] == 2
        else {
            throw .unsupported(
                "output '\(output.name)' has shape \(output.shape); Matte needs a [1, H, W, 1] "
                    + "probability or [1, H, W, 2] two-class map at the input's size"
            )
        }
        engine = try InferenceEngine(model: model)
        modelHeight = input.shape[1]
        modelWidth = input.shape[2]
        outputChannels = output.shape[3]
        probabilityPlane = Plane(count: modelWidth * modelHeight, repeating: 0)
    }

    public convenience init(contentsOf path: String) throws(TFLiteError) {
        try self.init(model: try TFLiteModel(contentsOf: path))
    }

    /// Writes the model's input tensor for `frame` (RGB24 or YUYV) without running the model.
    public func prepareInput(_ frame: PixelBuffer) {
        if sampler?.sourceWidth != frame.width || sampler?.sourceHeight != frame.height {
            sampler = ModelInputSampler(
                sourceWidth: frame.width,
                sourceHeight: frame.height,
                targetWidth: modelWidth,
                targetHeight: modelHeight
            )
        }
        sampler!.sample(frame, into: engine.input.baseAddress!)
    }

    /// Segments `frame` and returns the person probability at model resolution (`probabilities`).
    @discardableResult
    public func segment(_ frame: PixelBuffer) throws(TFLiteError) -> UnsafeMutableBufferPointer<Float> {
        prepareInput(frame)
        return try segmentPreparedInput()
    }

    /// Runs the model on whatever `engine.input` holds (filled by `prepareInput` here or on another thread).
    @discardableResult
    public func segmentPreparedInput() throws(TFLiteError) -> UnsafeMutableBufferPointer<Float> {
        try engine.run()
        if outputChannels == 1 {
            _ = probabilities.update(fromContentsOf: engine.output)
        } else {
            // Two-class models give [background, person] logits: softmax reduces to a sigmoid of the difference.
            for index in 0..<probabilities.count {
                let background = engine.output[2 * index]
                let person = engine.output[2 * index + 1]
                probabilities[index] = 1 / (1 + expf(background - person))
            }
        }
        return probabilities
    }
}

extension Segmenter: PersonMaskMaker {
    public var inputWidth: Int { modelWidth }
    public var inputHeight: Int { modelHeight }
    public var maskWidth: Int { modelWidth }
    public var maskHeight: Int { modelHeight }

    public func makeMask(from input: ModelInput, into mask: inout PersonMask) throws(PersonMaskError) {
        precondition(
            input.values.count == engine.input.count && mask.values.count == probabilities.count,
            "the input and mask are at the model's size"
        )
        _ = engine.input.update(fromContentsOf: input.values)
        do { try segmentPreparedInput() } catch { throw PersonMaskError("inference failed: \(error.description)") }
        mask.values.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: probabilities) }
    }
}
