#pragma once
// Progress of long work: a bar redrawn in place on a terminal, plain lines in logs and CI, or
// nothing when quiet.
#include <chrono>
#include <cstddef>
#include <string>

namespace deeptirp {

class Progress {
 public:
  enum class Mode { kAuto, kBar, kPlain, kQuiet };
  static Mode parse_mode(const std::string& name);  // auto | bar | plain | quiet

  Progress(Mode mode, std::string label, std::size_t total);
  // `done` of `total` units; `detail` (e.g. "loss 0.41 52 img/s") follows the bar.
  void update(std::size_t done, const std::string& detail);
  // Clears the bar and prints `summary` (if any) on stdout, in every mode but quiet.
  void finish(const std::string& summary);

 private:
  Mode mode_;
  std::string label_;
  std::size_t total_;
  std::chrono::steady_clock::time_point start_, last_print_;
  std::size_t last_plain_percent_ = 0;
  bool drawn_ = false;
};

std::string format_duration(double seconds);  // "1:02:03" or "02:03"

}  // namespace deeptirp
