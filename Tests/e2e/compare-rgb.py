#!/usr/bin/env python3
"""Compares two raw RGB24 pictures of the same size, pixel by pixel (standard library only, so it runs in the VM).

    compare-rgb.py WIDTH HEIGHT A.rgb B.rgb [MAX_MEAN [MAX_P99]]

Prints the mean absolute difference per channel and the 99th percentile of the absolute difference over all
channels, and exits 1 when a mean exceeds MAX_MEAN (default 2 levels) or the percentile exceeds MAX_P99 (default
10), 2 on a usage error (wrong sizes).
"""
import sys


def main():
    if len(sys.argv) not in (5, 6, 7):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    width, height = int(sys.argv[1]), int(sys.argv[2])
    a = open(sys.argv[3], 'rb').read()
    b = open(sys.argv[4], 'rb').read()
    max_mean = float(sys.argv[5]) if len(sys.argv) > 5 else 2.0
    max_p99 = float(sys.argv[6]) if len(sys.argv) > 6 else 10.0
    size = width * height * 3
    if len(a) != size or len(b) != size:
        print(f'compare-rgb: expected {size} bytes each, got {len(a)} and {len(b)}', file=sys.stderr)
        return 2
    # One histogram of absolute differences per channel: sums and percentiles from 256 counts.
    histograms = [[0] * 256 for _ in range(3)]
    for channel in range(3):
        counts = histograms[channel]
        for x, y in zip(a[channel::3], b[channel::3]):
            counts[x - y if x >= y else y - x] += 1
    pixels = width * height
    means = [sum(d * n for d, n in enumerate(counts)) / pixels for counts in histograms]
    total = [sum(h[d] for h in histograms) for d in range(256)]
    seen, p99 = 0, 0
    for difference, count in enumerate(total):
        seen += count
        if seen >= 0.99 * 3 * pixels:
            p99 = difference
            break
    maximum = max(d for d in range(256) if total[d])
    print('mean |diff| R %.2f G %.2f B %.2f, p99 %d, max %d (limits: mean %g, p99 %g)'
          % (*means, p99, maximum, max_mean, max_p99))
    return 0 if max(means) <= max_mean and p99 <= max_p99 else 1


if __name__ == '__main__':
    sys.exit(main())
