import CXNNPACK
import MatteMemory

/// Runs a parsed TFLite graph on XNNPACK.
///
/// The graph is translated once into an XNNPACK subgraph; float16 weights are widened to float32 at load.
/// `input` and `output` are allocated once and bound to the runtime, so `run()` allocates nothing and can be
/// called every frame. One engine is used from one thread at a time.
public final class InferenceEngine {
    /// NHWC shape of the single input tensor.
    public let inputShape: [Int]
    /// Shape of the single output tensor.
    public let outputShape: [Int]
    /// Fill this before `run()`: float32, NHWC.
    public var input: UnsafeMutableBufferPointer<Float> { inputPlane.buffer }
    /// Valid after `run()`.
    public var output: UnsafeMutableBufferPointer<Float> { outputPlane.buffer }
    // Bound to the runtime by address, so they live exactly as long as the engine.
    private let inputPlane: Plane<Float>
    private let outputPlane: Plane<Float>

    private let runtime: xnn_runtime_t
    private let threadPool: pthreadpool_t?
    /// Static weights referenced by the runtime; XNNPACK requires them to outlive it.
    private let weights: [Plane<Float>]

    /// - Parameter threads: 1 (the default) runs on the calling thread. Debian's pthreadpool spin-waits when
    ///   another process holds a core, so real-time callers should stay single-threaded.
    public init(model: TFLiteModel, threads: Int = 1) throws(TFLiteError) {
        guard xnn_initialize(nil) == xnn_status_success else {
            throw .runtime("XNNPACK could not initialise on this CPU")
        }
        guard model.inputs.count == 1, model.outputs.count == 1 else {
            throw .unsupported(
                "the graph has \(model.inputs.count) inputs and \(model.outputs.count) outputs; Matte needs one of each"
            )
        }
        let inputTensor = model.tensors[model.inputs[0]]
        let outputTensor = model.tensors[model.outputs[0]]
        guard inputTensor.type == .float32, outputTensor.type == .float32 else {
            throw .unsupported(
                "input '\(inputTensor.name)' is \(inputTensor.type) and output '\(outputTensor.name)' is \(outputTensor.type); Matte needs float32"
            )
        }

        var builder = try SubgraphBuilder(model: model)
        try builder.translate()

        var threadPool: pthreadpool_t? = nil
        if threads > 1 { threadPool = pthreadpool_create(threads) }
        var runtime: xnn_runtime_t? = nil
        let status = xnn_create_runtime_v2(builder.subgraph, threadPool, 0, &runtime)
        guard status == xnn_status_success, let runtime else {
            if let threadPool { pthreadpool_destroy(threadPool) }
            // XNNPACK (2022) can say success yet give no runtime when an allocation inside fails (seen under
            // ulimit -v); both mean memory.
            if status == xnn_status_out_of_memory || status == xnn_status_success {
                throw .outOfMemory("run the model")
            }
            throw .runtime("XNNPACK could not build a runtime for this graph (status \(status.rawValue))")
        }

        inputShape = inputTensor.shape
        outputShape = outputTensor.shape
        inputPlane = Plane(count: inputTensor.elementCount, repeating: 0)
        outputPlane = Plane(count: outputTensor.elementCount, repeating: 0)
        self.runtime = runtime
        self.threadPool = threadPool
        weights = builder.weights

        let externals = [
            xnn_external_value(id: SubgraphBuilder.inputID, data: UnsafeMutableRawPointer(inputPlane.pointer)),
            xnn_external_value(id: SubgraphBuilder.outputID, data: UnsafeMutableRawPointer(outputPlane.pointer)),
        ]
        let setup = xnn_setup_runtime(runtime, externals.count, externals)
        guard setup == xnn_status_success else {
            if setup == xnn_status_out_of_memory { throw .outOfMemory("run the model") }
            throw .runtime("XNNPACK could not set up the runtime (status \(setup.rawValue))")
        }
    }

    deinit {
        xnn_delete_runtime(runtime)
        if let threadPool { pthreadpool_destroy(threadPool) }
    }

    /// Runs the graph on `input`, writing `output`.
    public func run() throws(TFLiteError) {
        let status = xnn_invoke_runtime(runtime)
        guard status == xnn_status_success else {
            if status == xnn_status_out_of_memory { throw .outOfMemory("run the model") }
            throw .runtime("XNNPACK inference failed (status \(status.rawValue))")
        }
    }
}
