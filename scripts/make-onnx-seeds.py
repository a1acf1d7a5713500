#!/usr/bin/env python3
"""Writes seed .onnx files for scripts/fuzz-onnx.sh: small models that use every field the reader reads, small
valid graphs of every operator the planner maps (seed-plan-*.onnx, each with an image input `src`; the last one
shaped like Robust Video Matting, recurrent state and guided filter included), graphs the planner must refuse
(hostile-*.onnx) and, when the real model is given and exists, a slice of it (its first nodes with their weights,
its dangling values as the graph's outputs) re-encoded so that every length agrees. Standard library only: the
protobuf encoding is written out by hand.

    scripts/make-onnx-seeds.py OUT_DIR [REAL_MODEL]
    scripts/make-onnx-seeds.py --hostile OUT_DIR     only the hostile graphs (below), large ones and those only
                                                     VideoMatter refuses too
    scripts/make-onnx-seeds.py --damaged REAL_MODEL OUT_DIR
                                                     REAL_MODEL cut short and with a byte changed (rvm-cut-N.onnx,
                                                     rvm-flip-N.onnx), for Tests/hostile/run.sh
"""
import os
import random
import struct
import sys


def varint(value):
    value &= (1 << 64) - 1
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def key(field, wire_type):
    return varint(field << 3 | wire_type)


def integer(field, value):
    return key(field, 0) + varint(value)


def float32(field, value):
    return key(field, 5) + struct.pack("<f", value)


def length_delimited(field, payload):
    return key(field, 2) + varint(len(payload)) + payload


def string(field, text):
    return length_delimited(field, text.encode())


def packed(field, values):
    return length_delimited(field, b"".join(varint(value) for value in values))


# onnx.proto3 messages, field numbers as there.
def tensor(name, dims, data_type, data):
    return packed(1, dims) + integer(2, data_type) + string(8, name) + data


def attribute(name, attribute_type, value):
    return string(1, name) + value + integer(20, attribute_type)


def node(op_type, inputs, outputs, attributes=(), name=""):
    return (b"".join(string(1, value) for value in inputs) + b"".join(string(2, value) for value in outputs)
            + string(3, name) + string(4, op_type) + b"".join(length_delimited(5, value) for value in attributes))


def value_info(name, dims):
    shape = b"".join(length_delimited(1, integer(1, dim) if isinstance(dim, int) else string(2, dim)) for dim in dims)
    return string(1, name) + length_delimited(2, length_delimited(1, integer(1, 1) + length_delimited(2, shape)))


def model(graph, opset=13):
    return integer(1, 8) + length_delimited(7, graph) + length_delimited(8, string(1, "") + integer(2, opset))


SEEDS = {
    "conv": model(
        length_delimited(1, node("Conv", ["x", "w", "b"], ["y"], [
            attribute("strides", 7, packed(8, [2, 2])),
            attribute("pads", 7, b"".join(integer(8, 1) for _ in range(4))),
            attribute("group", 2, integer(3, 1)),
        ], name="conv"))
        + length_delimited(1, node("HardSigmoid", ["y"], ["z"], [attribute("alpha", 1, float32(2, 1 / 6))]))
        + length_delimited(5, tensor("w", [2, 3, 1, 1], 1, length_delimited(9, struct.pack("<6f", *range(6)))))
        + length_delimited(5, tensor("b", [2], 1, length_delimited(4, struct.pack("<2f", 0.5, -1.5))))
        + length_delimited(11, value_info("x", ["N", 3, "H", "W"]))
        + length_delimited(12, value_info("z", [1, 2, 4, 4]))),
    "constant": model(
        length_delimited(1, node("Constant", [], ["c"], [
            attribute("value", 4,
                      length_delimited(5, tensor("", [2], 7, length_delimited(9, struct.pack("<2q", 3, -4))))),
        ]))
        + length_delimited(1, node("Resize", ["x", "", "c"], ["y"], [
            attribute("mode", 3, string(4, "linear")),
            attribute("weights", 6, length_delimited(7, struct.pack("<2f", 0.25, 0.5))),
        ], name="resize"))
        + length_delimited(5, tensor("axes", [2], 6, packed(5, [-1, 2])))
        + length_delimited(5, tensor("sizes", [2], 7, integer(7, 1) + integer(7, 7)))
        + length_delimited(5, tensor("empty", [0], 1, b""))
        + length_delimited(11, value_info("x", [1, 3, "H", "W"]))
        + length_delimited(12, value_info("y", [1, 3, 8, 8])), opset=12),
}


# The planner's seeds: graphs ONNX Runtime runs, on `src` [1, 3, H, W] (the fuzzer plans them for 48x32).
FLOAT, INT64 = 1, 7
weights = random.Random(5)


def floats(name, dims, values=None):
    count = 1
    for dim in dims:
        count *= dim
    if values is None:
        values = [round(weights.uniform(-1, 1), 3) for _ in range(count)]
    return length_delimited(5, tensor(name, dims, FLOAT, length_delimited(9, struct.pack(f"<{count}f", *values))))


def int64s(name, values, dims=None):
    return length_delimited(5, tensor(name, [len(values)] if dims is None else dims, INT64,
                                      length_delimited(9, struct.pack(f"<{len(values)}q", *values))))


def ints_attribute(name, values):
    return attribute(name, 7, packed(8, values))


def int_attribute(name, value):
    return attribute(name, 2, integer(3, value))


def float_attribute(name, value):
    return attribute(name, 1, float32(2, value))


def string_attribute(name, text):
    return attribute(name, 3, string(4, text))


def graph(nodes, initializers, inputs, outputs):
    return (b"".join(length_delimited(1, node(*n)) for n in nodes) + b"".join(initializers)
            + b"".join(length_delimited(11, value_info(name, dims)) for name, dims in inputs)
            + b"".join(length_delimited(12, value_info(name, dims)) for name, dims in outputs))


SRC = ("src", [1, 3, "height", "width"])
LINEAR = string_attribute("mode", "linear")


def half_pixel(kind="half_pixel"):
    return string_attribute("coordinate_transformation_mode", kind)


PLAN_SEEDS = {
    # Conv with pads and strides (+ Relu), depthwise with dilation (+ Clip by inputs), grouped, hard-swish.
    "plan-conv": model(graph([
        ("Conv", ["src", "w1", "b1"], ["c1"], [ints_attribute("pads", [1, 1, 1, 1]), ints_attribute("strides", [2, 2])],
         "conv1"),
        ("Relu", ["c1"], ["r1"]),
        ("Conv", ["r1", "w2"], ["c2"], [int_attribute("group", 8), ints_attribute("pads", [0, 1, 2, 1]),
                                        ints_attribute("strides", [1, 2]), ints_attribute("dilations", [2, 1])]),
        ("Clip", ["c2", "zero", "six"], ["r2"]),
        ("Conv", ["r2", "w3", "b3"], ["c3"], [int_attribute("group", 2)]),
        ("HardSigmoid", ["c3"], ["g3"], [float_attribute("alpha", 1 / 6), float_attribute("beta", 0.5)]),
        ("Mul", ["c3", "g3"], ["out"]),
        ("HardSigmoid", ["r2"], ["gate"], [float_attribute("alpha", 0.2)]),
    ], [floats("w1", [8, 3, 3, 3]), floats("b1", [8]), floats("w2", [8, 1, 3, 3]), floats("zero", [], [0]),
        floats("six", [], [6]), floats("w3", [4, 4, 1, 1]), floats("b3", [4])],
        [SRC], [("out", [1, 4, "h", "w"]), ("gate", [1, 8, "h", "w"])])),
    # Add, Sub, Mul, Div against constants of every rank that broadcasts, and tensor against tensor.
    "plan-binary": model(graph([
        ("Mul", ["src", "k4"], ["a"]),
        ("Add", ["a", "k3"], ["b"]),
        ("Sub", ["scalar", "b"], ["c"]),
        ("Div", ["c", "k1"], ["d"]),
        ("GlobalAveragePool", ["src"], ["g"]),
        ("Mul", ["d", "g"], ["e"]),
        ("ReduceMean", ["src"], ["m"], [ints_attribute("axes", [1]), int_attribute("keepdims", 1)]),
        ("Add", ["e", "m"], ["out"]),
    ], [floats("k4", [1, 3, 1, 1]), floats("k3", [3, 1, 1]), floats("scalar", [], [0.75]),
        floats("k1", [48], [1 + i / 48 for i in range(48)])],
        [SRC], [("out", [1, 3, "h", "w"])])),
    # Concat, Split (by attribute and by input), Slice of channels, a crop with negative bounds and axes, and
    # a Slice that keeps everything.
    "plan-layout": model(graph([
        ("Concat", ["src", "src"], ["cat"], [int_attribute("axis", 1)]),
        ("Split", ["cat", "parts"], ["s1", "s2"], [int_attribute("axis", 1)]),
        ("Slice", ["s2", "one", "three", "channel"], ["chan"]),
        ("Slice", ["src", "corner", "far", "plane"], ["crop"]),
        ("Slice", ["src", "zeroes", "huge"], ["whole"]),
        ("Concat", ["s1", "chan", "whole"], ["out"], [int_attribute("axis", -3)]),
    ], [int64s("parts", [2, 4]), int64s("one", [1]), int64s("three", [3]), int64s("channel", [1]),
        int64s("corner", [2, 3]), int64s("far", [-2, 40]), int64s("plane", [-2, -1]), int64s("zeroes", [0, 0, 0, 0]),
        int64s("huge", [(1 << 63) - 1] * 4)],
        [SRC], [("out", [1, 7, "h", "w"]), ("crop", [1, 3, "h", "w"])]), opset=13),
    # Resize by scales (pytorch_half_pixel) and by sizes (half_pixel).
    "plan-resize": model(graph([
        ("Resize", ["src", "roi", "scales"], ["r1"], [LINEAR, half_pixel("pytorch_half_pixel")]),
        ("Resize", ["r1", "roi", "noscales", "sizes"], ["out"], [LINEAR, half_pixel()]),
    ], [floats("roi", [0], []), floats("scales", [4], [1, 1, 2, 0.5]), floats("noscales", [0], []),
        int64s("sizes", [1, 3, 17, 33])],
        [SRC], [("out", [1, 3, 17, 33])])),
    # AveragePool with ceil_mode, GlobalAveragePool, ReduceMean over channels, Sigmoid, Tanh.
    "plan-pool": model(graph([
        ("AveragePool", ["src"], ["p1"], [ints_attribute("kernel_shape", [3, 3]), ints_attribute("strides", [2, 2]),
                                          int_attribute("ceil_mode", 1)]),
        ("AveragePool", ["p1"], ["p2"], [ints_attribute("kernel_shape", [2, 3]), ints_attribute("strides", [3, 2])]),
        ("GlobalAveragePool", ["p2"], ["gap"]),
        ("Sigmoid", ["p1"], ["sig"]),
        ("Tanh", ["p2"], ["th"]),
        ("ReduceMean", ["src"], ["mean"], [ints_attribute("axes", [-3]), int_attribute("keepdims", 1)]),
    ], [], [SRC], [("sig", [1, 3, "h", "w"]), ("th", [1, 3, "h", "w"]), ("gap", [1, 3, 1, 1]),
                   ("mean", [1, 1, "h", "w"])])),
    # Shape arithmetic (Constant, Shape, Slice, Concat folded) sizing the Expand of a recurrent input.
    "plan-shape": model(graph([
        ("Constant", [], ["lead"], [attribute("value", 4, length_delimited(5, tensor(
            "", [2], INT64, length_delimited(9, struct.pack("<2q", 1, 2)))))]),
        ("Shape", ["src"], ["dims"]),
        ("Slice", ["dims", "two", "four"], ["hw"]),
        ("Concat", ["lead", "hw"], ["target"], [int_attribute("axis", 0)]),
        ("Expand", ["state", "target"], ["held"]),
        ("Conv", ["src", "w"], ["c"]),
        ("Add", ["c", "held"], ["out"]),
    ], [int64s("two", [2]), int64s("four", [4]), floats("w", [2, 3, 1, 1])],
        [SRC, ("state", [1, "c", "h", "w"])], [("out", [1, 2, "h", "w"])])),
}


def matting_seed():
    """Robust Video Matting in miniature: the input scaled by downsample_ratio, four recurrent states broadcast by
    Expand to the shapes of the features they join, and the deep guided filter's tail at full size (Resize of the
    coefficients, Mul with the image and its channel mean, Add, Split, Clip) that the planner fuses."""
    nodes = [
        ("Constant", [], ["ones"], [attribute("value", 4, length_delimited(5, tensor(
            "", [2], FLOAT, length_delimited(9, struct.pack("<2f", 1, 1)))))]),
        ("Concat", ["ones", "downsample_ratio", "downsample_ratio"], ["scales"], [int_attribute("axis", 0)]),
        ("Resize", ["src", "roi", "scales"], ["small"], [LINEAR, half_pixel("pytorch_half_pixel")]),
        ("Conv", ["small", "w1", "b1"], ["c1"], [ints_attribute("pads", [1, 1, 1, 1])]),
        ("Relu", ["c1"], ["f1"]),
        ("Shape", ["f1"], ["s1"]),
        ("Expand", ["r1i", "s1"], ["h1"]),
        ("Add", ["f1", "h1"], ["a1"]),
        ("Tanh", ["a1"], ["r1o"]),
        ("AveragePool", ["f1"], ["f2"], [ints_attribute("kernel_shape", [2, 2]), ints_attribute("strides", [2, 2]),
                                         int_attribute("ceil_mode", 1)]),
        ("Shape", ["f2"], ["s2"]),
        ("Expand", ["r2i", "s2"], ["h2"]),
        ("Add", ["f2", "h2"], ["a2"]),
        ("Sigmoid", ["a2"], ["r2o"]),
        ("Conv", ["f2", "w3"], ["f3"], [int_attribute("group", 4), ints_attribute("pads", [1, 1, 1, 1]),
                                        ints_attribute("strides", [2, 2])]),
        ("Shape", ["f3"], ["s3"]),
        ("Expand", ["r3i", "s3"], ["h3"]),
        ("Mul", ["f3", "h3"], ["m3"]),
        ("Clip", ["m3", "zero", "six"], ["r3o"]),
        ("HardSigmoid", ["f3"], ["f4"]),
        ("Shape", ["f4"], ["s4"]),
        ("Expand", ["r4i", "s4"], ["h4"]),
        ("Sub", ["f4", "h4"], ["r4o"]),
        ("Conv", ["f1", "wa", "ba"], ["coefficient"]),
        ("Conv", ["f1", "wb", "bb"], ["offset"]),
        ("Shape", ["src"], ["dims"]),
        ("Slice", ["dims", "two", "four"], ["hw"]),
        ("Concat", ["lead", "hw"], ["size"], [int_attribute("axis", 0)]),
        ("Resize", ["coefficient", "roi", "noscales", "size"], ["coefficientUp"], [LINEAR, half_pixel()]),
        ("Resize", ["offset", "roi", "noscales", "size"], ["offsetUp"], [LINEAR, half_pixel()]),
        ("ReduceMean", ["src"], ["mean"], [ints_attribute("axes", [1]), int_attribute("keepdims", 1)]),
        ("Concat", ["src", "mean"], ["guide"], [int_attribute("axis", 1)]),
        ("Mul", ["coefficientUp", "guide"], ["scaled"]),
        ("Add", ["scaled", "offsetUp"], ["filtered"]),
        ("Split", ["filtered"], ["colour", "alpha"], [int_attribute("axis", 1), ints_attribute("split", [3, 1])]),
        ("Add", ["colour", "src"], ["colourSum"]),
        ("Clip", ["colourSum", "zero", "one"], ["fgr"]),
        ("Clip", ["alpha", "zero", "one"], ["pha"]),
    ]
    initializers = [
        floats("roi", [0], []), floats("noscales", [0], []), floats("w1", [4, 3, 3, 3]), floats("b1", [4]),
        floats("w3", [4, 1, 3, 3]), floats("zero", [], [0]), floats("one", [], [1]), floats("six", [], [6]),
        floats("wa", [4, 4, 1, 1]), floats("ba", [4]), floats("wb", [4, 4, 1, 1]), floats("bb", [4]),
        int64s("two", [2]), int64s("four", [4]), int64s("lead", [1, 4]),
    ]
    inputs = [SRC] + [(f"r{k}i", [1, "c", "h", "w"]) for k in range(1, 5)] + [("downsample_ratio", [1])]
    outputs = [("fgr", [1, 3, "h", "w"]), ("pha", [1, 1, "h", "w"])] + [(f"r{k}o", [1, "c", "h", "w"])
                                                                        for k in range(1, 5)]
    return model(graph(nodes, initializers, inputs, outputs), opset=12)


PLAN_SEEDS["plan-matting"] = matting_seed()


MATTING_INPUTS = [SRC] + [(f"r{k}i", [1, "c", "h", "w"]) for k in range(1, 5)] + [("downsample_ratio", [1])]
# `matte mask`, `render` and `live` ask for the foreground colour too (bench inference only with --foreground).
MATTING_OUTPUTS = ([("fgr", [1, 3, "h", "w"]), ("pha", [1, 1, "h", "w"])]
                   + [(f"r{k}o", [1, "c", "h", "w"]) for k in range(1, 5)])


def shaped_as_matting(payload, initializers=(), name="bad"):
    """A graph with Robust Video Matting's inputs and outputs whose alpha comes from `payload` (nodes that compute
    `name` from `src`): what `matte --model` loads and plans, so a hostile payload reaches the planner."""
    nodes = (list(payload) + [("Sigmoid", [name], ["pha"]), ("Relu", ["src"], ["fgr"])]
             + [("Relu", ["src"], [f"r{k}o"]) for k in range(1, 5)])
    return model(graph(nodes, list(initializers), MATTING_INPUTS, MATTING_OUTPUTS), opset=12)


BIG = (1 << 63) - 1
NEAR_OVERFLOW = 1 << 62


def conv(attributes, weight_dims=(4, 3, 3, 3)):
    return shaped_as_matting([("Conv", ["src", "w"], ["bad"], attributes, "conv")], [floats("w", list(weight_dims))])


# Graphs each planner check exists for: the planner refuses every one with a one-line message naming the node (the
# fuzzer checks each is refused; Tests/hostile/run.sh gives them to `matte --model`). `large` ones exceed the
# fuzzer's input size and are written only with --hostile.
HOSTILE = {
    # A scale of 60 twice: 48x32 becomes 172800x115200.
    "resize-scale-60": shaped_as_matting([
        ("Resize", ["src", "roi", "sixty"], ["big"], [LINEAR], "resize1"),
        ("Resize", ["big", "roi", "sixty"], ["bad"], [LINEAR], "resize2"),
    ], [floats("roi", [0], []), floats("sixty", [4], [1, 1, 60, 60])]),
    # 32768x32768 pixels of 3 channels: 12 GB.
    "resize-sizes-huge": shaped_as_matting([("Resize", ["src", "roi", "noscales", "sizes"], ["bad"], [LINEAR])],
                                           [floats("roi", [0], []), floats("noscales", [0], []),
                                            int64s("sizes", [1, 3, 32768, 32768])]),
    "conv-weights-do-not-fit": conv([], (8, 5, 3, 3)),
    "conv-pads-overflow": conv([ints_attribute("pads", [BIG, BIG, BIG, BIG])]),
    "conv-pads-memory": conv([ints_attribute("pads", [16000] * 4)]),
    "conv-strides-overflow": conv([ints_attribute("strides", [BIG, BIG])]),
    "conv-dilations-overflow": conv([ints_attribute("dilations", [NEAR_OVERFLOW, NEAR_OVERFLOW])]),
    "conv-groups-overflow": conv([int_attribute("group", NEAR_OVERFLOW)], (4, 12, 3, 3)),
    "pool-strides-overflow": shaped_as_matting([
        ("AveragePool", ["src"], ["bad"], [ints_attribute("kernel_shape", [2, 2]), ints_attribute("strides", [BIG, BIG]),
                                           int_attribute("ceil_mode", 1)], "pool"),
    ]),
    "split-overflow": shaped_as_matting([
        ("Split", ["src"], ["bad", "b", "c"], [int_attribute("axis", 1), ints_attribute("split", [BIG, BIG, 5])],
         "split"),
    ]),
    "slice-out-of-range": shaped_as_matting([("Slice", ["src", "five", "nine", "channel"], ["bad"], [], "slice")],
                                            [int64s("five", [5]), int64s("nine", [9]), int64s("channel", [1])]),
    # No starts or ends: a Slice of a scalar that keeps no axis.
    "slice-of-scalar": shaped_as_matting([
        ("Slice", ["scalar", "none", "none"], ["part"], [], "slice"),
        ("Add", ["src", "part"], ["bad"]),
    ], [int64s("scalar", [7], dims=[]), int64s("none", [])]),
    "expand-does-not-match": shaped_as_matting([("Expand", ["src", "shape"], ["bad"], [], "expand")],
                                               [int64s("shape", [1, 4, 32, 48])]),
    # Recurrent state broadcast to 2^30 floats per channel row: 4 GB.
    "expand-state-huge": shaped_as_matting([
        ("Expand", ["r1i", "shape"], ["held"], [], "expand"),
        ("Add", ["src", "held"], ["bad"]),
    ], [int64s("shape", [1, 1024, 1024, 1024])]),
    # [1, 3, 1, 1] times [4096, 1] times [4096]: 200 MB from a 48x32 frame.
    "broadcast-huge": shaped_as_matting([
        ("GlobalAveragePool", ["src"], ["mean"]),
        ("Mul", ["mean", "column"], ["tall"], [], "tall"),
        ("Mul", ["tall", "row"], ["bad"], [], "wide"),
    ], [floats("column", [4096, 1], [1] * 4096), floats("row", [4096], [1] * 4096)]),
    # A node name and an attribute value that would break the message's line.
    "name-newline": shaped_as_matting([("Relu", ["nowhere"], ["bad"], [], "two\nlines")]),
    "mode-newline": shaped_as_matting([("Resize", ["src", "roi", "two"], ["bad"], [string_attribute("mode", "li\nnear")],
                                        "resize")], [floats("roi", [0], []), floats("two", [4], [1, 1, 2, 2])]),
    # A node writing the image input's name: the engine handed out the state buffer as `src`.
    "input-overwritten": model(graph([
        ("ReduceMean", ["src"], ["pha"], [ints_attribute("axes", [1])]),
        ("Relu", ["src"], ["fgr"]),
        ("Expand", ["r1i", "small"], ["src"], [], "expand"),
        ("Relu", ["src"], ["r1o"]),
    ] + [("Expand", [f"r{k}i", "small"], [f"h{k}"]) for k in range(2, 5)]
        + [("Relu", [f"h{k}"], [f"r{k}o"]) for k in range(2, 5)], [int64s("small", [1, 1, 2, 2])],
        MATTING_INPUTS, MATTING_OUTPUTS), opset=12),
    # The guided filter's pattern around a Split with no input.
    "guided-split-no-input": model(graph([
        ("Split", [], ["colour", "alpha"], [int_attribute("axis", 1), ints_attribute("split", [3, 1])], "split"),
        ("Clip", ["alpha", "zero", "one"], ["pha"]),
        ("Relu", ["src"], ["fgr"]),
    ] + [("Relu", ["src"], [f"r{k}o"]) for k in range(1, 5)], [floats("zero", [], [0]), floats("one", [], [1])],
        MATTING_INPUTS, MATTING_OUTPUTS), opset=12),
}


def matter_hostile():
    """Graphs the planner runs but VideoMatter must refuse (so not for the fuzzer, which requires the planner to
    refuse every hostile-* seed): a foreground colour of one pixel, which the colour shift read and wrote as a
    whole frame's."""
    state = [("Expand", [f"r{k}i", "small"], [f"h{k}"]) for k in range(1, 5)]
    state += [("Relu", [f"h{k}"], [f"r{k}o"]) for k in range(1, 5)]
    small_foreground = model(graph([
        ("ReduceMean", ["src"], ["pha"], [ints_attribute("axes", [1])]),
        ("GlobalAveragePool", ["src"], ["fgr"]),
    ] + state, [int64s("small", [1, 1, 2, 2])], MATTING_INPUTS, MATTING_OUTPUTS), opset=12)
    return {"foreground-one-pixel": small_foreground}


def large_hostile():
    """Hostile graphs too big to fuzz: shape arithmetic that joins one constant of a million values 4096 times
    (32 GB), and Muls laying out one 16 MB constant 1024 times."""
    joined = shaped_as_matting([
        ("Concat", ["million"] * 4096, ["joined"], [int_attribute("axis", 0)], "join"),
        ("Slice", ["src", "zero", "joined"], ["bad"], [], "slice"),
    ], [int64s("million", [1] * (1 << 20)), int64s("zero", [0])])
    chain = [("GlobalAveragePool", ["src"], ["mean"]), ("Mul", ["mean", "weights"], ["m0"], [], "mul0")] + [
        ("Mul", [f"m{k - 1}", "weights"], [f"m{k}"], [], f"mul{k}") for k in range(1, 1024)]
    chain += [("Relu", ["m1023"], ["bad"])]
    laid_out = shaped_as_matting(chain, [floats("weights", [1, 3, 1024, 1365], [1] * (3 * 1024 * 1365))])
    return {"fold-huge": joined, "layout-repeated": laid_out}


def fields(message):
    """(field number, wire type, the field's bytes, its payload for length-delimited fields) for each field."""
    position = 0
    while position < len(message):
        start = position

        def read_varint():
            nonlocal position
            value, shift = 0, 0
            while True:
                byte = message[position]
                position += 1
                value |= (byte & 0x7F) << shift
                shift += 7
                if byte < 0x80:
                    return value

        field_key = read_varint()
        number, wire_type = field_key >> 3, field_key & 7
        payload = None
        if wire_type == 0:
            read_varint()
        elif wire_type == 1:
            position += 8
        elif wire_type == 5:
            position += 4
        elif wire_type == 2:
            length = read_varint()
            payload = message[position:position + length]
            position += length
        else:
            raise ValueError(f"wire type {wire_type} at byte {start}")
        yield number, wire_type, message[start:position], payload


def strings(message, number):
    return [payload.decode("utf-8", "replace") for field, _, _, payload in fields(message) if field == number]


def slice_of(real_model, max_bytes=60000):
    """The real model's first nodes, as many as fit in `max_bytes` with the initializers they read, and the values
    they compute that none of them reads as the graph's outputs: real attributes, weights and Constant tensors for
    the fuzzer to start from, at a size it can mutate quickly, that the planner plans (as far as it goes)."""
    out = bytearray()
    for number, _, encoded, payload in fields(real_model):
        if number != 7:
            out += encoded
            continue
        nodes, initializers, rest = [], {}, bytearray()
        for graph_number, _, graph_encoded, graph_payload in fields(payload):
            if graph_number == 1:
                nodes.append((graph_encoded, strings(graph_payload, 1), strings(graph_payload, 2)))
            elif graph_number == 5:
                initializers[strings(graph_payload, 8)[0]] = graph_encoded
            elif graph_number != 12:
                rest += graph_encoded
        graph, used, kept = bytearray(rest), set(), []
        for encoded_node, inputs, outputs in nodes:
            weights_read = b"".join(initializers[name] for name in inputs if name in initializers and name not in used)
            if len(out) + len(graph) + len(encoded_node) + len(weights_read) > max_bytes:
                break
            graph += encoded_node + weights_read
            used.update(inputs)
            kept.append(outputs)
        read = set(used)
        for outputs in kept:
            for name in outputs:
                if name not in read:
                    graph += length_delimited(12, value_info(name, []))
        out += length_delimited(7, bytes(graph))
    return bytes(out)


def damaged(real_model):
    """The real model cut short and with one byte changed, at offsets chosen by its structure: through the header, the
    nodes (where a cut or a changed byte breaks a length, a name or an attribute), the initializers, the graph's
    inputs and outputs, and the last bytes. {name: bytes}, names saying where."""
    size = len(real_model)
    regions = {}
    position = 0
    for number, _, encoded, payload in fields(real_model):
        if number == 7:
            graph_start = position + len(encoded) - len(payload)
            offset = graph_start
            for graph_number, _, graph_encoded, _ in fields(payload):
                start, end = regions.get(graph_number, (offset, offset))
                regions[graph_number] = (start, offset + len(graph_encoded))
                offset += len(graph_encoded)
        position += len(encoded)
    nodes, initializers = regions[1], regions[5]
    inputs_outputs = (regions[11][0], regions[12][1])

    def spread(region, count):
        return [region[0] + (region[1] - region[0]) * k // count for k in range(count)]

    cuts = sorted(set(list(range(1, 24)) + spread(nodes, 80) + spread(initializers, 12) + spread(inputs_outputs, 12)
                      + [size - k for k in (1, 2, 3, 4, 5)]))
    out = {f"cut-{offset}": real_model[:offset] for offset in cuts}
    # Offsets a little off the even spread, so that they fall on keys, lengths and names alike.
    flips = (spread(nodes, 32) + spread(inputs_outputs, 8) + [0, 1, 5, 15, size - 3, size - 1]
             + [initializers[0] + 7 * k for k in range(4)])
    for index, offset in enumerate(sorted(set(min(flip + index % 5, size - 1) for index, flip in enumerate(flips)))):
        changed = bytearray(real_model)
        changed[offset] ^= (0x01, 0x80, 0xFF)[index % 3]
        out[f"flip-{offset}"] = bytes(changed)
    return out


def main():
    if sys.argv[1] == "--damaged":
        os.makedirs(sys.argv[3], exist_ok=True)
        with open(sys.argv[2], "rb") as real:
            for name, data in damaged(real.read()).items():
                with open(os.path.join(sys.argv[3], f"rvm-{name}.onnx"), "wb") as out:
                    out.write(data)
        return
    hostile_only = sys.argv[1] == "--hostile"
    out_dir = sys.argv[2 if hostile_only else 1]
    os.makedirs(out_dir, exist_ok=True)
    seeds = {} if hostile_only else dict(SEEDS, **PLAN_SEEDS)
    if not hostile_only and len(sys.argv) > 2 and os.path.isfile(sys.argv[2]):
        with open(sys.argv[2], "rb") as real:
            seeds["rvm-slice"] = slice_of(real.read())
    for name, data in seeds.items():
        with open(os.path.join(out_dir, f"seed-{name}.onnx"), "wb") as seed:
            seed.write(data)
    for name, data in dict(HOSTILE, **(dict(large_hostile(), **matter_hostile()) if hostile_only else {})).items():
        with open(os.path.join(out_dir, f"hostile-{name}.onnx"), "wb") as seed:
            seed.write(data)


if __name__ == "__main__":
    main()
