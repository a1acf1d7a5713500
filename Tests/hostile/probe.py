#!/usr/bin/env python3
"""Helpers for Tests/hostile/run.sh: builds the inputs ffmpeg cannot (PNG bombs, Adam7 PNGs, JPEGs with an
EXIF orientation and a corner marker) and reads the outputs back. ffprobe/ffmpeg are the independent readers;
this file only adds what they do not do (EXIF orientation of JPEGs, corner colours). numpy is the only
dependency beyond the standard library.

  probe.py bomb OUT W H full|header        a PNG declaring WxH: complete 1-bit zeros, or IHDR + a cut IDAT
  probe.py adam7 OUT W H                   an interlaced (Adam7) RGB PNG
  probe.py exif OUT W H ORIENT [le|be|bad-offset|bad-count]
                                           a WxH-stored JPEG whose *displayed* picture (after ORIENT) has a red
                                           block top-left and a green block top-right
  probe.py marker-raw W H                  writes the displayed marker picture as rgb24 to stdout
  probe.py probe FILE                      "W H FRAMES AUDIO DURATION MAGIC": displayed size (display matrix
                                           and EXIF orientation applied), decoded frames, audio streams,
                                           seconds, and the file type by its first bytes ("none ..." if no video)
  probe.py check-marker FILE               red block top-left, green top-right, grey bottom corners (first frame)
  probe.py colour-difference IN OUT       the largest difference of mean R, G, B between the first frames
  probe.py tiff OUT W H lab|float          a flat TIFF FFmpeg opens but cannot decode (Lab, or float samples)
  probe.py magic FILE                      png, jpeg, matroska, mp4, y4m, gif, ... or unknown
  probe.py signal SIG DELAY TIMEOUT ERR -- CMD...
                                           runs CMD with default signal dispositions, sends SIG after DELAY s,
                                           prints its shell-style exit status (128+n if killed, 124 if it
                                           outlived TIMEOUT after the signal)
"""
import atexit
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

np = None  # numpy, imported only by the commands that need it (it costs a tenth of a second)


def need_numpy():
    global np
    if np is None:
        import numpy
        np = numpy


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_write(path, ihdr, idat):
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))


def bomb(path, w, h, mode):
    if mode == "full":  # 1-bit greyscale, every row zeros: ~1000:1 deflate
        ihdr = struct.pack(">IIBBBBB", w, h, 1, 0, 0, 0, 0)
        row = b"\0" * (1 + (w + 7) // 8)
        z = zlib.compressobj(9)
        chunk = row * 256
        parts = [z.compress(chunk) for _ in range(h // 256)]
        parts.append(z.compress(row * (h % 256)))
        parts.append(z.flush())
        png_write(path, ihdr, b"".join(parts))
    else:  # 8-bit RGB, the IDAT holds only the first rows
        ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
        z = zlib.compressobj(9)
        png_write(path, ihdr, z.compress(b"\0" * (1 + 3 * w) * 4) + z.flush(zlib.Z_SYNC_FLUSH))


def adam7(path, w, h):
    need_numpy()
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), np.full_like(x, 90)], -1).astype(np.uint8)
    img[: h // 4, : w // 4] = (255, 0, 0)
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    raw = bytearray()
    for x0, y0, dx, dy in passes:
        sub = img[y0::dy, x0::dx]
        if sub.size == 0:
            continue
        for row in sub:
            raw += b"\0" + row.tobytes()
    png_write(path, struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 1), zlib.compress(bytes(raw), 9))


def marker_picture(w, h):
    """The displayed picture: grey, red block top-left, green block top-right (quarter size each)."""
    need_numpy()
    img = np.full((h, w, 3), 128, np.uint8)
    bw, bh = max(w // 4, 1), max(h // 4, 1)
    img[:bh, :bw] = (255, 0, 0)
    img[:bh, w - bw:] = (0, 255, 0)
    return img


def stored_from_displayed(d, orient):
    """The stored picture S such that applying EXIF orientation `orient` to S gives d."""
    need_numpy()
    return {
        1: lambda a: a,
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.transpose(1, 0, 2),
        6: lambda a: np.rot90(a, 1),
        7: lambda a: np.rot90(a, 2).transpose(1, 0, 2),
        8: lambda a: np.rot90(a, -1),
    }.get(orient, lambda a: a)(d)


def exif_segment(orient, variant):
    le = variant == "le"
    e = "<" if le else ">"
    tiff = (b"II*\0" if le else b"MM\0*") + struct.pack(e + "I", 8)
    count = 40 if variant == "bad-count" else 1  # bad-count: claims 40 entries, holds one
    ifd = struct.pack(e + "H", count) + struct.pack(e + "HHI", 0x0112, 3, 1) + struct.pack(e + "HH", orient, 0)
    ifd += struct.pack(e + "I", 0)
    if variant == "bad-offset":  # IFD0 offset far beyond the segment
        tiff = (b"MM\0*") + struct.pack(">I", 0x7FFFFFF0)
    payload = b"Exif\0\0" + tiff + ifd
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def exif_jpeg(path, w, h, orient, variant):
    need_numpy()
    swap = orient in (5, 6, 7, 8)
    dw, dh = (h, w) if swap else (w, h)
    s = np.ascontiguousarray(stored_from_displayed(marker_picture(dw, dh), orient))
    assert s.shape[:2] == (h, w), s.shape
    jpeg = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-i", "-",
         "-c:v", "mjpeg", "-pix_fmt", "yuvj444p", "-q:v", "2", "-f", "image2pipe", "-"],
        input=s.tobytes(), stdout=subprocess.PIPE, check=True).stdout
    assert jpeg[:2] == b"\xff\xd8"
    with open(path, "wb") as f:
        f.write(jpeg[:2] + exif_segment(orient, variant) + jpeg[2:])


def jpeg_orientation(path):
    """EXIF orientation of a JPEG (1 when absent, unreadable or out of 1-8)."""
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 20)
        if data[:2] != b"\xff\xd8":
            return 1
        i = 2
        while i + 4 <= len(data) and data[i] == 0xFF:
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
            seg = data[i + 4:i + 2 + length]
            if marker == 0xE1 and seg[:6] == b"Exif\0\0":
                t = seg[6:]
                e = "<" if t[:2] == b"II" else ">"
                off = struct.unpack(e + "I", t[4:8])[0]
                n = struct.unpack(e + "H", t[off:off + 2])[0]
                for k in range(n):
                    p = off + 2 + 12 * k
                    if p + 12 > len(t):
                        break
                    tag, typ, cnt = struct.unpack(e + "HHI", t[p:p + 8])
                    if tag == 0x0112 and typ == 3:
                        v = struct.unpack(e + "H", t[p + 8:p + 10])[0]
                        return v if 1 <= v <= 8 else 1
                return 1
            if marker in (0xDA, 0xD9):
                return 1
            i += 2 + length
    except Exception:
        pass
    return 1


def jpeg_size(path):
    """(width, height) from a JPEG's SOF marker, for JPEGs ffmpeg cannot decode (arithmetic coding)."""
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 20)
        i = 2
        while i + 9 <= len(data) and data[i] == 0xFF:
            marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", data[i + 5:i + 9])
                return w, h
            i += 2 + length
    except (OSError, struct.error):
        pass
    return 0, 0


def plain_name(path):
    """A name for `path` that ffmpeg's image2 demuxer will not read as a pattern (in%d.png): a symlink."""
    if "%" not in os.path.basename(path):
        return path
    tmp = tempfile.mkdtemp(prefix="hostile-")
    atexit.register(shutil.rmtree, tmp, True)
    link = os.path.join(tmp, "input" + os.path.splitext(path)[1])
    os.symlink(os.path.abspath(path), link)
    return link


def ffprobe(path, count):
    cmd = ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json"]
    if count:
        cmd.insert(1, "-count_frames")
    r = subprocess.run(cmd + [plain_name(path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=120)
    return json.loads(r.stdout or b"{}")


def probe(path):
    info = ffprobe(path, True)
    video = [s for s in info.get("streams", []) if s.get("codec_type") == "video"]
    audio = [s for s in info.get("streams", []) if s.get("codec_type") == "audio"]
    if not video:
        return None
    v = video[0]
    w, h = int(v.get("width", 0)), int(v.get("height", 0))
    rot = 0
    for sd in v.get("side_data_list", []) or []:
        if "rotation" in sd:
            rot = int(round(float(sd["rotation"]))) % 360
    if rot in (90, 270):
        w, h = h, w
    if magic(path) == "jpeg" and jpeg_orientation(path) in (5, 6, 7, 8):
        w, h = h, w
    frames = int(v.get("nb_read_frames", 0) or 0)
    if w == 0 and magic(path) == "jpeg":  # a JPEG ffmpeg cannot decode: its header says
        w, h = jpeg_size(path)
        frames = 1
    dur = info.get("format", {}).get("duration")
    return w, h, frames, len(audio), float(dur) if dur not in (None, "N/A") else -1.0


def magic(path):
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return "unreadable"
    table = [(b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8", "jpeg"), (b"\x1a\x45\xdf\xa3", "matroska"),
             (b"YUV4MPEG2", "y4m"), (b"GIF8", "gif"), (b"BM", "bmp")]
    for sig, name in table:
        if head.startswith(sig):
            return name
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return "unknown"


def first_frame_rgb(path):
    need_numpy()
    info = probe(path)
    if info is None:
        raise SystemExit("no video stream")
    w, h = info[0], info[1]
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", plain_name(path), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt",
                          "rgb24", "-"], stdout=subprocess.PIPE, check=True).stdout
    if len(raw) != w * h * 3:  # EXIF is not applied by ffmpeg: the stored size
        w, h = h, w
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3).astype(int)


def check_marker(path):
    a = first_frame_rgb(path)
    h, w = a.shape[:2]
    bw, bh = max(w // 4, 1), max(h // 4, 1)

    def patch(y0, x0):  # the middle half of a quarter-size corner block
        return a[y0 + bh // 4:y0 + max(3 * bh // 4, bh // 4 + 1), x0 + bw // 4:x0 + max(3 * bw // 4, bw // 4 + 1)] \
            .reshape(-1, 3).mean(0)

    corners = {"top-left": patch(0, 0), "top-right": patch(0, w - bw), "bottom-left": patch(h - bh, 0),
               "bottom-right": patch(h - bh, w - bw)}

    def kind(c):
        r, g, b = c
        if r > 150 and g < 100 and b < 100:
            return "red"
        if g > 150 and r < 100 and b < 100:
            return "green"
        if max(r, g, b) - min(r, g, b) < 40 and 80 < r < 180:
            return "grey"
        return "rgb(%d,%d,%d)" % (r, g, b)

    got = {k: kind(v) for k, v in corners.items()}
    want = {"top-left": "red", "top-right": "green", "bottom-left": "grey", "bottom-right": "grey"}
    if got != want:
        print("marker: " + ", ".join(f"{k} {got[k]}" for k in want))
        return 1
    return 0


def run_signal(sig, delay, timeout, err, cmd):
    for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(s, signal.SIG_DFL)
    with open(err, "wb") as ef:
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=ef, stdin=subprocess.DEVNULL)
        time.sleep(delay)
        if p.poll() is not None:
            print("finished-early %d" % p.returncode)
            return
        p.send_signal(getattr(signal, "SIG" + sig))
        try:
            rc = p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            print(124)
            return
    print(128 - rc if rc < 0 else rc)


def colour_difference(source, output):
    """The largest difference between the mean R, G and B of the two files' first frames, as ffmpeg decodes
    them (honouring each file's colour matrix and range)."""
    a, b = first_frame_rgb(source), first_frame_rgb(output)
    return max(abs(a[..., c].mean() - b[..., c].mean()) for c in range(3))


def tiff(path, w, h, kind):
    """A flat w x h TIFF that FFmpeg 5 opens but cannot decode: "lab" (PhotometricInterpretation 8, CIE L*a*b*,
    8-bit) or "float" (RGB, SampleFormat 3, 32-bit IEEE float). Little-endian, one uncompressed strip."""
    if kind == "lab":
        bits, fmt, photometric, pixel = 8, 1, 8, bytes((60, 20, 236))
    else:
        bits, fmt, photometric, pixel = 32, 3, 2, struct.pack("<3f", 0.9, 0.2, 0.1)
    data = pixel * (w * h)
    tags = []  # (tag, type, count, value or bytes)
    extra = b""
    header = 8
    entries = 11
    ifd_size = 2 + entries * 12 + 4
    extra_at = header + ifd_size

    def shorts3(v):  # three SHORTs do not fit in an entry: stored after the directory
        nonlocal extra
        at = extra_at + len(extra)
        extra += struct.pack("<3H", v, v, v)
        return at
    bits_at = shorts3(bits)
    fmt_at = shorts3(fmt)
    data_at = extra_at + len(extra)
    tags = [(256, 3, 1, w), (257, 3, 1, h), (258, 3, 3, bits_at), (259, 3, 1, 1), (262, 3, 1, photometric),
            (273, 4, 1, data_at), (277, 3, 1, 3), (278, 3, 1, h), (279, 4, 1, len(data)), (284, 3, 1, 1),
            (339, 3, 3, fmt_at)]
    assert len(tags) == entries
    ifd = struct.pack("<H", entries)
    for tag, typ, count, value in tags:
        inline = struct.pack("<HH", value, 0) if typ == 3 and count == 1 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, typ, count) + inline
    ifd += struct.pack("<I", 0)
    with open(path, "wb") as f:
        f.write(b"II*\0" + struct.pack("<I", header) + ifd + extra + data)


def main(argv):
    cmd = argv[1]
    if cmd == "bomb":
        bomb(argv[2], int(argv[3]), int(argv[4]), argv[5])
    elif cmd == "adam7":
        adam7(argv[2], int(argv[3]), int(argv[4]))
    elif cmd == "exif":
        exif_jpeg(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), argv[6] if len(argv) > 6 else "be")
    elif cmd == "marker-raw":
        sys.stdout.buffer.write(marker_picture(int(argv[2]), int(argv[3])).tobytes())
    elif cmd == "probe":
        r = probe(argv[2])
        print(("none 0 0 0 0" if r is None else "%d %d %d %d %.4f" % r) + " " + magic(argv[2]))
    elif cmd == "check-marker":
        return check_marker(argv[2])
    elif cmd == "colour-difference":
        print("%.2f" % colour_difference(argv[2], argv[3]))
    elif cmd == "tiff":
        tiff(argv[2], int(argv[3]), int(argv[4]), argv[5])
    elif cmd == "magic":
        print(magic(argv[2]))
    elif cmd == "signal":
        i = argv.index("--")
        run_signal(argv[2], float(argv[3]), float(argv[4]), argv[5], argv[i + 1:])
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
