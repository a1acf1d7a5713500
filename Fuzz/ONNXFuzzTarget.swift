// libFuzzer entry point for the .onnx reader. Built by scripts/fuzz-onnx.sh with `swiftc -sanitize=fuzzer,address`
// from the module's own sources.

/// Beyond not crashing, the reader keeps its promises: a model it accepts holds as many values in each tensor as
/// the tensor's shape says, and a file it refuses gets a one-line message.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNXModel(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    do {
        let model = try ONNXModel(bytes: Array(UnsafeBufferPointer(start: data, count: size)))
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
    } catch {
        precondition(!error.description.contains("\n"), "a message of more than one line: \(error)")
    }
    return 0
}
