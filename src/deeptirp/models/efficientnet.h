#pragma once
// EfficientNet B0..B4 (Tan & Le 2019) exactly as torchvision 0.14 builds it, so that torchvision
// checkpoints load by name.
#include <memory>

#include "deeptirp/models/image_model.h"

namespace deeptirp {

struct EfficientNetScale {
  double width_mult;
  double depth_mult;
  double dropout;  // before the classifier, in training
};

// torchvision's stochastic depth for every EfficientNet: block i of n (counting all blocks)
// drops its residual branch with probability kEfficientNetStochasticDepth * i / n in training.
constexpr double kEfficientNetStochasticDepth = 0.2;

// "b0" .. "b4"; throws Error for another variant.
EfficientNetScale efficientnet_scale(const std::string& variant);

std::shared_ptr<ImageModel> make_efficientnet(const EfficientNetScale& scale,
                                              const ModelOptions& options);

}  // namespace deeptirp
