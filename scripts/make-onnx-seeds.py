#!/usr/bin/env python3
"""Writes seed .onnx files for scripts/fuzz-onnx.sh: small models that use every field the reader reads, and,
when the real model is given and exists, a slice of it (its first nodes and small initializers) re-encoded so that
every length agrees. Standard library only: the protobuf encoding is written out by hand.

    scripts/make-onnx-seeds.py OUT_DIR [REAL_MODEL]
"""
import os
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


def slice_of(real_model, node_count=64, largest_initializer=1024):
    """The real model with only its first nodes and its small initializers: real attributes and Constant tensors
    for the fuzzer to start from, at a size it can mutate quickly."""
    out = bytearray()
    for number, _, encoded, payload in fields(real_model):
        if number != 7:
            out += encoded
            continue
        graph = bytearray()
        nodes = 0
        for graph_number, _, graph_encoded, graph_payload in fields(payload):
            if graph_number == 1:
                nodes += 1
                if nodes > node_count:
                    continue
            elif graph_number == 5 and len(graph_payload) > largest_initializer:
                continue
            graph += graph_encoded
        out += length_delimited(7, bytes(graph))
    return bytes(out)


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    seeds = dict(SEEDS)
    if len(sys.argv) > 2 and os.path.isfile(sys.argv[2]):
        with open(sys.argv[2], "rb") as real:
            seeds["rvm-slice"] = slice_of(real.read())
    for name, data in seeds.items():
        with open(os.path.join(out_dir, f"seed-{name}.onnx"), "wb") as seed:
            seed.write(data)


if __name__ == "__main__":
    main()
