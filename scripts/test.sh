#!/usr/bin/env bash
# README command 2 (and CI): install what the build and the tests need, build, run every test,
# then run each fuzz harness for a short fixed time.
# Tests that need ../shared (real radiographs, published test vectors) skip with a message when it
# is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
scripts/build.sh -DDEEPTIRP_BUILD_TESTS=ON -DDEEPTIRP_BUILD_BENCH=ON
export OMP_WAIT_POLICY=PASSIVE  # LibTorch's OpenMP threads must not spin against parallel tests
ctest --test-dir build --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@"
# Every reader of outside bytes under libFuzzer, ASan and UBSan, 20 s each (clang, ./build-fuzz).
tests/fuzz/run.sh 20
