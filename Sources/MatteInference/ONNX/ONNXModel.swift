import MatteFileNames
import MatteMemory

/// Why an .onnx file could not be read or run. `description` is the one line a user is shown.
public enum ONNXError: Error, Equatable, CustomStringConvertible {
    /// A length or offset points past the end of the file. (One that stays inside the file but passes the end of
    /// the message that contains it is `.malformed`.)
    case truncated(String, offset: Int, fileSize: Int)
    case malformed(String)
    case unsupported(String)
    case unreadable(String, String)
    /// XNNPACK failed while setting up or running a graph it had accepted.
    case runtime(String)
    /// The system refused the memory for `what`.
    case outOfMemory(String)

    public var description: String {
        switch self {
        case let .truncated(what, offset, fileSize):
            return "corrupt ONNX model: \(what) at byte \(offset) runs past the end of the \(fileSize)-byte file"
        case let .malformed(what):
            return "corrupt ONNX model: \(what)"
        case let .unsupported(what):
            return "unsupported ONNX model: \(what)"
        case let .unreadable(path, reason):
            return "cannot read model \(FileName.printable(path)): \(reason)"
        case let .runtime(what):
            return "inference failed: \(what)"
        case let .outOfMemory(what):
            return "not enough memory to \(what); \(OutOfMemory.advice)"
        }
    }
}

/// An attribute of a node (ONNX AttributeProto), only the kinds Matte's planner reads.
public enum ONNXAttribute: Equatable, Sendable {
    case int(Int)
    case float(Float)
    case string([UInt8])
    case ints([Int])
    case floats([Float])
    case tensor(ONNXTensor)
}

/// A constant tensor (TensorProto): an initializer or a Constant node's value. Only float32 and int64 data are
/// kept; `shape` is ONNX's dims, so a scalar has shape [].
public struct ONNXTensor: Equatable, Sendable {
    public enum Values: Equatable, Sendable {
        case float([Float])
        case int64([Int])
    }
    public let name: String
    public let shape: [Int]
    public let values: Values

    public init(name: String, shape: [Int], values: Values) {
        self.name = name
        self.shape = shape
        self.values = values
    }

    public var elementCount: Int { shape.reduce(1, *) }
}

/// One operator application (NodeProto). Inputs and outputs are value names; "" marks an omitted optional input.
public struct ONNXNode: Equatable, Sendable {
    public let opType: String
    /// The node's own name if it has one, else its first output's: for error messages.
    public let name: String
    public let inputs: [String]
    public let outputs: [String]
    public let attributes: [String: ONNXAttribute]

    public init(opType: String, name: String, inputs: [String], outputs: [String], attributes: [String: ONNXAttribute])
    {
        self.opType = opType
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }
}

/// A graph input or output (ValueInfoProto): its name, element type (TensorProto.DataType) and dims, where a
/// symbolic dim ("height") is nil.
public struct ONNXValueInfo: Equatable, Sendable {
    public let name: String
    public let elementType: Int
    public let shape: [Int?]

    public init(name: String, elementType: Int, shape: [Int?]) {
        self.name = name
        self.elementType = elementType
        self.shape = shape
    }
}

/// A parsed .onnx file (ModelProto → GraphProto): nodes in the file's (topological) order, initializers by name,
/// the graph's inputs (initializers excluded) and outputs, and the default-domain opset.
public struct ONNXModel: Sendable {
    public let opsetVersion: Int
    public let nodes: [ONNXNode]
    public let initializers: [String: ONNXTensor]
    public let inputs: [ONNXValueInfo]
    public let outputs: [ONNXValueInfo]

    public init(
        opsetVersion: Int,
        nodes: [ONNXNode],
        initializers: [String: ONNXTensor],
        inputs: [ONNXValueInfo],
        outputs: [ONNXValueInfo]
    ) {
        self.opsetVersion = opsetVersion
        self.nodes = nodes
        self.initializers = initializers
        self.inputs = inputs
        self.outputs = outputs
    }
}
