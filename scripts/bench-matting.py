#!/usr/bin/env python3
"""Matting quality on scenes with a known alpha, per mask setting: edge-band error, flicker and lag.

The scene: the astronaut photo (Tests/Fixtures/astronaut-1280x720.png, a real person) cut out by a
known soft alpha — the official LiteRT landscape mask at full resolution (astronaut-1280x720-landscape-mask-full.f32),
made a matte with a 2-pixel soft edge — and composited over textured backgrounds (FFmpeg's mandelbrot and
testsrc2, a checkerboard), still and moving (8 px a frame), with Gaussian sensor noise (sigma 3 levels). Every
frame's true alpha is therefore known exactly.

Matte renders each scene twice with solid backgrounds (black and white, --background none for nothing else),
so its alpha comes back exactly from the two outputs: Y_white - Y_black = (1 - alpha) * (235 - 16). Outputs are
y4m (lossless). Reported per setting:
  edge error   mean |alpha - truth| over the edge band (pixels within 12 px of the true 0.5 contour), still scenes
  interior     mean |alpha - truth| outside the band (holes inside the person, spill outside)
  flicker      mean |alpha_t - alpha_t-1| over the band, still noisy scene (the truth does not move)
  moving error edge error on the moving scene (includes lag: smoothing that trails the person)
  best shift   the whole-pixel shift (x, y) of the truth that best matches the recovered alpha on the edge band:
               (0, 0) when edges sit where they are; anything else is a systematic misalignment

Usage: scripts/bench-matting.py [MATTE] [--size 640x360] [--frames 12]
"""
import argparse, os, subprocess, sys, tempfile
import numpy as np

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
parser = argparse.ArgumentParser()
parser.add_argument("matte", nargs="?", default=os.path.join(repo, ".build/release/matte"))
parser.add_argument("--size", default="640x360")
parser.add_argument("--frames", type=int, default=12)
parser.add_argument("--only", help="comma-separated setting labels to run (default: all)")
arguments = parser.parse_args()
W, H = map(int, arguments.size.split("x"))
N = arguments.frames
work = tempfile.mkdtemp(prefix="matte-matting-")
rng = np.random.default_rng(7)


def ffmpeg(*args, **kw):
    return subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, **kw)


def read_rgb(source, w, h, *filters):
    raw = subprocess.run(["ffmpeg", "-v", "error", *source, "-frames:v", "1", "-vf", f"scale={w}:{h}:flags=lanczos",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3).astype(np.float64)


# Foreground and true alpha at the bench size.
photo = read_rgb(["-i", os.path.join(repo, "Tests/Fixtures/astronaut-1280x720.png")], W, H)
mask = np.fromfile(os.path.join(repo, "Tests/Fixtures/astronaut-1280x720-landscape-mask-full.f32"), np.float32).reshape(720, 1280)
# Area-resample the mask to the bench size, then make a matte with a ~2 px soft edge.
fy, fx = 720 // H if 720 % H == 0 else None, 1280 // W if 1280 % W == 0 else None
assert fy and fx, "--size must divide 1280x720"
small = mask.reshape(H, fy, W, fx).mean((1, 3))
truth = np.clip((small - 0.5) * 2.5 + 0.5, 0, 1)
for _ in range(2):  # soften the edge a little: a real hair/skin boundary is not a step
    padded = np.pad(truth, 1, mode="edge")
    truth = sum(padded[1 + dy:1 + dy + H, 1 + dx:1 + dx + W] for dy in (-1, 0, 1) for dx in (-1, 0, 1)) / 9

backgrounds = {
    "mandelbrot": read_rgb(["-f", "lavfi", "-i", f"mandelbrot=size={W}x{H}"], W, H),
    "testsrc2": read_rgb(["-f", "lavfi", "-i", f"testsrc2=size={W}x{H}"], W, H),
    "checker": np.kron((np.indices((H // 20 + 1, W // 20 + 1)).sum(0) % 2)[: H // 20 + 1, : W // 20 + 1],
                       np.ones((20, 20)))[:H, :W, None].repeat(3, 2) * 160 + 40,
}


def shifted(array, dx):
    """`array` moved dx pixels right, edges repeated."""
    if dx == 0:
        return array
    out = np.roll(array, dx, axis=1)
    if dx > 0:
        out[:, :dx] = array[:, :1]
    else:
        out[:, dx:] = array[:, -1:]
    return out


def make_scene(name, background, moving):
    frames, truths = [], []
    for t in range(N):
        dx = (t - N // 2) * 8 if moving else 0
        a = shifted(truth, dx)
        f = shifted(photo, dx)
        frame = a[..., None] * f + (1 - a[..., None]) * background + rng.normal(0, 3, (H, W, 3))
        frames.append(np.clip(frame.round(), 0, 255).astype(np.uint8))
        truths.append(a)
    path = os.path.join(work, f"{name}.mkv")
    ffmpeg("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-r", "15", "-i", "-", "-c:v", "ffv1",
           "-pix_fmt", "rgb24", path, input=np.stack(frames).tobytes())
    return path, np.stack(truths)


def luma_frames(path):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "yuv422p", "-"],
                         capture_output=True, check=True).stdout
    frame_bytes = W * H * 2
    return np.stack([np.frombuffer(raw[i:i + W * H], np.uint8) for i in range(0, len(raw), frame_bytes)]).reshape(-1, H, W).astype(np.float64)


def recovered_alpha(scene, settings):
    outputs = []
    for colour in ["#000000", "#ffffff"]:
        out = os.path.join(work, f"out-{colour[1:]}.y4m")
        subprocess.run([arguments.matte, "render", scene, "-o", out, "--background", colour, "--model", "landscape", *settings],
                       check=True, capture_output=True)
        outputs.append(luma_frames(out))
    return np.clip(1 - (outputs[1] - outputs[0]) / (235 - 16), 0, 1)


def band_of(a):
    """Pixels within 12 px of the true 0.5 contour."""
    edge = np.zeros_like(a, bool)
    inside = a > 0.5
    edge[:, 1:] |= inside[:, 1:] != inside[:, :-1]
    edge[1:, :] |= inside[1:, :] != inside[:-1, :]
    grown = edge.copy()
    for _ in range(12):
        g = grown.copy()
        g[1:] |= grown[:-1]; g[:-1] |= grown[1:]; g[:, 1:] |= grown[:, :-1]; g[:, :-1] |= grown[:, 1:]
        grown = g
    return grown


def best_shift(alpha, truth, band):
    """The (dx, dy) in -4..4 for which the truth moved by it matches alpha best on the band."""
    scores = {}
    for dy in range(-4, 5):
        for dx in range(-4, 5):
            moved = np.roll(np.roll(truth, dy, 0), dx, 1)
            scores[(dx, dy)] = np.abs(alpha - moved)[band].mean()
    return min(scores, key=scores.get)


settings_list = [
    # (label, extra arguments)
    ("defaults", []),
    ("--edge-refinement", ["--edge-refinement"]),
    ("--smoothing 0", ["--smoothing", "0"]),
    ("--smoothing 0.3", ["--smoothing", "0.3"]),
    ("--smoothing 0.8", ["--smoothing", "0.8"]),
    ("--softness 0.3", ["--softness", "0.3"]),
    ("--softness 1", ["--softness", "1"]),
]
if arguments.only:
    settings_list = [entry for entry in settings_list if entry[0] in arguments.only.split(",")]
scenes = {bg: (make_scene(f"still-{bg}", image, False), make_scene(f"moving-{bg}", image, True)) for bg, image in backgrounds.items()}
print(f"matting quality at {W}x{H}, {N} frames per scene, backgrounds: {', '.join(backgrounds)}; lower is better")
print(f"{'setting':38} {'edge err':>9} {'interior':>9} {'flicker':>9} {'moving err':>11} {'best shift x,y':>15}")
for label, settings in settings_list:
    edge, interior, flicker, moving, offsets = [], [], [], [], []
    for (still_path, still_truth), (moving_path, moving_truth) in scenes.values():
        alpha = recovered_alpha(still_path, settings)
        band = band_of(still_truth[0])
        skip = 2  # the first frames build the temporal history
        for t in range(skip, N):
            edge.append(np.abs(alpha[t] - still_truth[t])[band].mean())
            interior.append(np.abs(alpha[t] - still_truth[t])[~band].mean())
            flicker.append(np.abs(alpha[t] - alpha[t - 1])[band].mean())
            offsets.append(best_shift(alpha[t], still_truth[t], band))
        alpha = recovered_alpha(moving_path, settings)
        for t in range(skip, N):
            moving.append(np.abs(alpha[t] - moving_truth[t])[band_of(moving_truth[t])].mean())
    ox, oy = np.median(np.array(offsets), 0)
    print(f"{label:38} {np.mean(edge):9.4f} {np.mean(interior):9.4f} {np.mean(flicker):9.4f} {np.mean(moving):11.4f} {ox:7.0f},{oy:3.0f}")
subprocess.run(["rm", "-rf", work])
