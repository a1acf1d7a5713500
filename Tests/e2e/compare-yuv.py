#!/usr/bin/env python3
"""Compares a frame read from the camera in one pixel format with a YUYV frame of the same picture.

    compare-yuv.py WIDTH HEIGHT REFERENCE.yuyv FORMAT FRAME [MAX_MEAN [MAX_P99]]

FORMAT is yuyv422, yuv420p or nv12 with unpadded planes (ffmpeg's names and layout), or gst-yuv420p or gst-nv12 in
GStreamer's default layout (gst_video_info_set_format: each plane's rows padded to 4 bytes). Luma is compared sample
by sample; chroma against the reference's chroma averaged over each pair of rows (4:2:0) or as it is (4:2:2).
Prints the mean and 99th percentile of the absolute differences of each plane; exits 1 when a mean exceeds MAX_MEAN
(default 1.5 levels) or a percentile MAX_P99 (default 8), 2 on a usage error (a file of the wrong size). A picture
whose rows are read at the wrong length, or whose planes start at the wrong place, differs by tens of levels.
"""
import sys

import numpy as np


def strides(width, layout):
    """Bytes per row of the luma (or packed) plane and of each chroma plane."""
    def padded(n):
        return (n + 3) & ~3 if layout.startswith('gst-') else n
    if layout == 'yuyv422':
        return width * 2, 0
    if layout.endswith('yuv420p'):
        return padded(width), padded((width + 1) // 2)
    return padded(width), padded(width)


def expected_size(width, height, layout):
    stride, chroma_stride = strides(width, layout)
    chroma_planes = 2 if layout.endswith('yuv420p') else 1
    return stride * height + chroma_planes * chroma_stride * ((height + 1) // 2)


def planes(data, width, height, layout):
    """The Y, U and V planes of a frame, as arrays (padding dropped)."""
    stride, chroma_stride = strides(width, layout)
    chroma_rows, chroma_width = (height + 1) // 2, width // 2
    if layout == 'yuyv422':
        pixels = data.reshape(height, stride)
        return pixels[:, 0::2], pixels[:, 1::4], pixels[:, 3::4]
    luma = stride * height
    y = data[:luma].reshape(height, stride)[:, :width]
    if layout.endswith('yuv420p'):
        size = chroma_rows * chroma_stride
        u = data[luma:luma + size].reshape(chroma_rows, chroma_stride)[:, :chroma_width]
        v = data[luma + size:luma + 2 * size].reshape(chroma_rows, chroma_stride)[:, :chroma_width]
        return y, u, v
    uv = data[luma:].reshape(chroma_rows, chroma_stride)[:, :chroma_width * 2]
    return y, uv[:, 0::2], uv[:, 1::2]


def main():
    if len(sys.argv) not in (6, 7, 8) or sys.argv[4] not in ('yuyv422', 'yuv420p', 'nv12', 'gst-yuv420p', 'gst-nv12'):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    width, height = int(sys.argv[1]), int(sys.argv[2])
    layout = sys.argv[4]
    max_mean = float(sys.argv[6]) if len(sys.argv) > 6 else 1.5
    max_p99 = float(sys.argv[7]) if len(sys.argv) > 7 else 8
    reference = np.fromfile(sys.argv[3], dtype=np.uint8)
    frame = np.fromfile(sys.argv[5], dtype=np.uint8)
    for name, data, data_layout in (('reference', reference, 'yuyv422'), ('frame', frame, layout)):
        if data.size != expected_size(width, height, data_layout):
            print(f'compare-yuv: the {name} has {data.size} bytes, not the '
                  f'{expected_size(width, height, data_layout)} of {width}x{height} {data_layout}', file=sys.stderr)
            return 2
    ry, ru, rv = (p.astype(np.int32) for p in planes(reference, width, height, 'yuyv422'))
    if layout != 'yuyv422':
        # Row pairs averaged; an odd last row stands alone.
        bottom = np.minimum(np.arange(0, height, 2) + 1, height - 1)
        ru = (ru[0::2] + ru[bottom] + 1) // 2
        rv = (rv[0::2] + rv[bottom] + 1) // 2
    failed = False
    report = []
    for name, a, b in zip('YUV', (ry, ru, rv), planes(frame, width, height, layout)):
        difference = np.abs(a - b.astype(np.int32))
        mean, p99 = difference.mean(), np.percentile(difference, 99)
        report.append(f'{name} mean {mean:.2f} p99 {p99:.0f}')
        failed |= mean > max_mean or p99 > max_p99
    print(', '.join(report))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
