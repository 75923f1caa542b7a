#pragma once
// The VOI (value of interest) windows of DICOM PS3.3 C.11.2.1.2 and a robust fallback window,
// mapping modality values to [0, 1] (the standard's ymin..ymax).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace deeptirp {

enum class VoiFunction { kLinear, kLinearExact, kSigmoid };

// VOI LUT Function (0028,1056); empty means LINEAR. Throws Error for other values.
VoiFunction parse_voi_function(const std::string& text, const std::string& name);

// C.11.2.1.2.1 (LINEAR, width >= 1), C.11.2.1.3.2 (LINEAR_EXACT, width > 0), C.11.2.1.3.1
// (SIGMOID). Returns a value in [0, 1].
double apply_window(double x, double center, double width, VoiFunction function);

// For each fraction q, the smallest value v with at least q of the pixels <= v (the inverted
// empirical CDF, numpy's method="inverted_cdf"), from (modality value, pixel count) pairs.
// Used when a file carries no window.
std::pair<double, double> percentile_window(std::vector<std::pair<double, int64_t>> histogram,
                                            double low_fraction, double high_fraction);

}  // namespace deeptirp
