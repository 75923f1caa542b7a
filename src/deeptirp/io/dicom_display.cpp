// The display pipeline of DICOM PS3.3 C.11 (Modality LUT -> VOI LUT -> Presentation, here
// MONOCHROME1 inversion), computed once per distinct stored value in double precision and applied
// as a table: every stored value fits 16 bits, so this is exact and one memory pass per image.
#include <cmath>

#include "deeptirp/error.h"
#include "deeptirp/io/dicom.h"
#include "deeptirp/io/voi.h"

namespace deeptirp {
namespace {

// Fraction of the pixels clipped at each end by the fallback window (no window in the file).
constexpr double kPercentileLow = 0.005;
constexpr double kPercentileHigh = 0.995;

struct StoredRange {
  int low = 0;
  int high = 0;
};

StoredRange stored_range(const cv::Mat& stored) {
  double low = 0, high = 0;
  cv::minMaxLoc(stored, &low, &high);
  return {static_cast<int>(low), static_cast<int>(high)};
}

double modality_value(const DicomImage& image, int stored) {
  if (image.modality_lut) return image.modality_lut->map(stored);
  return stored * image.header.rescale_slope + image.header.rescale_intercept;
}

template <typename T>
std::vector<int64_t> stored_histogram(const cv::Mat& stored, StoredRange range) {
  std::vector<int64_t> counts(size_t(range.high - range.low + 1), 0);
  for (int r = 0; r < stored.rows; ++r) {
    const T* row = stored.ptr<T>(r);
    for (int c = 0; c < stored.cols; ++c) ++counts[size_t(row[c] - range.low)];
  }
  return counts;
}

// Maps a modality value to [0, 1] as the file asks (or by percentiles when it does not say).
class VoiStage {
 public:
  VoiStage(const DicomImage& image, StoredRange range, const std::string& name) : image_(image) {
    const DicomHeader& header = image.header;
    if (image.voi_lut) {
      voi_lut_top_ = std::ldexp(1.0, std::clamp(image.voi_lut->bits, 1, 16)) - 1.0;
    } else if (header.window_center && header.window_width && *header.window_width > 0) {
      function_ = parse_voi_function(header.voi_lut_function, name);
      center_ = *header.window_center;
      width_ = *header.window_width;
    } else {
      use_percentiles(range);
    }
  }

  double operator()(double modality) const {
    if (image_.voi_lut) return image_.voi_lut->map(std::round(modality)) / voi_lut_top_;
    return apply_window(modality, center_, width_, function_);
  }

 private:
  void use_percentiles(StoredRange range) {
    const std::vector<int64_t> counts = image_.stored.depth() == CV_16S
                                            ? stored_histogram<int16_t>(image_.stored, range)
                                            : stored_histogram<uint16_t>(image_.stored, range);
    std::vector<std::pair<double, int64_t>> histogram;
    for (size_t i = 0; i < counts.size(); ++i)
      if (counts[i] > 0)
        histogram.emplace_back(modality_value(image_, range.low + int(i)), counts[i]);
    const auto [low, high] =
        percentile_window(std::move(histogram), kPercentileLow, kPercentileHigh);
    // A LINEAR_EXACT window from `low` (black) to `high` (white).
    function_ = VoiFunction::kLinearExact;
    width_ = std::max(high - low, 1e-6);
    center_ = low + width_ / 2;
  }

  const DicomImage& image_;
  double voi_lut_top_ = 1.0;
  VoiFunction function_ = VoiFunction::kLinear;
  double center_ = 0.0, width_ = 1.0;
};

template <typename In, typename Out>
void apply_table(const cv::Mat& stored, const std::vector<Out>& table, int low, cv::Mat& out) {
  for (int r = 0; r < stored.rows; ++r) {
    const In* in = stored.ptr<In>(r);
    Out* row = out.ptr<Out>(r);
    for (int c = 0; c < stored.cols; ++c) row[c] = table[size_t(in[c] - low)];
  }
}

// Applies a table indexed by stored value minus `low`; `out` must have the table's type.
template <typename Out>
void apply_table(const cv::Mat& stored, const std::vector<Out>& table, int low, cv::Mat& out) {
  if (stored.depth() == CV_16S)
    apply_table<int16_t, Out>(stored, table, low, out);
  else
    apply_table<uint16_t, Out>(stored, table, low, out);
}

void require_stored_type(const DicomImage& image) {
  const cv::Mat& stored = image.stored;
  if (stored.empty() || (stored.type() != CV_16UC1 && stored.type() != CV_16SC1))
    throw Error(image.name +
                ": DICOM stored values must be a non-empty CV_16UC1 or CV_16SC1 image");
}

}  // namespace

cv::Mat modality_values(const DicomImage& image) {
  require_stored_type(image);
  const StoredRange range = stored_range(image.stored);
  std::vector<float> table(size_t(range.high - range.low + 1));
  for (size_t i = 0; i < table.size(); ++i)
    table[i] = static_cast<float>(modality_value(image, range.low + int(i)));
  cv::Mat out(image.stored.size(), CV_32FC1);
  apply_table(image.stored, table, range.low, out);
  return out;
}

cv::Mat display_image(const DicomImage& image) {
  require_stored_type(image);
  const StoredRange range = stored_range(image.stored);
  const VoiStage voi(image, range, image.name);
  const bool invert = image.header.photometric_interpretation == "MONOCHROME1";
  std::vector<uint16_t> table(size_t(range.high - range.low + 1));
  for (size_t i = 0; i < table.size(); ++i) {
    double y = voi(modality_value(image, range.low + int(i)));
    if (invert) y = 1.0 - y;
    table[i] = static_cast<uint16_t>(std::lround(y * 65535.0));
  }
  cv::Mat out(image.stored.size(), CV_16UC1);
  apply_table(image.stored, table, range.low, out);
  return out;
}

}  // namespace deeptirp
