#include "deeptirp/io/progress.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "deeptirp/error.h"

namespace deeptirp {

Progress::Mode Progress::parse_mode(const std::string& name) {
  if (name == "auto") return Mode::kAuto;
  if (name == "bar") return Mode::kBar;
  if (name == "plain") return Mode::kPlain;
  if (name == "quiet") return Mode::kQuiet;
  throw Error("unknown progress mode '" + name + "' (auto, bar, plain, quiet)");
}

std::string format_duration(double seconds) {
  const long s = static_cast<long>(seconds + 0.5);
  char out[32];
  if (s >= 3600)
    std::snprintf(out, sizeof out, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(out, sizeof out, "%02ld:%02ld", s / 60, s % 60);
  return out;
}

Progress::Progress(Mode mode, std::string label, std::size_t total)
    : mode_(mode),
      label_(std::move(label)),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {
  if (mode_ == Mode::kAuto) mode_ = ::isatty(STDERR_FILENO) ? Mode::kBar : Mode::kPlain;
}

void Progress::update(std::size_t done, const std::string& detail) {
  if (mode_ == Mode::kQuiet || total_ == 0) return;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double eta = done ? elapsed * (total_ - done) / done : 0;
  if (mode_ == Mode::kBar) {
    // Redraw at most ten times a second, and always at the end.
    if (done < total_ && now - last_print_ < std::chrono::milliseconds(100)) return;
    last_print_ = now;
    const int width = 24, filled = static_cast<int>(width * done / total_);
    std::string bar(filled, '#');
    bar += std::string(width - filled, '.');
    std::fprintf(stderr, "\r%s [%s] %zu/%zu %s ETA %s\x1b[K", label_.c_str(), bar.c_str(), done,
                 total_, detail.c_str(), format_duration(eta).c_str());
    drawn_ = true;
  } else {
    // A line at every tenth, so that logs stay short.
    const std::size_t percent = 100 * done / total_;
    if (percent / 10 == last_plain_percent_ / 10 && done != total_) return;
    last_plain_percent_ = percent;
    std::fprintf(stderr, "%s %zu/%zu (%zu%%) %s ETA %s\n", label_.c_str(), done, total_, percent,
                 detail.c_str(), format_duration(eta).c_str());
  }
  std::fflush(stderr);
}

void Progress::finish(const std::string& summary) {
  if (mode_ == Mode::kQuiet) return;
  if (drawn_) std::fprintf(stderr, "\r\x1b[K");
  std::fflush(stderr);
  if (!summary.empty()) std::printf("%s\n", summary.c_str());
  std::fflush(stdout);
}

}  // namespace deeptirp
