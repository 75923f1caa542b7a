// ROI crop with margin, resize, normalisation statistics, flips and the [C,H,W] layout, checked
// against hand-worked boxes and direct computations on known images.
#include <cmath>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "deeptirp/data/image_cache.h"
#include "deeptirp/data/preprocess.h"
#include "deeptirp/error.h"
#include "test_support.h"

namespace deeptirp {
namespace {

cv::Mat ramp(int width, int height) {  // value = y * width + x: every pixel tells where it is
  cv::Mat m(height, width, CV_16UC1);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      m.at<std::uint16_t>(y, x) = static_cast<std::uint16_t>(y * width + x);
  return m;
}

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::countNonZero(a != b) == 0;
}

TEST(CropRect, MarginIsAFractionOfTheLongerSideClampedAtTheEdges) {
  // Box 20x10 near the top-left corner, margin 0.1 -> 2 px on every side, clamped at x = 0.
  EXPECT_EQ(crop_rect({100, 80}, RoiBox{2, 3, 22, 13}, 0.1, 0, "a.png"), cv::Rect(0, 1, 24, 14));
  // Box 10x10 in the bottom-right corner, margin 0.5 -> 5 px, clamped at the far edges.
  EXPECT_EQ(crop_rect({100, 80}, RoiBox{90, 70, 100, 80}, 0.5, 0, "a.png"),
            cv::Rect(85, 65, 15, 15));
  // A box running past the image is cut to it.
  EXPECT_EQ(crop_rect({100, 80}, RoiBox{50, 60, 140, 90}, 0.0, 0, "a.png"),
            cv::Rect(50, 60, 50, 20));
  EXPECT_EQ(crop_rect({100, 80}, std::nullopt, 0.1, 0, "a.png"), cv::Rect(0, 0, 100, 80));
}

TEST(CropRect, MinCropKeepsOneScaleMovedInsideTheImage) {
  // 10x6 box, margin 0.1 -> 12x8; min_crop 0.5 of the shorter side 80 -> at least 40x40, centred.
  EXPECT_EQ(crop_rect({100, 80}, RoiBox{45, 37, 55, 43}, 0.1, 0.5, "a.png"),
            cv::Rect(30, 20, 40, 40));
  // Near a corner the 40x40 crop moves inside the image instead of being cut.
  EXPECT_EQ(crop_rect({100, 80}, RoiBox{2, 70, 8, 78}, 0.0, 0.5, "a.png"), cv::Rect(0, 40, 40, 40));
  // A box larger than the least side keeps its own size on that axis.
  EXPECT_EQ(crop_rect({100, 80}, RoiBox{10, 30, 70, 40}, 0.0, 0.5, "a.png"),
            cv::Rect(10, 15, 60, 40));
  // Small boxes of any size give crops of one size: the same enlargement for every case.
  for (int side : {2, 8, 20, 39})
    EXPECT_EQ(crop_rect({100, 80}, RoiBox{50, 30, 50 + side, 30 + side}, 0.0, 0.5, "a.png").size(),
              cv::Size(40, 40))
        << side;
}

TEST(CropRect, BoxOutsideTheImageIsAnErrorNamingTheFile) {
  try {
    crop_rect({100, 80}, RoiBox{120, 10, 130, 20}, 0.1, 0, "scans/knee.dcm");
    FAIL() << "expected an Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("scans/knee.dcm"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("outside"), std::string::npos) << e.what();
  }
}

TEST(PreprocessImage, CropOfAKnownImageIsTheExpectedSubImage) {
  const cv::Mat image = ramp(64, 80);
  ImageOptions options;
  options.size = 36;
  options.roi_margin = 0.25;  // 24 px box -> 6 px margin -> a 36x36 crop, no resampling
  const cv::Mat out = preprocess_image(image, RoiBox{16, 30, 40, 54}, options, "ramp");
  EXPECT_TRUE(same(out, image(cv::Rect(10, 24, 36, 36))));
  EXPECT_EQ(out.at<std::uint16_t>(0, 0), 24 * 64 + 10);
}

TEST(PreprocessImage, ResizesToTheSquareInputIn16Bits) {
  const cv::Mat image = ramp(50, 120);
  ImageOptions options;
  options.size = 40;
  cv::Mat out = preprocess_image(image, std::nullopt, options, "x");
  EXPECT_EQ(out.size(), cv::Size(40, 40));
  EXPECT_EQ(out.type(), CV_16UC1);
  options.size = 64;  // enlarging
  out = preprocess_image(image, RoiBox{0, 0, 10, 10}, options, "x");
  EXPECT_EQ(out.size(), cv::Size(64, 64));
  EXPECT_EQ(out.type(), CV_16UC1);
}

TEST(PreprocessImage, ShrinkingByTwoAveragesBlocks) {
  cv::Mat image(8, 8, CV_16UC1);
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x)
      image.at<std::uint16_t>(y, x) = static_cast<std::uint16_t>(1000 * x + 4 * y);
  ImageOptions options;
  options.size = 4;
  const cv::Mat out = preprocess_image(image, std::nullopt, options, "x");
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) {
      // Mean of the 2x2 block: 1000 * (2x + 0.5) + 4 * (2y + 0.5)
      const double expected = 1000 * (2 * x + 0.5) + 4 * (2 * y + 0.5);
      EXPECT_NEAR(out.at<std::uint16_t>(y, x), expected, 0.5) << x << "," << y;
    }
}

// A crop as centre 2 might send it: the same anatomy, darker and flatter (x 0.5 + offset).
cv::Mat darker_and_flatter(const cv::Mat& image) {
  cv::Mat out;
  image.convertTo(out, CV_16U, 0.5, 4000);
  return out;
}

cv::Mat textured(int size) {
  cv::Mat m(size, size, CV_16UC1);
  std::mt19937_64 g(8);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x)
      m.at<std::uint16_t>(y, x) = static_cast<std::uint16_t>(10000 + 300 * x + 90 * y + g() % 4000);
  return m;
}

double largest_difference(const cv::Mat& a, const cv::Mat& b) {
  double most = 0;
  cv::Mat d;
  cv::absdiff(a, b, d);
  cv::minMaxLoc(d, nullptr, &most);
  return most;
}

TEST(Intensity, PerImageAndHistogramModesUndoABrightnessAndContrastShift) {
  const cv::Mat crop = textured(48), shifted = darker_and_flatter(crop);
  // The training split's statistics alone leave the shift in the input ...
  EXPECT_GT(largest_difference(standardise_intensity(crop, "dataset"),
                               standardise_intensity(shifted, "dataset")),
            10000);
  // ... a per-image z-score removes it (to rounding), and so, nearly, does equalisation, which
  // depends only on the pixels' ranks (up to the 8-bit rounding of the two inputs).
  EXPECT_LE(largest_difference(standardise_intensity(crop, "per-image"),
                               standardise_intensity(shifted, "per-image")),
            2);
  EXPECT_LE(cv::mean(cv::abs(cv::Mat_<double>(standardise_intensity(crop, "equalize")) -
                             cv::Mat_<double>(standardise_intensity(shifted, "equalize"))))[0],
            2000);
}

TEST(Intensity, PerImageIsARobustZScoreAndFlatCropsStayFinite) {
  const cv::Mat out = standardise_intensity(textured(48), "per-image");
  cv::Scalar mean, sd;
  cv::meanStdDev(cv::Mat_<double>(out), mean, sd);
  EXPECT_NEAR(mean[0], 32768, 300);  // z = 0
  EXPECT_NEAR(sd[0], 8192, 400);     // z = 1
  const cv::Mat flat(16, 16, CV_16UC1, cv::Scalar(1234));
  EXPECT_EQ(cv::countNonZero(standardise_intensity(flat, "per-image") != 32768), 0);
}

TEST(Intensity, ClaheAndEqualiseSpreadAFlatCropOverTheRange) {
  // A faint, low-contrast crop of texture without a gradient (CLAHE evens out a gradient across
  // tiles, which would lower the spread for a reason that has nothing to do with contrast).
  cv::Mat faint(128, 128, CV_16UC1);
  std::mt19937_64 g(5);
  for (int y = 0; y < 128; ++y)
    for (int x = 0; x < 128; ++x)
      faint.at<std::uint16_t>(y, x) = static_cast<std::uint16_t>(20000 + g() % 3000);
  cv::Scalar mean, before, after_clahe, after_equalize;
  cv::meanStdDev(cv::Mat_<double>(faint), mean, before);
  cv::meanStdDev(cv::Mat_<double>(standardise_intensity(faint, "clahe")), mean, after_clahe);
  cv::meanStdDev(cv::Mat_<double>(standardise_intensity(faint, "equalize")), mean, after_equalize);
  EXPECT_GT(after_clahe[0], 2 * before[0]) << before[0] << " " << after_clahe[0];
  EXPECT_GT(after_equalize[0], 10000);  // a uniform histogram's sd is 65535 / sqrt(12) = 18918
}

TEST(Intensity, PreprocessAppliesTheModeAndAnUnknownModeIsRefused) {
  const cv::Mat image = textured(60);
  ImageOptions options;
  options.size = 30;
  options.intensity = "per-image";
  ImageOptions plain = options;
  plain.intensity = "dataset";
  EXPECT_TRUE(same(preprocess_image(image, RoiBox{5, 5, 50, 50}, options, "a"),
                   standardise_intensity(preprocess_image(image, RoiBox{5, 5, 50, 50}, plain, "a"),
                                         "per-image")));
  const std::string e = testing::error_of([&] { standardise_intensity(image, "gamma"); });
  EXPECT_NE(e.find("image.intensity"), std::string::npos) << e;
}

TEST(NormStats, EqualADirectComputationOverTheTrainingSplitOnly) {
  const auto dir = testing::scratch_dir("norm");
  Manifest m;
  m.path = dir / "manifest.csv";
  std::mt19937_64 g(3);
  double sum = 0, sum_sq = 0;
  std::size_t n = 0;
  for (int i = 0; i < 4; ++i) {
    cv::Mat image(16, 16, CV_16UC1);
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 16; ++x) {
        const auto v = static_cast<std::uint16_t>(g() % 65536);
        image.at<std::uint16_t>(y, x) = i == 3 ? 65535 : v;  // the test image is all white
        if (i < 3) {
          sum += v / 65535.0;
          sum_sq += (v / 65535.0) * (v / 65535.0);
          ++n;
        }
      }
    const std::string name = "img" + std::to_string(i) + ".png";
    ASSERT_TRUE(cv::imwrite((dir / name).string(), image));
    Case c;
    c.image = name;
    c.patient_id = "P" + std::to_string(i);
    c.label = "tumour";
    c.split = i == 3 ? "test" : "train";
    m.cases.push_back(c);
  }
  ImageOptions options;
  options.size = 16;  // no resampling: the statistics are of the stored pixels
  ImageCache cache(options);
  const NormStats stats = compute_norm_stats(m, cache);
  const double mean = sum / n;
  EXPECT_NEAR(stats.mean, mean, 1e-9);
  EXPECT_NEAR(stats.std, std::sqrt(sum_sq / n - mean * mean), 1e-9);
  EXPECT_EQ(stats.images, 3u);
  EXPECT_EQ(stats.pixels, n);

  save_norm_stats(dir / "norm.json", stats);
  const NormStats back = load_norm_stats(dir / "norm.json");
  EXPECT_DOUBLE_EQ(back.mean, stats.mean);
  EXPECT_DOUBLE_EQ(back.std, stats.std);
  EXPECT_EQ(back.pixels, stats.pixels);

  std::ofstream(dir / "bad.json") << "{\"format\": \"something else\"}";
  EXPECT_THROW(load_norm_stats(dir / "bad.json"), Error);
  for (auto& c : m.cases) c.split = "test";
  EXPECT_THROW(compute_norm_stats(m, cache), Error);
}

TEST(Flips, SameSeedSameFlipsAndRoughlyHalf) {
  ImageOptions options;
  std::mt19937_64 a(5), b(5), c(6);
  int horizontal = 0, vertical = 0, differ = 0;
  for (int i = 0; i < 1000; ++i) {
    const Flips fa = draw_flips(a, options), fb = draw_flips(b, options),
                fc = draw_flips(c, options);
    EXPECT_EQ(fa.horizontal, fb.horizontal);
    EXPECT_EQ(fa.vertical, fb.vertical);
    differ += fa.horizontal != fc.horizontal || fa.vertical != fc.vertical;
    horizontal += fa.horizontal;
    vertical += fa.vertical;
  }
  EXPECT_GT(differ, 0);
  EXPECT_NEAR(horizontal, 500, 60);
  EXPECT_NEAR(vertical, 500, 60);
  options.hflip = false;
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(draw_flips(a, options).horizontal);
}

TEST(Flips, MirrorThePixels) {
  const cv::Mat image = ramp(5, 3);
  const cv::Mat h = apply_flips(image, {true, false}), v = apply_flips(image, {false, true});
  const cv::Mat hv = apply_flips(image, {true, true}), none = apply_flips(image, {false, false});
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 5; ++x) {
      EXPECT_EQ(h.at<std::uint16_t>(y, x), image.at<std::uint16_t>(y, 4 - x));
      EXPECT_EQ(v.at<std::uint16_t>(y, x), image.at<std::uint16_t>(2 - y, x));
      EXPECT_EQ(hv.at<std::uint16_t>(y, x), image.at<std::uint16_t>(2 - y, 4 - x));
    }
  EXPECT_TRUE(same(none, image));
}

TEST(WriteChw, NormalisesAndRepeatsGreyOverChannels) {
  cv::Mat image(2, 3, CV_16UC1, cv::Scalar(0));
  image.at<std::uint16_t>(0, 1) = 65535;
  image.at<std::uint16_t>(1, 2) = 32768;
  NormStats stats;
  stats.mean = 0.5;
  stats.std = 0.25;
  std::vector<float> one(6), three(18);
  write_chw(image, stats, 1, one.data());
  write_chw(image, stats, 3, three.data());
  EXPECT_FLOAT_EQ(one[0], -2.0f);  // (0 - 0.5) / 0.25
  EXPECT_FLOAT_EQ(one[1], 2.0f);   // (1 - 0.5) / 0.25
  EXPECT_NEAR(one[5], (32768 / 65535.0 - 0.5) / 0.25, 1e-6);
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 6; ++i) EXPECT_EQ(three[c * 6 + i], one[i]) << c << "," << i;
}

}  // namespace
}  // namespace deeptirp
