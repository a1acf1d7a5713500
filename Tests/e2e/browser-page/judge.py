#!/usr/bin/env python3
"""Judges the frames a browser got from Matte's camera against an independent reference (numpy and ffmpeg).

    judge.py WxH PHOTO MASK R,G,B FRAME.rgba...
    judge.py WxH PHOTO MASK R,G,B --wait EVENTS SINCE SECONDS [PID]

PHOTO is the picture Matte was given (scaled to WxH here by ffmpeg, bilinear), MASK the reference person mask
(raw float32, the photo's size: Tests/Fixtures/*-mask-full.f32, made by the official TFLite runtime), R,G,B the
background colour Matte was told to put behind the person. A frame (raw RGBA, W*H*4 bytes, as the page sends it)
passes when
  - it has W*H pixels;
  - background: where the mask, scaled to WxH, is clearly background (alpha < 0.1, and at least MARGIN pixels
    from anything that is not), at least 95 % of pixels are within 24 levels of R,G,B in every channel;
  - person: where it is clearly person (alpha > 0.9, eroded likewise), the mean absolute difference to the scaled
    photo is at most 8 levels and at least 90 % of pixels are within 40 levels in every channel (YUV 4:2:0 and the
    two scalers differ at fine detail);
  - whole frame: the mean absolute difference to the reference composite (photo over colour, by the mask) is at
    most 10 levels, in every horizontal quarter: a picture sheared by a wrong row stride, shifted, mirrored or
    flipped fails here even where the colours are plausible.
One line per frame; exit status 1 when one fails.
With --wait: judges the newest frame the page reported in EVENTS (server.py's file) whose page time is after
SINCE (seconds, wall clock), as they come, until one passes; then the next frame must pass too (exit 0). Exit 1
when a frame fails after one passed, when none passed within SECONDS, or when process PID (the browser) is gone.
"""
import json
import os
import subprocess
import sys
import time

import numpy as np

BACKGROUND_TOLERANCE, BACKGROUND_SHARE = 24, 0.95
PERSON_MEAN, PERSON_TOLERANCE, PERSON_SHARE = 8.0, 40, 0.90
WHOLE_MEAN = 10.0


def scale_mask(mask, width, height):
    """Bilinear with half-pixel centres (cv2.resize INTER_LINEAR), as the fixtures' own mask-full is made."""
    h, w = mask.shape

    def axis(dst, src):
        x = (np.arange(dst) + 0.5) * (src / dst) - 0.5
        x = np.clip(x, 0, src - 1)
        x0 = np.floor(x).astype(int)
        x1 = np.minimum(x0 + 1, src - 1)
        return x0, x1, (x - x0).astype(np.float32)

    y0, y1, fy = axis(height, h)
    x0, x1, fx = axis(width, w)
    top = mask[y0][:, x0] * (1 - fx) + mask[y0][:, x1] * fx
    bottom = mask[y1][:, x0] * (1 - fx) + mask[y1][:, x1] * fx
    return top * (1 - fy)[:, None] + bottom * fy[:, None]


def erode(region, margin):
    """The pixels of region at least margin pixels (4-connected steps) from any pixel outside it."""
    out = region.copy()
    for _ in range(margin):
        shrunk = out.copy()
        shrunk[1:, :] &= out[:-1, :]
        shrunk[:-1, :] &= out[1:, :]
        shrunk[:, 1:] &= out[:, :-1]
        shrunk[:, :-1] &= out[:, 1:]
        shrunk[0, :] = shrunk[-1, :] = False
        shrunk[:, 0] = shrunk[:, -1] = False
        out = shrunk
    return out


class Reference:
    def __init__(self, size, photo, mask_path, colour):
        self.width, self.height = (int(v) for v in size.split('x'))
        self.colour = np.array([int(v) for v in colour.split(',')], np.int16)
        raw = subprocess.run(
            ['ffmpeg', '-hide_banner', '-nostdin', '-loglevel', 'error', '-i', photo,
             '-vf', 'scale=%d:%d:flags=bilinear' % (self.width, self.height), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
            check=True, capture_output=True).stdout
        self.photo = np.frombuffer(raw, np.uint8).reshape(self.height, self.width, 3).astype(np.int16)
        with open(mask_path, 'rb') as f:
            mask = np.frombuffer(f.read(), '<f4')
        source = subprocess.run(
            ['ffprobe', '-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height', '-of', 'csv=p=0',
             photo], check=True, capture_output=True, text=True).stdout.strip().split(',')
        mask = mask.reshape(int(source[1]), int(source[0]))
        alpha = scale_mask(mask, self.width, self.height)
        margin = max(3, self.width // 160)
        self.background = erode(alpha < 0.1, margin)
        self.person = erode(alpha > 0.9, margin)
        self.composite = self.photo * alpha[..., None] + self.colour * (1 - alpha[..., None])

    def judge(self, path):
        """(passed, one line saying why)."""
        data = np.fromfile(path, np.uint8)
        if data.size != self.width * self.height * 4:
            return False, '%s: %d bytes, not a %dx%d RGBA frame' % (path, data.size, self.width, self.height)
        frame = data.reshape(self.height, self.width, 4)[..., :3].astype(np.int16)
        problems = []
        off = np.abs(frame - self.colour).max(axis=2)[self.background]
        background = (off <= BACKGROUND_TOLERANCE).mean()
        if background < BACKGROUND_SHARE:
            problems.append('background %.1f%% near %s (< %d%%)'
                            % (100 * background, ','.join(map(str, self.colour)), 100 * BACKGROUND_SHARE))
        difference = np.abs(frame - self.photo)
        person_mean = difference[self.person].mean()
        person_near = (difference.max(axis=2)[self.person] <= PERSON_TOLERANCE).mean()
        if person_mean > PERSON_MEAN or person_near < PERSON_SHARE:
            problems.append('person: mean difference %.1f (> %g?), %.1f%% within %d (< %d%%?)'
                            % (person_mean, PERSON_MEAN, 100 * person_near, PERSON_TOLERANCE, 100 * PERSON_SHARE))
        whole = np.abs(frame - self.composite).mean(axis=(1, 2))
        quarters = [whole[i * self.height // 4:(i + 1) * self.height // 4].mean() for i in range(4)]
        if max(quarters) > WHOLE_MEAN:
            problems.append('whole frame: mean difference by quarter %s (> %g: sheared or moved?)'
                            % ('/'.join('%.1f' % q for q in quarters), WHOLE_MEAN))
        line = ('%s: background %.1f%% near the colour, person mean difference %.1f (%.1f%% within %d), '
                'whole frame %s' % (os.path.basename(path), 100 * background, person_mean, 100 * person_near,
                                    PERSON_TOLERANCE, '/'.join('%.1f' % q for q in quarters)))
        return not problems, line + ('' if not problems else ' -- FAILS: ' + '; '.join(problems))


def wait(reference, events, since, seconds, pid=None):
    deadline = time.time() + seconds
    seen, verdict, passed = None, 'no frame after %.3f within %g s' % (since, seconds), None
    while time.time() < deadline:
        if pid and not os.path.exists('/proc/%d' % pid):
            print('%s; the browser (pid %d) is gone' % (passed or verdict, pid))
            return 1
        newest = None
        try:
            with open(events) as f:
                for line in f:
                    event = json.loads(line)
                    if 'frame' in event and float(event.get('t', 0)) > since:
                        newest = event
        except FileNotFoundError:
            pass
        if newest is not None and newest['server_time'] != seen:
            seen = newest['server_time']
            path = os.path.join(os.path.dirname(events), '%s.%s.rgba' % (os.path.basename(events)[:-7], newest['frame']))
            ok, verdict = reference.judge(path)
            verdict += ' (%.2f s after %.3f)' % (float(newest['t']) - since, since)
            if passed:
                print(passed)
                print(('and the next: ' if ok else 'but the next FAILS: ') + verdict)
                return 0 if ok else 1
            if ok:
                passed = verdict
                deadline = time.time() + 5
        time.sleep(0.1)
    print(passed + '; and no next frame within 5 s' if passed else verdict)
    return 1


def main(argv):
    if len(argv) < 6:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    reference = Reference(argv[1], argv[2], argv[3], argv[4])
    if argv[5] == '--wait':
        return wait(reference, argv[6], float(argv[7]), float(argv[8]), int(argv[9]) if len(argv) > 9 else None)
    failed = 0
    for path in argv[5:]:
        ok, line = reference.judge(path)
        print(line)
        failed += not ok
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
