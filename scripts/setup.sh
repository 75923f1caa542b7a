#!/usr/bin/env bash
# Installs every system package deeptirp needs on Debian 12. Idempotent: apt-get skips
# what is already there. Run as root (or with sudo available).
#
#   scripts/setup.sh          build and run-time packages
#   scripts/setup.sh --test   also the Python references used only by tests and benchmarks
set -euo pipefail

runtime_and_build=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev libopenblas0-openmp  # without OpenBLAS, Debian's reference BLAS makes ViT/Swin 5-20x slower
  libdnnl-dev  # headers of the oneDNN that libtorch runs on: fused bf16 linear layers
  libgloo-dev  # the headers of the Gloo that libtorch's c10d runs on: data-parallel training
  libgdcm-dev libgdcm-tools libopencv-dev zlib1g-dev  # zlib: deflated DICOM
  libxgboost-dev libboost-math-dev libcli11-dev nlohmann-json3-dev libyaml-cpp-dev
  libcpp-httplib-dev libcsv-dev
  libssl-dev  # SHA-256 of a bundle's files (libcrypto)
)
test_only=(
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-numpy python3-pil python3-torch python3-torchvision python3-sklearn python3-scipy
  python3-pydicom python3-gdcm
  chromium  # the HTML report's browser test (tests/report/test_report_browser.cpp)
  clang libclang-rt-14-dev  # the fuzz harnesses (tests/fuzz/run.sh): libFuzzer, ASan, UBSan
  dicom3tools  # dciodvfy: the synthetic DICOMs checked against their IOD
  curl  # bench/run_serve_load.sh
  orthanc dcmtk  # pacs watch's tests: a real Orthanc, radiographs sent by storescu (C-STORE)
)

packages=("${runtime_and_build[@]}")
if [[ "${1:-}" == "--test" ]]; then packages+=("${test_only[@]}"); fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "setup: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
