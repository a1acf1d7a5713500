#!/usr/bin/env python3
"""Write Matte's reference fixtures into Tests/Fixtures/.

Run it through scripts/make-golden.sh (which provides the pinned venv).

The reference is independent of Matte's own code: test images come from
scikit-image/Pillow, the model outputs from the official LiteRT runtime
(ai-edge-litert), and the pre/post-processing is written here in plain numpy
following MediaPipe 0.10.14's conventions:

* input: the whole frame is stretched to the model size (no aspect keep) with
  bilinear sampling at src = dst * (W/tw, H/th) -- no half-pixel offset,
  right/bottom neighbour clamped -- on the uint8 RGB values, then / 255,
  float32 NHWC.
* mask: the model's [1,h,w,1] probability map is scaled back to the frame size
  with half-pixel-centre bilinear (cv2.resize INTER_LINEAR convention).

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
DEFAULT_OUT = REPO / "Tests" / "Fixtures"
PREVIEW_DIR = Path("/tmp/golden-preview")

MODELS = {
    # name: (file, sha256)
    "general": (
        "selfie_segmentation.tflite",
        "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
    ),
    "landscape": (
        "selfie_segmentation_landscape.tflite",
        "a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd",
    ),
}

SOURCES = ["astronaut", "astronaut-1280x720"]

# The README's last section, written by scripts/make-rvm-reference.py; write_readme keeps it.
RVM_SECTION = "## Robust Video Matting (ONNX Runtime)"


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


def save_png(path: Path, img: Image.Image) -> None:
    tmp = path.with_name(path.name + ".tmp")
    img.save(tmp, format="PNG", optimize=True)
    os.replace(tmp, path)


def save_f32(path: Path, arr: np.ndarray) -> None:
    write_atomic(path, np.ascontiguousarray(arr, dtype="<f4").tobytes())


# --- test images ---------------------------------------------------------------

def make_images(out: Path) -> dict[str, np.ndarray]:
    from skimage import data as skdata

    astro = skdata.astronaut()  # (512, 512, 3) uint8 RGB
    assert astro.shape == (512, 512, 3) and astro.dtype == np.uint8, astro.shape
    astro_img = Image.fromarray(astro, mode="RGB")
    save_png(out / "astronaut.png", astro_img)
    tmp = out / "astronaut.jpg.tmp"
    astro_img.save(tmp, format="JPEG", quality=95)
    os.replace(tmp, out / "astronaut.jpg")

    # 16:9 frame: astronaut (LANCZOS to 720x720) centred on a 1280x720 canvas
    # whose margins are a checkerboard of 40 px squares in greys 90/150.
    W, H, sq = 1280, 720, 40
    yy, xx = np.mgrid[0:H, 0:W]
    board = np.where(((xx // sq) + (yy // sq)) % 2 == 0, 90, 150).astype(np.uint8)
    canvas = Image.fromarray(np.repeat(board[:, :, None], 3, axis=2), mode="RGB")
    canvas.paste(astro_img.resize((720, 720), Image.Resampling.LANCZOS), ((W - 720) // 2, 0))
    save_png(out / "astronaut-1280x720.png", canvas)

    # Read back what was written, so the tensors come from the committed files.
    images = {}
    for s in SOURCES:
        with Image.open(out / f"{s}.png") as im:
            images[s] = np.asarray(im.convert("RGB"), dtype=np.uint8)
    assert np.array_equal(images["astronaut"], astro)
    assert images["astronaut-1280x720"].shape == (720, 1280, 3)
    return images


# --- MediaPipe-equivalent pre/post-processing ------------------------------------

def mediapipe_input(img: np.ndarray, tw: int, th: int) -> np.ndarray:
    """Stretch HxWx3 uint8 to th x tw: bilinear at src = dst * (W/tw), no
    half-pixel offset, neighbours clamped; float64 math; then /255 -> float32
    [1, th, tw, 3]."""
    H, W, _ = img.shape
    sx = np.arange(tw, dtype=np.float64) * (W / tw)
    sy = np.arange(th, dtype=np.float64) * (H / th)
    x0 = np.floor(sx).astype(np.int64)
    y0 = np.floor(sy).astype(np.int64)
    x1 = np.minimum(x0 + 1, W - 1)
    y1 = np.minimum(y0 + 1, H - 1)
    fx = (sx - x0)[None, :, None]
    fy = (sy - y0)[:, None, None]
    src = img.astype(np.float64)
    top = src[y0][:, x0] * (1.0 - fx) + src[y0][:, x1] * fx
    bot = src[y1][:, x0] * (1.0 - fx) + src[y1][:, x1] * fx
    out = top * (1.0 - fy) + bot * fy
    return (out / 255.0).astype(np.float32)[None]


def resize_half_pixel(m: np.ndarray, out_w: int, out_h: int) -> np.ndarray:
    """Bilinear resize of a 2-D map with half-pixel centres (cv2.resize
    INTER_LINEAR): src = (dst + 0.5) * scale - 0.5 clamped to [0, size-1]."""
    h, w = m.shape
    sx = np.clip((np.arange(out_w, dtype=np.float64) + 0.5) * (w / out_w) - 0.5, 0, w - 1)
    sy = np.clip((np.arange(out_h, dtype=np.float64) + 0.5) * (h / out_h) - 0.5, 0, h - 1)
    x0 = np.floor(sx).astype(np.int64)
    y0 = np.floor(sy).astype(np.int64)
    x1 = np.minimum(x0 + 1, w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    fx = (sx - x0)[None, :]
    fy = (sy - y0)[:, None]
    src = m.astype(np.float64)
    top = src[y0][:, x0] * (1.0 - fx) + src[y0][:, x1] * fx
    bot = src[y1][:, x0] * (1.0 - fx) + src[y1][:, x1] * fx
    return (top * (1.0 - fy) + bot * fy).astype(np.float32)


# --- main ----------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="fixture directory (default Tests/Fixtures)")
    ap.add_argument("--preview", type=Path, default=PREVIEW_DIR, help="where to put mask previews")
    args = ap.parse_args()

    from ai_edge_litert.interpreter import Interpreter

    mdir = models_dir()
    model_paths = {}
    for name, (fname, want) in MODELS.items():
        p = mdir / fname
        if not p.is_file():
            print(f"make-golden: model {p} not found; run scripts/setup-models.sh first", file=sys.stderr)
            return 1
        got = sha256_file(p)
        if got != want:
            print(f"make-golden: sha256 mismatch for {p}: expected {want}, got {got}", file=sys.stderr)
            return 1
        model_paths[name] = p

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    args.preview.mkdir(parents=True, exist_ok=True)

    images = make_images(out)
    rows = []  # for the README / summary
    for mname, mpath in model_paths.items():
        interp = Interpreter(model_path=str(mpath), num_threads=1)
        interp.allocate_tensors()
        inp = interp.get_input_details()[0]
        outp = interp.get_output_details()[0]
        _, th, tw, _ = (int(v) for v in inp["shape"])
        for s in SOURCES:
            img = images[s]
            H, W, _ = img.shape
            x = mediapipe_input(img, tw, th)
            assert x.shape == tuple(inp["shape"]) and x.dtype == np.float32
            interp.set_tensor(inp["index"], x)
            interp.invoke()
            y = np.array(interp.get_tensor(outp["index"]), dtype=np.float32, copy=True)
            assert y.shape == (1, th, tw, 1), y.shape
            mask = resize_half_pixel(y[0, :, :, 0], W, H)

            stem = f"{s}-{mname}"
            save_f32(out / f"{stem}-input.f32", x)
            save_f32(out / f"{stem}-output.f32", y)
            save_f32(out / f"{stem}-mask-full.f32", mask)
            Image.fromarray(np.clip(mask * 255.0 + 0.5, 0, 255).astype(np.uint8), mode="L").save(
                args.preview / f"{stem}-mask.png")

            fg = float((mask > 0.5).mean())
            rows.append((s, mname, (W, H), (tw, th), y, fg))
            print(f"{stem:32s} output min {y.min():.6f} max {y.max():.6f} mean {y.mean():.6f}"
                  f" | mask-full {W}x{H} >0.5: {fg:.4f}")

    write_readme(out, rows, model_paths)
    files = [p for p in out.iterdir() if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    print(f"make-golden: wrote {len(files)} files, {total / 1e6:.2f} MB, to {out}")
    print(f"make-golden: mask previews in {args.preview}")
    return 0


def write_readme(out: Path, rows, model_paths) -> None:
    def ver(pkg: str) -> str:
        try:
            return md.version(pkg)
        except md.PackageNotFoundError:
            return "?"

    L = []
    L.append("# Test fixtures (reference data)")
    L.append("")
    L.append("Generated by `scripts/make-golden.sh` (which runs `scripts/make-golden.py` in the pinned venv made by")
    L.append("`scripts/python-tools.sh`; models from `scripts/setup-models.sh`). Do not edit by hand: regenerate.")
    L.append("The reference is independent of Matte's code: images from scikit-image/Pillow, model outputs from the")
    L.append("official LiteRT runtime (`ai_edge_litert.interpreter.Interpreter`, `num_threads=1`, XNNPACK delegate),")
    L.append("pre/post-processing in plain numpy (float64 math). Re-running gives byte-identical files.")
    L.append("")
    L.append("All `.f32` files are raw little-endian IEEE float32, no header, C order (row-major, last index fastest).")
    L.append("")
    L.append("## Images")
    L.append("")
    L.append("| file | what |")
    L.append("|---|---|")
    L.append("| `astronaut.png` | `skimage.data.astronaut()`, 512×512 RGB 8-bit (a real photo of a person) |")
    L.append("| `astronaut.jpg` | the same, JPEG quality 95 (Pillow, default 4:2:0 subsampling) |")
    L.append("| `astronaut-1280x720.png` | 16:9 frame, 1280×720 RGB: the astronaut resized to 720×720 (Pillow LANCZOS) at "
             "x=280..999, margins a checkerboard of 40 px squares, grey 90 where `(x/40 + y/40)` is even, 150 where odd |")
    L.append("")
    L.append("## Per model M ∈ {general, landscape} and source S ∈ {astronaut, astronaut-1280x720}")
    L.append("")
    L.append("| file | shape | what |")
    L.append("|---|---|---|")
    L.append("| `{S}-{M}-input.f32` | [1, th, tw, 3] NHWC | MediaPipe-0.10.14-equivalent input tensor: the whole frame "
             "stretched to tw×th (no aspect keep), bilinear at `src = dst·(W/tw, H/th)` (no half-pixel offset; "
             "`x1 = min(x0+1, W-1)`, likewise y; weights = fractional part), on the uint8 RGB values, then ÷255 |")
    L.append("| `{S}-{M}-output.f32` | [1, th, tw, 1] | LiteRT's output for that input: foreground probability in [0,1] |")
    L.append("| `{S}-{M}-mask-full.f32` | [H, W] | the output scaled to the source size, bilinear with half-pixel centres "
             "(cv2.resize INTER_LINEAR): `src = (dst+0.5)·(w/W) - 0.5`, clamped to [0, w-1], `x1 = min(x0+1, w-1)` |")
    L.append("")
    L.append("Model sizes: general tw×th = 256×256, landscape 256×144. Sources: astronaut W×H = 512×512, "
             "astronaut-1280x720 1280×720.")
    L.append("")
    L.append("| source | model | input | output min / max / mean | mask-full | mask > 0.5 |")
    L.append("|---|---|---|---|---|---|")
    for s, m, (W, H), (tw, th), y, fg in rows:
        L.append(f"| {s} | {m} | [1,{th},{tw},3] | {y.min():.6f} / {y.max():.6f} / {y.mean():.6f} | "
                 f"[{H},{W}] | {fg:.4f} |")
    L.append("")
    L.append("## Notes for tests")
    L.append("")
    L.append("- Cross-checked once against OpenCV: `input` equals `cv2.warpAffine(float32 image, diag(W/tw, H/th), "
             "INTER_LINEAR | WARP_INVERSE_MAP, BORDER_REPLICATE) / 255` to ≤ 1e-5 (OpenCV quantizes weights to 1/32), "
             "and `mask-full` equals `cv2.resize(output, (W, H), INTER_LINEAR)` to ≤ 1.2e-7.")
    L.append("- MediaPipe's CPU path warps the *uint8* image, so its tensor is rounded to whole levels: up to 0.5/255 "
             "(2e-3) off these inputs when the scale is not an integer (astronaut→landscape, 512→144 rows). Fed such a "
             "rounded tensor, the landscape model's output moves by up to 0.083 (mean 4e-4) at the edges. To test the "
             "engine alone, feed it `input.f32` and compare with `output.f32`; tolerances on end-to-end masks must allow "
             "for how the tensor was built.")
    L.append("")
    L.append("## Models (not committed; `scripts/setup-models.sh` installs them)")
    L.append("")
    L.append("From the `mediapipe==0.10.14` wheel on PyPI, `mediapipe/modules/selfie_segmentation/` (Apache-2.0):")
    L.append("")
    for name, p in model_paths.items():
        L.append(f"- {name}: `{p.name}`, {p.stat().st_size:,} bytes, sha256 `{sha256_file(p)}`")
    L.append("")
    L.append("## Versions used")
    L.append("")
    L.append(f"- Python {platform.python_version()}")
    for pkg in ("ai-edge-litert", "numpy", "pillow", "scikit-image"):
        L.append(f"- {pkg} {ver(pkg)}")
    L.append("")
    L.append("## sha256 of the fixtures")
    L.append("")
    L.append("```")
    for p in sorted(out.iterdir()):
        if p.is_file() and p.name != "README.md" and not p.name.endswith(".tmp"):
            L.append(f"{sha256_file(p)}  {p.name}")
    L.append("```")
    L.append("")
    text = "\n".join(L)
    # The Robust Video Matting section (scripts/make-rvm-reference.py) comes last and is kept as it is.
    readme = out / "README.md"
    old = readme.read_text() if readme.exists() else ""
    cut = old.find("\n" + RVM_SECTION + "\n")
    if cut >= 0:
        text += "\n" + old[cut + 1:]
    write_atomic(readme, text.encode())


if __name__ == "__main__":
    sys.exit(main())
