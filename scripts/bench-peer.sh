#!/usr/bin/env bash
# Matte's live path against its peer, Linux-Fake-Background-Webcam (LFBW), measured in the same run (issue 17).
#
#   scripts/bench-peer.sh [--quick] [--rounds N] [--seconds S] [--matte BINARY] [--against REV]
#
# Each round runs, one process after another on the same machine: the peer (scripts/bench_lfbw.py, LFBW's
# per-frame work with its defaults, MediaPipe 0.10.14) and `matte bench pipeline` (release build, default model
# and inference rate, picture background, null sink), both fed Tests/Fixtures/astronaut-1280x720.png at 720p30,
# then both on frames that change every time (the peer pans the photo; Matte uses its generated frames), then
# Matte at 1080p60. Each figure is CPU time of the whole process (all threads) per output frame over the
# measured seconds, start-up and warm-up excluded. Ratios are taken within a round; the summary gives medians
# over the rounds and their range. It reports the goals of issue 17; it exits non-zero only when a run fails.
#
#   --quick        one round of 3 s, still photo only (for CI)
#   --rounds N     rounds (default 3)      --seconds S   measured seconds per run (default 8)
#   --matte PATH   the Matte binary (default: .build/release/matte, built first)
#   --against REV  also run REV's Matte, built once in a temporary worktree and kept in .build-against/
#
# The peer's Python environment is a venv at .venv-peer with the pins below (made once, about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

# mediapipe 0.10.14 as scripts/setup-models.sh uses; installed without its declared jax, jaxlib and sounddevice,
# which neither the segmenter nor `import mediapipe` loads. numpy stays 1.x, which the wheel was built against.
PEER_PINS=(
    "mediapipe==0.10.14"
    "numpy==1.26.4"
    "opencv-contrib-python==4.10.0.84"
    "protobuf==4.25.3"
    "absl-py==2.1.0"
    "attrs==23.2.0"
    "flatbuffers==24.3.25"
    "matplotlib==3.8.4"
    "contourpy==1.3.3"
    "cycler==0.12.1"
    "fonttools==4.69.1"
    "kiwisolver==1.5.1"
    "packaging==26.4"
    "pillow==13.0.0"
    "pyparsing==3.3.3"
    "python-dateutil==4.0.0"
)

rounds=3 seconds=8 quick=0 matte="" against=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --quick) quick=1 rounds=1 seconds=3 ;;
        --rounds) rounds=$2; shift ;;
        --seconds) seconds=$2; shift ;;
        --matte) matte=$2; shift ;;
        --against) against=$2; shift ;;
        -h | --help) sed -n '2,/^set /{/^set /d; s/^# \{0,1\}//; p}' "$0"; exit 0 ;;
        *) echo "bench-peer: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

say() { printf 'bench-peer: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/matte-bench-peer.XXXXXX")
against_tree=""
cleanup() {
    rm -rf "$work"
    if [[ -n "$against_tree" ]]; then git worktree remove --force "$against_tree" 2>/dev/null || true; fi
}
trap cleanup EXIT

# --- the peer's venv ------------------------------------------------------------------------------------------
# contourpy 1.3.3 needs 3.11 and mediapipe 0.10.14 has wheels up to 3.12.
peer_base_python() {
    local candidate
    for candidate in "${MATTE_PEER_PYTHON:-}" python3 python3.12 python3.11; do
        if [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null &&
            "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 12))'; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}
venv=$repo/.venv-peer
peer_python=$venv/bin/python
base=$(peer_base_python) || die "needs Python 3.11 or 3.12 for mediapipe 0.10.14 (set MATTE_PEER_PYTHON)"
want=$(printf '%s\n' "${PEER_PINS[@]}" "base=$base")
if [[ ! -x "$peer_python" || "$(cat "$venv/.stamp" 2>/dev/null)" != "$want" ]]; then
    say "setting up $venv with $base"
    rm -rf "$venv"
    "$base" -m venv "$venv" || die "could not make a venv with $base (apt-get install python3-venv?)"
    "$peer_python" -m pip install --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        "${PEER_PINS[@]}" || die "pip install failed (is PyPI reachable?)"
    "$peer_python" -c 'import cv2, mediapipe.tasks.python.vision' || die "the peer's packages do not import"
    printf '%s\n' "$want" >"$venv/.stamp"
fi

# --- models and binaries --------------------------------------------------------------------------------------
scripts/setup-models.sh >/dev/null
model=${MATTE_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/matte/models}/selfie_segmentation_landscape.tflite

if [[ -z "$matte" ]]; then
    say "building the release binary"
    swift build -c release --product matte >"$work/build.log" 2>&1 || { tail -20 "$work/build.log" >&2; die "build failed"; }
    matte=.build/release/matte
fi
[[ -x "$matte" ]] || die "no Matte binary at $matte"

# Kept per commit: a release build takes minutes, and an old commit's binary never changes.
old_matte=""
if [[ -n "$against" ]]; then
    sha=$(git rev-parse --verify "$against^{commit}") || die "--against $against: not a commit"
    old_matte=$repo/.build-against/$sha/matte
    if [[ ! -x "$old_matte" ]]; then
        say "building $against ($sha) in a temporary worktree; this takes minutes"
        against_tree=$work/against
        git worktree add --detach --quiet "$against_tree" "$sha"
        (cd "$against_tree" && swift build -c release --product matte) >"$work/against.log" 2>&1 \
            || { tail -20 "$work/against.log" >&2; die "the build of $against failed"; }
        mkdir -p "$(dirname "$old_matte")"
        cp "$against_tree/.build/release/matte" "$old_matte"
        git worktree remove --force "$against_tree"
        against_tree=""
    fi
fi

# --- runs -----------------------------------------------------------------------------------------------------
input=Tests/Fixtures/astronaut-1280x720.png
results=$work/results
: >"$results"
record() { printf '%s %s\n' "$1" "$2" >>"$results"; }
# The latest value recorded for a key, or nothing.
latest() { awk -v key="$1" '$1 == key { value = $2 } END { print value }' "$results"; }
# The first number after a label in a run's output ("CPU 2.31 ms", "p99 13.1 ms", ...).
field() { grep -o "$2 [0-9.]*" "$1" | head -1 | awk '{ print $NF }'; }

# usage: run_peer NAME [--moving]
run_peer() {
    local name=$1 out=$work/$1.out
    shift
    "$peer_python" scripts/bench_lfbw.py --input "$input" --model "$model" --seconds "$seconds" "$@" \
        >"$out" 2>"$work/$name.err" || { tail -20 "$work/$name.err" >&2; die "the peer failed"; }
    local line key
    line=$(grep '^peer-result ' "$out") || die "the peer printed no result"
    for key in cpu_ms fps_out p50_ms p99_ms rss_mb peak_mb; do
        record "$name.$key" "$(tr ' ' '\n' <<<"$line" | sed -n "s/^$key=//p")"
    done
}

# usage: run_matte NAME BINARY SIZE [matte bench pipeline options...]
# VmRSS is read halfway through the measured seconds: the live process's memory, besides its peak.
run_matte() {
    local name=$1 binary=$2 size=$3 out=$work/$1.out
    shift 3
    "$binary" bench pipeline --sizes "$size" --seconds "$seconds" --background image "$@" >"$out" 2>"$work/$name.err" &
    local pid=$!
    sleep "$(awk -v s="$seconds" 'BEGIN { print 1 + s / 2 }')"
    local rss
    rss=$(awk '/^VmRSS:/ { print int($2 / 1024 + 0.5) }' "/proc/$pid/status" 2>/dev/null || true)
    wait "$pid" || { cat "$out" "$work/$name.err" >&2; die "$binary bench pipeline --sizes $size failed"; }
    [[ -n "$(field "$out" CPU)" ]] || { cat "$out" >&2; die "$binary bench pipeline printed no CPU figure"; }
    record "$name.cpu_ms" "$(field "$out" CPU)"
    record "$name.p50_ms" "$(field "$out" p50)"
    record "$name.p99_ms" "$(field "$out" p99)"
    record "$name.peak_mb" "$(field "$out" 'memory so far:')"
    record "$name.rss_mb" "${rss:-nan}"
    record "$name.fps_out" "$(grep -o 'out [0-9.]* fps' "$out" | awk '{ print $2 }')"
}

matte_runs() {
    local prefix=$1 binary=$2
    run_matte "$prefix.still" "$binary" 1280x720@30 --input "$input"
    [[ $quick == 1 ]] || run_matte "$prefix.moving" "$binary" 1280x720@30
    run_matte "$prefix.1080p60" "$binary" 1920x1080@60 --input "$input"
}

say "$rounds round(s) of ${seconds} s runs, one process at a time; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
for ((round = 1; round <= rounds; round++)); do
    run_peer peer.still
    [[ $quick == 1 ]] || run_peer peer.moving --moving
    matte_runs matte "$matte"
    [[ -z "$old_matte" ]] || matte_runs old "$old_matte"
    # Ratios within the round, so that slow and fast spells of the machine fall on both sides.
    for mode in still moving; do
        peer_cpu=$(latest "peer.$mode.cpu_ms")
        [[ -n "$peer_cpu" ]] || continue
        for side in matte old; do
            side_cpu=$(latest "$side.$mode.cpu_ms")
            [[ -z "$side_cpu" ]] || record "$side.$mode.ratio" "$(awk -v a="$side_cpu" -v b="$peer_cpu" 'BEGIN { printf "%.3f", a / b }')"
        done
    done
    say "round $round: peer $(latest peer.still.cpu_ms) ms, Matte $(latest matte.still.cpu_ms) ms per 720p frame (still photo)"
done

# --- report ---------------------------------------------------------------------------------------------------
# "median (min–max)" of a key over the rounds, or just the value after one round.
stat() {
    awk -v key="$1" '$1 == key { print $2 }' "$results" | sort -g | awk -v digits="${2:-2}" '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "–"; exit }
            m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            if (NR == 1) printf "%.*f\n", digits, m
            else printf "%.*f (%.*f–%.*f)\n", digits, m, digits, v[1], digits, v[NR]
        }'
}
median() { awk -v key="$1" '$1 == key { print $2 }' "$results" | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
goal() { if awk -v v="$1" -v g="$2" 'BEGIN { exit !(v <= g) }'; then echo "goal met"; else echo "goal not met"; fi; }

echo "Matte against Linux-Fake-Background-Webcam's per-frame work, $(date -u +%Y-%m-%d), $rounds round(s) of ${seconds} s,"
echo "Matte $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift || echo ' + local changes'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| 1280×720 @ 30, picture background | median (range) | goal |"
echo "|---|---|---|"
echo "| peer (LFBW) CPU per frame, still photo | $(stat peer.still.cpu_ms) ms | |"
echo "| Matte CPU per frame, still photo | $(stat matte.still.cpu_ms) ms | |"
echo "| frames out per second, peer / Matte, still photo | $(stat peer.still.fps_out 1) / $(stat matte.still.fps_out 1) | 30 |"
echo "| **ratio Matte / peer, still photo** | **$(stat matte.still.ratio 3)** | ≤ 0.10: $(goal "$(median matte.still.ratio)" 0.10) |"
if [[ $quick == 0 ]]; then
    echo "| peer CPU per frame, every frame new | $(stat peer.moving.cpu_ms) ms | |"
    echo "| Matte CPU per frame, every frame new | $(stat matte.moving.cpu_ms) ms | |"
    echo "| **ratio Matte / peer, every frame new** | **$(stat matte.moving.ratio 3)** | ≤ 0.10: $(goal "$(median matte.moving.ratio)" 0.10) |"
fi
echo "| Matte resident memory, live (VmRSS mid-run) | $(stat matte.still.rss_mb 0) MB | ≤ 60 MB: $(goal "$(median matte.still.rss_mb)" 60) |"
echo "| Matte peak resident memory (VmHWM) | $(stat matte.still.peak_mb 0) MB | |"
echo "| peer resident memory, live / peak | $(stat peer.still.rss_mb 0) / $(stat peer.still.peak_mb 0) MB | |"
echo "| Matte latency p50, still photo | $(stat matte.still.p50_ms) ms | |"
echo "| Matte latency p99, still photo | $(stat matte.still.p99_ms) ms | ≤ peer's: $(goal "$(median matte.still.p99_ms)" "$(median peer.still.p99_ms)") |"
echo "| peer latency p50 / p99, still photo | $(stat peer.still.p50_ms) / $(stat peer.still.p99_ms) ms | |"
echo "| Matte CPU per frame, 1920×1080 @ 60, still photo | $(stat matte.1080p60.cpu_ms) ms | reported |"
echo "| Matte frames out per second, 1920×1080 @ 60 | $(stat matte.1080p60.fps_out 1) | 60 |"
echo "| Matte latency p50 / p99, 1920×1080 @ 60 | $(stat matte.1080p60.p50_ms) / $(stat matte.1080p60.p99_ms) ms | |"
if [[ -n "$old_matte" ]]; then
    echo "| $against ($(git rev-parse --short "$against")): CPU per frame, still photo | $(stat old.still.cpu_ms) ms | |"
    echo "| $against: ratio to the peer, still photo | $(stat old.still.ratio 3) | |"
    [[ $quick == 1 ]] || echo "| $against: ratio to the peer, every frame new | $(stat old.moving.ratio 3) | |"
    echo "| $against: live / peak resident memory | $(stat old.still.rss_mb 0) / $(stat old.still.peak_mb 0) MB | |"
    echo "| $against: latency p99, still photo | $(stat old.still.p99_ms) ms | |"
    echo "| $against: CPU per frame, 1920×1080 @ 60 | $(stat old.1080p60.cpu_ms) ms | |"
fi
