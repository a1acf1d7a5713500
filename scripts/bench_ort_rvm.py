#!/usr/bin/env python3
"""Time ONNX Runtime on Robust Video Matting (the reference for Matte's engine on that model).

    bench_ort_rvm.py --size WxH --ratio R [--frames 30] [--warmup 3] [--threads 1] [--model PATH]

Runs rvm_mobilenetv3_fp32.onnx (scripts/setup-models.sh --rvm) in ONNX Runtime
(CPUExecutionProvider, default graph optimizations, one thread unless told)
on a W x H frame with downsample_ratio R, the recurrent state carried from
frame to frame as in a live stream: it starts as zeros [1,1,1,1], runs
--warmup frames untimed, then times --frames frames. The frame is
Tests/Fixtures/astronaut-1280x720.png (a person on a checkerboard) scaled to
W x H, float32 RGB / 255, NCHW.

Inputs and outputs stay in ONNX Runtime's own buffers (IOBinding; the state's
outputs are bound as the next frame's inputs), so only the run is timed, not
conversions to numpy. Prints one line and nothing else:

    median X ms, p10 Y ms, cpu Z ms per frame

cpu is process CPU time (time.process_time) over the timed frames / frames.
Run it with the tool venv's python (scripts/python-tools.sh sets $MATTE_PY).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

from matte_paths import models_dir

REPO = Path(__file__).resolve().parent.parent
FRAME_SOURCE = REPO / "Tests" / "Fixtures" / "astronaut-1280x720.png"
MODEL_FILE = "rvm_mobilenetv3_fp32.onnx"
STATES = ("r1", "r2", "r3", "r4")


def size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"([1-9][0-9]*)x([1-9][0-9]*)", text)
    if not m:
        raise argparse.ArgumentTypeError(f"'{text}' is not WxH (for example 1280x720)")
    return int(m.group(1)), int(m.group(2))


def ratio(text: str) -> float:
    try:
        r = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not 0 < r <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not in (0, 1]")
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description="Time ONNX Runtime on Robust Video Matting, state carried.")
    ap.add_argument("--size", type=size, required=True, help="frame size WxH, e.g. 1280x720")
    ap.add_argument("--ratio", type=ratio, required=True, help="downsample_ratio in (0, 1]")
    ap.add_argument("--frames", type=int, default=30, help="timed frames (default 30)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed frames first (default 3)")
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")
    ap.add_argument("--model", type=Path, default=None, help=f"the model (default {MODEL_FILE} in the models dir)")
    args = ap.parse_args()
    if args.frames < 1 or args.warmup < 0 or args.threads < 1:
        ap.error("--frames and --threads must be >= 1, --warmup >= 0")

    path = args.model or models_dir() / MODEL_FILE
    if not path.is_file():
        print(f"bench_ort_rvm: model {path} not found (run scripts/setup-models.sh --rvm)", file=sys.stderr)
        return 1

    import onnxruntime as ort
    from PIL import Image

    w, h = args.size
    with Image.open(FRAME_SOURCE) as im:
        rgb = im.convert("RGB")
        if rgb.size != (w, h):
            rgb = rgb.resize((w, h), Image.Resampling.BILINEAR)
        src = np.ascontiguousarray((np.asarray(rgb, dtype=np.float32) / np.float32(255)).transpose(2, 0, 1)[None])

    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])

    io = sess.io_binding()
    io.bind_ortvalue_input("src", ort.OrtValue.ortvalue_from_numpy(src))
    io.bind_ortvalue_input("downsample_ratio", ort.OrtValue.ortvalue_from_numpy(np.array([args.ratio], np.float32)))
    zero = ort.OrtValue.ortvalue_from_numpy(np.zeros((1, 1, 1, 1), np.float32))
    for s in STATES:
        io.bind_ortvalue_input(f"{s}i", zero)
    out_names = ["fgr", "pha"] + [f"{s}o" for s in STATES]

    def frame() -> None:
        for name in out_names:
            io.bind_output(name, "cpu")
        sess.run_with_iobinding(io)
        outs = io.get_outputs()
        for s, value in zip(STATES, outs[2:]):
            io.bind_ortvalue_input(f"{s}i", value)

    for _ in range(args.warmup):
        frame()

    times = np.empty(args.frames, dtype=np.float64)
    clock = time.perf_counter_ns
    cpu = 0.0
    for i in range(args.frames):
        c0 = time.process_time()
        t0 = clock()
        frame()
        t1 = clock()
        cpu += time.process_time() - c0
        times[i] = (t1 - t0) / 1e6

    median = float(np.median(times))
    p10 = float(np.percentile(times, 10))
    print(f"median {median:.3f} ms, p10 {p10:.3f} ms, cpu {cpu * 1e3 / args.frames:.3f} ms per frame")
    return 0


if __name__ == "__main__":
    sys.exit(main())
