/// Where a graph ends as Robust Video Matting's deep guided filter does: low-resolution coefficients A and b
/// resized to the image, `Mul(A↑, Concat(image, ReduceMean(image)))`, `Add(…, b↑)`, `Split` into three colour
/// channels and one alpha channel, the colour added to the image and both clipped. Found before planning so
/// the nodes can run as one pass (`applyUpsampledCoefficients`) instead of nine at full resolution.
struct GuidedUpsampling {
    let resizeA: ONNXNode
    let resizeB: ONNXNode
    let image: String
    let alpha: String?
    let foreground: String?
    /// The matched nodes, planned as one.
    let nodes: Set<Int>
    /// Where the fused pass is planned: the later resize, when A, b and the image all exist.
    let planAt: Int

    /// Finds the pattern among the nodes that will be planned. `consumers` lists, per value, the live nodes
    /// reading it; `constant` resolves a value known before planning (the clips' bounds).
    static func find(
        in model: ONNXModel,
        live: [Bool],
        consumers: [String: [Int]],
        constant: (String) -> ONNXTensor?
    ) -> [GuidedUpsampling] {
        var producer: [String: Int] = [:]
        for (index, node) in model.nodes.enumerated() where live[index] {
            for output in node.outputs { producer[output] = index }
        }
        func node(producing name: String, _ opType: String, readBy reader: Int) -> (Int, ONNXNode)? {
            guard let index = producer[name], model.nodes[index].opType == opType, consumers[name] == [reader] else {
                return nil
            }
            return (index, model.nodes[index])
        }
        func isUnitClip(_ node: ONNXNode) -> Bool {
            guard node.opType == "Clip", node.inputs.count == 3 else { return false }
            let bounds = node.inputs[1...].map { constant($0)?.values }
            return bounds == [.float([0]), .float([1])]
        }
        func channelAxis(_ node: ONNXNode) -> Bool {
            if case let .int(axis)? = node.attributes["axis"] { return axis == 1 || axis == -3 }
            return false
        }
        var found: [GuidedUpsampling] = []
        for (splitIndex, split) in model.nodes.enumerated()
        where live[splitIndex] && split.opType == "Split" && split.outputs.count == 2 && channelAxis(split)
            && split.attributes["split"] == .ints([3, 1])
        {
            guard let source = split.inputs.first,
                let (addIndex, add) = node(producing: source, "Add", readBy: splitIndex),
                add.inputs.count == 2
            else { continue }
            for (product, offset) in [(add.inputs[0], add.inputs[1]), (add.inputs[1], add.inputs[0])] {
                guard let (mulIndex, mul) = node(producing: product, "Mul", readBy: addIndex),
                    let (resizeBIndex, resizeB) = node(producing: offset, "Resize", readBy: addIndex),
                    mul.inputs.count == 2, !resizeB.inputs.isEmpty
                else { continue }
                for (scaled, guide) in [(mul.inputs[0], mul.inputs[1]), (mul.inputs[1], mul.inputs[0])] {
                    guard let (resizeAIndex, resizeA) = node(producing: scaled, "Resize", readBy: mulIndex),
                        !resizeA.inputs.isEmpty,
                        let (concatIndex, concat) = node(producing: guide, "Concat", readBy: mulIndex),
                        channelAxis(concat), concat.inputs.count == 2,
                        let (meanIndex, mean) = node(producing: concat.inputs[1], "ReduceMean", readBy: concatIndex),
                        mean.inputs.first == concat.inputs[0], mean.attributes["axes"] == .ints([1]),
                        mean.attributes["keepdims"] ?? .int(1) == .int(1)
                    else { continue }
                    let image = concat.inputs[0]
                    var nodes: Set<Int> = [
                        splitIndex, addIndex, mulIndex, resizeAIndex, resizeBIndex, concatIndex, meanIndex,
                    ]
                    // The alpha half: one clip to 0…1.
                    guard let alphaReaders = consumers[split.outputs[1]], alphaReaders.count == 1,
                        isUnitClip(model.nodes[alphaReaders[0]])
                    else { continue }
                    nodes.insert(alphaReaders[0])
                    let alpha = model.nodes[alphaReaders[0]].outputs.first
                    // The colour half, if anything wants it: added to the image, clipped to 0…1.
                    var foreground: String? = nil
                    if let colourReaders = consumers[split.outputs[0]] {
                        let plus = model.nodes[colourReaders[0]]
                        guard colourReaders.count == 1, plus.opType == "Add",
                            Set(plus.inputs) == [split.outputs[0], image], let sum = plus.outputs.first,
                            let clipReaders = consumers[sum], clipReaders.count == 1,
                            isUnitClip(model.nodes[clipReaders[0]])
                        else { continue }
                        nodes.formUnion([colourReaders[0], clipReaders[0]])
                        foreground = model.nodes[clipReaders[0]].outputs.first
                    }
                    found.append(
                        GuidedUpsampling(
                            resizeA: resizeA,
                            resizeB: resizeB,
                            image: image,
                            alpha: alpha,
                            foreground: foreground,
                            nodes: nodes,
                            planAt: max(resizeAIndex, resizeBIndex)
                        )
                    )
                }
            }
        }
        return found
    }
}
