#pragma once
// Swin Transformer (Liu et al. 2021) exactly as torchvision 0.14's swin_t / swin_s / swin_b:
// patch 4, window 7, shifted windows with an attention mask, relative position bias.
#include <memory>
#include <string>

#include "deeptirp/models/image_model.h"

namespace deeptirp {

struct SwinSize {
  int64_t embed_dim;
  int64_t depths[4];
  int64_t heads[4];
  // torchvision's stochastic depth: block i of n drops each residual branch with probability
  // stochastic_depth * i / (n - 1) in training.
  double stochastic_depth;
};

// "t", "s", "b"; throws Error otherwise.
SwinSize swin_size(const std::string& variant);

// Input sizes: a multiple of 32 (patch 4 and three 2x patch merges divide it exactly). Stage
// grids that are not a multiple of the window are padded as torchvision pads them, and a window
// that covers a whole stage is not shifted; both keep parity with torchvision at any such size.
constexpr int64_t kSwinSizeMultiple = 32;
void check_swin_input_size(int64_t height, int64_t width);

std::shared_ptr<ImageModel> make_swin(const SwinSize& size, const ModelOptions& options);

}  // namespace deeptirp
