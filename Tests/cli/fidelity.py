#!/usr/bin/env python3
"""What `matte render` writes is faithful to what it reads: colours, every frame and its time, audio, and the
picture's orientation. FFmpeg (with accurate conversions) is the independent reader; numpy does the sums.
Usage: Tests/cli/fidelity.py MATTE_BINARY FIXTURES_DIR. Prints one line per failure and a closing
'N passed, N failed'; exits 1 on any failure."""
import json, os, struct, subprocess, sys, tempfile, zlib
import numpy as np

matte, fixtures = sys.argv[1], sys.argv[2]
work = tempfile.mkdtemp(prefix="matte-fidelity-")
passed = failed = 0
# swscale's defaults are biased (they darkened a grey ramp by up to 3 levels); read with accurate flags.
READ_FLAGS = "accurate_rnd+full_chroma_int+full_chroma_inp+bitexact"


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL: {name} {detail}")


def path(name):
    return os.path.join(work, name)


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def matte_run(*args):
    result = subprocess.run([matte, *args], capture_output=True, text=True)
    return result.returncode, result.stderr


def probe(file, entries="stream=codec_type,width,height,nb_read_frames:format=duration"):
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-show_entries", entries, "-of", "json", file],
                         capture_output=True, text=True).stdout
    return json.loads(out or "{}")


def frames_rgb(file, count=1):
    info = [s for s in probe(file)["streams"] if s["codec_type"] == "video"][0]
    w, h = info["width"], info["height"]
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", file, "-frames:v", str(count), "-sws_flags", READ_FLAGS,
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3).astype(int)


def write_png(file, rgb):
    h, w, _ = rgb.shape
    rows = b"".join(b"\0" + rgb[y].astype(np.uint8).tobytes() for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    with open(file, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# --- Colours: a pass-through (--background none) keeps them. ---
ramp = np.repeat(np.arange(256), 2)[None, :, None].repeat(48, 0).repeat(3, 2)
write_png(path("ramp.png"), ramp)
photo = os.path.join(fixtures, "astronaut-1280x720.png")
for container, lossless in [("png", True), ("y4m", True), ("mkv", False), ("mp4", False), ("webm", False)]:
    status, err = matte_run("render", path("ramp.png"), "-o", path(f"ramp-out.{container}"), "--background", "none")
    check(f"grey ramp renders to .{container}", status == 0, err)
    if status != 0:
        continue
    difference = frames_rgb(path(f"ramp-out.{container}"))[0] - ramp
    bias = difference.reshape(-1, 3).mean(0)
    check(f"grey ramp through .{container}: mean bias <= 0.5 per channel", np.all(np.abs(bias) <= 0.5), f"bias {bias}")
    # Lossless containers: every level within 1; lossy codecs add their own small errors.
    limit = 1 if lossless else 3
    check(f"grey ramp through .{container}: every level within {limit}", np.abs(difference).max() <= limit,
          f"max {np.abs(difference).max()}")
    status, err = matte_run("render", photo, "-o", path(f"photo-out.{container}"), "--background", "none")
    if status == 0:
        bias = (frames_rgb(path(f"photo-out.{container}"))[0] - frames_rgb(photo)[0]).reshape(-1, 3).mean(0)
        check(f"photo through .{container}: mean bias <= 0.5 per channel", np.all(np.abs(bias) <= 0.5), f"bias {bias}")

# --- Every frame, with its time, and the audio. ---
for rate in [10, 25, 50]:
    clip = path(f"clip{rate}.mp4")
    ffmpeg("-f", "lavfi", "-i", f"testsrc=size=96x64:rate={rate}", "-f", "lavfi", "-i", "sine=frequency=440",
           "-frames:v", "12", "-t", str(12 / rate), "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", clip)
    source = probe(clip)
    # AAC is copied into .mp4 and .mkv and re-encoded as Opus for .webm.
    for container in ["mp4", "mkv", "webm"]:
        out = path(f"clip{rate}-out.{container}")
        status, err = matte_run("render", clip, "-o", out, "--background", "#00ff00")
        check(f"{rate} fps clip to .{container} renders", status == 0, err)
        if status != 0:
            continue
        result = probe(out)
        video = [s for s in result["streams"] if s["codec_type"] == "video"][0]
        check(f"{rate} fps clip to .{container}: every frame", int(video["nb_read_frames"]) == 12, video["nb_read_frames"])
        check(f"{rate} fps clip to .{container}: audio kept", any(s["codec_type"] == "audio" for s in result["streams"]))
        duration, expected = float(result["format"]["duration"]), float(source["format"]["duration"])
        check(f"{rate} fps clip to .{container}: duration kept", abs(duration - expected) <= 0.05 * expected + 0.03,
              f"{duration} vs {expected}")

# Variable frame rate: the gaps between frames grow; the output keeps them.
vfr = path("vfr.mkv")
ffmpeg("-f", "lavfi", "-i", "testsrc=size=96x64:rate=25", "-vf", "setpts='N*N/20/TB'", "-frames:v", "16",
       "-fps_mode", "vfr", "-c:v", "libx264", "-pix_fmt", "yuv420p", vfr)
for container in ["mp4", "mkv", "webm"]:
    out = path(f"vfr-out.{container}")
    status, err = matte_run("render", vfr, "-o", out, "--background", "#00ff00")
    check(f"VFR clip to .{container} renders", status == 0, err)
    if status == 0:
        times = lambda f: [float(x) for x in subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "v", "-show_entries", "frame=pts_time", "-of", "default=nw=1:nk=1", f],
            capture_output=True, text=True).stdout.split()]
        a, b = times(vfr), times(out)
        check(f"VFR clip to .{container}: same frames at the same times", len(a) == len(b)
              and max(abs(x - y) for x, y in zip(a, b)) < 0.002, f"{a[-3:]} vs {b[-3:]}")

# --- Orientation: EXIF on photos, the display matrix on videos. ---
picture = np.full((40, 64, 3), 200)
picture[:10, :16] = [255, 0, 0]  # a red block top-left of the stored picture
write_png(path("stored.png"), picture)
ffmpeg("-i", path("stored.png"), "-q:v", "2", path("stored.jpg"))
jpeg = open(path("stored.jpg"), "rb").read()
stored = frames_rgb(path("stored.jpg"))[0]
shown = {1: stored, 2: stored[:, ::-1], 3: stored[::-1, ::-1], 4: stored[::-1], 5: stored.transpose(1, 0, 2),
         6: np.rot90(stored, -1), 7: np.rot90(stored[:, ::-1], -1), 8: np.rot90(stored, 1)}
for orientation, expected in shown.items():
    tiff = b"II*\0" + struct.pack("<IH", 8, 1) + struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack("<I", 0)
    app1 = b"Exif\0\0" + tiff
    with open(path(f"o{orientation}.jpg"), "wb") as f:
        f.write(jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + jpeg[2:])
    status, err = matte_run("render", path(f"o{orientation}.jpg"), "-o", path(f"o{orientation}.png"), "--background", "none")
    got = frames_rgb(path(f"o{orientation}.png"))[0] if status == 0 else None
    check(f"EXIF orientation {orientation} applied", got is not None and got.shape == expected.shape
          and np.abs(got - expected).mean() < 2, err if status else f"shape {None if got is None else got.shape}")
ffmpeg("-i", path("stored.png"), "-c:v", "libx264", "-pix_fmt", "yuv444p", "-qp", "0", path("upright.mp4"))
for rotate in [90, 180, 270]:
    # FFmpeg 5.1 keeps rotation metadata only when copying a stream; its reader turns the picture (autorotate),
    # which is the reference.
    clip = path(f"rotated{rotate}.mp4")
    ffmpeg("-i", path("upright.mp4"), "-c", "copy", "-metadata:s:v:0", f"rotate={rotate}", clip)
    out = path(f"rotated{rotate}.png")
    status, err = matte_run("render", clip, "-o", out, "--background", "none")
    ffmpeg("-i", clip, "-sws_flags", READ_FLAGS, path(f"reference{rotate}.png"))
    expected = frames_rgb(path(f"reference{rotate}.png"))[0]
    got = frames_rgb(out)[0] if status == 0 else None
    check(f"video rotation {rotate} applied", got is not None and got.shape == expected.shape
          and (rotate == 180 or got.shape[:2] == (64, 40)) and np.abs(got - expected).mean() < 3,
          err if status else f"shape {None if got is None else got.shape}")

# --- Truncated inputs are rendered with a warning saying so. ---
long_clip = path("long.mkv")
ffmpeg("-f", "lavfi", "-i", "testsrc=size=96x64:rate=25", "-frames:v", "50", "-c:v", "libx264", "-pix_fmt", "yuv420p", long_clip)
data = open(long_clip, "rb").read()
open(path("cut.mkv"), "wb").write(data[: len(data) * 6 // 10])
status, err = matte_run("render", path("cut.mkv"), "-o", path("cut-out.mkv"), "--background", "#00ff00")
check("a cut video renders what it has", status == 0, err)
check("a cut video is warned about in one line", "warning" in err and "frames" in err and err.count("matte:") == 1, err)
photo_jpeg = open(os.path.join(fixtures, "astronaut.jpg"), "rb").read()
open(path("cut.jpg"), "wb").write(photo_jpeg[: len(photo_jpeg) // 2])
status, err = matte_run("render", path("cut.jpg"), "-o", path("cut-jpg.png"), "--background", "none")
check("a cut JPEG renders with a warning", status == 0 and "warning" in err and "cut short" in err, err)

subprocess.run(["rm", "-rf", work])
print(f"fidelity: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
