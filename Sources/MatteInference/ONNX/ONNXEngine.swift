import CXNNPACK
import MatteMemory

/// Runs an ONNX graph for one fixed input size on XNNPACK operators and the few kernels in TensorKernels.swift.
///
/// The graph is planned once, at load, for the input shapes given: shape arithmetic (Shape, Slice and Concat
/// of constants) folds to constants, every other node becomes an operator bound to its buffers, a Relu or Clip
/// after a convolution is fused into it and `x · HardSigmoid(x)` becomes one hard-swish, and buffers are
/// reused once nothing reads them any more. So `run()` only calls the operators in order and allocates
/// nothing. Tensors are NHWC in memory with batch 1. A graph input that is neither given a shape nor a value
/// is recurrent state: it takes the shape of the Expand that broadcasts it, starts at zero and is kept
/// between runs for the caller to update. One engine is used from one thread at a time.
public final class ONNXEngine {
    /// The shape of a batch-1 tensor; ONNX's dims are [1, channels, height, width], memory is NHWC.
    public struct Shape: Equatable, Sendable, CustomStringConvertible {
        public let channels: Int, height: Int, width: Int
        public init(channels: Int, height: Int, width: Int) {
            self.channels = channels
            self.height = height
            self.width = width
        }
        public var pixels: Int { height * width }
        public var count: Int { channels * height * width }
        public var description: String { "[1, \(channels), \(height), \(width)]" }
    }

    private let steps: [Step]
    private let threadPool: pthreadpool_t?
    private let tensors: [String: (plane: Plane<Float>, shape: Shape)]
    /// Constants and buffers the operators point into: they live as long as the engine.
    private let keptAlive: [AnyObject]
    /// What the plan took of its budget, in floats (`GraphPlanner.spend`).
    let plannedFloats: Int

    /// - Parameters:
    ///   - inputs: the shape of each image input (e.g. `src`).
    ///   - constants: graph inputs fixed for this engine (e.g. `downsample_ratio`), folded like constants.
    ///   - outputs: the graph outputs wanted; nodes that feed none of them are left out.
    ///   - threads: XNNPACK's operators split across this many threads (Matte's own kernels stay on the
    ///     calling one). Debian's pthreadpool spin-waits when another process holds a core, so real-time
    ///     callers keep 1.
    public init(
        model: ONNXModel,
        inputs: [String: Shape],
        constants: [String: ONNXTensor],
        outputs: [String],
        threads: Int = 1
    ) throws(ONNXError) {
        guard xnn_initialize(nil) == xnn_status_success else {
            throw .runtime("XNNPACK could not initialise on this CPU")
        }
        let threadPool = threads > 1 ? pthreadpool_create(threads) : nil
        self.threadPool = threadPool
        let planner: GraphPlanner
        do {
            planner = try GraphPlanner(
                model: model,
                inputs: inputs,
                constants: constants,
                outputs: outputs,
                threadPool: threadPool
            )
            try planner.plan()
        } catch {
            if let threadPool { pthreadpool_destroy(threadPool) }
            throw error
        }
        steps = planner.takeSteps()
        tensors = planner.externalTensors()
        keptAlive = planner.keptAlive
        plannedFloats = planner.spent
    }

    deinit {
        for case let .xnnpack(op) in steps { xnn_delete_operator(op) }
        if let threadPool { pthreadpool_destroy(threadPool) }
    }

    /// The buffer of a graph input (to fill before `run`), of recurrent state, or of a wanted output (valid
    /// after `run`), NHWC.
    public func tensor(_ name: String) -> UnsafeMutableBufferPointer<Float>? {
        tensors[name]?.plane.buffer
    }

    public func shape(of name: String) -> Shape? { tensors[name]?.shape }

    public func run() throws(ONNXError) {
        for step in steps {
            switch step {
            case let .xnnpack(op):
                let status = xnn_run_operator(op, threadPool)
                guard status == xnn_status_success else {
                    throw .runtime("XNNPACK could not run an operator (status \(status.rawValue))")
                }
            case let .kernel(kernel):
                kernel()
            }
        }
    }
}

enum Step {
    case xnnpack(xnn_operator_t)
    case kernel(() -> Void)
}
