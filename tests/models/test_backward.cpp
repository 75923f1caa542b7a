// Every family must train: a backward pass through each architecture in training mode. (In-place
// operations on tensors that autograd saved once broke ViT and Swin training.)
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "deeptirp/models/registry.h"

namespace deeptirp {
namespace {

TEST(Backward, EveryFamilyGetsFiniteGradients) {
  torch::manual_seed(0);
  for (const char* name : {"efficientnet_b0", "vit_ti_16", "swin_t"}) {
    ModelOptions options;
    options.image_size = 64;
    auto model = create_model(name, options);
    model->train();
    const auto logits = model->forward(torch::randn({2, 3, 64, 64}));
    ASSERT_NO_THROW(logits.sum().backward()) << name;
    int with_gradient = 0;
    for (const auto& p : model->parameters()) {
      if (!p.grad().defined()) continue;
      ++with_gradient;
      EXPECT_TRUE(torch::isfinite(p.grad()).all().item<bool>()) << name;
    }
    EXPECT_EQ(with_gradient, static_cast<int>(model->parameters().size())) << name;
  }
}

}  // namespace
}  // namespace deeptirp
