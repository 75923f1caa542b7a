// Training augmentation: every level keeps the ROI box inside the crop, the same generator state
// gives the same image, `flips` is exactly the study's flips, and the stronger levels do change
// geometry and intensity.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include "deeptirp/data/augment.h"
#include "deeptirp/data/preprocess.h"
#include "deeptirp/data/rng.h"
#include "deeptirp/error.h"
#include "test_support.h"

namespace deeptirp {
namespace {

// A textured 64x64 crop whose ROI box is where crop_rect and roi_in_crop put it.
CachedCrop crop_with_box(const cv::Rect2d& box) {
  CachedCrop c;
  c.image = cv::Mat(64, 64, CV_16UC1);
  std::mt19937_64 g(3);
  for (int y = 0; y < 64; ++y)
    for (int x = 0; x < 64; ++x)
      c.image.at<std::uint16_t>(y, x) = static_cast<std::uint16_t>(8000 + 400 * x + (g() % 900));
  c.roi = box;
  return c;
}

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::countNonZero(a != b) == 0;
}

TEST(Augment, EveryLevelKeepsTheRoiInsideTheCrop) {
  // A box filling most of the crop (the study's 10% margin), one against an edge (an ROI at the
  // border of the radiograph, clamped), and the whole crop (no ROI).
  const std::vector<cv::Rect2d> boxes = {
      roi_in_crop({0, 0, 120, 120}, RoiBox{10, 10, 110, 110}, 64), {0, 20, 30, 40}, {0, 0, 64, 64}};
  const double tolerance = 1e-6;
  for (const char* name : {"flips", "standard", "strong"}) {
    for (const auto& box : boxes) {
      int moved = 0;
      for (std::uint64_t seed = 0; seed < 300; ++seed) {
        std::mt19937_64 g(mix_seed(11, seed));
        const Augmented a =
            augment_crop(crop_with_box(box), ImageOptions{}, augment_level(name), g);
        ASSERT_EQ(a.image.size(), cv::Size(64, 64));
        ASSERT_EQ(a.image.type(), CV_16UC1);
        EXPECT_GE(a.roi.x, -tolerance) << name << " seed " << seed;
        EXPECT_GE(a.roi.y, -tolerance) << name << " seed " << seed;
        EXPECT_LE(a.roi.x + a.roi.width, 64 + tolerance) << name << " seed " << seed;
        EXPECT_LE(a.roi.y + a.roi.height, 64 + tolerance) << name << " seed " << seed;
        // The box keeps at least most of its size: it is moved and turned, not shrunk away.
        EXPECT_GT(a.roi.area(), 0.3 * box.area()) << name << " seed " << seed;
        moved += std::abs(a.roi.x - box.x) > 0.5 || std::abs(a.roi.y - box.y) > 0.5;
      }
      if (std::string(name) != "flips" && box.width < 64) EXPECT_GT(moved, 100) << name;
    }
  }
}

TEST(Augment, TheSameGeneratorStateGivesTheSameImage) {
  const CachedCrop crop = crop_with_box({8, 8, 48, 48});
  for (const char* name : {"flips", "standard", "strong"}) {
    std::mt19937_64 a(42), b(42), c(43);
    const AugmentLevel& level = augment_level(name);
    const Augmented x = augment_crop(crop, ImageOptions{}, level, a);
    const Augmented y = augment_crop(crop, ImageOptions{}, level, b);
    EXPECT_TRUE(same(x.image, y.image)) << name;
    EXPECT_EQ(x.roi, y.roi) << name;
    int differ = 0;
    for (int i = 0; i < 8; ++i)
      differ += !same(x.image, augment_crop(crop, ImageOptions{}, level, c).image);
    EXPECT_GT(differ, 0) << name;
  }
}

TEST(Augment, FlipsIsTheStudysFlipsAndNothingElse) {
  const CachedCrop crop = crop_with_box({8, 8, 30, 48});
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    std::mt19937_64 a(seed), b(seed);
    const Augmented x = augment_crop(crop, ImageOptions{}, augment_level("flips"), a);
    const Flips f = draw_flips(b, ImageOptions{});
    EXPECT_TRUE(same(x.image, apply_flips(crop.image, f)));
    EXPECT_EQ(a(), b());  // the same draws were taken
    EXPECT_DOUBLE_EQ(x.roi.x, f.horizontal ? 64 - 8 - 30 : 8);
  }
}

TEST(Augment, StrongerLevelsChangeIntensityAsWellAsGeometry) {
  const CachedCrop crop = crop_with_box({8, 8, 48, 48});
  ImageOptions no_flips;
  no_flips.hflip = no_flips.vflip = false;
  double mean_change = 0;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    std::mt19937_64 g(seed);
    const Augmented a = augment_crop(crop, no_flips, augment_level("strong"), g);
    mean_change += std::abs(cv::mean(a.image)[0] - cv::mean(crop.image)[0]) / 40;
  }
  EXPECT_GT(mean_change, 500);  // brightness/contrast/gamma moved the mean by > 0.8% of range
}

TEST(Augment, TheCachedCropIsNeverChanged) {
  // The image cache hands out crops that share its buffer; augmenting one (with or without flips)
  // must leave the cached pixels as they were, or every epoch would augment the augmented image.
  const CachedCrop crop = crop_with_box({8, 8, 48, 48});
  const cv::Mat before = crop.image.clone();
  for (const char* name : {"flips", "standard", "strong"})
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      std::mt19937_64 g(seed);
      augment_crop(crop, ImageOptions{}, augment_level(name), g);
      ASSERT_TRUE(same(crop.image, before)) << name << " seed " << seed;
    }
}

TEST(Augment, AnUnknownLevelIsAnErrorNamingTheKey) {
  const std::string e = testing::error_of([] { augment_level("heavy"); });
  EXPECT_NE(e.find("train.augment"), std::string::npos) << e;
  EXPECT_NE(e.find("heavy"), std::string::npos) << e;
}

}  // namespace
}  // namespace deeptirp
