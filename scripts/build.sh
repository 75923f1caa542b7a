#!/usr/bin/env bash
# Configures and builds deeptirp (Release). Extra arguments go to CMake.
#
#   scripts/build.sh [CMake arguments]                     Debian's LibTorch 1.13, in ./build
#   scripts/build.sh --libtorch PYTHON [CMake arguments]   the LibTorch inside PYTHON's PyTorch
#                                                          wheel (2.x, with CUDA on a GPU
#                                                          machine), in ./build-libtorch
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)
build=build
cmake_args=()
if [[ "${1:-}" == "--libtorch" ]]; then
  python=${2:?"--libtorch needs the python whose PyTorch to build against"}
  shift 2
  read -r prefix abi version < <("$python" -c \
    'import torch; print(torch.utils.cmake_prefix_path, int(torch._C._GLIBCXX_USE_CXX11_ABI), torch.__version__)')
  if [[ ! -d "$prefix/Torch" ]]; then
    echo "build: $python's PyTorch $version has no LibTorch CMake files ($prefix/Torch);" \
      "Debian's python3-torch has none: use scripts/build.sh alone for Debian's LibTorch" >&2
    exit 1
  fi
  # OpenCV, GDCM, yaml-cpp and the rest are Debian's, built with the C++11 string ABI: a wheel
  # built with the old one cannot link against them.
  if [[ "$abi" != 1 ]]; then
    echo "build: $python's PyTorch $version uses the pre-C++11 string ABI, which Debian's" \
      "libraries cannot link with; take a wheel built with the C++11 ABI (PyTorch 2.7 and later)" >&2
    exit 1
  fi
  build=build-libtorch
  cmake_args=(-DCMAKE_PREFIX_PATH="$prefix")
  echo "build: LibTorch of PyTorch $version ($prefix) in ./$build"
fi
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${cmake_args[@]}" "$@" >/dev/null
cmake --build "$build" -j "$jobs"
