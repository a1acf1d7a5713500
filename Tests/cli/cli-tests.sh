#!/usr/bin/env bash
# Runs the built `matte` binary as a user would: good input gives files, bad input a one-line reason and a
# non-zero exit. Usage: Tests/cli/cli-tests.sh [MATTE_BINARY] (default .build/debug/matte).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
# Absolute: some checks run it from another directory.
matte=$(realpath "${1:-$repo/.build/debug/matte}")
fixtures="$repo/Tests/Fixtures"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
passed=0; failed=0

check() {  # check NAME CONDITION...
    local name=$1; shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; fi
}

# run EXPECTED_STATUS ARGS...: runs matte, keeps stdout/stderr in $scratch/out and $scratch/err.
run() {
    local expected=$1; shift
    "$matte" "$@" >"$scratch/out" 2>"$scratch/err"
    local status=$?
    [ "$expected" = nonzero ] && { [ $status -ne 0 ]; return; }
    [ $status -eq "$expected" ]
}
# one_line_naming [--] PATTERN: stderr is one line matching PATTERN (a grep regex; -- before one that starts with a dash).
one_line_naming() { [ "$1" = -- ] && shift; [ "$(wc -l <"$scratch/err")" -eq 1 ] && grep -q -- "$1" "$scratch/err"; }
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

# A mask of a real photo, as a gray PNG at the photo's size (ffprobe is the independent reader).
check "mask of a JPEG" run 0 mask "$fixtures/astronaut.jpg" -o "$scratch/mask.png"
check "mask is a PNG" is_png "$scratch/mask.png"
check "mask is 512x512 gray" test "$(ffprobe -v error -show_entries stream=width,height,pix_fmt -of csv=p=0 "$scratch/mask.png")" = "512,512,gray"
# The person is in the middle of the photo, the top-right corner is background.
ffmpeg -v error -i "$scratch/mask.png" -f rawvideo -pix_fmt gray "$scratch/mask.gray"
centre=$(od -An -tu1 -j $((300 * 512 + 230)) -N1 "$scratch/mask.gray" | tr -d ' ')
corner=$(od -An -tu1 -j $((20 * 512 + 500)) -N1 "$scratch/mask.gray" | tr -d ' ')
check "person is white" test "$centre" -ge 200
check "background is black" test "$corner" -le 30
check "mask of a 16:9 PNG with the landscape model" run 0 mask "$fixtures/astronaut-1280x720.png" -o "$scratch/wide.png" --model landscape

check "missing image fails" run nonzero mask /nonexistent/photo.jpg -o "$scratch/x.png"
check "missing image is named" one_line_naming "/nonexistent/photo.jpg"
printf 'not an image at all' >"$scratch/bad.jpg"
check "corrupt image fails" run nonzero mask "$scratch/bad.jpg" -o "$scratch/x.png"
check "corrupt image is named" one_line_naming "$scratch/bad.jpg"
check "no output for bad input" test ! -e "$scratch/x.png"
check "corrupt model fails" run nonzero mask "$fixtures/astronaut.jpg" -o "$scratch/x.png" --model "$fixtures/astronaut.png"
check "corrupt model is named" one_line_naming "corrupt model"
head -c 100000 "${MATTE_MODELS_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/matte/models}/selfie_segmentation.tflite" >"$scratch/cut.tflite"
check "truncated model fails" run nonzero mask "$fixtures/astronaut.jpg" -o "$scratch/x.png" --model "$scratch/cut.tflite"
check "truncated model is named" one_line_naming "$scratch/cut.tflite"
# without_system_models CMD...: CMD with the system model directories looking empty. scripts/install.sh puts the
# package's models in /usr/share/matte/models; a private mount namespace (root) hides them from CMD alone.
system_models=(/usr/share/matte/models /usr/local/share/matte/models)
without_system_models() {
    local installed=0 d
    for d in "${system_models[@]}"; do [ -d "$d" ] && installed=1; done
    [ "$installed" = 0 ] && { "$@"; return; }
    # shellcheck disable=SC2016  # expanded by the inner bash
    unshare -m --propagation private bash -c 'for d in /usr/share/matte/models /usr/local/share/matte/models; do
        [ ! -d "$d" ] || mount -t tmpfs none "$d" || exit 99; done; exec "$@"' bash "$@"
}
uninstalled() { ! without_system_models env MATTE_MODELS_DIR=/nonexistent HOME=/nonexistent XDG_DATA_HOME= \
    "$matte" mask "$fixtures/astronaut.jpg" -o "$scratch/x.png" --model general 2>"$scratch/err" >/dev/null; }
if [ ! -d /usr/share/matte/models ] && [ ! -d /usr/local/share/matte/models ] || unshare -m true 2>/dev/null; then
    check "uninstalled model fails" uninstalled
    check "uninstalled model says how to install" one_line_naming "scripts/setup-models.sh"
else
    echo "cli: models installed system-wide and no mount namespace to hide them (not root): uninstalled-model checks skipped"
fi
check "unwritable output fails" run nonzero mask "$fixtures/astronaut.jpg" -o /nonexistent-dir/mask.png
check "unwritable output is named" one_line_naming "/nonexistent-dir/mask.png"
check "unknown option fails" run nonzero mask "$fixtures/astronaut.jpg" -o "$scratch/y.png" --frobnicate
check "unknown option is named" grep -q -- "--frobnicate" "$scratch/err"

check "bench inference runs" run 0 bench inference --model general --runs 5
check "bench prints median, p10 and cpu" grep -Eq "median [0-9.]+ ms, p10 [0-9.]+ ms, cpu [0-9.]+ ms" "$scratch/out"
check "bench rejects zero runs" run nonzero bench inference --runs 0

# --- matte render ---------------------------------------------------------------------------------
# Pixel of a picture at (x, y) as "R G B", decoded by ffmpeg (the independent reader).
pixel() {  # pixel FILE X Y
    ffmpeg -v error -i "$1" -vf "crop=1:1:$2:$3" -frames:v 1 -f rawvideo -pix_fmt rgb24 - | od -An -tu1 | xargs
}
near() {  # near "R G B" "R G B" TOLERANCE
    local a=($1) b=($2)
    for i in 0 1 2; do [ $(( ${a[i]} - ${b[i]} )) -le "$3" ] && [ $(( ${b[i]} - ${a[i]} )) -le "$3" ] || return 1; done
}
photo="$fixtures/astronaut-1280x720.png"
check "render a photo over a colour" run 0 render "$photo" -o "$scratch/green.png" --background "#00c000"
check "background becomes the colour" near "$(pixel "$scratch/green.png" 60 60)" "0 192 0" 4
check "background far right too" near "$(pixel "$scratch/green.png" 1220 650)" "0 192 0" 4
check "the person keeps the photo" near "$(pixel "$scratch/green.png" 600 400)" "$(pixel "$photo" 600 400)" 6
check "the face keeps the photo" near "$(pixel "$scratch/green.png" 590 150)" "$(pixel "$photo" 590 150)" 6

# A 30 fps clip over a 10 fps background clip whose frame k has luma Y = 40 + 50·k: the background advances
# every 3 output frames.
ffmpeg -v error -f lavfi -i "color=black:s=64x36:r=10:d=1" -vf "geq=lum='min(40+N*50\,240)':cb=128:cr=128" -pix_fmt yuv420p "$scratch/steps.mkv"
ffmpeg -v error -loop 1 -framerate 30 -i "$photo" -frames:v 12 -pix_fmt yuv420p "$scratch/input.mkv"
check "render a clip over a video" run 0 render "$scratch/input.mkv" -o "$scratch/paced.mkv" --background "$scratch/steps.mkv"
check "output has every input frame" test "$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$scratch/paced.mkv")" = 12
lumas=$(ffmpeg -v error -i "$scratch/paced.mkv" -vf "crop=2:2:8:8,scale=1:1" -f rawvideo -pix_fmt gray - | od -An -tu1 -v | xargs)
steps() {  # clip frame per output frame 0 0 0 1 1 1 2 2 2 3 3 3; ffmpeg's grey is full range: (Y − 16) · 255 / 219, ±6
    local expected=(0 0 0 1 1 1 2 2 2 3 3 3) got=($lumas) i
    [ ${#got[@]} -eq 12 ] || return 1
    for i in "${!expected[@]}"; do
        local want=$(( (40 + expected[i] * 50 - 16) * 255 / 219 ))
        [ $(( got[i] - want )) -le 6 ] && [ $(( want - got[i] )) -le 6 ] || return 1
    done
}
check "video background is paced (10 fps in 30 fps): $lumas" steps

# An animated GIF as the background and a WebM as the input: FFmpeg's formats, not just MP4.
ffmpeg -v error -f lavfi -i "testsrc=size=160x90:rate=5:d=1" "$scratch/anim.gif"
ffmpeg -v error -loop 1 -framerate 10 -i "$photo" -frames:v 4 -c:v libvpx-vp9 -deadline realtime -pix_fmt yuv420p "$scratch/input.webm"
check "render a WebM over a GIF" run 0 render "$scratch/input.webm" -o "$scratch/gif.mkv" --background "$scratch/anim.gif" --fit stretch
check "the GIF render has every frame" test "$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$scratch/gif.mkv")" = 4

for output in out.y4m out.webm out.mp4; do
    check "render writes $output" run 0 render "$scratch/input.mkv" -o "$scratch/$output" --background blur:8 --effect sepia
    check "$output has 12 frames" test "$(ffprobe -v error -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$scratch/$output")" = 12
done
mkdir "$scratch/frames"
check "render writes a PNG sequence" run 0 render "$scratch/input.mkv" -o "$scratch/frames/%03d.png" --effect hologram --mirror
check "one PNG per frame" test "$(ls "$scratch/frames" | wc -l)" = 12
check "progress shows on a terminal" script -qec "$matte render $scratch/input.mkv -o $scratch/tty.mkv" "$scratch/typescript" >/dev/null
check "progress line names frames" grep -q "render: frame" "$scratch/typescript"

check "bad colour fails" run nonzero render "$photo" -o "$scratch/bad.mkv" --background "#12345"
check "bad colour is named" grep -q "#12345" "$scratch/err"
check "missing background fails" run nonzero render "$photo" -o "$scratch/bad.mkv" --background /nonexistent/beach.jpg
check "missing background is named" one_line_naming "/nonexistent/beach.jpg"
printf 'hello' >"$scratch/notes.txt"
check "unreadable background fails" run nonzero render "$photo" -o "$scratch/bad.mkv" --background "$scratch/notes.txt"
check "unreadable background is named" one_line_naming "notes.txt"
: >"$scratch/empty.mp4"
check "zero-length video fails" run nonzero render "$scratch/empty.mp4" -o "$scratch/bad.mkv"
check "zero-length video is named" one_line_naming "empty.mp4"
check "zero-length background fails" run nonzero render "$photo" -o "$scratch/bad.mkv" --background "$scratch/empty.mp4"
check "unwritable render output fails" run nonzero render "$photo" -o /nonexistent-dir/out.mkv
check "unwritable render output is named" one_line_naming "/nonexistent-dir/out.mkv"
check "unknown output format fails" run nonzero render "$photo" -o "$scratch/out.qqq"
check "bad effect fails" run nonzero render "$photo" -o "$scratch/bad.mkv" --effect sparkles
check "nothing half-written is left" test -z "$(ls -A "$scratch" | grep -E 'bad\.mkv|partial|out\.qqq')"

# Capture options a file makes moot are named once each, with what happens instead (the output then fails: no device).
check "--size with --input: one warning, then the device's error" run 1 live --input "$photo" --size 640x360 \
    --output /dev/nonexistent-video
check "the warning names the option, the file's own size and --output-size" grep -qx \
    "matte: warning: --size 640x360 is for cameras: $photo plays at its own size, 1280x720; --output-size sets the virtual camera's" \
    "$scratch/err"
check "--size at the file's own size is not warned about" run 1 live --input "$photo" --size 1280x720 \
    --output /dev/nonexistent-video
check "so the one line is the device's" one_line_naming "/dev/nonexistent-video"
check "--fps with a video: one warning" run 1 live --input "$scratch/input.mkv" --fps 12 --output /dev/nonexistent-video
check "naming the video's own rate" grep -qx \
    "matte: warning: --fps 12 does not change a video's rate: $scratch/input.mkv plays at its own 30 fps" "$scratch/err"
check "--fps with a picture is its rate: no warning" run 1 live --input "$photo" --fps 12 --output /dev/nonexistent-video
check "so the one line is the device's" one_line_naming "/dev/nonexistent-video"

# Configuration files: read before the command line, which overrides them; a bad line is named by file and line
# before any device is touched; `matte config` shows each value with its source.
export XDG_CONFIG_HOME="$scratch/config-home"
mkdir -p "$XDG_CONFIG_HOME/matte"
printf -- '# my camera\n--background #00ff00\n--fps 500 --effect sepia\n--background blur\n' >"$XDG_CONFIG_HOME/matte/config"
check "a bad config value fails before any device" run 64 live --input "$photo" --output /dev/nonexistent-video
check "and names the file and line" one_line_naming "config $XDG_CONFIG_HOME/matte/config:3: --fps"
check "the command line overrides the config" run 1 live --fps 30 --input "$photo" --output /dev/nonexistent-video
check "so the error is the device's" one_line_naming "/dev/nonexistent-video"
check "matte config fails on the bad line" run 1 config
check "matte config lists values with file and line" grep -q -- "^--effect sepia .*# $XDG_CONFIG_HOME/matte/config:3$" "$scratch/out"
check "matte config shows what is overridden" grep -q -- "^# --background #00ff00 .*config:2, overridden by .*config:4$" "$scratch/out"
printf -- '--background blur\n--bogus-option\n' >"$XDG_CONFIG_HOME/matte/config"
check "an unknown option in the config fails" run 64 live --input "$photo"
check "and is named with its line" one_line_naming "config:2: Unknown option '--bogus-option'"
printf -- '--effect hologram\n' >"$XDG_CONFIG_HOME/matte/config"
check "a good config passes matte config" run 0 config
check "matte config --edit runs the editor on the user file" env EDITOR="sh -c 'echo --mirror >> \"\$0\"'" "$matte" config --edit >"$scratch/out" 2>"$scratch/err"
check "and the edit is in the file" grep -q -- "^--mirror$" "$XDG_CONFIG_HOME/matte/config"
# Hostile configuration files: each is refused in one line naming it, at once (a FIFO or device would block a
# read forever), and matte touches no device.
hostile_config() {  # hostile_config NAME: $XDG_CONFIG_HOME/matte/config is already the hostile thing
    timeout 10 "$matte" live --input "$photo" --output /dev/nonexistent-video >"$scratch/out" 2>"$scratch/err"
    local status=$?
    [ "$status" -eq 64 ] && one_line_naming "$XDG_CONFIG_HOME/matte/config" && ! grep -q nonexistent-video "$scratch/err"
}
config=$XDG_CONFIG_HOME/matte/config
rm -f "$config"; mkfifo "$config"
check "a FIFO as config is refused, not read" hostile_config
rm -f "$config"; mkdir "$config"
check "a directory as config is refused" hostile_config
rmdir "$config"; ln -s /dev/zero "$config"
check "a device behind a symlink as config is refused" hostile_config
rm -f "$config"; head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' '#' >"$config"
check "a 2 MB config is refused" hostile_config
head -c 4096 /dev/urandom >"$config"; printf '\xff\xfe--mirror\n' >>"$config"
check "a config of random bytes is refused" hostile_config
# Issue 16: a 100 KB file of NULs is one word; the error quotes at most its first 80 characters, escaped.
head -c 100000 /dev/zero >"$config"
check "a config of NULs is refused" hostile_config
check "in a short line" test "$(wc -c <"$scratch/err")" -le 600
check "naming file and line, the NULs escaped" one_line_naming "config $config:1: .*\\\\x00\\\\x00.*…"
{ printf -- '--fit cover\n\x01\x1b[2J'; head -c 300 /dev/zero | tr '\0' x; printf '\n'; } >"$config"
"$matte" config >"$scratch/out" 2>"$scratch/err"
check "a long bad word is quoted briefly, control characters escaped" one_line_naming "config $config:2: .*\\\\x01\\\\x1b\\[2Jxxx*…"
check "(short)" test "$(wc -c <"$scratch/err")" -le 600
# A config naming a picture whose name is not UTF-8: read as file names are, shown escaped.
cp "$photo" "$(printf '%s/bg\xff.png' "$scratch")"
printf -- '--background %s\n' "$(printf '%s/bg\xff.png' "$scratch")" >"$config"
check "a config naming a non-UTF-8 file is accepted" run 0 config
check "and lists it escaped" grep -q -- "^--background $scratch/bg\\\\xff.png " "$scratch/out"
rm -f "$config"
# Issue 14: XDG_CONFIG_HOME naming a file: one line naming the path and the problem, not Foundation's error.
: >"$scratch/a-file"
XDG_CONFIG_HOME=$scratch/a-file EDITOR=true "$matte" config --edit >"$scratch/out" 2>"$scratch/err"; status=$?
check "config --edit under a file fails" test "$status" -eq 1
check "naming it and the problem" one_line_naming "$scratch/a-file is not a directory"
check "in plain words" test -z "$(grep -E 'NSCocoa|UserInfo|Code=' "$scratch/err")"
unset XDG_CONFIG_HOME
# Issue 15: an empty or relative HOME (or XDG_CONFIG_HOME) is ignored for the passwd entry's home, and a home
# that does not exist is never created.
passwd_home=$(getent passwd "$(id -u)" | cut -d: -f6)
mkdir "$scratch/cwd"
for home in "" relative/home; do
    (cd "$scratch/cwd" && HOME=$home XDG_CONFIG_HOME=$home "$matte" config >"$scratch/out" 2>"$scratch/err")
    check "HOME='$home' means the passwd home" grep -qx -- "# $passwd_home/.config/matte/config\( (not present)\)\?" "$scratch/out"
done
check "and nothing is made where the command runs" test -z "$(ls -A "$scratch/cwd")"
HOME=$scratch/no-such-home EDITOR=true "$matte" config --edit >"$scratch/out" 2>"$scratch/err"; status=$?
check "config --edit with a missing home fails" test "$status" -eq 1
check "naming the home" one_line_naming "home directory $scratch/no-such-home does not exist"
check "and does not create it" test ! -e "$scratch/no-such-home"
mkdir "$scratch/home"
edit_in_home() { HOME="$scratch/home" EDITOR=true "$matte" config --edit >"$scratch/out" 2>"$scratch/err"; }
check "config --edit makes .config/matte under an existing home" edit_in_home
check "(the file is there)" test -f "$scratch/home/.config/matte/config"
check "(the folders are private)" test "$(stat -c %a "$scratch/home/.config/matte")" = 700

# matte ctl, as far as it goes without a running matte (Tests/e2e/control.sh drives a real one): values are
# checked before connecting, with the command line's own messages, and a missing or broken server never hangs it.
export XDG_RUNTIME_DIR=$scratch/run
mkdir -m 700 "$XDG_RUNTIME_DIR"
check "ctl with no matte running fails" run 1 ctl status
check "ctl says none is running" one_line_naming "no matte is running"
check "ctl set threshold 2 is a usage error" run 64 ctl set threshold 2
check "with the command line's message" one_line_naming -- "--threshold must be between 0 and 1"
check "ctl set of a live-only option is refused" run 64 ctl set camera /dev/video0
check "naming what can be set" one_line_naming "cannot be set while running; use one of: background"
check "ctl set model needs a restart" run 1 ctl set model general
check "ctl set mirror takes on or off" run 64 ctl set mirror maybe
check "ctl background blur:500 is refused" run 64 ctl background blur:500
check "ctl background of a missing file names it" run 64 ctl background "$scratch/none.jpg"
check "by its absolute path" one_line_naming "$scratch/none.jpg"
mkfifo "$scratch/fifo.png"
check "ctl background of a FIFO is refused" run 64 ctl background "$scratch/fifo.png"
# Issue 16: names that are not UTF-8 are checked under their own bytes and named escaped.
check "ctl background of a missing non-UTF-8 name is refused" run 64 ctl background "$(printf '%s/none\xff.jpg' "$scratch")"
check "naming it escaped" one_line_naming "$scratch/none\\\\xff.jpg"
cp "$photo" "$(printf '%s/pic\xfe.png' "$scratch")"
check "ctl background of an existing non-UTF-8 name passes the check" run 1 ctl background "$(printf '%s/pic\xfe.png' "$scratch")"
check "(and only finds no matte)" one_line_naming "no matte is running"
check "ctl snapshot wants a .png name" run 64 ctl snapshot "$scratch/snap.jpg"
check "ctl effect of an unknown effect is refused" run 64 ctl effect sparkles
check "ctl of an unknown verb is a usage error" run 64 ctl dance
# Negative values are values, not options: they pass the check and go on to the (missing) matte.
for value in "dilate -5" "dilate -50" "threshold -0" "feather 0" "foreground none"; do
    # shellcheck disable=SC2086  # the option and its value
    check "ctl set $value is accepted and sent" run 1 ctl set $value
    check "ctl set $value: only the missing matte is the problem" one_line_naming "no matte is running"
done
check "ctl set dilate -51 is refused" run 64 ctl set dilate -51
check "naming the range" one_line_naming -- "--dilate must be between -50 and 50"
check "ctl set threshold -0.0001 is refused" run 64 ctl set threshold -0.0001
check "naming its range" one_line_naming -- "--threshold must be between 0 and 1"
check "ctl set dilate with no value is a usage error" run 64 ctl set dilate
check "ctl set dilate with two values is a usage error" run 64 ctl set dilate 1 2
check "ctl set -- dilate -5 still works" run 1 ctl set -- dilate -5
# Every processing option of the command line can be set while running, and nothing else (model needs a restart).
render_options=$("$matte" render --help | grep -oE '^ +--[a-z-]+' | grep -v -- '--no-' | tr -d ' -' | sort -u)
settable=$(printf '%s\n' model $("$matte" ctl set --help | tr -d ',.' | sed -n '/^Options:/,/^$/p' | sed 's/^Options://') | tr -d '-' | sort -u)
check "ctl set covers every processing option" test "$render_options" = "$(printf '%s\nversion\n' "$settable" | sort -u)"
live_options=$("$matte" live --help | grep -oE '^ +--[a-z-]+' | grep -v -- '--no-' | tr -d ' -' | sort -u)
check "matte live takes every option ctl set changes" test -z "$(comm -23 <(echo "$settable") <(echo "$live_options"))"
env -u XDG_RUNTIME_DIR "$matte" ctl status >"$scratch/out" 2>"$scratch/err"; status=$?
check "ctl without XDG_RUNTIME_DIR fails" test "$status" -eq 1
check "saying what is missing" one_line_naming "XDG_RUNTIME_DIR is not set"
# A server that accepts and then says nothing, one that sends garbage, and one whose snapshot is cut short: the
# client gives up within its timeout with one line (a hung matte must not hang a keyboard shortcut).
fake_server() {  # fake_server MODE: a stand-in matte on the control socket for one connection
    mkdir -p -m 700 "$XDG_RUNTIME_DIR/matte"; rm -f "$XDG_RUNTIME_DIR/matte/control"
    python3 - "$XDG_RUNTIME_DIR/matte/control" "$1" <<'PY' &
import socket, sys, time
server = socket.socket(socket.AF_UNIX); server.bind(sys.argv[1]); server.listen(1)
client, _ = server.accept()
client.recv(100)
mode = sys.argv[2]
if mode == "garbage":
    client.sendall(b"\x00\xff garbage\n")
elif mode == "snapshot":
    client.sendall(b"ok matte-ctl 1 matte 0\n"); client.recv(100)
    client.sendall(b"ok snapshot 64 36 yuyv 4608\n" + b"\x80" * 100); time.sleep(1); client.close()
elif mode == "whole-snapshot":
    client.sendall(b"ok matte-ctl 1 matte 0\n"); client.recv(100)
    client.sendall(b"ok snapshot 64 36 yuyv 4608\n" + b"\x80" * 4608); time.sleep(1); client.close()
elif mode == "record":  # keeps the request line, then accepts it as the real server would
    client.sendall(b"ok matte-ctl 1 matte 0\n")
    line = b""
    while not line.endswith(b"\n"):
        line += client.recv(4096)
    open(sys.argv[1] + ".request", "wb").write(line)
    client.sendall(b"ok " + line.rstrip(b"\n")); client.sendall(b"\n"); time.sleep(1); client.close()
time.sleep(8)
PY
    fake_pid=$!
    for _ in $(seq 50); do [ -S "$XDG_RUNTIME_DIR/matte/control" ] && break; sleep 0.1; done
}
fake_server silent; started=$SECONDS
check "a silent server: ctl fails" run 1 ctl status
check "within its timeout" test $((SECONDS - started)) -le 7
check "saying so" one_line_naming "did not answer"
kill $fake_pid 2>/dev/null; wait $fake_pid 2>/dev/null
fake_server garbage
check "a garbage reply: ctl fails" run 1 ctl status
kill $fake_pid 2>/dev/null; wait $fake_pid 2>/dev/null
fake_server snapshot
check "a cut-short snapshot: ctl fails" run 1 ctl snapshot "$scratch/snap.png"
check "and writes no file" test ! -e "$scratch/snap.png"
kill $fake_pid 2>/dev/null; wait $fake_pid 2>/dev/null
# Issue 16: the snapshot lands under its exact name; a background path crosses the socket and comes back intact
# (the protocol is UTF-8: a byte that is not is carried as U+10FF00 + byte, docs/control-protocol.md).
snap=$(printf '%s/snap\xff.png' "$scratch")
fake_server whole-snapshot
check "a snapshot to a non-UTF-8 name" run 0 ctl snapshot "$snap"
check "is written under that name" is_png "$snap"
check "and printed escaped" grep -q "snap\\\\xff.png: 64x36" "$scratch/out"
kill $fake_pid 2>/dev/null; wait $fake_pid 2>/dev/null
fake_server record
check "ctl background of a non-UTF-8 name reaches the server" run 0 ctl background "$(printf '%s/pic\xfe.png' "$scratch")"
check "as U+10FFFE in UTF-8" test "$(od -An -tx1 "$XDG_RUNTIME_DIR/matte/control.request" | tr -d ' \n')" \
    = "$(printf 'background %s/pic\xf4\x8f\xbf\xbe.png\n' "$scratch" | od -An -tx1 | tr -d ' \n')"
check "and its reply is printed escaped" grep -q "pic\\\\xfe.png" "$scratch/out"
kill $fake_pid 2>/dev/null; wait $fake_pid 2>/dev/null
unset XDG_RUNTIME_DIR

# matte-preview (built beside matte) needs the control client and the loopback reader, not the pipeline: it must
# not load XNNPACK nor link the pipeline's modules (Package.swift). SDL in its ldd and MatteControl in its
# symbols show that ldd and nm read it.
preview=$(dirname "$matte")/matte-preview
ldd "$preview" >"$scratch/ldd-preview" 2>&1
nm "$preview" >"$scratch/nm-preview" 2>&1
check "ldd matte-preview lists SDL" grep -q libSDL2 "$scratch/ldd-preview"
check "matte-preview does not load XNNPACK or pthreadpool" test -z "$(grep -E 'libXNNPACK|libpthreadpool' "$scratch/ldd-preview")"
# libavfilter's tree (33 libraries, ~11 MB resident) is opened only when a file needs deinterlacing.
ldd "$matte" >"$scratch/ldd-matte" 2>&1
check "ldd matte lists FFmpeg's decoders" grep -q libavcodec "$scratch/ldd-matte"
check "matte does not load libavfilter at start" test -z "$(grep libavfilter "$scratch/ldd-matte")"
check "matte-preview links the control client" grep -q 12MatteControl "$scratch/nm-preview"
check "matte-preview links no pipeline, segmentation, inference or compositing" \
    test -z "$(grep -E '13MattePipeline|17MatteSegmentation|14MatteInference|16MatteCompositing' "$scratch/nm-preview")"

# matte doctor: one line per check, a fix for each problem, status 0 only when all is well (this machine has
# no v4l2loopback, so it must say so; the VM test breaks each part on purpose).
check "doctor fails without a virtual camera" run 1 doctor
check "doctor says why and how to fix it" grep -q "^problem: loopback-" "$scratch/out"
check "every problem has a fix" awk '/^problem:/ { want = 1; next } want { if ($1 != "fix:") exit 1; want = 0 } END { exit want }' "$scratch/out"
check "doctor checks the models" grep -q "^ok: models: general and landscape installed and intact" "$scratch/out"
# Robust Video Matting is optional, but a damaged copy is a problem with its own package's fix.
models_dir=$(dirname "$(find "${MATTE_MODELS_DIR:-$HOME/.local/share/matte/models}" /usr/share/matte/models \
    -name selfie_segmentation.tflite 2>/dev/null | head -n 1)")
mkdir -p "$scratch/models-no-rvm" "$scratch/models-bad-rvm"
cp "$models_dir"/selfie_segmentation*.tflite "$scratch/models-no-rvm/"
cp "$models_dir"/selfie_segmentation*.tflite "$scratch/models-bad-rvm/"
head -c 100000 "$models_dir/rvm_mobilenetv3_fp32.onnx" >"$scratch/models-bad-rvm/rvm_mobilenetv3_fp32.onnx"
MATTE_MODELS_DIR=$scratch/models-no-rvm XDG_DATA_HOME=$scratch/no-data run 1 doctor || true
check "doctor: no rvm is fine and says how to add it" \
    grep -q "^ok: models: .*rvm (optional) is not installed: sudo apt install matte-model-rvm" "$scratch/out"
MATTE_MODELS_DIR=$scratch/models-bad-rvm XDG_DATA_HOME=$scratch/no-data run 1 doctor || true
check "doctor: a damaged rvm is a problem" grep -q "^problem: models: .*rvm_mobilenetv3_fp32.onnx is damaged" "$scratch/out"
check "doctor: its fix reinstalls its package" grep -q "^  fix: sudo apt install --reinstall matte-model-rvm$" "$scratch/out"

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
