// The CAM frame against closed forms, the transformer taps' grids, and putting a crop's map back
// on the radiograph.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <opencv2/imgproc.hpp>

#include "deeptirp/error.h"
#include "deeptirp/explain/cam.h"
#include "deeptirp/explain/overlay.h"
#include "deeptirp/models/registry.h"

namespace deeptirp {
namespace {

// logit = sum_c w_c * mean_hw(A_c), A = a fixed 3x3 convolution of the input (same size): the
// logit is linear in A, so dlogit/dA_c(i, j) = w_c / (h w) everywhere.
class LinearInActivation : public ImageModel {
 public:
  LinearInActivation(torch::Tensor kernel, torch::Tensor w) : ImageModel({1, 1, 8}), w_(w) {
    kernel_ = register_parameter("kernel", kernel);
  }
  torch::Tensor features(torch::Tensor x) override { return torch::conv2d(x, kernel_, {}, 1, 1); }
  torch::Tensor head(const torch::Tensor& a) override { return (a.mean({2, 3}) * w_).sum(1, true); }

 private:
  torch::Tensor kernel_, w_;
};

struct LinearCase {
  torch::Tensor images, kernel, w, activation;
};

LinearCase linear_case() {
  torch::manual_seed(7);
  LinearCase c;
  c.images = torch::randn({2, 1, 8, 8});
  c.kernel = torch::randn({4, 1, 3, 3});
  c.w = torch::tensor({64.0f, -96.0f, 32.0f, 48.0f});
  c.activation = torch::conv2d(c.images, c.kernel, {}, 1, 1);
  return c;
}

// The closed-form map of channel weights `weights` [C] for image n, in doubles: ReLU of the
// weighted sum, min-max scaled.
std::vector<double> expected_map(const LinearCase& c, int n, const std::vector<double>& weights) {
  auto a = c.activation[n].to(torch::kDouble);
  std::vector<double> map(64, 0.0);
  for (int k = 0; k < 64; ++k) {
    double sum = 0;
    for (int ch = 0; ch < 4; ++ch) sum += weights[ch] * a[ch][k / 8][k % 8].item<double>();
    map[k] = std::max(0.0, sum);
  }
  const double lo = *std::min_element(map.begin(), map.end());
  const double hi = *std::max_element(map.begin(), map.end());
  for (double& v : map) v = (v - lo) / (hi - lo);
  return map;
}

void expect_maps_equal(const torch::Tensor& maps, int n, const std::vector<double>& expected) {
  auto got = maps[n].to(torch::kDouble);
  for (int k = 0; k < 64; ++k)
    EXPECT_NEAR(got[k / 8][k % 8].item<double>(), expected[k], 1e-5) << "image " << n << " " << k;
}

TEST(Cam, GradCamOfALinearModelIsTheClosedForm) {
  const LinearCase c = linear_case();
  LinearInActivation model(c.kernel.clone(), c.w);
  model.eval();
  const CamResult r = compute_cam(model, c.images, {CamMethod::kGradCam});
  ASSERT_EQ(r.maps.sizes(), (std::vector<int64_t>{2, 8, 8}));
  for (int n = 0; n < 2; ++n) {
    std::vector<double> weights;  // w_c / (h w)
    for (int ch = 0; ch < 4; ++ch) weights.push_back(c.w[ch].item<double>() / 64.0);
    expect_maps_equal(r.maps, n, expected_map(c, n, weights));
  }
}

TEST(Cam, NegativeClassOfALinearModelIsTheNegatedClosedForm) {
  const LinearCase c = linear_case();
  LinearInActivation model(c.kernel.clone(), c.w);
  CamOptions o{CamMethod::kGradCam};
  o.negative = true;
  const CamResult r = compute_cam(model, c.images, o);
  for (int n = 0; n < 2; ++n) {
    std::vector<double> weights;
    for (int ch = 0; ch < 4; ++ch) weights.push_back(-c.w[ch].item<double>() / 64.0);
    expect_maps_equal(r.maps, n, expected_map(c, n, weights));
  }
}

TEST(Cam, GradCamPlusPlusOfALinearModelIsTheClosedForm) {
  // With g_c = w_c / 64 at every position, Chattopadhay et al.'s alpha is the same everywhere:
  // alpha_c = g^2 / (2 g^2 + S_c g^3 + eps) with S_c the channel's sum (pytorch-grad-cam's eps
  // 1e-6), and the weight is 64 * alpha_c * relu(g_c).
  const LinearCase c = linear_case();
  LinearInActivation model(c.kernel.clone(), c.w);
  const CamResult r = compute_cam(model, c.images, {CamMethod::kGradCamPlusPlus});
  for (int n = 0; n < 2; ++n) {
    std::vector<double> weights;
    for (int ch = 0; ch < 4; ++ch) {
      const double g = c.w[ch].item<double>() / 64.0;
      const double s = c.activation[n][ch].sum().item<double>();
      const double alpha = g * g / (2 * g * g + s * g * g * g + 1e-6);
      weights.push_back(64.0 * alpha * std::max(0.0, g));
    }
    expect_maps_equal(r.maps, n, expected_map(c, n, weights));
  }
}

TEST(Cam, ScoreCamOfALinearModelIsTheClosedForm) {
  // Wang et al.: mask_k = min-max(A_k) (the grid is the input's size, so no upsampling), score_k
  // = the logit of the input times mask_k, weights = softmax_k(score_k).
  const LinearCase c = linear_case();
  LinearInActivation model(c.kernel.clone(), c.w);
  CamOptions o{CamMethod::kScoreCam};
  o.score_batch = 3;  // batches that do not divide the 4 channels
  const CamResult r = compute_cam(model, c.images, o);
  for (int n = 0; n < 2; ++n) {
    std::vector<double> scores;
    for (int k = 0; k < 4; ++k) {
      auto a = c.activation[n][k].to(torch::kDouble);
      auto mask = (a - a.min()) / (a.max() - a.min());
      auto masked = c.images[n].to(torch::kDouble) * mask;
      auto conv = torch::conv2d(masked.unsqueeze(0), c.kernel.to(torch::kDouble), {}, 1, 1);
      scores.push_back((conv[0].mean({1, 2}) * c.w.to(torch::kDouble)).sum().item<double>());
    }
    const double top = *std::max_element(scores.begin(), scores.end());
    double total = 0;
    for (double s : scores) total += std::exp(s - top);
    std::vector<double> weights;
    for (double s : scores) weights.push_back(std::exp(s - top) / total);
    expect_maps_equal(r.maps, n, expected_map(c, n, weights));
  }
}

TEST(Cam, UnknownMethodAndTargetAreErrors) {
  EXPECT_THROW(parse_cam_method("gradcam2"), Error);
  EXPECT_EQ(parse_cam_method("scorecam"), CamMethod::kScoreCam);
  const LinearCase c = linear_case();
  LinearInActivation model(c.kernel.clone(), c.w);
  CamOptions o;
  o.target_class = 1;
  EXPECT_THROW(compute_cam(model, c.images, o), Error);
}

// Each architecture's tap: the logits are forward()'s, the grid has the expected shape, and a
// randomly initialised model gives a finite map that is not constant, for every method.
void check_tap(const std::string& name, int64_t size, int64_t channels, int64_t side) {
  SCOPED_TRACE(name);
  torch::manual_seed(3);
  auto model = create_model(name, {1, 3, size});
  model->eval();
  auto images = torch::randn({2, 3, size, size});
  CamTap tap = model->forward_tap(images);
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::allclose(tap.logits, model->forward(images), 1e-4, 1e-5));
  EXPECT_EQ(model->to_grid(tap.activation).sizes(),
            (std::vector<int64_t>{2, channels, side, side}));
  for (CamMethod m : {CamMethod::kGradCam, CamMethod::kGradCamPlusPlus, CamMethod::kScoreCam}) {
    SCOPED_TRACE(cam_method_name(m));
    CamOptions o{m};
    o.score_batch = 256;
    // Score-CAM runs one forward pass per channel: one image is enough to check it.
    const int64_t n_images = m == CamMethod::kScoreCam ? 1 : 2;
    const CamResult r = compute_cam(*model, images.slice(0, 0, n_images), o);
    ASSERT_EQ(r.maps.sizes(), (std::vector<int64_t>{n_images, size, size}));
    EXPECT_TRUE(torch::isfinite(r.maps).all().item<bool>());
    for (int64_t n = 0; n < n_images; ++n)
      EXPECT_GT((r.maps[n].max() - r.maps[n].min()).item<float>(), 0.5f);
  }
}

TEST(CamTaps, EfficientNetIsTheLastConvStage) { check_tap("efficientnet_b0", 64, 1280, 2); }
TEST(CamTaps, VitDropsTheClassTokenOntoThePatchGrid) { check_tap("vit_ti_16", 64, 192, 4); }
TEST(CamTaps, SwinIsTheLastStageAfterTheNorm) { check_tap("swin_t", 64, 768, 2); }

TEST(CamTaps, VitGridKeepsThePatchOrder) {
  // Token 1 + r * grid + c (after the class token) is the patch at row r, column c.
  auto model = create_model("vit_ti_16", {1, 3, 64});
  auto tokens = torch::arange(2 * 17 * 3, torch::kFloat).view({2, 17, 3});
  auto grid = model->to_grid(tokens);
  for (int r = 0; r < 4; ++r)
    for (int col = 0; col < 4; ++col)
      EXPECT_EQ(grid[1][2][r][col].item<float>(), tokens[1][1 + r * 4 + col][2].item<float>());
}

TEST(Overlay, CropMapGoesBackWhereTheCropCameFrom) {
  cv::Mat cam(4, 4, CV_32FC1, cv::Scalar(0.5f));
  cam.at<float>(1, 2) = 1.0f;
  const cv::Mat full = place_cam(cam, cv::Rect(20, 10, 8, 8), cv::Size(40, 30));
  ASSERT_EQ(full.size(), cv::Size(40, 30));
  EXPECT_EQ(cv::countNonZero(full), 64);
  EXPECT_EQ(cv::countNonZero(full(cv::Rect(20, 10, 8, 8))), 64);
  const cv::Point peak = cam_peak(full);
  EXPECT_GE(peak.x, 20 + 4);  // column 2 of 4 -> x 24..25 of the 8-wide crop
  EXPECT_LE(peak.x, 20 + 5);
  EXPECT_GE(peak.y, 10 + 2);
  EXPECT_LE(peak.y, 10 + 3);
  EXPECT_NEAR(roi_heat_share(full, RoiBox{20, 10, 28, 18}), 1.0, 1e-9);
  EXPECT_NEAR(roi_heat_share(full, RoiBox{0, 0, 20, 30}), 0.0, 1e-9);
  const double left = cv::sum(full(cv::Rect(20, 10, 4, 8)))[0] / cv::sum(full)[0];
  EXPECT_NEAR(roi_heat_share(full, RoiBox{0, 0, 24, 30}), left, 1e-9);
  EXPECT_THROW(place_cam(cam, cv::Rect(36, 10, 8, 8), cv::Size(40, 30)), Error);
}

TEST(Overlay, PlainImageBesideTheBlend) {
  cv::Mat radiograph(30, 40, CV_16UC1);
  cv::randu(radiograph, 0, 4096);
  cv::Mat map = cv::Mat::zeros(30, 40, CV_32FC1);
  map(cv::Rect(5, 5, 10, 10)).setTo(1.0f);
  const cv::Mat out = overlay_side_by_side(radiograph, map);
  ASSERT_EQ(out.size(), cv::Size(80, 30));
  ASSERT_EQ(out.type(), CV_8UC3);
  cv::Mat left_grey;
  cv::cvtColor(out(cv::Rect(0, 0, 40, 30)), left_grey, cv::COLOR_BGR2GRAY);
  EXPECT_EQ(cv::norm(left_grey, grey_8bit(radiograph), cv::NORM_INF), 0);
  // Where there is no heat the blend is the grey image under JET's dark blue, not the image.
  EXPECT_GT(cv::norm(out(cv::Rect(40, 0, 40, 30)), out(cv::Rect(0, 0, 40, 30)), cv::NORM_INF), 0);
}

}  // namespace
}  // namespace deeptirp
