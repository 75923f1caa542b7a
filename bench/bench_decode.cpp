// Decode + preprocess throughput of one radiograph on ONE core: read, decode (GDCM / OpenCV),
// display transform, resize to 224x224 (INTER_AREA), normalise to float. Compare with
// bench/decode_reference.py through bench/run_decode.sh (same machine, same run, taskset -c 0).
//
//   bench_decode [--seconds S] FILE...   prints "file<TAB>images_per_s" per file
//   bench_decode --breakdown FILE.dcm... prints ms per stage (read, decode, display, resize)
#include <gdcmTrace.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "deeptirp/error.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/dicom.h"
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

// Where the time of one DICOM goes (ms per stage), to tell the codec from our own work.
void print_breakdown(const std::string& path, int repeats) {
  using Clock = std::chrono::steady_clock;
  double read_ms = 0, decode_ms = 0, display_ms = 0, resize_ms = 0;
  auto ms_since = [](Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
  };
  for (int i = 0; i < repeats; ++i) {
    auto t = Clock::now();
    const std::string bytes = deeptirp::read_file_bytes(path);
    read_ms += ms_since(t);
    t = Clock::now();
    const deeptirp::DicomImage image = deeptirp::decode_dicom(bytes, path);
    decode_ms += ms_since(t);
    t = Clock::now();
    const cv::Mat display = deeptirp::display_image(image);
    display_ms += ms_since(t);
    t = Clock::now();
    cv::Mat small, input;
    cv::resize(display, small, cv::Size(kSide, kSide), 0, 0, cv::INTER_AREA);
    small.convertTo(input, CV_32F, 1.0 / (65535.0 * kStd), -kMean / kStd);
    resize_ms += ms_since(t);
  }
  std::printf(
      "%s\tms/image: read %.2f, GDCM decode %.2f, display LUT %.2f, resize+normalise %.2f\n",
      path.c_str(), read_ms / repeats, decode_ms / repeats, display_ms / repeats,
      resize_ms / repeats);
}

}  // namespace

int main(int argc, char** argv) {
  cv::setNumThreads(0);  // one core: OpenCV runs sequentially (GDCM's OpenJPEG is single-threaded)
  gdcm::Trace::WarningOff();
  double seconds = 3.0;
  bool breakdown = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--breakdown")
      breakdown = true;
    else if (arg == "--seconds" && i + 1 < argc)
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
      if (breakdown)
        print_breakdown(file, 5);
      else
        std::printf("%s\t%.2f\n", file.c_str(), images_per_second(file, seconds));
  } catch (const deeptirp::Error& e) {
    std::cerr << "bench_decode: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
