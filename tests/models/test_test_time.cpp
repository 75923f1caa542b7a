// Test-time augmentation (models/test_time.h): which views each kind averages, checked with a
// "model" whose logit is a known function of the pixels.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "deeptirp/error.h"
#include "deeptirp/models/test_time.h"

namespace deeptirp {
namespace {

// A logit per image that sees position: the sum of each pixel times its column and row index.
torch::Tensor weighted_sum(const torch::Tensor& images) {
  const auto h = images.size(2), w = images.size(3);
  const auto weight = torch::arange(h, torch::kFloat32).view({h, 1}) * 10 +
                      torch::arange(w, torch::kFloat32).view({1, w});
  return (images * weight).sum({1, 2, 3}).unsqueeze(1);
}

TEST(TestTime, EachKindAveragesItsViews) {
  torch::manual_seed(3);
  const torch::Tensor x = torch::rand({2, 3, 16, 16});
  int calls = 0;
  auto forward = [&](const torch::Tensor& v) {
    ++calls;
    return weighted_sum(v);
  };
  EXPECT_TRUE(torch::equal(tta_logits(forward, x, "none"), weighted_sum(x)));
  EXPECT_EQ(calls, 1);

  const torch::Tensor flips = (weighted_sum(x) + weighted_sum(x.flip({3})) +
                               weighted_sum(x.flip({2})) + weighted_sum(x.flip({2, 3}))) /
                              4;
  EXPECT_TRUE(torch::allclose(tta_logits(forward, x, "flips"), flips));
  EXPECT_EQ(calls, 5);

  // The centre zoom: the middle 14 of 16 pixels, resized back to 16.
  const torch::Tensor zoom =
      torch::nn::functional::interpolate(x.narrow(2, 1, 14).narrow(3, 1, 14).contiguous(),
                                         torch::nn::functional::InterpolateFuncOptions()
                                             .size(std::vector<int64_t>{16, 16})
                                             .mode(torch::kBilinear)
                                             .align_corners(false));
  const torch::Tensor views = (weighted_sum(x) + weighted_sum(x.flip({3})) + weighted_sum(zoom) +
                               weighted_sum(zoom.flip({3}))) /
                              4;
  const torch::Tensor got = tta_logits(forward, x, "views");
  EXPECT_TRUE(torch::allclose(got, views)) << got << views;
  EXPECT_FALSE(torch::allclose(got, flips));
  EXPECT_EQ(got.sizes(), (std::vector<int64_t>{2, 1}));
}

TEST(TestTime, AnUnknownKindIsAnError) {
  EXPECT_FALSE(is_tta_kind("crops"));
  EXPECT_TRUE(is_tta_kind("views"));
  EXPECT_THROW(tta_logits(weighted_sum, torch::rand({1, 1, 8, 8}), "crops"), Error);
}

}  // namespace
}  // namespace deeptirp
