#!/usr/bin/env bash
# The threaded unit tests under ThreadSanitizer: MattePipelineTests (live pipeline, session, control server,
# mailboxes) and MattePipeWireTests (no daemon needed). Chosen by target, not by suite or test name, so that
# renames inside them change nothing here. Needs the models (scripts/setup-models.sh), as those tests do.
# About 1.5 minutes to build from nothing and under a minute to run on 2 cores.
#   usage: scripts/tsan-tests.sh
set -euo pipefail
cd "$(dirname "$0")/.."
# SwiftPM links every test target into one test bundle, so all of them are built; only the two run.
swift build --build-tests --sanitize=thread --scratch-path .build-tsan
# halt_on_error: the first race ends the run with its report, and swift test fails. MATTE_TSAN=1 tells the tests
# to skip their checks of frames a second and stretch their time limits (Tests/MatteTestSupport/Sanitizer.swift).
MATTE_TSAN=1 TSAN_OPTIONS="halt_on_error=1${TSAN_OPTIONS:+ $TSAN_OPTIONS}" \
    swift test --skip-build --sanitize=thread --scratch-path .build-tsan \
    --filter '^(MattePipelineTests|MatteControlTests|MatteServiceTests|MattePipeWireTests)\.'
