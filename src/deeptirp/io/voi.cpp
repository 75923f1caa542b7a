#include "deeptirp/io/voi.h"

#include <algorithm>
#include <cmath>

#include "deeptirp/error.h"

namespace deeptirp {

VoiFunction parse_voi_function(const std::string& text, const std::string& name) {
  if (text.empty() || text == "LINEAR") return VoiFunction::kLinear;
  if (text == "LINEAR_EXACT") return VoiFunction::kLinearExact;
  if (text == "SIGMOID") return VoiFunction::kSigmoid;
  throw Error(name + ": unsupported VOI LUT Function (0028,1056) '" + text + "'");
}

double apply_window(double x, double center, double width, VoiFunction function) {
  switch (function) {
    case VoiFunction::kLinear: {
      width = std::max(width, 1.0);
      if (width == 1.0) return x <= center - 0.5 ? 0.0 : 1.0;  // the limit of the formula
      const double y = (x - (center - 0.5)) / (width - 1.0) + 0.5;
      return std::clamp(y, 0.0, 1.0);
    }
    case VoiFunction::kLinearExact: {
      if (width <= 0) return x <= center ? 0.0 : 1.0;
      return std::clamp((x - center) / width + 0.5, 0.0, 1.0);
    }
    case VoiFunction::kSigmoid:
      return 1.0 / (1.0 + std::exp(-4.0 * (x - center) / std::max(width, 1e-12)));
  }
  return 0.0;
}

std::pair<double, double> percentile_window(std::vector<std::pair<double, int64_t>> histogram,
                                            double low_fraction, double high_fraction) {
  std::sort(histogram.begin(), histogram.end());
  int64_t total = 0;
  for (const auto& bin : histogram) total += bin.second;
  const double low_count = low_fraction * double(total), high_count = high_fraction * double(total);
  double low = histogram.empty() ? 0.0 : histogram.front().first, high = low;
  int64_t seen = 0;
  bool low_found = false;
  for (const auto& [value, count] : histogram) {
    seen += count;
    if (!low_found && double(seen) >= low_count) low = value, low_found = true;
    high = value;
    if (double(seen) >= high_count) break;
  }
  return {low, high};
}

}  // namespace deeptirp
