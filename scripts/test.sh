#!/usr/bin/env bash
# Every test, from a fresh Debian machine with Swift 6: installs packages and models, builds, then runs the
# command-line tests, a short fuzz of the model reader, and the Swift test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/setup-models.sh
swift build --build-tests
Tests/cli/cli-tests.sh .build/debug/matte
# A regression run of the fuzzer; scripts/fuzz-tflite.sh with no argument does the full million.
scripts/fuzz-tflite.sh 20000
MATTE_FUZZ_ENGINE=1 scripts/fuzz-tflite.sh 5000
swift test
