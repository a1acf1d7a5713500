#!/usr/bin/env python3
"""Matting quality on scenes with a known alpha, per model and mask setting: error overall, at the edge and on
thin strands, flicker, lag, error in a dim scene, and the CPU time of the render.

The truth (--truth shape, the default) is made by construction, not by any model:
  body    the astronaut photo (Tests/Fixtures/astronaut-1280x720.png, a real face and shoulders) cut out by a
          shape drawn by hand inside her silhouette: ellipses for the hair and the face, a tilted ellipse for the
          suit's collar ring, polygons for the neck and the shoulders (its outline is the edge; where it cuts
          through hair or suit the cut is the edge). Its coverage is exact (8×8 samples a pixel where the
          outline crosses), then softened by a Gaussian of sigma 0.8 px: a camera's edge is not a step.
  strands 40 thin curves ("hair": quadratic Béziers leaving the head outline, 13–70 px long at 720p) of
          constant width 0.5–3 px (log-uniform, in the frame's own pixels at every size), drawn with exact
          coverage (8×8 = 64 samples a pixel against the distance to the curve) in hair colours, laid over the
          body with the over operator.
The truth includes the black helmet she holds (cut almost straight down at x ≈ 785 of 1280): a held object is foreground.
The photo's own background (flag, backdrop, shuttle) is replaced, so every pixel of a frame is
alpha·foreground + (1 − alpha)·background with alpha known exactly, over real textured backgrounds:
FFmpeg's mandelbrot and testsrc2, a checkerboard and a photo (scikit-image's coffee cup, scaled to cover);
still and moving 8 px a frame, with Gaussian sensor noise (sigma 3 levels, --seed), and dim scenes (--dim-on,
coffee and mandelbrot: foreground and background each darkened to 255·G·(v/255)^1.25, G = --dim-gain 0.35,
before they are mixed, so the truth stays exact; then the same noise). --truth mask is the old scene: the
LiteRT landscape mask made a matte (it favours MediaPipe; --truth mask --frames 10 reproduces the old table).

Matte renders each scene twice with solid backgrounds (black and white), so its alpha comes back exactly from
the two outputs: Y_white - Y_black = (1 - alpha) * (235 - 16). Outputs are y4m (lossless). Reported per model
and setting (lower is better except "kept", where 1 is right):
  overall      mean |alpha - truth| over the whole frame, still scenes
  edge err     the same over the edge band: pixels within 12 px at 640×360 (24 px at 720p; it scales with the
               frame) of the body's true 0.5 contour, strands excepted
  interior     the same outside the band and the strands (holes inside the person, spill outside)
  strands      the same over the strand pixels outside the body (coverage > 0, grown by 1 px)
  kept         sum of alpha over those pixels / sum of truth: 0 = strands cut away, > 1 = spread into a halo
  flicker      mean |alpha_t - alpha_t-1| over the edge band, still noisy scenes (the truth does not move)
  moving err   edge err on the moving scenes (includes lag: smoothing that trails the person)
  dim err      edge err on the dim scenes (still)
  best shift   the whole-pixel shift (x, y) of the truth that best matches the recovered alpha on the edge band
  cpu ms/f     CPU time (user + system) of `matte render` per frame, averaged over the setting's renders; the
               header gives the same for a pass-through render (decode and encode alone)
The first 8 frames of each clip are not scored (2 when --frames is under 16): the temporal history builds up in
2, RVM's recurrent state settles in about 8 (its edge error falls for that long, then holds).
Before the table, a check that each model finds the person at all: mean alpha over the body's core and over
the background far from it, per background.

--live-path (needs rvm): the live camera's RVM path at 1280×720. Live feeds the network the frame sampled to at
most 360 lines (every other pixel at 720p: ModelInputSampler's sampling at src = 2·dst) and brings the alpha back
up with AlphaExpander's positions (columns at cell centres, rows at the sampled rows). Matte renders the sampled
640×360 clips, the alpha is brought up the same way and scored against the 720p truth, beside RVM at full size.
`matte render` runs the network at a short side of 180 px; live runs it at 144 (ratio 0.4), so ONNX Runtime
(the reference runtime, no Matte smoothing) scores the raw network alpha at both ratios too.

--crops DIR: side-by-side PNG crops (input | truth | each model; below 720p enlarged ×2), all from `matte render`
over a flat green (default settings, the clip's last frame): strands, an edge over testsrc2, the dim scene over
coffee. Each clip's noise comes from --seed and the clip's name, so `--only none --crops DIR` (no table) crops
the clips a full run scores.

--quick: 640×360, 8 frames, testsrc2 and coffee (dim: coffee), defaults only: about 30 s with both models.
The full run (4 backgrounds, 2 dim scenes, 24 frames, every setting): about 4.5 min at 640×360 and 15 min at
1280×720 with --live-path and --crops, on a 2-core machine.

Usage: scripts/bench-matting.py [MATTE] [--size 640x360] [--frames 24] [--models landscape,rvm] [--only LABELS]
                                [--truth shape|mask] [--backgrounds LIST] [--dim-on LIST] [--dim-gain G]
                                [--clips still,moving,dim] [--seed N] [--live-path] [--crops DIR] [--quick]
It runs in the tools venv (scripts/python-tools.sh), re-starting itself there when numpy, scikit-image or
Pillow is missing.
"""
import argparse, os, resource, subprocess, sys, tempfile, time, zlib

repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
try:
    import numpy as np
    import skimage.data
    from PIL import Image, ImageDraw
except ImportError:
    if os.environ.get("MATTE_BENCH_MATTING_VENV"):
        raise
    # The venv as it is when it has what this needs; python-tools.sh only to make it (its stamp names the base
    # python by path, which differs between a shell and a python that pyenv started: asking it from here
    # would rebuild a venv that works).
    venv_python = os.path.join(repo, ".venv-tools/bin/python")
    check = "import numpy, skimage.data, PIL, onnxruntime"
    if not os.access(venv_python, os.X_OK) or subprocess.run([venv_python, "-c", check]).returncode != 0:
        venv_python = subprocess.run(["bash", os.path.join(repo, "scripts/python-tools.sh")], check=True,
                                     stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1]
    os.environ["MATTE_BENCH_MATTING_VENV"] = "1"
    os.execv(venv_python, [venv_python, os.path.abspath(__file__), *sys.argv[1:]])

sys.path.insert(0, os.path.join(repo, "scripts"))
from matte_paths import models_dir  # noqa: E402

RVM_FILE = "rvm_mobilenetv3_fp32.onnx"


def rvm_path():
    """Where `matte` finds RVM (ModelLocator's order), or None."""
    for directory in [str(models_dir()), "/usr/local/share/matte/models", "/usr/share/matte/models"]:
        if os.access(os.path.join(directory, RVM_FILE), os.R_OK):
            return os.path.join(directory, RVM_FILE)
    return None


parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("matte", nargs="?", default=os.path.join(repo, ".build/release/matte"))
parser.add_argument("--size", default="640x360")
parser.add_argument("--frames", type=int, default=24)
parser.add_argument("--only", help="comma-separated setting labels to run (default: all; none: no table, for "
                                   "--live-path or --crops alone)")
parser.add_argument("--models", help="comma-separated: landscape, general, rvm (default: landscape,rvm when RVM "
                                     "is installed, else landscape)")
parser.add_argument("--truth", choices=["shape", "mask"], default="shape",
                    help="shape: the constructed alpha (default); mask: LiteRT's landscape mask made a matte (old)")
parser.add_argument("--backgrounds", help="comma-separated subset of mandelbrot,testsrc2,checker,coffee")
parser.add_argument("--dim-on", default="coffee,mandelbrot", help="backgrounds of the dim scenes (default coffee,mandelbrot)")
parser.add_argument("--dim-gain", type=float, default=0.35, help="the dim scenes' gain (default 0.35)")
parser.add_argument("--clips", default="still,moving,dim", help="which kinds of clip to make (default all)")
parser.add_argument("--seed", type=int, default=7, help="the sensor noise's seed (default 7)")
parser.add_argument("--live-path", action="store_true", help="also score the live camera's RVM path (1280x720)")
parser.add_argument("--crops", metavar="DIR", help="write side-by-side crops (PNG) of each model's render here")
parser.add_argument("--quick", action="store_true",
                    help="640x360, 8 frames, two backgrounds, defaults only (about 30 s with both models)")
parser.add_argument("--keep", action="store_true", help="keep the work directory (clips and renders)")
arguments = parser.parse_args()
if arguments.quick:
    arguments.size, arguments.frames = "640x360", min(arguments.frames, 8)
    arguments.only = arguments.only or "defaults"
    arguments.backgrounds = arguments.backgrounds or "testsrc2,coffee"
    arguments.dim_on = "coffee" if arguments.dim_on == parser.get_default("dim_on") else arguments.dim_on
W, H = map(int, arguments.size.split("x"))
N = arguments.frames
# Unscored first frames: the temporal history builds up in 2, RVM's recurrent state settles in about 8.
SKIP = 8 if N >= 16 else 2
assert N > SKIP + 1, "--frames must be at least 4"
models = arguments.models.split(",") if arguments.models else (["landscape", "rvm"] if rvm_path() else ["landscape"])
for name in models:
    assert name in ("landscape", "general", "rvm"), f"unknown model {name}"
if "rvm" in models and not rvm_path():
    sys.exit("bench-matting: --models rvm needs Robust Video Matting: scripts/setup-models.sh --rvm")
work = tempfile.mkdtemp(prefix="matte-matting-")
started = time.monotonic()


def ffmpeg(*args, **kw):
    return subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True, **kw)


def read_rgb(source, w, h):
    raw = subprocess.run(["ffmpeg", "-v", "error", *source, "-frames:v", "1", "-vf", f"scale={w}:{h}:flags=lanczos",
                         "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3).astype(np.float64)


def cover(image, w, h):
    """`image` (uint8 RGB) scaled to cover w×h and centre-cropped, Lanczos."""
    ih, iw = image.shape[:2]
    scale = max(w / iw, h / ih)
    sw, sh = max(w, round(iw * scale)), max(h, round(ih * scale))
    scaled = np.asarray(Image.fromarray(image).resize((sw, sh), Image.LANCZOS), np.float64)
    x0, y0 = (sw - w) // 2, (sh - h) // 2
    return scaled[y0:y0 + h, x0:x0 + w]


# ---------------------------------------------------------------------------------------------------------------
# The constructed truth. Shapes are in the coordinates of the 1280×720 photo; `scale` maps them to the frame.

HAIR = (600, 114, 95, 93, 0)  # ellipses: centre x, y, half-axes, rotation (degrees)
FACE = (597, 172, 60, 78, 0)
COLLAR = (578, 306, 123, 86, 20)
NECK = [(550, 200), (646, 200), (644, 245), (552, 245)]
SHOULDERS = [(452, 270), (700, 318), (730, 345), (760, 380), (780, 425), (788, 480), (782, 720), (318, 720),
             (314, 560), (322, 470), (338, 400), (362, 350), (398, 321), (428, 295)]
STRANDS, STRAND_SEED = 40, 2026
NOISE, DIM_GAIN, DIM_GAMMA, EDGE_SIGMA = 3.0, arguments.dim_gain, 1.25, 0.8


def inside_polygon(px, py, polygon):
    inside = np.zeros(np.broadcast(px, py).shape, bool)
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1]):
        crosses = (y0 > py) != (y1 > py)
        inside ^= crosses & (px < x0 + (py - y0) * (x1 - x0) / (y1 - y0 + 1e-300))
    return inside


def inside_ellipse(px, py, cx, cy, ax, ay, angle):
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    u, v = c * (px - cx) + s * (py - cy), -s * (px - cx) + c * (py - cy)
    return (u / ax) ** 2 + (v / ay) ** 2 <= 1


def inside_body(px, py):
    """Whether points (in 1280×720 photo coordinates) are inside the body's outline."""
    return (inside_ellipse(px, py, *HAIR) | inside_ellipse(px, py, *FACE) | inside_ellipse(px, py, *COLLAR)
            | inside_polygon(px, py, NECK) | inside_polygon(px, py, SHOULDERS))


def gaussian_blur(plane, sigma):
    radius = int(np.ceil(3 * sigma))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(plane, radius, mode="edge")
    rows = sum(k * padded[:, i:i + plane.shape[1]] for i, k in enumerate(kernel))
    return sum(k * rows[i:i + plane.shape[0]] for i, k in enumerate(kernel))


def body_coverage(w, h):
    """Exact area coverage of the outline (8×8 samples in pixels it crosses), then a Gaussian soft edge."""
    scale = w / 1280
    ys, xs = np.mgrid[0:h, 0:w] + 0.5
    centre = inside_body(xs / scale, ys / scale)
    near = np.zeros_like(centre)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            near |= centre != np.roll(np.roll(centre, dy, 0), dx, 1)
    coverage = centre.astype(np.float64)
    py, px = np.nonzero(near)
    offsets = (np.arange(8) + 0.5) / 8
    sx = (px[:, None, None] + offsets[None, None, :]) / scale
    sy = (py[:, None, None] + offsets[None, :, None]) / scale
    coverage[py, px] = inside_body(sx, sy).mean((1, 2))
    return np.clip(gaussian_blur(coverage, EDGE_SIGMA), 0, 1)


def strand_layers(w, h, photo):
    """[(coverage plane, colour)] for each strand, coverage exact to 1/64 of a pixel."""
    rng = np.random.default_rng(STRAND_SEED)
    scale = w / 1280
    cx, cy, ax, ay, _ = HAIR
    hair = photo[int(40 * scale):int(70 * scale), int(560 * scale):int(640 * scale)].reshape(-1, 3).mean(0)
    ys, xs = np.mgrid[0:h, 0:w]
    layers = []
    for _ in range(STRANDS):
        angle = np.radians(rng.uniform(-195, 15))  # around the top of the head and down its sides
        start = np.array([cx + 0.9 * ax * np.cos(angle), cy + 0.9 * ay * np.sin(angle)])
        normal = np.array([np.cos(angle) / ax, np.sin(angle) / ay])
        heading = np.arctan2(normal[1], normal[0]) + np.radians(rng.normal(0, 25))
        length = rng.uniform(25, 80)  # from 0.9 of the outline: 13-70 px stick out at 720p
        direction = np.array([np.cos(heading), np.sin(heading)])
        end = start + length * direction
        bend = rng.uniform(-0.35, 0.35) * length * np.array([-direction[1], direction[0]])
        control = (start + end) / 2 + bend
        width = float(np.exp(rng.uniform(np.log(0.5), np.log(3.0))))  # frame pixels, at every size
        colour = np.clip(hair * rng.uniform(0.7, 1.2), 0, 255)
        t = np.linspace(0, 1, 33)[:, None]
        points = ((1 - t) ** 2 * start + 2 * (1 - t) * t * control + t ** 2 * end) * scale
        x0, y0 = np.floor(points.min(0) - width - 1).astype(int)
        x1, y1 = np.ceil(points.max(0) + width + 1).astype(int)
        x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, w), min(y1, h)
        offsets = (np.arange(8) + 0.5) / 8
        sx = (xs[y0:y1, x0:x1, None, None] + offsets[None, None, None, :])
        sy = (ys[y0:y1, x0:x1, None, None] + offsets[None, None, :, None])
        distance = np.full(np.broadcast(sx, sy).shape, np.inf)
        for a, b in zip(points[:-1], points[1:]):
            d = b - a
            along = np.clip(((sx - a[0]) * d[0] + (sy - a[1]) * d[1]) / (d @ d), 0, 1)
            distance = np.minimum(distance, np.hypot(sx - a[0] - along * d[0], sy - a[1] - along * d[1]))
        coverage = np.zeros((h, w))
        coverage[y0:y1, x0:x1] = (distance <= width / 2).mean((2, 3))
        layers.append((coverage, colour))
    return layers


def dim(values):
    return 255 * DIM_GAIN * (np.clip(values, 0, 255) / 255) ** DIM_GAMMA


# ---------------------------------------------------------------------------------------------------------------

def shifted(array, dx):
    """`array` moved dx pixels right; what comes in is zero (the truth has nothing near the sides)."""
    if dx == 0:
        return array
    out = np.zeros_like(array)
    if dx > 0:
        out[:, dx:] = array[:, :-dx]
    else:
        out[:, :dx] = array[:, -dx:]
    return out


def grow(mask, radius):
    """`mask` grown by `radius` 4-neighbour steps."""
    grown = mask.copy()
    for _ in range(radius):
        g = grown.copy()
        g[1:] |= grown[:-1]; g[:-1] |= grown[1:]; g[:, 1:] |= grown[:, :-1]; g[:, :-1] |= grown[:, 1:]
        grown = g
    return grown


def contour_band(a, radius):
    """Pixels within `radius` steps of the 0.5 contour of `a`."""
    edge = np.zeros_like(a, bool)
    inside = a > 0.5
    edge[:, 1:] |= inside[:, 1:] != inside[:, :-1]
    edge[1:, :] |= inside[1:, :] != inside[:-1, :]
    return grow(edge, radius)


class Scene:
    """A foreground (premultiplied colour and alpha) with its regions, at W×H."""

    def __init__(self, w, h, truth_kind):
        self.w, self.h = w, h
        photo = read_rgb(["-i", os.path.join(repo, "Tests/Fixtures/astronaut-1280x720.png")], w, h)
        if truth_kind == "mask":
            mask = np.fromfile(os.path.join(repo, "Tests/Fixtures/astronaut-1280x720-landscape-mask-full.f32"),
                               np.float32).reshape(720, 1280)
            fy, fx = (720 // h if 720 % h == 0 else None), (1280 // w if 1280 % w == 0 else None)
            assert fy and fx, "--truth mask needs a --size that divides 1280x720"
            small = mask.reshape(h, fy, w, fx).mean((1, 3))
            body = np.clip((small - 0.5) * 2.5 + 0.5, 0, 1)
            for _ in range(2):
                padded = np.pad(body, 1, mode="edge")
                body = sum(padded[1 + dy:1 + dy + h, 1 + dx:1 + dx + w] for dy in (-1, 0, 1) for dx in (-1, 0, 1)) / 9
            layers = []
        else:
            body = body_coverage(w, h)
            layers = strand_layers(w, h, photo)
        self.body = body
        alpha, premultiplied = body.copy(), body[..., None] * photo
        strand_any = np.zeros((h, w), bool)
        for coverage, colour in layers:
            premultiplied = coverage[..., None] * colour + (1 - coverage[..., None]) * premultiplied
            alpha = coverage + (1 - coverage) * alpha
            strand_any |= coverage > 0
        self.alpha, self.premultiplied = alpha, premultiplied
        self.radius = max(1, round(12 * h / 360))
        self.strands = grow(strand_any, 1) & (body < 0.002)
        self.band = contour_band(body, self.radius) & ~self.strands
        core = ~grow(body < 1, self.radius)
        far = ~grow(alpha > 0, 2 * self.radius)
        self.core, self.far = core, far

    def dimmed(self):
        """The same foreground darkened: colour = dim(foreground colour), alpha unchanged."""
        other = Scene.__new__(Scene)
        other.__dict__.update(self.__dict__)
        colour = self.premultiplied / np.maximum(self.alpha, 1e-12)[..., None]
        other.premultiplied = self.alpha[..., None] * dim(colour)
        return other

    def frames(self, background, moving, rng, darken=False, count=None):
        """uint8 frames and their true alpha (and the matching shifted regions for a moving scene)."""
        count = count or N
        frames, truths, bands = [], [], []
        for t in range(count):
            dx = (t - count // 2) * 8 if moving else 0
            a = shifted(self.alpha, dx)
            frame = shifted(self.premultiplied, dx) + (1 - a[..., None]) * (dim(background) if darken else background)
            frame = frame + rng.normal(0, NOISE, frame.shape)
            frames.append(np.clip(frame.round(), 0, 255).astype(np.uint8))
            truths.append(a)
            bands.append(shifted(self.band, dx) if moving else self.band)
        truths = np.stack(truths) if moving else np.broadcast_to(self.alpha, (count, *self.alpha.shape))
        return np.stack(frames), truths, bands


def write_clip(path, frames):
    h, w = frames.shape[1:3]
    ffmpeg("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", "15", "-i", "-", "-c:v", "ffv1",
           "-pix_fmt", "rgb24", path, input=frames.tobytes())
    return path


def read_y4m_luma(path):
    """The Y plane of every frame of a 4:2:2 y4m file."""
    with open(path, "rb") as f:
        data = f.read()
    header_end = data.index(b"\n")
    fields = data[:header_end].split()
    w = int(next(f for f in fields if f.startswith(b"W"))[1:])
    h = int(next(f for f in fields if f.startswith(b"H"))[1:])
    assert any(f.startswith(b"C422") for f in fields), "expected a 4:2:2 y4m"
    lumas, position = [], header_end + 1
    while position < len(data):
        position = data.index(b"\n", position) + 1  # "FRAME...\n"
        lumas.append(np.frombuffer(data, np.uint8, w * h, position).reshape(h, w))
        position += w * h * 2
    return np.stack(lumas).astype(np.float64)


cpu_log = {}  # label -> [cpu seconds per frame of each render]


def render(clip, output, model, colour, settings, frames, label=None):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([arguments.matte, "render", clip, "-o", output, "--background", colour,
                    *(["--model", model] if model else []), *settings], check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if label:
        cpu_log.setdefault(label, []).append(cpu / frames)
    return output


def recovered_alpha(clip, model, settings, frames, label):
    lumas = []
    for colour in ["#000000", "#ffffff"]:
        out = render(clip, os.path.join(work, f"out-{colour[1:]}.y4m"), model, colour, settings, frames, label)
        lumas.append(read_y4m_luma(out))
        os.remove(out)
    return np.clip(1 - (lumas[1] - lumas[0]) / (235 - 16), 0, 1)


SHIFTS = [(dx, dy) for dy in range(-4, 5) for dx in range(-4, 5)]


def shifted_truths(truth, band):
    """The truth moved by each of SHIFTS (np.roll), at the band's pixels: [len(SHIFTS), band pixels]."""
    ys, xs = np.nonzero(band)
    h, w = truth.shape
    return np.stack([truth[(ys - dy) % h, (xs - dx) % w] for dx, dy in SHIFTS])


def best_shift(alpha, moved_truths, band):
    """The (dx, dy) in -4..4 for which the truth moved by it matches alpha best on the band."""
    return SHIFTS[int(np.abs(alpha[band][None] - moved_truths).mean(1).argmin())]


def background_images(w, h, wanted):
    checker = np.kron(np.indices((h // 20 + 1, w // 20 + 1)).sum(0) % 2, np.ones((20, 20)))[:h, :w]
    images = {
        "mandelbrot": lambda: read_rgb(["-f", "lavfi", "-i", f"mandelbrot=size={w}x{h}"], w, h),
        "testsrc2": lambda: read_rgb(["-f", "lavfi", "-i", f"testsrc2=size={w}x{h}"], w, h),
        "checker": lambda: checker[..., None].repeat(3, 2) * 160 + 40,
        "coffee": lambda: cover(skimage.data.coffee(), w, h),
    }
    return {name: images[name]() for name in wanted}


ALL_BACKGROUNDS = ["mandelbrot", "testsrc2", "checker", "coffee"]
still_names = arguments.backgrounds.split(",") if arguments.backgrounds else (
    ALL_BACKGROUNDS if arguments.truth == "shape" else ALL_BACKGROUNDS[:3])  # the old scene had no photo
dim_names = arguments.dim_on.split(",") if arguments.truth == "shape" else []
kinds = set(arguments.clips.split(","))


# ---------------------------------------------------------------------------------------------------------------

scene = Scene(W, H, arguments.truth)
backgrounds = background_images(W, H, list(dict.fromkeys(still_names + dim_names)))
shared_rng = np.random.default_rng(arguments.seed)


def noise_rng(name):
    """Each clip's own noise, from the seed and its name, so a run of some clips makes them as a full run does.
    The old scene (--truth mask) drew every clip from one generator, as it always did: its figures reproduce."""
    return shared_rng if arguments.truth == "mask" else np.random.default_rng([arguments.seed, zlib.crc32(name.encode())])


clips = {}  # name -> (clip path, truths, bands, kind)
for name in still_names:
    for kind, moving in (("still", False), ("moving", True)):
        if kind in kinds:
            frames, truths, bands = scene.frames(backgrounds[name], moving, noise_rng(f"{kind}-{name}"))
            clips[f"{kind}-{name}"] = (write_clip(os.path.join(work, f"{kind}-{name}.mkv"), frames), truths, bands, kind)
for name in dim_names if "dim" in kinds else []:
    frames, truths, bands = scene.dimmed().frames(backgrounds[name], False, noise_rng(f"dim-{name}"), darken=True)
    clips[f"dim-{name}"] = (write_clip(os.path.join(work, f"dim-{name}.mkv"), frames), truths, bands, "dim")
assert clips, "no clips: see --clips and --backgrounds"

settings_by_model = {
    "landscape": [
        ("defaults", []),
        ("--edge-refinement", ["--edge-refinement"]),
        ("--smoothing 0", ["--smoothing", "0"]),
        ("--smoothing 0.3", ["--smoothing", "0.3"]),
        ("--smoothing 0.8", ["--smoothing", "0.8"]),
        ("--softness 0.3", ["--softness", "0.3"]),
        ("--softness 1", ["--softness", "1"]),
    ],
    # The matting network's alpha skips the threshold ramp: softness (and threshold) do not apply.
    "rvm": [
        ("defaults", []),
        ("--smoothing 0", ["--smoothing", "0"]),
        ("--edge-refinement", ["--edge-refinement"]),
    ],
}
settings_by_model["general"] = settings_by_model["landscape"]

# The pass-through baseline: decode and encode alone (no mask is made for --background none).
baseline_clip = clips[next(iter(clips))][0]
render(baseline_clip, os.path.join(work, "none.y4m"), None, "none", [], N, "pass-through")
os.remove(os.path.join(work, "none.y4m"))


def score(model, label, settings):
    """Every metric of one model and setting, over all clips."""
    m = {key: [] for key in ("overall", "edge", "interior", "strands", "flicker", "moving", "dim", "shift")}
    kept = [0.0, 0.0]
    found, per_clip = {}, {}
    moved_truths = shifted_truths(scene.alpha, scene.band)
    for name, (clip, truths, bands, kind) in clips.items():
        alpha = recovered_alpha(clip, model, settings, len(truths), (model, label))
        per_clip[name] = np.mean([np.abs(alpha[t] - truths[t])[bands[t]].mean() for t in range(SKIP, len(truths))])
        for t in range(SKIP, len(truths)):
            error = np.abs(alpha[t] - truths[t])
            if kind == "still":
                m["overall"].append(error.mean())
                m["edge"].append(error[scene.band].mean())
                m["interior"].append(error[~scene.band & ~scene.strands].mean())
                if scene.strands.any():
                    m["strands"].append(error[scene.strands].mean())
                    kept[0] += alpha[t][scene.strands].sum()
                    kept[1] += truths[t][scene.strands].sum()
                m["flicker"].append(np.abs(alpha[t] - alpha[t - 1])[scene.band].mean())
                m["shift"].append(best_shift(alpha[t], moved_truths, scene.band))
            elif kind == "moving":
                m["moving"].append(error[bands[t]].mean())
            else:
                m["dim"].append(error[scene.band].mean())
        if kind == "still":
            found[name.split("-", 1)[1]] = (alpha[SKIP:, scene.core].mean(), alpha[SKIP:, scene.far].mean())
    result = {key: (np.mean(values) if values and key != "shift" else None) for key, values in m.items()}
    result["shift"] = tuple(np.median(np.array(m["shift"]), 0)) if m["shift"] else None
    result["kept"] = kept[0] / kept[1] if kept[1] else None
    result["cpu"] = np.mean(cpu_log[(model, label)]) * 1000
    result["found"] = found
    result["per_clip"] = per_clip
    return result


def fmt(value, width, digits=4):
    return f"{'–':>{width}}" if value is None else f"{value:{width}.{digits}f}"


only = set(arguments.only.split(",")) if arguments.only else None
results = []
for model in models:
    for label, settings in settings_by_model[model]:
        if only is None or label in only:
            results.append((model, label, score(model, label, settings)))

print(f"matting quality at {W}x{H}, {N} frames a clip (first {SKIP} unscored), truth: "
      f"{'constructed (body outline + strands)' if arguments.truth == 'shape' else 'LiteRT landscape mask (old)'}, "
      f"backgrounds: {', '.join(still_names)}, dim: {', '.join(dim_names) or 'none'} (gain {DIM_GAIN}), "
      f"noise seed {arguments.seed}; edge band {scene.radius} px; lower is better")
print(f"the person found (mean alpha over the body's core / far background, defaults), per background:")
for model, label, result in results:
    if label == "defaults":
        print(f"  {model:10} " + "  ".join(f"{bg} {core:.3f}/{far:.3f}" for bg, (core, far) in result["found"].items()))
print(f"pass-through render (decode + encode, no mask): {np.mean(cpu_log['pass-through']) * 1000:.1f} ms CPU a frame")
if scene.strands.any():
    print(f"strands: alpha 0 on every strand pixel would score {scene.alpha[scene.strands].mean():.4f}, "
          f"kept 0.00 ({scene.strands.sum()} pixels)")
print(f"{'model':10} {'setting':18} {'overall':>8} {'edge err':>8} {'interior':>8} {'strands':>8} {'kept':>6} "
      f"{'flicker':>8} {'moving':>8} {'dim err':>8} {'shift':>6} {'cpu ms/f':>8}")
for model, label, r in results:
    shift = f"{r['shift'][0]:3.0f},{r['shift'][1]:2.0f}" if r["shift"] else "–"
    print(f"{model:10} {label:18} {fmt(r['overall'], 8)} {fmt(r['edge'], 8)} {fmt(r['interior'], 8)} "
          f"{fmt(r['strands'], 8)} {fmt(r['kept'], 6, 2)} {fmt(r['flicker'], 8)} {fmt(r['moving'], 8)} "
          f"{fmt(r['dim'], 8)} {shift:>6} {r['cpu']:8.1f}")
print("edge err per clip (defaults):")
print(f"{'model':10} " + " ".join(f"{name:>17}" for name in clips))
for model, label, r in results:
    if label == "defaults":
        print(f"{model:10} " + " ".join(f"{r['per_clip'][name]:17.4f}" for name in clips))
sys.stdout.flush()

# ---------------------------------------------------------------------------------------------------------------
# The live camera's RVM path.


def expand_live(low, w, h):
    """AlphaExpander's bilinear expansion: columns at cell centres, rows at i·scale (the sampled rows)."""
    lh, lw = low.shape[-2:]

    def table(count, source, centres):
        positions = (np.arange(count) + 0.5) * source / count - 0.5 if centres else np.arange(count) * source / count
        positions = np.clip(positions, 0, source - 1)
        first = np.floor(positions).astype(int)
        return first, np.minimum(first + 1, source - 1), positions - first

    c0, c1, cw = table(w, lw, True)
    r0, r1, rw = table(h, lh, False)
    rows = low[..., r0, :] * (1 - rw)[:, None] + low[..., r1, :] * rw[:, None]
    return rows[..., c0] * (1 - cw) + rows[..., c1] * cw


def ort_alpha(frames, ratio):
    """Robust Video Matting in ONNX Runtime (one thread), state carried: the raw network alpha."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(rvm_path(), options, providers=["CPUExecutionProvider"])
    state = [np.zeros((1, 1, 1, 1), np.float32)] * 4
    alphas = []
    for frame in frames:
        source = (frame.astype(np.float32) / 255).transpose(2, 0, 1)[None]
        outputs = session.run(["pha", "r1o", "r2o", "r3o", "r4o"],
                              {"src": source, "r1i": state[0], "r2i": state[1], "r3i": state[2], "r4i": state[3],
                               "downsample_ratio": np.array([ratio], np.float32)})
        alphas.append(outputs[0][0, 0].astype(np.float64))
        state = outputs[1:]
    return np.stack(alphas)


def live_path():
    assert rvm_path(), "--live-path needs Robust Video Matting"
    big = scene if (W, H) == (1280, 720) else Scene(1280, 720, arguments.truth)
    big_backgrounds = backgrounds if (W, H) == (1280, 720) else background_images(1280, 720, list(backgrounds))
    sources = [(name, big, big_backgrounds[name], False) for name in still_names]
    sources += [(f"dim-{name}", big.dimmed(), big_backgrounds[name], True) for name in dim_names]
    rows = {}  # label -> clip -> metrics

    def add(label, clip, alpha, truths):
        entry = rows.setdefault(label, {}).setdefault(clip, {"edge": [], "strands": [], "overall": [], "flicker": []})
        for t in range(SKIP, len(truths)):
            error = np.abs(alpha[t] - truths[t])
            entry["edge"].append(error[big.band].mean())
            entry["strands"].append(error[big.strands].mean() if big.strands.any() else np.nan)
            entry["overall"].append(error.mean())
            entry["flicker"].append(np.abs(alpha[t] - alpha[t - 1])[big.band].mean())

    for name, source, image, darken in sources:
        frames, truths, _ = source.frames(image, False, noise_rng(f"live-{name}"), darken=darken)
        full_clip = write_clip(os.path.join(work, f"live-full-{name}.mkv"), frames)
        small = np.ascontiguousarray(frames[:, ::2, ::2])  # ModelInputSampler 1280x720 -> 640x360: src = 2·dst
        small_clip = write_clip(os.path.join(work, f"live-small-{name}.mkv"), small)
        add("matte render 1280x720 (network 320x180)", name, recovered_alpha(full_clip, "rvm", [], N, None), truths)
        add("matte render 640x360 sampled, brought up (network 320x180)", name,
            expand_live(recovered_alpha(small_clip, "rvm", [], N, None), 1280, 720), truths)
        add("ONNX Runtime 1280x720, ratio 0.25 (network 320x180)", name, ort_alpha(frames, 0.25), truths)
        add("ONNX Runtime 640x360 sampled, ratio 0.5 (network 320x180), brought up", name,
            expand_live(ort_alpha(small, 0.5), 1280, 720), truths)
        add("ONNX Runtime 640x360 sampled, ratio 0.4 (network 256x144: live), brought up", name,
            expand_live(ort_alpha(small, 0.4), 1280, 720), truths)
    still = list(still_names)
    print(f"\nthe live camera's RVM path at 1280x720, {N} frames a clip, edge band {big.radius} px; matte render rows "
          f"with default settings, ONNX Runtime rows the raw network alpha; still scenes ({', '.join(still)}):")
    print(f"{'path':80} {'overall':>8} {'edge err':>8} {'strands':>8} {'flicker':>8}")
    for label, clips_of in rows.items():
        values = {key: [v for clip in still for v in clips_of[clip][key]] for key in ("overall", "edge", "strands", "flicker")}
        print(f"{label:80} {np.mean(values['overall']):8.4f} {np.mean(values['edge']):8.4f} "
              f"{np.nanmean(values['strands']):8.4f} {np.mean(values['flicker']):8.4f}")
    names = [name for name, *_ in sources]
    print("overall / edge err per clip:")
    print(f"{'path':80} " + " ".join(f"{name:>15}" for name in names))
    for label, clips_of in rows.items():
        print(f"{label:80} " + " ".join(f"{np.mean(clips_of[n]['overall']):7.4f}/{np.mean(clips_of[n]['edge']):.4f}"
                                          for n in names))


if arguments.live_path:
    live_path()

# ---------------------------------------------------------------------------------------------------------------
# Crops: what each model's render looks like.

GREEN = "#2a8a4a"
CROPS = [
    # (file, clip, region in 1280×720 photo coordinates: x, y, width, height)
    ("strands", "still-mandelbrot", (490, 0, 210, 130)),
    ("edge-testsrc2", "still-testsrc2", (310, 260, 160, 130)),
    ("dim", "dim-coffee", (455, 30, 230, 150)),
]


def rgb_frames(path):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, H, W, 3)


def crops(directory):
    os.makedirs(directory, exist_ok=True)
    green = np.array([int(GREEN[i:i + 2], 16) for i in (1, 3, 5)], np.float64)
    scale = W / 1280
    for file, clip_name, (x, y, w, h) in CROPS:
        if clip_name not in clips:
            print(f"crops: no {clip_name} clip, {file} skipped")
            continue
        clip, truths, _, _ = clips[clip_name]
        x, y, w, h = (round(v * scale) for v in (x, y, w, h))
        region = (slice(y, y + h), slice(x, x + w))
        last = len(truths) - 1
        source = rgb_frames(clip)[last]
        # The truth composite: the clip's own foreground over green with the true alpha (noise-free colour).
        darken = clip_name.startswith("dim")
        foreground = scene.dimmed().premultiplied if darken else scene.premultiplied
        ideal = np.clip(foreground + (1 - truths[last])[..., None] * green, 0, 255).round().astype(np.uint8)
        panels = [("input", source[region]), ("truth", ideal[region])]
        for model in models:
            out = render(clip, os.path.join(work, "crop.y4m"), model, GREEN, [], len(truths))
            title = {"landscape": "MediaPipe", "general": "MediaPipe general", "rvm": "RVM"}[model]
            panels.append((title, rgb_frames(out)[last][region]))
        zoom = 2 if H < 720 else 1  # below 720p each pixel is shown as 2×2
        w, h = w * zoom, h * zoom
        gap, label_height = 4, 14
        sheet = Image.new("RGB", (len(panels) * (w + gap) - gap, h + label_height), (255, 255, 255))
        draw = ImageDraw.Draw(sheet)
        for index, (name, pixels) in enumerate(panels):
            picture = Image.fromarray(np.ascontiguousarray(pixels)).resize((w, h), Image.NEAREST)
            sheet.paste(picture, (index * (w + gap), label_height))
            draw.text((index * (w + gap) + 2, 1), name, fill=(0, 0, 0))
        path = os.path.join(directory, f"matting-{file}{'' if (W, H) == (1280, 720) else f'-{W}x{H}'}.png")
        sheet.save(path, optimize=True)
        print(f"crops: {path} ({os.path.getsize(path) // 1024} KB)")


if arguments.crops:
    crops(arguments.crops)

print(f"\nbench-matting: {time.monotonic() - started:.0f} s", file=sys.stderr)
if arguments.keep:
    print(f"work directory kept: {work}", file=sys.stderr)
else:
    subprocess.run(["rm", "-rf", work])
