// libFuzzer entry point for the .onnx reader (and, with MATTE_FUZZ_ENGINE, the graph planner and engine). Built
// by scripts/fuzz-onnx.sh with `swiftc -sanitize=fuzzer,address` from the module's own sources.

#if canImport(Glibc)
import Glibc
#endif

private let planEngine = getenv("MATTE_FUZZ_ENGINE") != nil
/// Says what became of each input's plan on standard output: for checking that the seeds reach the engine.
private let verbose = getenv("MATTE_FUZZ_VERBOSE") != nil

/// Beyond not crashing, the reader keeps its promises: a model it accepts holds as many values in each tensor as
/// the tensor's shape says, and a file it refuses gets a one-line message.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNXModel(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let model: ONNXModel
    do {
        model = try ONNXModel(bytes: Array(UnsafeBufferPointer(start: data, count: size)))
    } catch {
        precondition(!error.description.contains("\n"), "a message of more than one line: \(error)")
        if verbose { print("reader: \(error)") }
        return 0
    }
    let constants = model.nodes.flatMap(\.attributes.values).compactMap { attribute -> ONNXTensor? in
        guard case let .tensor(tensor) = attribute else { return nil }
        return tensor
    }
    for tensor in Array(model.initializers.values) + constants {
        switch tensor.values {
        case let .float(values): precondition(values.count == tensor.elementCount, "\(tensor.name): wrong count")
        case let .int64(values): precondition(values.count == tensor.elementCount, "\(tensor.name): wrong count")
        }
    }
    if planEngine { planAndRun(model, foreground: size % 2 == 0) }
    return 0
}

/// Plans the graph as VideoMatter does for a 48×32 frame at downsample ratio 0.5 (`src` given, `downsample_ratio`
/// a constant, any other input recurrent state, its outputs wanted) or, for a graph that does not compute those, for
/// its declared outputs with its first input as the image; then runs it once. The engine keeps its promises: a graph
/// it refuses gets a one-line message, and every buffer it hands out holds the elements of its shape.
private func planAndRun(_ model: ONNXModel, foreground: Bool) {
    let names = Set(model.inputs.map(\.name))
    guard let image = names.contains("src") ? "src" : model.inputs.first?.name else { return }
    let produced = Set(model.nodes.flatMap(\.outputs))
    let matting = ["pha", "r1o", "r2o", "r3o", "r4o"] + (foreground && produced.contains("fgr") ? ["fgr"] : [])
    var seen = Set<String>()
    let outputs =
        matting.allSatisfy(produced.contains)
        ? matting : model.outputs.map(\.name).filter { seen.insert($0).inserted }
    let shape = ONNXEngine.Shape(channels: 3, height: 32, width: 48)
    do {
        let engine = try ONNXEngine(
            model: model,
            inputs: [image: shape],
            constants: ["downsample_ratio": ONNXTensor(name: "downsample_ratio", shape: [1], values: .float([0.5]))],
            outputs: outputs
        )
        // (A graph whose node writes the image's name hides the input; the engine still runs.)
        if let source = engine.tensor(image) {
            precondition(source.count == shape.count && engine.shape(of: image) == shape, "the input is not as given")
            for index in source.indices { source[index] = Float(index % 7) / 7 }
        }
        for name in outputs {
            guard let buffer = engine.tensor(name), let bufferShape = engine.shape(of: name) else { continue }
            precondition(buffer.count == bufferShape.count, "\(name): a buffer of \(buffer.count) for \(bufferShape)")
        }
        try engine.run()
        if verbose { print("engine: ran, \(outputs.map { "\($0) \(engine.shape(of: $0).map(String.init) ?? "?")" })") }
    } catch {
        precondition(!error.description.contains("\n"), "a message of more than one line: \(error)")
        if verbose { print("engine: \(error)") }
    }
}
