#include "deeptirp/models/test_time.h"

#include <vector>

#include "deeptirp/error.h"

namespace deeptirp {
namespace {

namespace F = torch::nn::functional;

// The central `fraction` of each image, resized back to its size: a closer look at the lesion,
// as training's random zoom shows it.
torch::Tensor centre_zoom(const torch::Tensor& images, double fraction) {
  const int64_t h = images.size(2), w = images.size(3);
  const int64_t ch = std::max<int64_t>(1, static_cast<int64_t>(h * fraction + 0.5));
  const int64_t cw = std::max<int64_t>(1, static_cast<int64_t>(w * fraction + 0.5));
  const torch::Tensor crop =
      images.narrow(2, (h - ch) / 2, ch).narrow(3, (w - cw) / 2, cw).contiguous();
  return F::interpolate(crop, F::InterpolateFuncOptions()
                                  .size(std::vector<int64_t>{h, w})
                                  .mode(torch::kBilinear)
                                  .align_corners(false));
}

std::vector<torch::Tensor> views_of(const torch::Tensor& images, const std::string& kind) {
  if (kind == "none") return {images};
  if (kind == "flips") return {images, images.flip({3}), images.flip({2}), images.flip({2, 3})};
  if (kind == "views") {
    const torch::Tensor zoom = centre_zoom(images, 0.875);
    return {images, images.flip({3}), zoom, zoom.flip({3})};
  }
  throw Error("test-time augmentation '" + kind + "' is not one of " + tta_kinds_text());
}

}  // namespace

bool is_tta_kind(const std::string& kind) {
  return kind == "none" || kind == "flips" || kind == "views";
}

std::string tta_kinds_text() { return "none | flips | views"; }

torch::Tensor tta_logits(const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                         const torch::Tensor& images, const std::string& kind) {
  torch::Tensor sum;
  const std::vector<torch::Tensor> views = views_of(images, kind);
  for (const auto& view : views) {
    torch::Tensor logits = forward(view).to(torch::kFloat32);
    sum = sum.defined() ? sum + logits : logits;
  }
  return sum / static_cast<double>(views.size());  // exact for one view
}

}  // namespace deeptirp
