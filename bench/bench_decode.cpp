// Decode + preprocess throughput of one radiograph on ONE core: read, decode (GDCM / OpenCV),
// display transform, resize to 224x224 (INTER_AREA), normalise to float. Compare with
// bench/decode_reference.py through bench/run_decode.sh (same machine, same run, taskset -c 0).
//
//   bench_decode [--seconds S] FILE...   prints "file<TAB>images_per_s" per file
#include <gdcmTrace.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "deeptirp/error.h"
#include "deeptirp/io/radiograph.h"

namespace {

// Single-channel ImageNet statistics (the grey mean/std both sides use).
constexpr float kMean = 0.449f;
constexpr float kStd = 0.226f;
constexpr int kSide = 224;

cv::Mat preprocess(const std::string& path) {
  const cv::Mat display = deeptirp::read_radiograph(path);
  cv::Mat small;
  cv::resize(display, small, cv::Size(kSide, kSide), 0, 0, cv::INTER_AREA);
  cv::Mat input;
  // (x / 65535 - mean) / std in one pass
  small.convertTo(input, CV_32F, 1.0 / (65535.0 * kStd), -kMean / kStd);
  return input;
}

double images_per_second(const std::string& path, double seconds) {
  volatile float sink = preprocess(path).at<float>(0, 0);  // warm-up: page cache, codec tables
  int images = 0;
  const auto start = std::chrono::steady_clock::now();
  double elapsed = 0;
  while (elapsed < seconds || images < 3) {
    sink = sink + preprocess(path).at<float>(kSide / 2, kSide / 2);
    ++images;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return images / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  cv::setNumThreads(0);  // one core: OpenCV runs sequentially (GDCM's OpenJPEG is single-threaded)
  gdcm::Trace::WarningOff();
  double seconds = 3.0;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--seconds" && i + 1 < argc)
      seconds = std::atof(argv[++i]);
    else
      files.push_back(arg);
  }
  if (files.empty()) {
    std::cerr << "usage: bench_decode [--seconds S] FILE...\n";
    return 2;
  }
  try {
    for (const auto& file : files)
      std::printf("%s\t%.2f\n", file.c_str(), images_per_second(file, seconds));
  } catch (const deeptirp::Error& e) {
    std::cerr << "bench_decode: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
