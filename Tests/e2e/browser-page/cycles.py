#!/usr/bin/env python3
"""Accounts for the open/close cycles of camera.html's `cycles` mode over one or more browser launches.

    cycles.py N LAUNCHES

LAUNCHES has one line per launch of the browser, in order: "EVENTS ABORTS DIED": the page's events file
(server.py's), a file of the wall-clock times of libwebrtc's abort in that launch's log (one a line; may be
empty), and 1 when the browser died with that abort's signature in its log (0 when it did not die).
Every cycle 1..N must have ended with a frame of the asked-for size. An attempt that failed is excused only by
an abort logged during it (from 1 s before it began to 1 s after it ended); the attempt a browser was in when it
died with the abort is excused too. At most 2 excused attempts a cycle. Prints one "frame PATH" line per cycle
(its successful attempt's frame, for judge.py), then each problem; exit status 1 when there is one.
"""
import json
import os
import sys


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    n = int(argv[1])
    frames, retries, problems = {}, {}, []
    with open(argv[2]) as f:
        launches = [line.split() for line in f if line.strip()]
    for number, (events, aborts, died) in enumerate(launches, 1):
        with open(aborts) as f:
            times = [float(t) for t in f.read().split()]
        tag = os.path.basename(events)[:-len('.events')]
        in_progress = None
        try:
            with open(events) as f:
                lines = [json.loads(line) for line in f]
        except FileNotFoundError:
            lines = []
        for event in lines:
            kind = event.get('kind')
            if kind == 'attempt':
                in_progress = event['cycle']
            elif kind == 'cycle':
                in_progress = None
                cycle = event['cycle']
                if event['ok']:
                    frames[cycle] = os.path.join(os.path.dirname(events), '%s.c%d.rgba' % (tag, cycle))
                    continue
                excused = [t for t in times if event['t0'] - 1 <= t <= event['t1'] + 1]
                if not excused:
                    problems.append('launch %d, cycle %d, attempt %d failed without the abort in the log: %s'
                                    % (number, cycle, event['attempt'] + 1, event['why']))
                retries[cycle] = retries.get(cycle, 0) + 1
            elif kind == 'error':
                problems.append('launch %d: the page failed: %s' % (number, event['message']))
        if died == '1':
            if in_progress is None:
                problems.append('launch %d died with the abort but between cycles' % number)
            else:
                retries[in_progress] = retries.get(in_progress, 0) + 1
    for cycle in range(1, n + 1):
        if cycle not in frames:
            problems.append('cycle %d got no frame' % cycle)
        if retries.get(cycle, 0) > 2:
            problems.append('cycle %d needed %d retries (2 allowed)' % (cycle, retries[cycle]))
    for cycle in sorted(frames):
        print('frame %s' % frames[cycle])
    print('retries: %d (cycles %s)' % (sum(retries.values()), ' '.join(map(str, sorted(retries))) or 'none'))
    for problem in problems:
        print('problem: %s' % problem)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
