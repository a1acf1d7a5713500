#!/usr/bin/env python3
"""Time the official LiteRT runtime on one model (the reference for Matte's engine).

    bench_litert.py --model PATH|general|landscape [--runs 200] [--warmup 10] [--threads 1]

Times only Interpreter.invoke() (input set once beforehand), after warm-up
runs, and prints one line:

    median X ms, p10 Y ms, cpu Z ms per inference

cpu is process CPU time (time.process_time) over the timed runs / runs.
Run it with the tool venv's python (scripts/python-tools.sh sets $MATTE_PY).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from matte_paths import models_dir

MODEL_FILES = {
    "general": "selfie_segmentation.tflite",
    "landscape": "selfie_segmentation_landscape.tflite",
}


def main() -> int:
    ap = argparse.ArgumentParser(description="Time LiteRT invoke() on a model.")
    ap.add_argument("--model", required=True, help="path to a .tflite, or 'general' / 'landscape'")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if args.runs < 1:
        ap.error("--runs must be >= 1")

    path = Path(models_dir() / MODEL_FILES[args.model]) if args.model in MODEL_FILES else Path(args.model)
    if not path.is_file():
        print(f"bench_litert: model {path} not found (run scripts/setup-models.sh)", file=sys.stderr)
        return 1

    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path), num_threads=args.threads)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    # A fixed, image-like input in [0, 1] (speed does not depend on the values).
    x = np.random.default_rng(0).random(tuple(inp["shape"]), dtype=np.float32)
    interp.set_tensor(inp["index"], x)

    for _ in range(args.warmup):
        interp.invoke()

    times = np.empty(args.runs, dtype=np.float64)
    invoke = interp.invoke
    clock = time.perf_counter_ns
    cpu = 0.0
    for i in range(args.runs):
        c0 = time.process_time()
        t0 = clock()
        invoke()
        t1 = clock()
        cpu += time.process_time() - c0
        times[i] = (t1 - t0) / 1e6

    median = float(np.median(times))
    p10 = float(np.percentile(times, 10))
    print(f"median {median:.3f} ms, p10 {p10:.3f} ms, cpu {cpu * 1e3 / args.runs:.3f} ms per inference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
