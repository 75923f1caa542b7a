// The display pipeline (Modality LUT, VOI, MONOCHROME1 inversion) against independent
// computations: the PS3.3 C.11.2.1.2 window applied here to the reference stored values, and
// pydicom's apply_modality_lut / numpy percentiles run by the Debian python3.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "deeptirp/error.h"
#include "deeptirp/io/dicom.h"
#include "deeptirp/io/voi.h"
#include "dicom_test_util.h"

namespace deeptirp {
namespace {

using testing::count_different;
using testing::dicom_file;
using testing::reference_stored;

// DICOM PS3.3 C.11.2.1.2.1, written out here from the standard, on the reference stored values.
cv::Mat expected_linear_display(const cv::Mat& stored, double center, double width, bool invert) {
  cv::Mat out(stored.size(), CV_16UC1);
  for (int r = 0; r < stored.rows; ++r)
    for (int c = 0; c < stored.cols; ++c) {
      const double x = stored.at<uint16_t>(r, c);
      double y;
      if (x <= center - 0.5 - (width - 1) / 2)
        y = 0;
      else if (x > center - 0.5 + (width - 1) / 2)
        y = 1;
      else
        y = (x - (center - 0.5)) / (width - 1) + 0.5;
      if (invert) y = 1 - y;
      out.at<uint16_t>(r, c) = static_cast<uint16_t>(std::lround(y * 65535));
    }
  return out;
}

struct WindowCase {
  const char* file;
  const char* reference;
  double center, width;  // from manifest.csv
  bool monochrome1;
};

class WindowedDisplay : public ::testing::TestWithParam<WindowCase> {};

TEST_P(WindowedDisplay, FollowsTheStandardLinearWindowAndInvertsMonochrome1) {
  DEEPTIRP_REQUIRE_SHARED();
  const WindowCase& w = GetParam();
  const DicomImage image = read_dicom(dicom_file(w.file));
  EXPECT_EQ(image.header.photometric_interpretation == "MONOCHROME1", w.monochrome1);
  const cv::Mat display = display_image(image);
  ASSERT_EQ(display.type(), CV_16UC1);
  const cv::Mat expected =
      expected_linear_display(reference_stored(w.reference), w.center, w.width, w.monochrome1);
  EXPECT_EQ(count_different(display, expected), 0);
}

INSTANTIATE_TEST_SUITE_P(
    SampleFiles, WindowedDisplay,
    ::testing::Values(WindowCase{"CR-MONO1-10-chest.dcm", "CR-MONO1-10-chest_stored.png", 550, 1024,
                                 true},
                      WindowCase{"RG3_RLE.dcm", "RG3_stored.png", 550, 1024, true},
                      WindowCase{"RG2_JLSL.dcm", "RG2_stored.png", 511, 1024, false}));

TEST(DisplayImage, Monochrome1BoneIsBright) {
  DEEPTIRP_REQUIRE_SHARED();
  // In a MONOCHROME1 file low stored values are white: the lowest stored value must come out
  // as the brightest display value.
  const DicomImage image = read_dicom(dicom_file("CR-MONO1-10-chest.dcm"));
  const cv::Mat display = display_image(image);
  cv::Point lowest, highest;
  cv::minMaxLoc(image.stored, nullptr, nullptr, &lowest, &highest);
  EXPECT_GT(display.at<uint16_t>(lowest), display.at<uint16_t>(highest));
}

TEST(VoiWindow, StandardFormulas) {
  // LINEAR (C.11.2.1.2.1): c - 0.5 maps to the middle, the ends of the width to 0 and 1.
  EXPECT_DOUBLE_EQ(apply_window(99.5, 100, 51, VoiFunction::kLinear), 0.5);
  EXPECT_DOUBLE_EQ(apply_window(74.5, 100, 51, VoiFunction::kLinear), 0.0);
  EXPECT_DOUBLE_EQ(apply_window(124.5, 100, 51, VoiFunction::kLinear), 1.0);
  EXPECT_DOUBLE_EQ(apply_window(-1e6, 100, 51, VoiFunction::kLinear), 0.0);
  // LINEAR_EXACT (C.11.2.1.3.2): c maps to the middle, c -/+ w/2 to 0 and 1.
  EXPECT_DOUBLE_EQ(apply_window(100, 100, 50, VoiFunction::kLinearExact), 0.5);
  EXPECT_DOUBLE_EQ(apply_window(75, 100, 50, VoiFunction::kLinearExact), 0.0);
  EXPECT_DOUBLE_EQ(apply_window(125, 100, 50, VoiFunction::kLinearExact), 1.0);
  // SIGMOID (C.11.2.1.3.1): 1 / (1 + exp(-4 (x - c) / w)).
  EXPECT_DOUBLE_EQ(apply_window(100, 100, 50, VoiFunction::kSigmoid), 0.5);
  EXPECT_NEAR(apply_window(125, 100, 50, VoiFunction::kSigmoid), 1 / (1 + std::exp(-2.0)), 1e-12);
  EXPECT_THROW(parse_voi_function("CUBIC", "f.dcm"), Error);
  EXPECT_EQ(parse_voi_function("SIGMOID", "f.dcm"), VoiFunction::kSigmoid);
}

TEST(VoiWindow, PercentilesAreTheInvertedEmpiricalCdf) {
  // 100 pixels valued 0..99: the 5% point is 4 (5 pixels <= 4), the 95% point is 94.
  std::vector<std::pair<double, int64_t>> histogram;
  for (int v = 99; v >= 0; --v) histogram.emplace_back(v, 1);
  const auto [low, high] = percentile_window(histogram, 0.05, 0.95);
  EXPECT_DOUBLE_EQ(low, 4);
  EXPECT_DOUBLE_EQ(high, 94);
}

// Runs a Python snippet with the Debian python3 (pydicom, numpy); false when it is absent.
bool run_reference(const std::string& script, std::string* output) {
  const std::string python = testing::reference_python();
  if (python.empty()) return false;
  const auto dir = testing::scratch_dir("dicom-display-ref");
  std::ofstream(dir / "ref.py") << script;
  const int status = testing::run_command(python + " " + (dir / "ref.py").string(), output);
  return status == 0;
}

TEST(ModalityLut, MatchesPydicomApplyModalityLut) {
  DEEPTIRP_REQUIRE_SHARED();
  const auto out_png = testing::scratch_dir("modality-lut") / "pydicom_modality.png";
  std::string output;
  const std::string script =
      "import sys, numpy as np\n"
      "try:\n"
      "    import pydicom\n"
      "    from pydicom.pixel_data_handlers.util import apply_modality_lut\n"
      "    from PIL import Image\n"
      "except ImportError:\n"
      "    print('SKIP'); sys.exit(0)\n"
      "ds = pydicom.dcmread('" +
      dicom_file("CR-ModalitySequenceLUT.dcm") +
      "')\n"
      "m = apply_modality_lut(ds.pixel_array, ds)\n"
      "assert m.min() >= 0 and m.max() < 65536\n"
      "Image.fromarray(m.astype(np.uint16)).save('" +
      out_png.string() +
      "')\n"
      "print('OK')\n";
  if (!run_reference(script, &output) || output.find("SKIP") != std::string::npos)
    GTEST_SKIP() << "pydicom reference unavailable: " << output;
  const cv::Mat expected = cv::imread(out_png.string(), cv::IMREAD_UNCHANGED);
  const DicomImage image = read_dicom(dicom_file("CR-ModalitySequenceLUT.dcm"));
  ASSERT_TRUE(image.modality_lut.has_value());
  cv::Mat ours;
  modality_values(image).convertTo(ours, CV_16U);
  EXPECT_EQ(count_different(ours, expected), 0);
  // The LUT really changes the values (it is not the identity).
  EXPECT_GT(count_different(ours, image.stored), 0);
}

TEST(DisplayImage, WithoutWindowUsesThe0_5To99_5PercentileWindow) {
  DEEPTIRP_REQUIRE_SHARED();
  // numpy's inverted-CDF percentiles of the modality values (HU) of a CT slice without window.
  std::string output;
  const std::string script =
      "import sys, numpy as np\n"
      "try:\n"
      "    import pydicom\n"
      "    from pydicom.pixel_data_handlers.util import apply_modality_lut\n"
      "except ImportError:\n"
      "    print('SKIP'); sys.exit(0)\n"
      "ds = pydicom.dcmread('" +
      dicom_file("CT1_big_endian_undefined_length.dcm") +
      "')\n"
      "m = apply_modality_lut(ds.pixel_array, ds)\n"
      "lo, hi = np.percentile(m, [0.5, 99.5], method='inverted_cdf')\n"
      "print(repr(float(lo)), repr(float(hi)))\n";
  if (!run_reference(script, &output) || output.find("SKIP") != std::string::npos)
    GTEST_SKIP() << "pydicom reference unavailable: " << output;
  double low = 0, high = 0;
  ASSERT_EQ(std::sscanf(output.c_str(), "%lf %lf", &low, &high), 2) << output;
  const DicomImage image = read_dicom(dicom_file("CT1_big_endian_undefined_length.dcm"));
  ASSERT_FALSE(image.header.window_center.has_value());
  const cv::Mat modality = modality_values(image);
  const cv::Mat display = display_image(image);
  int mismatches = 0;
  for (int r = 0; r < display.rows; ++r)
    for (int c = 0; c < display.cols; ++c) {
      const double y = std::clamp((modality.at<float>(r, c) - low) / (high - low), 0.0, 1.0);
      mismatches += std::abs(std::lround(y * 65535) - display.at<uint16_t>(r, c)) > 1;
    }
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace deeptirp
