#!/usr/bin/env python3
"""The peer for scripts/bench-peer.sh: Linux-Fake-Background-Webcam's per-frame work, written anew.

Read from github.com/fangfufu/Linux-Fake-Background-Webcam, lfbw/lfbw.py at commit
73eb71d9727ddda0489a63aa99983a34c7e27ea9 (2026-02-07, "Optimize ImageSegmenter memory allocation").
Comments of the form `lfbw: NAME` give the function or step of that file each part mirrors. LFBW's own
defaults apply throughout: threshold 75, post-processing on, background mask-update-speed 50, a picture
background, no selfie effects, no sigmoid, output through pyvirtualcam in BGR.

What is not LFBW's:
- The camera: LFBW reads frames with cv2.VideoCapture (MJPG decoding included). Here a decoded BGR frame is
  handed in at the camera's rate, so capture and decoding cost nothing on either side; the copy of the frame
  out of the source buffer (a fresh array, as VideoCapture.read returns) is counted, as Matte's is.
- The model file: LFBW downloads MediaPipe's selfie_segmenter_landscape.tflite (the landscape selfie model
  with Tasks metadata, float16 weights). The machine reaches no model host, so the same network comes from
  the mediapipe==0.10.14 wheel (selfie_segmentation_landscape.tflite, the file Matte runs), through the same
  MediaPipe Tasks ImageSegmenter with a category mask.
- The virtual camera: pyvirtualcam converts BGR to I420 with libyuv and write()s it to v4l2loopback. Here
  the conversion is OpenCV's BGR to I420 and the write goes nowhere, as Matte's null sink's does.
- The foreground overlay: LFBW also blends foreground.jpg through foreground-mask.png when those files are
  in its working directory; Matte has no such overlay, so it is left out (the peer is cheaper for it).

Prints human-readable lines, then one `peer-result key=value ...` line for the script.
"""

import argparse
import itertools
import queue
import resource
import threading
import time

import cv2
import mediapipe as mp
import numpy as np
from mediapipe.tasks import python as mp_python
from mediapipe.tasks.python import vision


def process_cpu_seconds():
    # RUSAGE_SELF covers every thread of the process: OpenCV's and MediaPipe's pools too.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def resident_megabytes():
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


class Segmenter:
    """lfbw: ImageSegmenter."""

    def __init__(self, model, width, height):
        options = vision.ImageSegmenterOptions(
            base_options=mp_python.BaseOptions(model_asset_path=model), output_category_mask=True
        )
        self.segmenter = vision.ImageSegmenter.create_from_options(options)
        self.width, self.height = width, height
        # lfbw: ImageSegmenter.__init__, a 256-wide model input keeping the frame's aspect.
        self.small = np.zeros((int(256 * height / width), 256, 3), dtype=np.uint8)
        self.full = np.zeros((height, width), dtype=np.float32)

    def segment(self, frame):
        # lfbw: ImageSegmenter.segment, step by step.
        cv2.resize(frame, self.small.shape[1::-1], dst=self.small, interpolation=cv2.INTER_AREA)
        cv2.cvtColor(self.small, cv2.COLOR_BGR2RGB, dst=self.small)
        result = self.segmenter.segment(mp.Image(image_format=mp.ImageFormat.SRGB, data=self.small))
        person = (result.category_mask.numpy_view() == 0).astype(np.float32)
        cv2.resize(person, (self.width, self.height), dst=self.full, interpolation=cv2.INTER_LINEAR)
        cv2.GaussianBlur(self.full, (7, 7), 0, dst=self.full)
        return self.full


class Camera:
    """Frames at the camera's rate: a still, or a sequence cycled. A late reader gets the newest frame and
    the missed ones are dropped, as a V4L2 camera's driver does when its queue is not drained."""

    def __init__(self, frames, fps):
        self.frames, self.interval = frames, 1 / fps
        self.next_due = time.monotonic()
        self.index = 0

    def read(self):
        now = time.monotonic()
        if now < self.next_due:
            time.sleep(self.next_due - now)
        else:
            self.next_due += (now - self.next_due) // self.interval * self.interval
        captured = self.next_due
        self.next_due += self.interval
        self.index += 1
        return captured, self.frames[self.index % len(self.frames)].copy()


class Peer:
    def __init__(self, args, frames, background):
        self.width, self.height, self.fps = args.width, args.height, args.fps
        self.threshold = 0.75  # lfbw: --threshold 75 through getPercentageFloat
        self.update_speed = 0.5  # lfbw: background mask-update-speed 50 through getPercentageFloat
        self.old_mask = None
        self.camera = Camera(frames, args.fps)
        self.segmenter = Segmenter(args.model, self.width, self.height)
        # lfbw: load_images with a picture file, resize_image without crop, then itertools.repeat.
        self.background = itertools.repeat(cv2.resize(background, (self.width, self.height)))
        # lfbw: FakeCam.__init__, the sender's queue and its stop event.
        self.frame_queue = queue.Queue(maxsize=2)
        self.shutdown = threading.Event()
        self.i420 = np.empty((self.height * 3 // 2, self.width), dtype=np.uint8)
        self.lock = threading.Lock()
        self.composed = 0
        self.sent = 0
        self.latencies = []

    def compose_frame(self, frame):
        # lfbw: FakeCam.compose_frame with the default options, in its order.
        mask = self.segmenter.segment(frame)
        cv2.threshold(mask, self.threshold, 1, cv2.THRESH_BINARY, dst=mask)
        cv2.dilate(mask, np.ones((5, 5), np.uint8), iterations=1, dst=mask)
        cv2.blur(mask, (10, 10), dst=mask)
        # lfbw keeps the segmenter's own buffer as old_mask (since its #224), so this averages the buffer
        # with itself; the work is the same as with a separate buffer.
        if self.old_mask is None:
            self.old_mask = mask
        mask = cv2.accumulateWeighted(mask, self.old_mask, self.update_speed)
        background = next(self.background)
        cv2.blendLinear(frame, background, mask, 1 - mask, dst=frame)
        return frame

    def send(self, frame):
        # lfbw: pyvirtualcam.Camera.send with fmt=BGR: BGR to I420 into the camera's own buffer, then write.
        cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420, dst=self.i420)

    def sender(self):
        # lfbw: FakeCam._frame_sender_thread, paced as pyvirtualcam's sleep_until_next_frame paces it.
        interval = 1 / self.fps
        next_send = time.monotonic()
        last = None
        while not self.shutdown.is_set():
            try:
                last = self.frame_queue.get(timeout=0.1)
                fresh = True
            except queue.Empty:
                fresh = False
            if last is None:
                continue
            captured, frame = last
            self.send(frame)
            if fresh:
                with self.lock:
                    self.sent += 1
                    self.latencies.append(time.monotonic() - captured)
            next_send += interval
            delay = next_send - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_send = time.monotonic()

    def run(self, seconds, warmup):
        thread = threading.Thread(target=self.sender, daemon=True)
        thread.start()
        start = time.monotonic()
        measuring = False
        while True:
            now = time.monotonic()
            if not measuring and now - start >= warmup:
                measuring = True
                with self.lock:
                    self.sent, self.latencies = 0, []
                self.composed = 0
                cpu0, wall0 = process_cpu_seconds(), now
            if measuring and now - wall0 >= seconds:
                break
            # lfbw: FakeCam.run, one pass of its loop while a consumer is there.
            captured, frame = self.camera.read()
            frame = self.compose_frame(frame)
            try:
                self.frame_queue.put((captured, frame.copy()), block=False)
            except queue.Full:
                pass
            self.composed += 1
        cpu, wall = process_cpu_seconds() - cpu0, time.monotonic() - wall0
        with self.lock:
            sent, latencies = self.sent, sorted(self.latencies)
        self.shutdown.set()
        thread.join()
        return cpu, wall, self.composed, sent, latencies


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def generated_picture(width, height):
    """A stand-in for matte bench pipeline's generated picture: the cost per frame does not depend on it, as
    LFBW scales it once when it loads it."""
    x = np.linspace(0, 255, width, dtype=np.float32)
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    return np.dstack([np.broadcast_to(x, (height, width)), np.broadcast_to(y, (height, width)), (x + y) / 2]).astype(
        np.uint8
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="the camera's picture (any size; scaled to the frame)")
    parser.add_argument("--background", help="the background picture; default: a generated 1920×1080 one")
    parser.add_argument("--model", required=True, help="the landscape selfie-segmentation .tflite")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=float, default=30)
    parser.add_argument("--seconds", type=float, default=8, help="measured seconds, after the warm-up")
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--moving", action="store_true", help="every frame new: the picture panned 4 px a frame")
    args = parser.parse_args()

    picture = cv2.imread(args.input)
    background = cv2.imread(args.background) if args.background else generated_picture(1920, 1080)
    if picture is None or background is None:
        parser.error("cannot read the input or the background picture")
    # lfbw: FakeCam.run resizes a frame whose size differs from the one asked for; done once here.
    picture = cv2.resize(picture, (args.width, args.height))
    frames = [np.roll(picture, 4 * i, axis=1) for i in range(30)] if args.moving else [picture]

    cpu, wall, composed, sent, latencies = Peer(args, frames, background).run(args.seconds, args.warmup)
    cpu_ms = cpu * 1000 / max(sent, 1)
    rss, peak = resident_megabytes()
    p50, p99 = percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000
    print(f"peer (LFBW per-frame work) {args.width}x{args.height} at {args.fps:g} fps from {args.input}:")
    print(f"  frames in {composed / wall:.2f} fps, out {sent / wall:.2f} fps, CPU {cpu_ms:.2f} ms per frame, {cpu / wall * 100:.0f}% of one core")
    print(f"  latency capture → output: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    print(f"  resident memory {rss:.0f} MB, peak {peak:.0f} MB")
    print(
        f"peer-result cpu_ms={cpu_ms:.3f} fps_out={sent / wall:.2f} p50_ms={p50:.2f} p99_ms={p99:.2f} "
        f"rss_mb={rss:.0f} peak_mb={peak:.0f}"
    )


if __name__ == "__main__":
    main()
