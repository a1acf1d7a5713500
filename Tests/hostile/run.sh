#!/usr/bin/env bash
# Tests/hostile/run.sh MATTE_BINARY [--quick]
#
# The hostile-input suite: `matte mask` and `matte render` (and the live command's argument checks) against
# inputs and outputs built here: every size at and around the frame limits (16x16 to 8192x8192), PNG bombs,
# every pixel format ffmpeg writes into PNG, JPEG, WebP, GIF, TIFF, BMP, MKV, MP4 and WebM, truncated,
# empty and fake files, EXIF orientations and rotated videos, variable frame rates, audio tracks, and hostile
# outputs (the input itself, symlinks, FIFOs, device nodes, read-only files, odd names, a full disk, signals),
# interlaced, HDR and anamorphic video, resource limits (ulimit -f, a sweep of ulimit -v on 4K inputs), and
# hostile model files for --model (.onnx ones that are not files or not models, Robust Video Matting cut short
# and with bytes changed, graphs the ONNX planner must refuse).
# Every case checks the same contract:
#   - no crash: exit status < 128 (except the signal cases) and no crash report on stderr;
#   - exit 0 on success; on failure exit 1 (runtime) or 64 (bad arguments) and stderr exactly one line
#     starting "matte: " (on success, "matte:" lines must be "matte: warning:" lines);
#   - nothing lost: inputs (and background/foreground files) keep their sha256 and mode; a symlink, FIFO or
#     device node output stays one; a read-only output is left alone; a replaced output keeps its mode;
#   - no partial output: the output directory holds what it held before plus, on success, the output;
#   - on success the output has the input's displayed size (EXIF orientation, display matrix), its decoded
#     frame count (ffprobe -count_frames), and an audio stream when the input has one and the output is
#     .mkv/.mp4/.webm.
# Prints one line per failure:  FAIL name | command | what was wrong | first stderr line
# and ends with "N passed, N failed"; exits 1 if any case failed.
#
# Needs: ffmpeg and ffprobe (5.1 or later), python3 with numpy, GNU coreutils, timeout. probe.py (next to
# this file) builds the inputs ffmpeg cannot and reads EXIF orientation and corner colours back;
# scripts/make-onnx-seeds.py the model files (the damaged copies of Robust Video Matting only when it is installed:
# scripts/setup-models.sh --rvm).
# Debian packages beyond the build's: libjpeg-turbo-progs (jpegtran: progressive, arithmetic-coded and
# greyscale JPEGs; those cases are skipped without it). Run as root for the device-node and full-disk
# (tmpfs mount) cases; they are skipped, with a note, where mknod or mount is not permitted.
# Environment: HOSTILE_JOBS (default 2) cases at a time; HOSTILE_ONLY=REGEX runs the matching cases only;
# HOSTILE_KEEP=1 keeps the work directory; HOSTILE_TIMEOUT (default 120) seconds per case.
# --quick runs the cases marked + in the table below (about 140, for CI); the full set is about 1,600 (175 of
# them the memory sweep, skipped under AddressSanitizer; 290 the model files).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
probe_py="$here/probe.py"
seeds_py="$here/../../scripts/make-onnx-seeds.py"

# ---------------------------------------------------------------------------------------------------------
# One case (the script runs itself once per case: run.sh --case LINE, with W and MATTE in the environment).
# ---------------------------------------------------------------------------------------------------------
if [ "${1:-}" = --case ]; then
    line=$2; t0=$(date +%s%N)
    IFS=$'\x1f' read -r name expect checks setup cmd < <(sed -E 's/[[:space:]]+::[[:space:]]+/\x1f/g' <<<"$line")
    name=${name#+}
    D="$W/c/$name"; X="$W/x/$name"; I="$W/in"
    mkdir -p "$D" "$X"
    subst() { local s=$1; s=${s//@I@/$I}; s=${s//@D@/$D}; s=${s//@X@/$X}; printf '%s' "$s"; }
    setup=$(subst "$setup"); cmd=$(subst "$cmd"); checks=$(subst "$checks")
    result() {
        printf '%s\n' "$1" >"$W/res/$name"; [ "${1%% *}" = PASS ] || printf '%s\n' "$1"
        echo "$(( ($(date +%s%N) - t0) / 1000000 )) $name" >"$W/time/$name"
    }
    show() { local s="$*"; s=${s//$W\//}; s=${s//$'\n'/\\n}; printf '%s' "$s"; }

    cd "$D" || exit 0
    if [ "$setup" != - ] && ! eval "$setup" >"$X/setup.log" 2>&1; then
        result "SKIP $name: setup failed ($(head -c 200 "$X/setup.log" | head -1))"
        exit 0
    fi
    eval "args=($cmd)"

    declare -A has=()
    IFS=, read -ra toks <<<"$checks"
    for t in "${toks[@]}"; do [ "$t" = - ] || has[${t%%=*}]=${t#*=}; done

    # The output (-o) and the input (the first argument after the subcommand).
    out=""; out_i=-1; sub=${args[0]:-}; in=""
    [ "${sub:0:1}" = - ] && sub=live   # the default command
    for i in "${!args[@]}"; do
        if [ "${args[i]}" = -o ] || [ "${args[i]}" = --output ] && [ "$sub" != live ]; then out=${args[i+1]:-}; out_i=$((i + 1)); fi
    done
    for ((i = 1; i < ${#args[@]}; i++)); do
        a=${args[i]}
        if [ "$a" = -- ]; then in=${args[i+1]:-}; break; fi
        case "$a" in -o|--output|--background|--foreground|--fit|--model|--effect|--threshold|--softness|--dilate|--feather|--smoothing|--light-wrap|--foreground-opacity|--framing) i=$((i + 1)); continue;; -*) continue;; esac
        in=$a; break
    done
    [ -n "${has[out]:-}" ] && check_out=${has[out]} || check_out=$out
    [ -n "$out" ] && [ "${out:0:1}" != / ] && out="$D/$out"
    [ -n "$check_out" ] && [ "${check_out:0:1}" != / ] && check_out="$D/$check_out"
    [ -n "$in" ] && [ "${in:0:1}" != / ] && [ "$in" != /dev/null ] && in="$D/$in"

    kind() {  # kind PATH: what lstat sees
        if [ -L "$1" ]; then echo symlink; elif [ -p "$1" ]; then echo fifo; elif [ -c "$1" ]; then echo "char $(stat -c '%t:%T' "$1")"
        elif [ -b "$1" ]; then echo block; elif [ -d "$1" ]; then echo dir; elif [ -f "$1" ]; then echo file; else echo none; fi
    }
    fingerprint() { printf '%s %s' "$(stat -L -c %a "$1")" "$(sha256sum <"$1" | cut -c1-64)"; }

    # Files that must come through unchanged: every regular-file argument but the output, and the output too
    # when it is (a link to, or another name of) one of them, or when the case says so (protect).
    declare -A before_fp=()
    inodes=""
    for i in "${!args[@]}"; do
        a=${args[i]}; [ "$i" = "$out_i" ] && continue
        [ "${a:0:1}" = - ] && continue
        [ -f "$a" ] || continue
        p=$(readlink -f -- "$a"); before_fp[$p]=$(fingerprint "$p"); inodes+=" $(stat -L -c %d:%i "$p")"
    done
    if [ -n "$out" ] && [ -f "$out" ]; then
        if [ -n "${has[protect]+x}" ] || [[ " $inodes " == *" $(stat -L -c %d:%i "$out") "* ]]; then
            p=$(readlink -f -- "$out"); before_fp[$p]=$(fingerprint "$p")
        fi
    fi
    out_kind_before=none; [ -n "$out" ] && out_kind_before=$(kind "$out")
    link_target=""; [ "$out_kind_before" = symlink ] && link_target=$(readlink -m -- "$out")
    find "$D" -mindepth 1 -printf '%P\0' 2>/dev/null | sort -z >"$X/before"

    # Run.
    err="$X/err"; status=0
    stdout_to="$X/stdout"; [ -n "${has[stdout]:-}" ] && stdout_to=${has[stdout]}
    case "$expect" in
    sig:*)
        sig=${expect#sig:}
        status=$(python3 "$probe_py" signal "$sig" "${has[delay]:-1}" 20 "$err" -- "$MATTE" "${args[@]}") ;;
    *)
        # Resource limits (fsize, vmem) apply to matte alone, not to timeout or the suite.
        limits=""
        [ -n "${has[fsize]:-}" ] && limits+="ulimit -f ${has[fsize]}; "
        [ -n "${has[vmem]:-}" ] && limits+="ulimit -v ${has[vmem]}; "
        { timeout -k 5 "${has[timeout]:-${HOSTILE_TIMEOUT:-120}}" bash -c "${limits}exec \"\$0\" \"\$@\"" "$MATTE" "${args[@]}" \
            >"$stdout_to" 2>"$err" </dev/null; } 2>/dev/null
        status=$? ;;   # (the braces keep bash's "Illegal instruction" notices off the suite's stderr)
    esac
    # Readers the setup started (FIFO outputs) get two seconds to drain, then go.
    for _ in $(seq 20); do [ -z "$(jobs -pr)" ] && break; sleep 0.1; done
    bg=$(jobs -pr); [ -n "$bg" ] && kill $bg 2>/dev/null; wait 2>/dev/null
    cd "$W" || exit 0

    bad=()
    nlines=$(awk 'END { print NR }' "$err")
    first=$(head -n 1 "$err" | cut -c1-200)

    # No crash.
    if grep -qE 'Fatal error|Sanitizer|Segmentation fault|Current stack trace|Illegal instruction|Program crashed|Stack dump' "$err"; then
        bad+=("crash report on stderr: $(grep -m1 -E 'Fatal error|Sanitizer|Segmentation fault|Current stack trace|Illegal instruction|Program crashed|Stack dump' "$err" | cut -c1-120)")
    fi
    case "$status" in
    finished-early*) bad+=("finished before the signal (exit ${status#* }); the clip is too short for this machine"); status=${status#* } ;;
    124) bad+=("hung: killed after the time limit") ;;
    esac

    # The exit status and the one-line message.
    one_line() {
        [ "$nlines" -eq 1 ] || { bad+=("stderr has $nlines lines, not 1"); return; }
        [[ "$first" == "matte: "* ]] || bad+=("stderr line does not start with 'matte: '")
    }
    want_fail() {  # want_fail ALLOWED_STATUSES
        if [ "$status" -eq 0 ]; then bad+=("exit 0, expected failure"); return; fi
        [[ " $1 " == *" $status "* ]] || { [ "$status" -ge 128 ] && [ "$status" != 124 ] && bad+=("exit $status (killed by signal $((status - 128)))") || bad+=("exit $status, expected ${1// / or }"); }
        one_line
    }
    case "$expect" in
    ok) [ "$status" -eq 0 ] || { bad+=("exit $status, expected success"); }; ;;
    fail) want_fail "1 64" ;;
    usage) want_fail "64" ;;
    any|okdec)
        if [ "$expect" = okdec ] && [ "$status" -ne 0 ]; then
            # Expected to work when ffmpeg itself decodes the input cleanly.
            if ffmpeg -nostdin -v error -xerror -i "${has[dec]:-$in}" -f null - >/dev/null 2>"$X/ffdec" && [ ! -s "$X/ffdec" ]; then
                bad+=("exit $status, expected success (ffmpeg decodes this input cleanly)")
            fi
        fi
        [ "$status" -ne 0 ] && want_fail "1 64" ;;
    sig:*)
        signum=$(kill -l "$sig")
        if [ "$status" -eq 0 ]; then bad+=("exit 0 after SIG$sig")
        elif [ "$status" -ge 128 ] && [ "$status" -ne $((128 + signum)) ] && [ "$status" -ne 124 ]; then bad+=("exit $status after SIG$sig")
        fi
        one_line
        [ "$nlines" -eq 1 ] && ! grep -qiE 'interrupt|signal|SIG[A-Z]+|terminat|hang.?up|quit|stopp|cancel|abort' "$err" && bad+=("the line does not name the interruption") ;;
    esac
    if [ "$status" -eq 0 ] && grep '^matte: ' "$err" | grep -qv '^matte: warning:'; then
        bad+=("succeeded but stderr has a non-warning 'matte:' line")
    fi
    if [ -n "${has[msg]:-}" ] && [ "$status" -ne 0 ] && ! grep -qiE -- "${has[msg]}" "$err"; then
        bad+=("message does not match /${has[msg]}/")
    fi
    if [ -n "${has[warn]:-}" ] && [ "$status" -eq 0 ] && ! grep -qiE -- "^matte: warning: .*(${has[warn]})" "$err"; then
        bad+=("no warning matching /${has[warn]}/")
    fi
    if [ -n "${has[nowarn]+x}" ] && [ "$status" -eq 0 ] && grep -q '^matte: warning:' "$err"; then
        bad+=("a warning for a clean input: $(grep -m1 '^matte: warning:' "$err" | cut -c1-120)")
    fi

    # Nothing lost.
    for p in "${!before_fp[@]}"; do
        if [ ! -f "$p" ]; then bad+=("$(show "$p") is gone")
        elif [ "$(fingerprint "$p")" != "${before_fp[$p]}" ]; then bad+=("$(show "$p") changed (mode or content)"); fi
    done
    if [ -n "$out" ]; then
        out_kind_after=$(kind "$out")
        case "$out_kind_before" in
        symlink|fifo|char*|dir) [ "$out_kind_after" = "$out_kind_before" ] || bad+=("the output was a $out_kind_before, now a $out_kind_after") ;;
        esac
        if [ -n "${has[keepmode]:-}" ] && [ -f "$out" ] && [ "$(stat -L -c %a "$out")" != "${has[keepmode]}" ]; then
            bad+=("output mode $(stat -L -c %a "$out"), was ${has[keepmode]}")
        fi
    fi

    # No partial output: the directory holds what it held, plus the output on success.
    find "$D" -mindepth 1 -printf '%P\0' 2>/dev/null | sort -z >"$X/after"
    seq_re=""
    if [ -n "${has[seq]+x}" ]; then
        pat=${out#"$D/"}; seq_re=$(printf '%s' "$pat" | sed -E 's/[][().*+?^$|\\]/\\&/g; s/%0?[0-9]*d/[0-9]+/')
    fi
    rel_out=${out#"$D/"}; rel_link=${link_target#"$D/"}
    left=()
    while IFS= read -r -d '' f; do
        if [ "$status" -eq 0 ]; then
            [ "$f" = "$rel_out" ] && continue
            [ -n "$link_target" ] && [ "$f" = "$rel_link" ] && continue
            [ -n "$seq_re" ] && [[ "$f" =~ ^$seq_re$ ]] && continue
        fi
        left+=("$(show "$f")")
    done < <(comm -z -13 "$X/before" "$X/after")
    if [ ${#left[@]} -gt 0 ]; then
        more=""; [ ${#left[@]} -gt 3 ] && more=" and $(( ${#left[@]} - 3 )) more"
        bad+=("left behind: $(IFS=,; printf '%s' "${left[*]:0:3}" | sed 's/,/, /g')$more")
    fi
    while IFS= read -r -d '' f; do bad+=("lost: $(show "$f")"); done < <(comm -z -23 "$X/before" "$X/after")

    # The output itself.
    probe() {  # probe FILE cached|fresh -> "W H FRAMES AUDIO DURATION MAGIC"
        local key="$W/probe/$(printf '%s' "$1" | md5sum | cut -c1-32)"
        if [ -s "$key" ] && [ "$2" = cached ]; then cat "$key"; return; fi
        timeout 120 python3 "$probe_py" probe "$1" >"$key.$$" 2>/dev/null || echo none >"$key.$$"
        mv "$key.$$" "$key"; cat "$key"
    }
    if [ "$status" -eq 0 ] && [ -n "$check_out" ] && [ -z "${has[nooutcheck]+x}" ] && [ -z "${has[seq]+x}" ] \
        && [ ! -e "$check_out" ]; then
        bad+=("exit 0 but $(show "${check_out#"$D/"}") was not written")
    elif [ "$status" -eq 0 ] && [ -n "$check_out" ] && [ -z "${has[nooutcheck]+x}" ] && { [ -n "${has[seq]+x}" ] || [ -f "$check_out" ]; }; then
        read -r iw ih iframes iaudio idur _ < <(probe "$in" cached)
        [ "$sub" = mask ] && iframes=1
        [ -n "${has[frames]:-}" ] && iframes=${has[frames]}
        [ -n "${has[seq]:-}" ] && iframes=${has[seq]}
        sizes="${iw}x${ih}"; [ -n "${has[size]:-}" ] && sizes=${has[size]}
        ext=${check_out##*.}; ext=${ext,,}
        if [ "$iw" = none ]; then
            bad+=("the input is not readable by ffprobe, yet matte succeeded")
        elif [ -n "${has[seq]+x}" ]; then
            n=0; first_frame=""
            while IFS= read -r -d '' f; do
                [[ "$f" =~ ^$seq_re$ ]] || continue
                n=$((n + 1)); [ -z "$first_frame" ] && first_frame="$D/$f"
                read -r m1 m2 fw fh < <(od -An -tu4 --endian=big -N24 "$D/$f" | xargs -n6 | awk '{ print $1, $2, $5, $6 }')
                [ "$m1 $m2" = "2303741511 218765834" ] || { bad+=("$(show "$f") is not PNG data"); break; }
                [[ "/$sizes/" == *"/${fw}x${fh}/"* ]] || { bad+=("$(show "$f") is ${fw}x${fh}, expected $sizes"); break; }
            done < <(cd "$D" && find . -mindepth 1 -type f -printf '%P\0' | sort -z)
            [ "$n" -eq "$iframes" ] || bad+=("$n frames written, expected $iframes")
            if [ -n "${has[marker]+x}" ] && [ -n "$first_frame" ]; then
                m=$(python3 "$probe_py" check-marker "$first_frame" 2>&1) || bad+=("orientation wrong: ${m:-unreadable}")
            fi
        else
            want_magic=""
            case "$ext" in png) want_magic=png;; jpg|jpeg) want_magic=jpeg;; mkv|webm) want_magic=matroska;; mp4|mov) want_magic=mp4;; y4m) want_magic=y4m;; esac
            read -r ow oh oframes oaudio odur got_magic < <(probe "$check_out" fresh)
            [ -n "$want_magic" ] && [ "$got_magic" != "$want_magic" ] && bad+=("output is $got_magic data, expected $want_magic")
            if [ "$ow" = none ]; then bad+=("the output has no video stream ffprobe can read")
            else
                [[ "/$sizes/" == *"/${ow}x${oh}/"* ]] || bad+=("output is ${ow}x${oh}, expected $sizes")
                [ -n "${has[anyframes]+x}" ] || [ "$oframes" = "$iframes" ] || bad+=("output has $oframes frames, expected $iframes")
                case "$ext" in mkv|mp4|webm) [ "${iaudio:-0}" -gt 0 ] && [ "$oaudio" -eq 0 ] && bad+=("the input's audio is missing from the output") ;; esac
                if [ -n "${has[dur]+x}" ]; then
                    python3 -c "import sys; i, o = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if i > 0 and abs(o - i) <= 0.05 * i else 1)" "$idur" "$odur" \
                        || bad+=("output lasts ${odur}s, input ${idur}s (more than 5% apart)")
                fi
                if [ -n "${has[marker]+x}" ]; then
                    m=$(python3 "$probe_py" check-marker "$check_out" 2>&1) || bad+=("orientation wrong: ${m:-unreadable}")
                fi
                if [ -n "${has[stream]:-}" ]; then
                    IFS=/ read -ra wanted <<<"${has[stream]}"
                    for kv in "${wanted[@]}"; do
                        got=$(ffprobe -v error -select_streams v:0 -show_entries "stream=${kv%%=*}" -of csv=p=0 "$check_out" 2>/dev/null | head -1)
                        [ "$got" = "${kv#*=}" ] || bad+=("output ${kv%%=*} is '${got}', expected '${kv#*=}'")
                    done
                fi
                if [ -n "${has[colour]:-}" ]; then
                    d=$(python3 "$probe_py" colour-difference "$in" "$check_out" 2>&1)
                    python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)" "$d" "${has[colour]}" 2>/dev/null \
                        || bad+=("mean colour differs from the input's (by ffmpeg) by ${d:0:60}, more than ${has[colour]}")
                fi
                if [ -n "${has[progressive]+x}" ]; then
                    # ffmpeg's interlace detector on the output: combing left in means frames still look interlaced.
                    # Its multi-frame verdict lags a few frames (5 of 40 on ffmpeg's own bwdif output; 40 of 40
                    # without deinterlacing), so at most a quarter may be called interlaced.
                    det=$(ffmpeg -nostdin -v info -i "$check_out" -vf idet -an -f null - 2>&1 | sed -n 's/.*Multi frame detection: *//p' | tail -1)
                    read -r tff bff prog < <(sed -E 's/TFF: *([0-9]+) *BFF: *([0-9]+) *Progressive: *([0-9]+).*/\1 \2 \3/' <<<"$det")
                    [ -n "$prog" ] && [ $((4 * (tff + bff))) -le $((tff + bff + prog)) ] \
                        || bad+=("ffmpeg's idet still sees interlaced frames: ${det:-nothing}")
                fi
            fi
        fi
    fi

    if [ ${#bad[@]} -eq 0 ]; then result "PASS $name"
    else
        msg=$(IFS=';'; printf '%s' "${bad[*]}"); msg=${msg//;/; }
        result "FAIL $name | matte $(show "${args[*]}") | $msg | stderr: ${first:-(empty)}"
    fi
    exit 0
fi

# ---------------------------------------------------------------------------------------------------------
# The driver.
# ---------------------------------------------------------------------------------------------------------
if [ $# -lt 1 ] || [ ! -e "$1" ]; then
    echo "usage: $0 MATTE_BINARY [--quick]" >&2; exit 64
fi
MATTE=$(readlink -f -- "$1"); quick=0; [ "${2:-}" = --quick ] && quick=1
for tool in ffmpeg ffprobe python3 timeout; do command -v $tool >/dev/null || { echo "hostile: $tool is missing" >&2; exit 1; }; done
python3 -c 'import numpy' 2>/dev/null || { echo "hostile: python3 numpy is missing" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/matte-hostile.XXXXXX")
cleanup() {
    # Unmount the full-disk tmpfs mounts first (deepest first), then remove everything.
    awk -v w="$W/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
    chmod -R u+w "$W" 2>/dev/null
    [ "${HOSTILE_KEEP:-0}" = 1 ] && echo "hostile: kept $W" || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
export W MATTE
mkdir -p "$W/in" "$W/c" "$W/x" "$W/res" "$W/probe" "$W/time"
jobs_n=${HOSTILE_JOBS:-2}
started=$(date +%s)
# An installed model where matte looks for it, or nothing: Robust Video Matting for the damaged copies, a MediaPipe
# model to pass off as .onnx.
installed() {
    local d
    for d in ${MATTE_MODELS_DIR:+"$MATTE_MODELS_DIR"} "${XDG_DATA_HOME:-$HOME/.local/share}/matte/models" \
        /usr/local/share/matte/models /usr/share/matte/models; do
        [ -f "$d/$1" ] && { echo "$d/$1"; return; }
    done
}
rvm=$(installed rvm_mobilenetv3_fp32.onnx)
tflite=$(installed selfie_segmentation.tflite)
[ -n "$rvm" ] || echo "hostile: note: Robust Video Matting is not installed (scripts/setup-models.sh --rvm): its damaged copies are skipped" >&2

# --- Inputs ---------------------------------------------------------------------------------------------
# Generation commands, one per line, run in $W/in two at a time; phase 2 derives files from phase 1's.
pixfmts() { ffmpeg -hide_banner -h "encoder=$1" 2>/dev/null | sed -n 's/.*Supported pixel formats: *//p'; }
FF='ffmpeg -nostdin -v error -y'
src() { printf 'testsrc=size=%s:rate=%s' "$1" "${2:-10}"; }   # odd sizes allowed (testsrc2 rounds them)
{
    # The everyday inputs: a 64x48 picture in each image format, 10-frame 10 fps clips, background and overlay.
    for ext in png jpg webp gif tiff bmp; do echo "$FF -f lavfi -i $(src 64x48) -frames:v 1 img.$ext"; done
    echo "$FF -f lavfi -i $(src 64x48) -frames:v 10 -c:v libx264 -pix_fmt yuv420p v10.mkv"
    echo "$FF -f lavfi -i $(src 64x48) -frames:v 10 -c:v libx264 -pix_fmt yuv420p v10.mp4"
    echo "$FF -f lavfi -i $(src 64x48) -frames:v 10 -c:v libvpx-vp9 -deadline realtime -cpu-used 8 v10.webm"
    echo "$FF -f lavfi -i $(src 64x48) -frames:v 1 -c:v libx264 one.mkv"
    echo "$FF -f lavfi -i $(src 80x60) -frames:v 1 -vf hue=h=90 bg.png"
    echo "$FF -f lavfi -i $(src 32x24 5) -frames:v 5 -c:v libx264 -pix_fmt yuv444p bgvid.mkv"
    echo "$FF -f lavfi -i $(src 64x48) -frames:v 1 -vf \"format=rgba,geq=r='255':g='255':b='0':a='if(lt(X,20),200,0)'\" fg.png"
    echo "$FF -f lavfi -i $(src 64x48) -frames:v 6 anim.gif"
    echo "$FF -f lavfi -i $(src 64x48) -frames:v 6 -c:v libwebp_anim anim.webp"
    echo "$FF -f lavfi -i $(src 64x48) -frames:v 3 -plays 0 -f apng anim.png"
    echo "$FF -f lavfi -i $(src 640x360 30) -frames:v 300 -c:v libx264 -preset ultrafast -pix_fmt yuv420p long.mkv"
    echo "$FF -f lavfi -i $(src 160x90) -frames:v 30 -c:v libx264 -preset ultrafast fd.mkv"
    echo "$FF -f lavfi -i nullsrc=size=640x480,geq=random\(1\)*255:128:128 -frames:v 1 -pix_fmt rgb24 noise.png"

    # Sizes around the limits (PNG pictures, FFV1 clips of 3 frames) and bombs.
    for s in 1x1 2x2 3x3 7x5 15x15 16x16 17x16 16x17 33x17 641x481 1x720 720x1 8193x10 8192x16 16x8192; do
        echo "python3 -c 'import sys; sys.stdout.buffer.write(bytes((48, 80, 160)) * ${s%x*} * ${s#*x})' | $FF -f rawvideo -pix_fmt rgb24 -s $s -i - -frames:v 1 s$s.png"
    done
    for s in 15x15 16x16 17x16 16x17 33x17 1x720 8193x16; do
        echo "$FF -f lavfi -i $(src $s) -frames:v 3 -c:v ffv1 vs$s.mkv"
    done
    echo "python3 $probe_py bomb bomb.png 16000 16000 full"
    echo "python3 $probe_py bomb bombhdr.png 16000 16000 header"

    # Every pixel format ffmpeg writes into each image format (odd 37x23 so chroma subsampling has edges).
    for pair in png:png mjpeg:jpg libwebp:webp gif:gif tiff:tiff bmp:bmp; do
        enc=${pair%%:*}; ext=${pair#*:}
        for pf in $(pixfmts "$enc"); do
            echo "?$FF -f lavfi -i $(src 37x23) -frames:v 1 -c:v $enc -strict unofficial -pix_fmt $pf pf-$ext-$pf.$ext"
        done
    done
    echo "$FF -f lavfi -i $(src 37x23) -frames:v 1 -c:v libwebp -lossless 1 -pix_fmt bgra pf-webp-lossless.webp"
    for x in qoi:qoi tga:targa ppm:ppm pgm:pgm pam:pam sgi:sgi dpx:dpx exr:exr jxl:libjxl jp2:jpeg2000 xbm:xbm; do
        echo "?$FF -f lavfi -i $(src 37x23) -frames:v 1 -c:v ${x#*:} img-${x%%:*}.${x%%:*}"
    done
    echo "python3 $probe_py adam7 img-adam7.png 37 23"
    # Video: each pixel format of libx264 (MKV) and libvpx-vp9 (WebM), a few in MP4, other codecs, odd sizes.
    for pf in $(pixfmts libx264 | tr ' ' '\n' | grep -vxE 'nv12|nv21'); do echo "?$FF -f lavfi -i $(src 64x48) -frames:v 6 -c:v libx264 -pix_fmt $pf pfv-x264-$pf.mkv"; done
    for pf in $(pixfmts libvpx-vp9); do echo "?$FF -f lavfi -i $(src 64x48) -frames:v 6 -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -pix_fmt $pf pfv-vp9-$pf.webm"; done
    for pf in yuv420p yuv422p yuv444p yuv420p10le; do echo "$FF -f lavfi -i $(src 64x48) -frames:v 6 -c:v libx264 -pix_fmt $pf pfv-x264-$pf.mp4"; done
    for c in "hevc.mkv:libx265 -x265-params log-level=none" "av1.mkv:libaom-av1 -cpu-used 8" "ffv1.mkv:ffv1" \
             "mpeg4.avi:mpeg4" "mjpeg.avi:mjpeg" "prores.mov:prores_ks" "vp8.webm:libvpx" "theora.ogv:libtheora" \
             "huffyuv.avi:huffyuv" "utvideo.mkv:utvideo" "mpeg2.ts:mpeg2video" "raw.nut:rawvideo" "qtrle.mov:qtrle" \
             "y4m.y4m:wrapped_avframe -pix_fmt yuv420p"; do
        echo "$FF -f lavfi -i $(src 64x48) -frames:v 6 -c:v ${c#*:} codec-${c%%:*}"
    done
    echo "$FF -f lavfi -i $(src 33x17) -frames:v 6 -c:v libx264 -pix_fmt yuv444p odd-x264.mkv"
    echo "$FF -f lavfi -i $(src 33x17) -frames:v 6 -c:v libx264 -pix_fmt yuv444p odd-x264.mp4"
    echo "$FF -f lavfi -i $(src 33x17) -frames:v 6 -c:v libvpx-vp9 -deadline realtime -pix_fmt yuv420p odd-vp9.webm"
    echo "$FF -f lavfi -i $(src 33x17) -frames:v 6 -c:v ffv1 -pix_fmt yuv420p odd-ffv1.mkv"
    echo "$FF -f lavfi -i $(src 33x17) -frames:v 6 -c:v prores_ks odd-prores.mov"
    # A stream whose size changes half-way (two MPEG-TS files back to back).
    echo "$FF -f lavfi -i $(src 64x48) -frames:v 4 -c:v libx264 -pix_fmt yuv420p part1.ts"
    echo "$FF -f lavfi -i $(src 96x64) -frames:v 4 -c:v libx264 -pix_fmt yuv420p part2.ts"

    # EXIF orientations (a 100x60 JPEG; the displayed picture has red top-left and green top-right).
    for o in 1 2 3 4 5 6 7 8; do echo "python3 $probe_py exif exif-$o.jpg 100 60 $o"; done
    echo "python3 $probe_py exif exif-le-6.jpg 100 60 6 le"
    echo "python3 $probe_py exif exif-le-3.jpg 100 60 3 le"
    echo "python3 $probe_py exif exif-0.jpg 100 60 0"
    echo "python3 $probe_py exif exif-9.jpg 100 60 9"
    echo "python3 $probe_py exif exif-badoffset.jpg 100 60 6 bad-offset"
    echo "python3 $probe_py exif exif-badcount.jpg 100 60 6 bad-count"
    # Rotated video: coded so that the displayed picture (after the display matrix) carries the same marker.
    for r in 90:transpose=1:48x64 180:hflip,vflip:64x48 270:transpose=2:48x64; do
        IFS=: read -r deg vf size <<<"$r"
        echo "python3 $probe_py marker-raw ${size%x*} ${size#*x} | $FF -f rawvideo -pix_fmt rgb24 -s $size -r 10 -i - -vf loop=5:1:0,$vf -frames:v 6 -c:v libx264 -pix_fmt yuv444p coded$deg.mp4"
    done

    # Frame rates: variable (10 fps then 30 fps; jittered 25 fps) and constant 10, 25, 50 fps.
    vfr="settb=1/1000,setpts='if(lt(N,10),N*0.1,1.0+(N-10)/30)/TB'"
    jit="settb=1/1000,setpts='(N+0.45*mod(N*7,3))/25/TB'"
    echo "$FF -f lavfi -i $(src 64x48 30) -frames:v 40 -vf \"$vfr\" -fps_mode passthrough -enc_time_base 1/1000 -c:v libx264 vfr-steps.mkv"
    echo "$FF -f lavfi -i $(src 64x48 30) -frames:v 40 -vf \"$vfr\" -fps_mode passthrough -enc_time_base 1/1000 -c:v libx264 vfr-steps.mp4"
    echo "$FF -f lavfi -i $(src 64x48 25) -frames:v 30 -vf \"$jit\" -fps_mode passthrough -enc_time_base 1/1000 -c:v libx264 vfr-jitter.mkv"
    for r in 10 25 50; do
        echo "$FF -f lavfi -i $(src 64x48 $r) -frames:v 10 -c:v libx264 fps$r.mkv"
        echo "$FF -f lavfi -i $(src 64x48 $r) -frames:v 10 -c:v libx264 fps$r.mp4"
        echo "$FF -f lavfi -i $(src 64x48 $r) -frames:v 10 -c:v libvpx-vp9 -deadline realtime -cpu-used 8 fps$r.webm"
    done
    # Audio: a 1 s sine next to 10 frames; audio alone; audio as the first stream.
    sine="-f lavfi -i sine=frequency=440:duration=1"
    echo "$FF -f lavfi -i $(src 64x48) $sine -frames:v 10 -c:v libx264 -c:a aac -shortest aud.mp4"
    echo "$FF -f lavfi -i $(src 64x48) $sine -frames:v 10 -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -c:a libopus -shortest aud.webm"
    echo "$FF -f lavfi -i $(src 64x48) $sine -frames:v 10 -c:v libx264 -c:a pcm_s16le -shortest aud.mkv"
    echo "$FF $sine -f lavfi -i $(src 64x48) -map 0:a -map 1:v -frames:v 10 -t 1 -c:v libx264 -c:a pcm_s16le audfirst.mkv"
    echo "$FF $sine -c:a pcm_s16le audonly.mkv"
    echo "$FF $sine -c:a aac audonly.m4a"

    # Not pictures at all.
    echo ": >empty.png; : >empty.mkv; : >empty.jpg; mkdir dir.png"
    echo "printf 'hello, I am not a picture\n' >text.png"
    echo "python3 -c 'import random, sys; r = random.Random(7); [open(n, \"wb\").write(r.randbytes(4096)) for n in sys.argv[1:]]' random.png random.jpg random.mkv random.bin"

    # Issue 16 (fix-media): anamorphic, HDR and BT.709 colour, interlaced, an MP4 edit list, TIFFs FFmpeg cannot
    # decode (animated WebP: anim.webp above).
    echo "$FF -f lavfi -i $(src 64x48) -frames:v 10 -vf setsar=16/11 -c:v libx264 anamorphic.mkv"
    # Flat colours in BT.2020 (10-bit, PQ or HLG) and BT.709: ffmpeg reads them back with the stream's matrix.
    for c in red:0xFB0000 green:0x20C060 blue:0x3040E0; do
        echo "$FF -f lavfi -i color=c=${c#*:}:size=64x48:rate=10 -frames:v 5 -vf scale=out_color_matrix=bt2020:out_range=tv,format=yuv420p10le -colorspace bt2020nc -color_primaries bt2020 -color_trc smpte2084 -c:v libx264 hdr-pq-${c%%:*}.mkv"
    done
    echo "$FF -f lavfi -i color=c=0x20C060:size=64x48:rate=10 -frames:v 5 -vf scale=out_color_matrix=bt2020:out_range=tv,format=yuv420p10le -colorspace bt2020nc -color_primaries bt2020 -color_trc arib-std-b67 -c:v libx264 hdr-hlg.mp4"
    echo "$FF -f lavfi -i color=c=0x20C060:size=64x48:rate=10 -frames:v 5 -vf scale=out_color_matrix=bt709:out_range=tv,format=yuv420p -colorspace bt709 -color_primaries bt709 -color_trc bt709 -c:v libx264 bt709.mkv"
    # Interlaced: 50 fps motion woven into 25 fps frames of two fields, coded as interlaced.
    for p in tff:interleave_top bff:interleave_bottom; do
        echo "$FF -f lavfi -i testsrc2=size=160x120:rate=50 -frames:v 40 -vf tinterlace=mode=${p#*:},setfield=${p%%:*} -c:v libx264 -flags +ildct+ilme -x264-params ${p%%:*}=1 interlaced-${p%%:*}.mkv"
    done
    echo "$FF -f lavfi -i $(src 64x48) -frames:v 30 -c:v libx264 -g 10 editsrc.mp4"
    echo "python3 $probe_py tiff lab.tiff 320 240 lab"
    echo "python3 $probe_py tiff float.tiff 320 240 float"
    # Model files for --model (a name ending in .onnx is read as a matting network): the fuzzer's seeds (valid
    # graphs without Robust Video Matting's inputs, and one with them), graphs the planner must refuse, and, when
    # it is installed, Robust Video Matting cut short and with a byte changed.
    echo "python3 $seeds_py onnx && python3 $seeds_py --hostile onnx"
    [ -n "$rvm" ] && echo "python3 $seeds_py --damaged $rvm onnx"
    # Big frames for the memory sweep: 4K at 60 fps (16 MB a YUYV frame), a 4K picture, 1080p.
    echo "$FF -f lavfi -i $(src 3840x2160 60) -frames:v 6 -c:v libx264 -preset ultrafast -pix_fmt yuv420p 4k60.mp4"
    echo "$FF -f lavfi -i $(src 3840x2160) -frames:v 1 4k.png"
    echo "$FF -f lavfi -i $(src 1920x1080 30) -frames:v 6 -c:v libx264 -preset ultrafast -pix_fmt yuv420p hd.mkv"
} >"$W/gen1"
{
    for f in img.png img.jpg img.webp img.gif img.tiff img.bmp v10.mkv v10.mp4 v10.webm; do
        for p in 10 50 99; do echo "head -c \$((\$(stat -c %s $f) * $p / 100)) $f >cut$p-$f"; done
    done
    echo "?jpegtran -progressive img.jpg >img-progressive.jpg"
    echo "?jpegtran -arithmetic img.jpg >img-arithmetic.jpg"
    echo "?jpegtran -grayscale img.jpg >img-gray.jpg"
    echo "?jpegtran -restart 1 img.jpg >img-restart.jpg"
    for r in 90 180 270; do echo "$FF -i coded$r.mp4 -c copy -metadata:s:v:0 rotate=$r rot$r.mp4"; done
    echo "$FF -i coded90.mp4 -c copy -metadata:s:v:0 rotate=90 rot90.mov"
    echo "cat part1.ts part2.ts >sizechange.ts"
    # Cut at a frame between keyframes without re-encoding: an edit list hides the frames before it.
    echo "$FF -ss 0.45 -i editsrc.mp4 -c copy edit.mp4"
    echo "cp img.png pngdata.jpg; cp v10.mkv mkvdata.png; cp img.jpg jpgdata.mkv"
    echo "cp img.png 'name with space.png'; cp img.png 'ünïcødé ✓.png'; cp img.png 'in%d.png'; cp img.png '100%.png'; cp img.png \"\$(printf 'new\\nline.png')\""
} >"$W/gen2"
gen() {  # lines starting with ? are optional (formats this ffmpeg lists but may not write, jpegtran): skipped quietly
    (cd "$W/in" && tr '\n' '\0' <"$1" | xargs -0 -P "$jobs_n" -n 1 bash -c '
        c=${1#\?}; timeout 120 bash -c "$c" 2>>"$W/gen.err" && exit 0
        [ "$c" = "$1" ] && echo "hostile: note: could not generate: $c" >&2; exit 0' _)
}
gen "$W/gen1"; gen "$W/gen2"
command -v jpegtran >/dev/null || echo "hostile: note: no jpegtran (libjpeg-turbo-progs): progressive, arithmetic and greyscale JPEG cases skipped" >&2
# The rotated clips must show the marker upright through ffmpeg (the independent reader) or the test is wrong.
for r in rot90.mp4 rot180.mp4 rot270.mp4 rot90.mov exif-6.jpg; do
    python3 "$probe_py" check-marker "$W/in/$r" >/dev/null 2>&1 || echo "hostile: note: $r does not display upright in ffmpeg; its cases will fail" >&2
done
gen_time=$(( $(date +%s) - started ))

# --- Cases ----------------------------------------------------------------------------------------------
# name :: expect :: checks :: setup :: command       (a leading + marks the --quick subset)
#   expect: ok | fail (exit 1 or 64, one line) | usage (exit 64, one line) | any (ok, or a clean failure)
#           | okdec (ok if ffmpeg decodes the input cleanly, else any) | sig:NAME (signal after 1 s)
#   checks: - or comma-separated: msg=ERE (the error line must match, case-insensitive), size=WxH[/WxH],
#           frames=N, seq=N (a PNG sequence of N files), dur (duration within 5% of the input's), marker
#           (red block top-left, green top-right), keepmode=NNN, protect (the output must not change),
#           out=PATH (check this file instead of -o), nooutcheck, anyframes, stdout=PATH, timeout=SECONDS,
#           dec=PATH (the file okdec asks ffmpeg about, default the input), fsize=KB and vmem=KB (run matte
#           under ulimit -f / ulimit -v), warn=ERE (on success a "matte: warning:" line matches), nowarn (on
#           success no warning), stream=KEY=VALUE[/KEY=VALUE] (ffprobe's entries for the output's video
#           stream), colour=LEVELS (the output's mean R, G, B within LEVELS of the input's, both read by
#           ffmpeg), progressive (ffmpeg's idet finds no interlaced frame in the output); no commas in a value
#   setup:  - or shell run in the case's directory before the run; @I@ inputs, @D@ case (output)
#           directory, @X@ scratch directory outside it.
small='too.small'; large='too.large'; limit='too.(small|large)'
limits() {  # limits WxH -> "expect checks" for an input of that size
    local w=${1%x*} h=${1#*x}
    if { [ "$w" -lt 16 ] || [ "$h" -lt 16 ]; } && { [ "$w" -gt 8192 ] || [ "$h" -gt 8192 ]; }; then echo "fail msg=$limit"
    elif [ "$w" -lt 16 ] || [ "$h" -lt 16 ]; then echo "fail msg=$small"
    elif [ "$w" -gt 8192 ] || [ "$h" -gt 8192 ]; then echo "fail msg=$large"
    else echo "ok -"; fi
}
row() { printf '%s :: %s :: %s :: %s :: %s\n' "$@"; }
# The address space (KB) matte needs just to start (its libraries mapped), by bisection on `matte --version`:
# the memory sweep's limits are offsets from it, so they mean the same for a debug or release build. 0 when
# no limit works (AddressSanitizer reserves terabytes of address space): the sweep is skipped.
vmem_floor=0
if (ulimit -v 8000000; "$MATTE" --version) >/dev/null 2>&1; then
    lo=10000; hi=8000000
    while [ $((hi - lo)) -gt 2000 ]; do
        mid=$(((lo + hi) / 2))
        if (ulimit -v $mid; "$MATTE" --version) >/dev/null 2>&1; then hi=$mid; else lo=$mid; fi
    done
    vmem_floor=$hi
else
    echo "hostile: note: $MATTE does not start under ulimit -v (AddressSanitizer?): the memory sweep is skipped" >&2
fi
{
    # Sizes.
    for s in 1x1 2x2 3x3 7x5 15x15 16x16 17x16 16x17 33x17 641x481 1x720 720x1 8193x10 8192x16 16x8192; do
        q=; case $s in 1x1|15x15|16x16|17x16|1x720|8193x10|8192x16) q=+;; esac
        read -r e c <<<"$(limits "$s")"
        row "${q}size-$s-mask" "$e" "$c" - "mask @I@/s$s.png -o out.png"
        row "${q}size-$s-render" "$e" "$c" - "render @I@/s$s.png -o out.png --background '#00ff00'"
    done
    for s in 15x15 16x16 17x16 16x17 33x17 1x720 8193x16; do
        read -r e c <<<"$(limits "$s")"
        row "size-$s-video" "$e" "$c" - "render @I@/vs$s.mkv -o out.mkv --background '#00ff00'"
    done
    for b in bomb bombhdr; do
        row "+$b-mask" fail "msg=$large,timeout=15" - "mask @I@/$b.png -o out.png"
        row "$b-render" fail "msg=$large,timeout=15" - "render @I@/$b.png -o out.png"
        row "+$b-background" fail "msg=$large,timeout=15" - "render @I@/img.png -o out.png --background @I@/$b.png"
        row "$b-foreground" fail "msg=$large,timeout=15" - "render @I@/img.png -o out.png --foreground @I@/$b.png"
    done
    for s in 1x1 2x2 7x5 1x720 720x1 8192x16; do
        row "bg-size-$s" ok - - "render @I@/img.png -o out.png --background @I@/s$s.png"
    done
    for f in contain stretch tile; do row "bg-size-1x1-$f" ok - - "render @I@/img.png -o out.png --background @I@/s1x1.png --fit $f"; done
    row "+bg-size-8193x10" fail "msg=$large" - "render @I@/img.png -o out.png --background @I@/s8193x10.png"
    for s in 1x1 7x5 720x1 8192x16; do row "fg-size-$s" ok - - "render @I@/img.png -o out.png --foreground @I@/s$s.png"; done
    row "+fg-size-8193x10" fail "msg=$large" - "render @I@/img.png -o out.png --foreground @I@/s8193x10.png"

    # Pixel formats: pictures (mask, render over a colour and with no background, and as a background).
    for f in $(cd "$W/in" && ls pf-* img-* 2>/dev/null | grep -vE '\.(mkv|mp4|webm)$'); do
        b=${f%.*}
        q=; case $f in pf-png-rgb24*|pf-png-monob*|pf-png-rgba64be*|pf-jpg-yuvj422p*|pf-webp-yuva*|pf-gif-pal8*|pf-tiff-yuv410p*|pf-bmp-rgb565le*|img-arith*|img-progressive*|img-jxl*|img-adam7*) q=+;; esac
        row "${q}$b-mask" okdec - - "mask @I@/$f -o out.png"
        row "$b-render" okdec - - "render @I@/$f -o out.png --background '#00ff00'"
        case $f in pf-*) row "$b-render-none" okdec - - "render @I@/$f -o out.png --background none";; esac
        [ "$q" = + ] && row "$b-as-background" okdec size=64x48,dec=@I@/$f - "render @I@/img.png -o out.png --background @I@/$f"
    done
    for f in anim.gif anim.png anim.webp; do
        row "$f-render" okdec - - "render @I@/$f -o out.mkv --background '#00ff00'"
        row "$f-as-background" okdec size=64x48,frames=10,dec=@I@/$f - "render @I@/v10.mkv -o out.mkv --background @I@/$f"
    done
    # Pixel formats and codecs: clips.
    for f in $(cd "$W/in" && ls pfv-* codec-* odd-* 2>/dev/null); do
        b=${f//./-}
        q=; case $f in pfv-x264-yuv420p.mkv|pfv-x264-yuv444p10le.mkv|pfv-vp9-yuva420p*|codec-hevc*|codec-av1*|odd-vp9*|odd-x264.mp4|pfv-x264-gray.mkv) q=+;; esac
        row "${q}$b-render" okdec - - "render @I@/$f -o out.mkv --background '#00ff00'"
        case $f in pfv-*) [ "$q" = + ] && row "$b-render-none" okdec - - "render @I@/$f -o out.mkv --background none";;
                   *) row "$b-render-none" okdec - - "render @I@/$f -o out.mkv --background none";; esac
    done
    row "+blur-default" ok - - "render @I@/v10.mkv -o out.mkv --background blur"
    row "blur-1" ok - - "render @I@/pf-jpg-yuvj420p.jpg -o out.png --background blur:1"
    row "blur-100" ok - - "render @I@/odd-vp9.webm -o out.webm --background blur:100"
    row "blur-100-tiny" ok - - "render @I@/s16x16.png -o out.png --background blur:100"
    row "+bg-video-file" ok - - "render @I@/v10.mkv -o out.mkv --background @I@/bgvid.mkv"
    row "bg-odd-video-file" ok - - "render @I@/v10.mp4 -o out.mp4 --background @I@/odd-vp9.webm --fit contain"
    row "bg-10bit-video-file" ok - - "render @I@/img.png -o out.png --background @I@/pfv-x264-yuv444p10le.mkv --fit tile"
    row "+fg-rgba" ok - - "render @I@/v10.webm -o out.webm --foreground @I@/fg.png --foreground-opacity 0.5"
    row "fg-jpeg" ok - - "render @I@/odd-x264.mkv -o out.mkv --foreground @I@/img.jpg"
    row "sizechange-ts" any anyframes,size=64x48/96x64 - "render @I@/sizechange.ts -o out.mkv --background '#00ff00'"

    # Truncated, empty and fake inputs.
    for f in img.png img.jpg img.webp img.gif img.tiff img.bmp v10.mkv v10.mp4 v10.webm; do
        for p in 10 50 99; do
            q=; case $f-$p in img.png-50|img.jpg-99|v10.mp4-10|v10.mkv-50|v10.webm-99) q=+;; esac
            o=out.png; case $f in v10*) o=out.mkv;; esac
            row "${q}cut$p-$f-render" any - - "render @I@/cut$p-$f -o $o --background '#00ff00'"
            case $f-$p in img*-50) row "cut$p-$f-mask" any - - "mask @I@/cut$p-$f -o out.png";; esac
        done
        case $f in img.png|img.jpg|v10.mp4) row "cut50-$f-as-background" any size=64x48 - "render @I@/img.png -o out.png --background @I@/cut50-$f";; esac
    done
    for f in empty.png empty.mkv empty.jpg dir.png text.png random.png random.jpg random.mkv random.bin missing.png; do
        q=; case $f in empty.png|dir.png|text.png|random.mkv|missing.png) q=+;; esac
        row "${q}bad-$f-render" fail - - "render @I@/$f -o out.mkv"
        row "bad-$f-mask" fail - - "mask @I@/$f -o out.png"
        case $f in empty.png|dir.png|text.png|random.mkv|missing.png)
            row "bad-$f-as-background" fail - - "render @I@/img.png -o out.png --background @I@/$f"
            row "bad-$f-as-foreground" fail - - "render @I@/img.png -o out.png --foreground @I@/$f";;
        esac
    done
    row "+bad-devnull-render" fail - - "render /dev/null -o out.mkv"
    row "bad-devnull-mask" fail - - "mask /dev/null -o out.png"
    row "bad-devnull-background" fail - - "render @I@/img.png -o out.png --background /dev/null"
    row "bad-audio-only-mkv" fail - - "render @I@/audonly.mkv -o out.mkv"
    row "bad-audio-only-m4a" fail - - "render @I@/audonly.m4a -o out.mp4"
    row "bad-audio-only-background" fail - - "render @I@/img.png -o out.png --background @I@/audonly.mkv"
    row "bad-symlink-loop" fail - "ln -s loop.png @D@/loop.png" "render loop.png -o out.png"
    row "bad-missing-newline-name" fail - - "render \"\$(printf '@I@/miss\\ning.png')\" -o out.png"
    row "bad-missing-background-newline" fail - - "render @I@/img.png -o out.png --background \"\$(printf '@I@/miss\\ning.png')\""
    row "wrong-ext-png-as-jpg" ok - - "render @I@/pngdata.jpg -o out.png"
    row "wrong-ext-mkv-as-png" any - - "render @I@/mkvdata.png -o out.mkv"
    row "wrong-ext-jpg-as-mkv" any - - "render @I@/jpgdata.mkv -o out.png"
    row "one-frame-video-to-png" ok - - "render @I@/one.mkv -o out.png"
    # Odd input names.
    row "+name-space" ok - - "render '@I@/name with space.png' -o 'out put.png'"
    row "name-unicode" ok - - "render '@I@/ünïcødé ✓.png' -o 'ünïcødé ✓.png'"
    row "+name-percent-d-input" ok - - "render '@I@/in%d.png' -o out.png"
    row "name-percent-input" ok - - "render '@I@/100%.png' -o out.png"
    row "name-newline-input" ok - - "render \"\$(printf '@I@/new\\nline.png')\" -o out.png"
    row "name-leading-dash" ok - "cp @I@/img.png ./-dash.png" "render -o out.png -- -dash.png"
    row "mask-of-a-video" any frames=1 - "mask @I@/v10.mkv -o out.png"

    # EXIF orientation: the output is upright (marker) and has the displayed size.
    for o in 1 2 3 4 5 6 7 8; do
        q=; case $o in 1|6|7) q=+;; esac
        row "${q}exif-$o-render" ok marker - "render @I@/exif-$o.jpg -o out.png --background none"
        row "exif-$o-mask" ok - - "mask @I@/exif-$o.jpg -o out.png"
    done
    row "exif-6-render-mkv" ok - - "render @I@/exif-6.jpg -o out.mkv --background '#00ff00'"
    row "exif-le-6-render" ok marker - "render @I@/exif-le-6.jpg -o out.png --background none"
    row "exif-le-3-render" ok marker - "render @I@/exif-le-3.jpg -o out.png --background none"
    row "exif-0-render" ok size=100x60 - "render @I@/exif-0.jpg -o out.png --background none"
    row "exif-9-render" ok size=100x60 - "render @I@/exif-9.jpg -o out.png --background none"
    row "exif-badoffset-render" any size=100x60/60x100 - "render @I@/exif-badoffset.jpg -o out.png --background none"
    row "exif-badcount-render" any size=100x60/60x100 - "render @I@/exif-badcount.jpg -o out.png --background none"
    # Rotation metadata on video.
    for r in rot90.mp4 rot180.mp4 rot270.mp4 rot90.mov; do
        q=; case $r in rot90.mp4) q=+;; esac
        row "${q}$r-render" ok marker - "render @I@/$r -o out.mkv --background none"
        row "$r-render-mp4" ok marker - "render @I@/$r -o out.mp4 --background none"
    done
    row "rot90-render-png-seq" ok seq=6,marker "mkdir @D@/frames" "render @I@/rot90.mp4 -o frames/%03d.png --background none"

    # Frame rates and audio.
    for c in +vfr-steps.mkv:mp4 vfr-steps.mkv:mkv vfr-steps.mkv:webm vfr-steps.mp4:mkv vfr-jitter.mkv:mkv vfr-jitter.mkv:mp4; do
        f=${c%:*}; o=${c##*:}
        row "$f-to-$o" ok dur - "render @I@/${f#+} -o out.$o --background none"
    done
    for r in 10 25 50; do
        for o in mkv mp4 webm; do row "fps$r-mkv-to-$o" ok - - "render @I@/fps$r.mkv -o out.$o --background none"; done
    done
    row "fps25-mp4-to-mkv" ok - - "render @I@/fps25.mp4 -o out.mkv --background none"
    row "fps50-webm-to-mp4" ok - - "render @I@/fps50.webm -o out.mp4 --background none"
    for i in mp4 webm mkv; do
        for o in mp4 mkv webm; do
            q=; [ $i = $o ] && q=+
            row "${q}audio-$i-to-$o" ok - - "render @I@/aud.$i -o out.$o --background '#00ff00'"
        done
    done
    row "audio-to-y4m" ok - - "render @I@/aud.mkv -o out.y4m --background none"
    row "audio-to-png-seq" ok seq=10 - "render @I@/aud.mp4 -o %02d.png --background none"
    row "audio-first-stream" ok - - "render @I@/audfirst.mkv -o out.mkv --background none"
    row "audio-video-background" ok - - "render @I@/v10.mkv -o out.mkv --background @I@/aud.webm"

    # Hostile outputs.
    row "+out-is-input" fail - "cp @I@/v10.mkv in.mkv" "render in.mkv -o in.mkv --background none"
    row "out-is-input-abs" fail - "cp @I@/img.png in.png" "render @D@/in.png -o @D@/in.png"
    row "+out-is-input-via-symlink" fail - "cp @I@/v10.mkv in.mkv && ln -s in.mkv link.mkv" "render in.mkv -o link.mkv --background none"
    row "out-is-input-via-dotdot" fail - "cp @I@/v10.mp4 in.mp4 && mkdir dir" "render in.mp4 -o ./dir/../in.mp4 --background none"
    row "out-is-input-mask" fail - "cp @I@/img.png in.png" "mask in.png -o ./in.png"
    row "out-is-input-hardlink" any - "cp @I@/v10.mkv in.mkv && ln in.mkv hard.mkv" "render in.mkv -o hard.mkv --background none"
    row "+out-is-background" fail - "cp @I@/bg.png bg.png" "render @I@/img.png -o bg.png --background bg.png"
    row "out-is-foreground" fail - "cp @I@/fg.png fg.png" "render @I@/img.png -o fg.png --foreground fg.png"
    row "+out-symlink-dangling" any - "ln -s target.mkv link.mkv" "render @I@/v10.mkv -o link.mkv --background none"
    row "out-symlink-dangling-missing-dir" fail - "ln -s nodir/target.png link.png" "render @I@/img.png -o link.png"
    row "+out-symlink-existing" any - "cp @I@/bg.png target.png && chmod 644 target.png && ln -s target.png link.png" "render @I@/img.png -o link.png"
    row "+out-fifo-mkv" any out=@X@/cap.mkv "mkfifo out.mkv && { cat out.mkv >@X@/cap.mkv & }" "render @I@/v10.mkv -o out.mkv --background none"
    row "out-fifo-mp4" any out=@X@/cap.mp4 "mkfifo out.mp4 && { cat out.mp4 >@X@/cap.mp4 & }" "render @I@/v10.mkv -o out.mp4 --background none"
    row "out-fifo-png" any out=@X@/cap.png "mkfifo out.png && { cat out.png >@X@/cap.png & }" "render @I@/img.png -o out.png --background none"
    row "out-fifo-mask" any out=@X@/cap.png "mkfifo out.png && { cat out.png >@X@/cap.png & }" "mask @I@/img.png -o out.png"
    row "+out-device" any nooutcheck "mknod out.mkv c 1 3" "render @I@/v10.mkv -o out.mkv --background none"
    row "out-device-png" any nooutcheck "mknod out.png c 1 3" "mask @I@/img.png -o out.png"
    row "out-dev-null" any nooutcheck - "render @I@/img.png -o /dev/null"
    row "+out-readonly" fail protect "cp @I@/bg.png out.png && chmod 444 out.png" "render @I@/img.png -o out.png"
    row "out-readonly-mask" fail protect "cp @I@/bg.png out.png && chmod 444 out.png" "mask @I@/img.png -o out.png"
    row "out-readonly-mkv" fail protect "cp @I@/v10.mkv out.mkv && chmod 444 out.mkv" "render @I@/v10.mkv -o out.mkv --background none"
    row "+out-existing-keeps-mode" ok keepmode=640 "cp @I@/bg.png out.png && chmod 640 out.png" "render @I@/img.png -o out.png"
    row "out-existing-keeps-mode-mkv" ok keepmode=600 "cp @I@/bg.png out.mkv && chmod 600 out.mkv" "render @I@/v10.mkv -o out.mkv --background none"
    row "+out-missing-dir" fail - - "render @I@/img.png -o nodir/out.png"
    row "out-missing-dir-mask" fail - - "mask @I@/img.png -o nodir/sub/out.png"
    row "out-trailing-slash" fail - - "render @I@/img.png -o newdir/"
    row "+out-is-dir" fail - "mkdir out.png && touch out.png/keep" "render @I@/img.png -o out.png"
    row "out-is-dir-mkv" fail - "mkdir out.mkv" "render @I@/v10.mkv -o out.mkv --background none"
    row "out-is-dot" fail - - "render @I@/img.png -o ."
    row "+out-percent-literal" ok - "mkdir out" "render @I@/v10.mkv -o out/100%.mkv --background none"
    row "out-percent-d-literal" ok - - "render @I@/v10.mkv -o x%d.mkv --background none"
    row "out-percent-d-mp4" ok - - "render @I@/v10.mkv -o x%03d.mp4 --background none"
    row "+out-png-sequence" ok seq=10 "mkdir frames" "render @I@/v10.mkv -o frames/%03d.png --background none"
    row "out-png-sequence-image" ok seq=1 - "render @I@/img.png -o x%d.png --background none"
    row "out-png-sequence-model" ok seq=6 - "render @I@/odd-vp9.webm -o f%05d.png --background '#00ff00'"
    row "out-png-sequence-no-dir" fail - - "render @I@/v10.mkv -o nodir/%03d.png --background none"
    row "+out-png-from-video" fail - - "render @I@/v10.mkv -o x.png --background none"
    row "out-jpg-from-video" fail - - "render @I@/v10.mkv -o x.jpg --background none"
    row "+out-jpg" ok - - "render @I@/img.png -o x.jpg"
    row "out-jpeg-upper" ok - - "render @I@/img.png -o x.JPEG --background none"
    row "out-png-upper" ok - - "render @I@/img.png -o x.PNG --background none"
    row "+out-unknown-ext" fail - - "render @I@/img.png -o x.xyz"
    row "out-no-ext" fail - - "render @I@/img.png -o noext"
    row "out-mask-jpg" any - - "mask @I@/img.png -o mask.jpg"
    row "out-y4m" ok - - "render @I@/odd-x264.mkv -o out.y4m --background none"
    name255=$(printf 'n%.0s' $(seq 251)).mkv; name256=$(printf 'n%.0s' $(seq 252)).mkv
    row "+out-name-255-bytes" ok - - "render @I@/v10.mkv -o $name255 --background none"
    row "+out-name-256-bytes" fail - - "render @I@/v10.mkv -o $name256 --background none"
    row "out-name-255-bytes-png" ok - - "render @I@/img.png -o ${name255%.mkv}.png"
    row "out-name-newline" ok - - "render @I@/img.png -o \"\$(printf 'new\\nline.png')\" --background none"
    full="mkdir full && mount -t tmpfs -o size=200k tmpfs full"
    fill="&& { dd if=/dev/zero of=full/filler bs=4k 2>/dev/null; true; }"
    row "+full-disk-y4m" fail - "$full" "render @I@/fd.mkv -o full/out.y4m --background none"
    row "full-disk-mkv" fail - "$full $fill" "render @I@/fd.mkv -o full/out.mkv --background none"
    row "full-disk-png" fail - "$full" "render @I@/noise.png -o full/out.png --background none"
    row "full-disk-png-seq" fail - "$full" "render @I@/fd.mkv -o full/%03d.png --background none"
    row "full-disk-mask" fail - "$full $fill" "mask @I@/noise.png -o full/out.png"
    row "full-disk-replace-existing" fail protect "$full && cp @I@/bg.png full/out.png && { dd if=/dev/zero of=full/filler bs=4k 2>/dev/null; true; }" "render @I@/noise.png -o full/out.png --background none"

    # Signals mid-render.
    for s in INT TERM HUP QUIT; do
        q=; [ $s = INT ] && q=+
        row "${q}signal-$s-mkv" "sig:$s" - - "render @I@/long.mkv -o out.mkv --background '#00ff00'"
    done
    row "signal-TERM-mp4" sig:TERM - - "render @I@/long.mkv -o out.mp4 --background '#00ff00'"
    row "+signal-INT-png-seq" sig:INT - "mkdir frames" "render @I@/long.mkv -o frames/%04d.png --background '#00ff00'"
    row "signal-TERM-png-seq" sig:TERM - "mkdir frames" "render @I@/long.mkv -o frames/%04d.png --background blur"
    row "signal-TERM-replace-existing" sig:TERM protect "cp @I@/v10.mkv out.mkv" "render @I@/long.mkv -o out.mkv --background '#00ff00'"

    # Options.
    row "+dilate-negative" ok - - "render @I@/img.png -o out.png --dilate -5"
    row "dilate-negative-equals" ok - - "render @I@/img.png -o out.png --dilate=-5"
    row "feather-zero" ok - - "render @I@/img.png -o out.png --feather 0 --softness 0 --smoothing 0"
    # Auto-framing crops and scales with its own kernel: odd sizes, the largest zoom, sequences, under ASan too.
    row "+framing-odd-video" ok - - "render @I@/odd-x264.mkv -o out.mkv --framing auto:3 --background '#00ff00'"
    row "framing-image" ok - - "render @I@/img.png -o out.png --framing auto --foreground @I@/bg.png"
    row "+framing-odd-vp9-sequence" ok seq=6 - "render @I@/odd-vp9.webm -o f%05d.png --framing auto:1.1 --background blur"
    row "framing-noise" ok - - "render @I@/noise.png -o out.png --framing auto --background none"
    row "dilate-huge" any - - "render @I@/img.png -o out.png --dilate 1e9"
    row "feather-huge" any - - "render @I@/img.png -o out.png --feather 100000"
    row "+model-nope" fail 'msg=general.*landscape.*auto' - "render @I@/img.png -o out.png --model nope"
    row "model-nope-mask" fail 'msg=general.*landscape.*auto' - "mask @I@/img.png -o out.png --model nope"
    row "model-empty" fail - - "mask @I@/img.png -o out.png --model ''"
    row "model-dir" fail - - "mask @I@/img.png -o out.png --model @I@"
    row "model-png" fail - - "mask @I@/img.png -o out.png --model @I@/img.png"
    # An .onnx file that is not a model: one line naming it and what is wrong, exit 1, no output (or exit 64 for a
    # name that does not exist). m.onnx is made in the case's directory.
    mask="mask @I@/img.png -o out.png --model m.onnx"
    row "+model-onnx-empty" fail 'msg=m\.onnx: corrupt ONNX model: no graph' ": >m.onnx" "$mask"
    row "+model-onnx-dir" fail 'msg=m\.onnx: not a regular file' "mkdir m.onnx" "$mask"
    row "+model-onnx-fifo" fail 'msg=m\.onnx: not a regular file' "mkfifo m.onnx" "$mask"
    row "model-onnx-dev-zero" fail 'msg=m\.onnx: not a regular file' "ln -s /dev/zero m.onnx" "$mask"
    row "model-onnx-dangling-link" usage 'msg=no such file' "ln -s nowhere m.onnx" "$mask"
    # Root reads a mode-000 file anyway (and finds a graph that is not RVM); anyone else cannot.
    row "model-onnx-unreadable" fail 'msg=m\.onnx: (permission denied|unsupported ONNX model)' "cp @I@/onnx/seed-plan-conv.onnx m.onnx && chmod 000 m.onnx" "$mask"
    row "+model-onnx-tflite" fail 'msg=m\.onnx: corrupt ONNX model: .*not an ONNX model' "cp '$tflite' m.onnx" "$mask"
    row "model-onnx-text" fail 'msg=m\.onnx: corrupt ONNX model: .*not an ONNX model' "printf 'hello, I am not a model\n' >m.onnx" "$mask"
    row "model-onnx-random" fail 'msg=m\.onnx: corrupt ONNX model' "cp @I@/random.bin m.onnx" "$mask"
    row "model-onnx-png" fail 'msg=m\.onnx: corrupt ONNX model' "cp @I@/img.png m.onnx" "$mask"
    row "model-onnx-too-large" fail 'msg=m\.onnx: .*too large' "truncate -s 300M m.onnx" "$mask"
    row "model-onnx-upper-case-name" fail 'msg=M\.ONNX: corrupt ONNX model: .*Split' "cp @I@/onnx/hostile-split-overflow.onnx M.ONNX" "mask @I@/img.png -o out.png --model M.ONNX"
    row "model-onnx-named-tflite" fail 'msg=m\.tflite' "cp @I@/onnx/seed-plan-conv.onnx m.tflite" "mask @I@/img.png -o out.png --model m.tflite"
    row "model-onnx-name-newline" fail 'msg=new\\x0aline\.onnx: corrupt ONNX model' "cp @I@/onnx/hostile-name-newline.onnx \"\$(printf 'new\\nline.onnx')\"" "mask @I@/img.png -o out.png --model \"\$(printf 'new\\nline.onnx')\""
    row "model-tflite-name-newline" fail 'msg=new\\x0aline\.tflite: ' "cp @I@/onnx/hostile-name-newline.onnx \"\$(printf 'new\\nline.tflite')\"" "mask @I@/img.png -o out.png --model \"\$(printf 'new\\nline.tflite')\""
    [ -n "$rvm" ] && row "model-onnx-rvm-copy" ok - "cp '$rvm' m.onnx" "$mask"
    # The files scripts/make-onnx-seeds.py wrote: Robust Video Matting cut short (always refused) or with a byte
    # changed (refused, or run when the byte is in a weight), graphs the planner must refuse (each with what its
    # message must say), and the fuzzer's seeds, which lack RVM's inputs but for seed-plan-matting, which runs.
    cuts=0; flips=0
    for f in "$W"/in/onnx/*.onnx; do
        n=${f##*/}; n=${n%.onnx}; m="--model @I@/onnx/$n.onnx"; name="msg=$n\.onnx: "
        # The quick set: one cut in 25, one changed byte in 15, and the planner's refusals that allocate most.
        q=; case $n in hostile-resize-scale-60|hostile-conv-pads-memory|hostile-expand-state-huge|hostile-split-overflow|hostile-name-newline|hostile-fold-huge|hostile-input-overwritten|hostile-foreground-one-pixel|seed-plan-matting) q=+;; esac
        case $n in
        rvm-cut-*)
            [ $((cuts % 25)) = 0 ] && q=+
            row "${q}model-$n" fail "${name}corrupt ONNX model" - "mask @I@/img.png -o out.png $m"
            [ $((cuts % 10)) = 5 ] && row "model-$n-render" fail "${name}corrupt ONNX model" - "render @I@/v10.mkv -o out.mkv $m"
            cuts=$((cuts + 1)) ;;
        rvm-flip-*)
            [ $((flips % 15)) = 0 ] && q=+
            row "${q}model-$n" any "$name" - "mask @I@/img.png -o out.png $m"
            flips=$((flips + 1)) ;;
        seed-plan-matting)
            row "${q}model-$n" ok - - "mask @I@/img.png -o out.png $m"
            row "model-$n-render" ok - - "render @I@/v10.mkv -o out.mkv $m --background '#00ff00'" ;;
        seed-*)
            row "model-$n" fail "${name}unsupported ONNX model: the graph's inputs are .*Robust Video Matting has" - "mask @I@/img.png -o out.png $m"
            row "model-$n-bench" fail "${name}unsupported ONNX model: the graph's inputs are" - "bench inference $m --size 64x48 --runs 1" ;;
        hostile-*)
            case ${n#hostile-} in
            resize-scale-60) why="Resize.* (Matte allows for an input of|pixels a side)" ;;
            resize-sizes-huge|conv-pads-memory|expand-state-huge|broadcast-huge|layout-repeated) why="needs [0-9]+ MB .* Matte allows for an input of" ;;
            conv-weights-do-not-fit|conv-groups-overflow) why="Conv.* groups do not fit input" ;;
            conv-*-overflow) why="Conv.* has pads .* strides .* dilations" ;;
            pool-strides-overflow) why="AveragePool.* has strides" ;;
            split-overflow) why="Split.* splits 3 channels as" ;;
            slice-out-of-range) why="Slice.* to nothing" ;;
            slice-of-scalar) why="Slice.* slices a scalar" ;;
            expand-does-not-match) why="Expand.* broadcasts to" ;;
            name-newline) why="node 'two\\\\x0alines'" ;;
            mode-newline) why="'li\\\\x0anear'" ;;
            guided-split-no-input) why="node 'split' .Split." ;;
            fold-huge) why="Concat.* folds at most" ;;
            input-overwritten) why="Expand.* writes 'src', which is already a graph input" ;;
            foreground-one-pixel) why="the graph's foreground output 'fgr' is not" ;;
            *) why="" ;;
            esac
            row "${q}model-$n" fail "${name}(corrupt|unsupported) ONNX model: .*$why" - "mask @I@/img.png -o out.png $m"
            row "model-$n-render" fail "${name}(corrupt|unsupported) ONNX model: .*$why" - "render @I@/v10.mkv -o out.mkv $m"
            row "model-$n-bench" fail "${name}(corrupt|unsupported) ONNX model: .*$why" - "bench inference $m --size 64x48 --runs 1" ;;
        esac
    done
    for o in "--threshold 2" "--threshold -0.1" "--threshold nan" "--softness 2" "--smoothing 1.5" "--feather -1" \
             "--light-wrap 2" "--foreground-opacity 1.5" "--dilate abc" "--fit bogus" \
             "--background '#12345'" "--background '#gggggg'" "--background blur:0" "--background blur:101" \
             "--background blur:x" "--effect nope" "--effect colormap:nope" "--effect brightness:abc" "--effect opacity:2" \
             "--framing auto:5" "--framing zoom" "--framing auto:" "--framing auto:nan" \
             "--frobnicate" "--threshold" "-o"; do
        n=$(printf '%s' "$o" | tr -c 'a-zA-Z0-9.:-' '_' | sed 's/__*/_/g; s/^_//; s/_$//')
        q=; case $o in "--threshold 2"|"--fit bogus"|"--background '#12345'"|"--effect nope"|"--framing auto:5"|--frobnicate) q=+;; esac
        row "${q}opt$n" usage - - "render @I@/img.png -o out.png $o"
    done
    row "+opt-no-arguments" usage - - "render"
    row "opt-no-output" usage - - "render @I@/img.png"
    row "opt-empty-background" fail - - "render @I@/img.png -o out.png --background ''"
    row "opt-two-inputs" usage - - "render @I@/img.png @I@/img.jpg -o out.png"
    row "opt-mask-no-output" usage - - "mask @I@/img.png"
    row "opt-mask-extra-option" usage - - "mask @I@/img.png -o out.png --background blur"
    row "opt-unknown-subcommand" usage - - "frobnicate"
    # The live command: bad values are rejected (exit 64, one line naming the range) before any device opens.
    live="--camera @D@/no-camera --output @D@/no-loopback"   # each with timeout=10: a live run that got past the checks
    # "naming the allowed range": a range (1-120, 16x16 to 8192x8192) or a bound (the limit is 8192×8192).
    range='msg=[0-9]+((x|×)[0-9]+)? ?(-|–|—|to|and|\.\.|…) ?[0-9]|(limit|most|least|max|min|between|range)[^0-9]*[0-9]'
    row "+live-fps-0.5" usage "$range,timeout=10" - "live --fps 0.5 $live"
    row "live-fps-0.5-default-command" usage "$range,timeout=10" - "--fps 0.5 $live"
    row "live-fps-0" usage timeout=10 - "--fps 0 $live"
    row "live-fps-negative" usage timeout=10 - "--fps=-30 $live"
    row "+live-size-trailing-x" usage msg=size,timeout=10 - "--size 640x480x $live"
    row "live-size-plus-signs" usage msg=size,timeout=10 - "--size +640x+480 $live"
    row "live-size-odd" usage timeout=10 - "--size 641x480 $live"
    row "+live-size-huge" usage "$range,timeout=10" - "--size 99999x99999 $live"
    row "live-size-zero" usage "$range,timeout=10" - "--size 0x0 $live"
    row "live-size-words" usage msg=size,timeout=10 - "--size bigxsmall $live"
    row "live-output-size-huge" usage "$range,timeout=10" - "--output-size 99999x99999 $live"
    row "live-inference-rate-negative" usage timeout=10 - "--inference-rate=-1 $live"
    row "live-threshold" usage timeout=10 - "--threshold 2 $live"
    row "live-missing-camera" fail timeout=10 - "$live --always-on"
    row "+devices-to-dev-full" fail stdout=/dev/full - "devices"

    # ----- File names that are not UTF-8 (issue 16) ---------------------------------------------------------
    # Names are bytes. Each name below is made by printf in the case itself (so this table stays ASCII) and used
    # as the input, the output, the background, the foreground, the mask output, a clip's output, a picture
    # sequence and a settings file. A case passes only if matte reads and writes the file under its exact bytes:
    # a name read back as U+FFFD ("cannot open"), or written under another name (left behind), fails. Messages
    # must show the byte escaped (bad\xff.png). Every byte that can never be UTF-8 on its own (0x80-0xFF), then
    # overlong forms, surrogates, code points past U+10FFFF, lone continuation bytes, cut-short sequences, mixes
    # with valid UTF-8, and valid UTF-8 for the very characters Matte uses to carry such bytes (U+10FF80-U+10FFFF).
    nu() { printf '"$(printf '"'"'%s'"'"')"' "$1"; }   # nu 'in\xff.png' -> "$(printf 'in\xff.png')"
    for b in $(seq 128 255); do
        h=$(printf '%02x' "$b")
        q=; case $h in 80|c0|ff) q=+;; esac
        row "${q}nonutf8-$h-input" ok - "cp @I@/img.png $(nu "in\\x$h.png")" "render $(nu "in\\x$h.png") -o out.png"
        row "${q}nonutf8-$h-output" ok - - "render @I@/img.png -o $(nu "out\\x$h.png") --background none"
        row "${q}nonutf8-$h-background" ok - "cp @I@/bg.png $(nu "bg\\x$h.png")" \
            "render @I@/img.png -o out.png --background $(nu "bg\\x$h.png")"
    done
    for seq in 'c0\xaf' 'e0\x80\xaf' 'f0\x80\x80\xaf' 'ed\xa0\x80' 'f4\x90\x80\x80' 'f8\x88\x80\x80\x80' 'bf' \
        '80\x80\x80' 'e2\x82' 'f0\x9f\x98' 'mixed\xc3\xa9\xe9\xe2\x9c\x93' 'f4\x8f\xbf\xbf' 'f4\x8f\xbe\x80\xff'; do
        n=${seq//\\x/-}; bytes="\\x$seq"; case $seq in mixed*) bytes=$seq;; esac
        row "nonutf8-seq-$n-input" ok - "cp @I@/img.png $(nu "in$bytes.png")" "render $(nu "in$bytes.png") -o out.png"
        row "nonutf8-seq-$n-output" ok - - "render @I@/img.png -o $(nu "out$bytes.png")"
        row "nonutf8-seq-$n-background" ok - "cp @I@/bg.png $(nu "bg$bytes.png")" \
            "render @I@/img.png -o out.png --background $(nu "bg$bytes.png")"
        row "nonutf8-seq-$n-mask" ok - "cp @I@/img.png $(nu "in$bytes.png")" "mask $(nu "in$bytes.png") -o $(nu "m$bytes.png")"
    done
    for h in 80 a9 c3 e9 fe ff; do
        row "nonutf8-$h-foreground" ok - "cp @I@/fg.png $(nu "fg\\x$h.png")" \
            "render @I@/img.png -o out.png --foreground $(nu "fg\\x$h.png")"
        row "nonutf8-$h-mask-output" ok - - "mask @I@/img.png -o $(nu "mask\\x$h.png")"
        row "nonutf8-$h-video" ok - "cp @I@/v10.mkv $(nu "v\\x$h.mkv")" "render $(nu "v\\x$h.mkv") -o $(nu "o\\x$h.mkv") --background none"
        row "nonutf8-$h-video-background" ok - "cp @I@/bgvid.mkv $(nu "bv\\x$h.mkv")" \
            "render @I@/v10.mp4 -o out.mp4 --background $(nu "bv\\x$h.mkv")"
        row "nonutf8-$h-in-directory" ok - "mkdir $(nu "d\\x$h") && cp @I@/img.png $(nu "d\\x$h/in.png")" \
            "render $(nu "d\\x$h/in.png") -o $(nu "d\\x$h/out.png")"
    done
    row "+nonutf8-png-sequence" ok seq=10 "mkdir $(nu 'f\xff')" "render @I@/v10.mkv -o $(nu 'f\xff/%%03d.png') --background none"
    row "nonutf8-png-sequence-name" ok seq=10 - "render @I@/v10.mkv -o $(nu 'f\xfe%%03d.png') --background none"
    row "nonutf8-out-is-input" fail - "cp @I@/img.png $(nu 'in\xff.png')" "render $(nu 'in\xff.png') -o $(nu './in\xff.png')"
    # Refusals name the file with the byte escaped, never the replacement character.
    row "+nonutf8-missing-input-named" fail 'msg=miss[\]xff[.]png' - "render $(nu 'miss\xff.png') -o out.png"
    row "nonutf8-missing-background-named" fail 'msg=miss[\]xfe[.]png' - "render @I@/img.png -o out.png --background $(nu 'miss\xfe.png')"
    row "nonutf8-missing-foreground-named" fail 'msg=miss[\]x80[.]png' - "render @I@/img.png -o out.png --foreground $(nu 'miss\x80.png')"
    row "nonutf8-missing-dir-named" fail 'msg=no[\]xc3dir' - "mask @I@/img.png -o $(nu 'no\xc3dir/m.png')"
    row "nonutf8-control-chars-escaped" fail 'msg=miss[\]x1b[\]x07[\]xff' - "render $(nu 'miss\x1b\x07\xff.png') -o out.png"
    # The live command's settings file: read by its exact name, and named escaped in the refusal (exit 64).
    row "+nonutf8-settings-file" usage "msg=s[\\]xff[.]conf:1,timeout=10" "printf -- '--threshold 2\\n' >$(nu 's\xff.conf')" \
        "live --settings $(nu 's\xff.conf') $live"
    row "nonutf8-settings-file-missing" usage "msg=s[\\]xfe[.]conf,timeout=10" - "live --settings $(nu 's\xfe.conf') $live"

    # Issue 16 (fix-media). A file size limit: one line naming it, no temporary left (it was SIGXFSZ, exit 153).
    fsize='msg=file size limit.*ulimit -f'
    row "+fsize-limit-mkv" fail "fsize=20,$fsize" - "render @I@/long.mkv -o out.mkv --background none"
    row "fsize-limit-mp4" fail "fsize=20,$fsize" - "render @I@/long.mkv -o out.mp4 --background none"
    row "fsize-limit-y4m" fail "fsize=50,$fsize" - "render @I@/long.mkv -o out.y4m --background none"
    row "fsize-limit-png-seq" fail "fsize=50,$fsize" "mkdir frames" "render @I@/long.mkv -o frames/%04d.png --background none"
    row "fsize-limit-png" fail "fsize=100,$fsize" - "render @I@/noise.png -o out.png --background none"
    # Anamorphic video keeps its pixel shape (a WebM stores a display size in whole pixels: 93:64, not 16:11).
    for o in mkv mp4; do
        q=; [ $o = mkv ] && q=+
        row "${q}anamorphic-to-$o" ok stream=sample_aspect_ratio=16:11 - "render @I@/anamorphic.mkv -o out.$o --background none"
    done
    row "anamorphic-blur" ok stream=sample_aspect_ratio=16:11 - "render @I@/anamorphic.mkv -o out.mkv --background blur"
    # HDR and BT.709: the stream's matrix is honoured (a flat colour survives as ffmpeg reads it: BT.601 was off by
    # 4-16 levels), the primaries and transfer are tagged, and HDR says it is not tone-mapped.
    for c in red green blue; do
        q=; [ $c = green ] && q=+
        row "${q}hdr-pq-$c" ok "colour=4,stream=color_primaries=bt2020/color_transfer=smpte2084,warn=tone" - "render @I@/hdr-pq-$c.mkv -o out.mkv --background none"
    done
    row "hdr-hlg-to-mp4" ok "colour=4,stream=color_primaries=bt2020/color_transfer=arib-std-b67,warn=tone" - "render @I@/hdr-hlg.mp4 -o out.mp4 --background none"
    row "hdr-pq-to-webm" ok "colour=4,warn=tone" - "render @I@/hdr-pq-green.mkv -o out.webm --background none"
    row "bt709-colour" ok "colour=4,stream=color_primaries=bt709/color_transfer=bt709,nowarn" - "render @I@/bt709.mkv -o out.mkv --background none"
    # Interlaced input comes out deinterlaced: every frame, tagged progressive, no combing by ffmpeg's idet.
    for p in tff bff; do
        q=; [ $p = tff ] && q=+
        row "${q}interlaced-$p" ok "progressive,stream=field_order=progressive" - "render @I@/interlaced-$p.mkv -o out.mkv --background none"
    done
    row "interlaced-to-mp4-blur" ok "progressive" - "render @I@/interlaced-tff.mkv -o out.mp4 --background blur"
    row "interlaced-as-background" ok - - "render @I@/v10.mkv -o out.mkv --background @I@/interlaced-tff.mkv"
    # A size change mid-stream: every frame at the first size; as a background, followed.
    row "+sizechange-ts-follows" ok "frames=8,size=64x48,warn=frame size" - "render @I@/sizechange.ts -o out.mkv --background '#00ff00'"
    row "+sizechange-as-background" ok - - "render @I@/v10.mkv -o out.mkv --background @I@/sizechange.ts"
    row "sizechange-as-background-contain" ok - - "render @I@/long.mkv -o out.mkv --background @I@/sizechange.ts --fit contain"
    # Messages that say what is wrong: an edit list is not damage; animated WebP and Lab/float TIFF are named.
    row "+edit-list-mp4" ok nowarn - "render @I@/edit.mp4 -o out.mkv --background none"
    row "edit-list-mp4-to-mp4" ok nowarn - "render @I@/edit.mp4 -o out.mp4 --background '#00ff00'"
    row "+anim-webp-named" fail 'msg=animated WebP.*not supported' - "render @I@/anim.webp -o out.mkv"
    row "anim-webp-named-background" fail 'msg=animated WebP.*not supported' - "render @I@/img.png -o out.png --background @I@/anim.webp"
    row "+tiff-lab-named" fail 'msg=TIFF in Lab.*not supported' - "render @I@/lab.tiff -o out.png"
    row "tiff-float-named" fail 'msg=TIFF in floating-point.*not supported' - "mask @I@/float.tiff -o out.png"
    # Out of memory (ulimit -v): each command under limits from the address space matte needs to start up to
    # enough for the work. It succeeds, or says in one line that memory ran out; never a trap ("failed to
    # allocate"), a library's own log line, a message blaming the input, or a partial file.
    if [ "$vmem_floor" -gt 0 ]; then
        for extra in 0 5 10 15 20 30 40 50 60 70 80 100 120 140 160 180 200 250 300 350 400 450 500 600 700; do
            v="vmem=$((vmem_floor + extra * 1024)),msg=memory,timeout=300"
            row "vmem-$extra-4k-blur-mp4" any "$v" - "render @I@/4k60.mp4 -o out.mp4 --background blur"
            row "vmem-$extra-4k-webm" any "$v" - "render @I@/4k60.mp4 -o out.webm --background '#00ff00' --mirror"
            row "vmem-$extra-4k-framing-fg" any "$v" - "render @I@/4k60.mp4 -o out.mkv --framing auto --foreground @I@/fg.png"
            row "vmem-$extra-4k-png" any "$v" - "render @I@/4k.png -o out.png --background blur"
            row "vmem-$extra-4k-mask" any "$v" - "mask @I@/4k.png -o out.png"
            row "vmem-$extra-4k-background" any "$v" - "render @I@/hd.mkv -o out.mkv --background @I@/4k60.mp4"
            row "vmem-$extra-hd-y4m" any "$v" - "render @I@/hd.mkv -o out.y4m --background blur"
        done
    fi
} >"$W/cases.all"

if [ "$quick" = 1 ]; then grep '^+' "$W/cases.all" >"$W/cases"; else cp "$W/cases.all" "$W/cases"; fi
if [ -n "${HOSTILE_ONLY:-}" ]; then
    while IFS= read -r l; do n=${l%% *}; [[ "${n#+}" =~ $HOSTILE_ONLY ]] && printf '%s\n' "$l"; done <"$W/cases" >"$W/cases.only"
    mv "$W/cases.only" "$W/cases"
fi
dups=$(sed -E 's/^\+?([^ ]+).*/\1/' "$W/cases.all" | sort | uniq -d)
[ -n "$dups" ] && { echo "hostile: duplicate case names: $dups" >&2; exit 1; }

total=$(wc -l <"$W/cases")
echo "hostile: $total cases (inputs built in ${gen_time}s), $jobs_n at a time"
# The slow cases (signals, bombs) first so that they overlap the many short ones.
{ grep -E '^\+?(signal|bomb)' "$W/cases"; grep -vE '^\+?(signal|bomb)' "$W/cases"; } |
    tr '\n' '\0' | xargs -0 -P "$jobs_n" -n 1 bash "$here/$(basename "$0")" --case

passed=$(cat "$W"/res/* 2>/dev/null | grep -c '^PASS')
failed=$(cat "$W"/res/* 2>/dev/null | grep -c '^FAIL')
skipped=$(cat "$W"/res/* 2>/dev/null | grep '^SKIP')
[ -n "$skipped" ] && printf '%s\n' "$skipped" | sed 's/^/hostile: note: /'
missing=$(( total - passed - failed - $(printf '%s' "$skipped" | grep -c '^SKIP') ))
if [ "$missing" -gt 0 ]; then echo "hostile: $missing cases left no result (the runner itself failed)"; failed=$((failed + missing)); fi
echo "hostile: $(( $(date +%s) - started ))s; slowest: $(cat "$W"/time/* 2>/dev/null | sort -rn | head -5 | awk '{ printf "%s%s %.1fs", (NR > 1 ? ", " : ""), $2, $1 / 1000 }')"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
