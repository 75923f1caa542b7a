#pragma once
// Vision Transformer (Dosovitskiy et al. 2021) exactly as torchvision 0.14's VisionTransformer,
// patch 16; B/16 as in the study, S/16 and Ti/16 (DeiT sizes) for CPU work.
#include <memory>
#include <string>

#include "deeptirp/models/image_model.h"

namespace deeptirp {

struct VitSize {
  int64_t hidden_dim, num_heads, num_layers, mlp_dim;
};

// "b" (768, 12 heads, 12 layers, 3072), "s" (384, 6, 12, 1536), "ti" (192, 3, 12, 768).
VitSize vit_size(const std::string& variant);

// options.image_size must be a multiple of 16. A checkpoint for another size loads with its
// position embeddings interpolated as torchvision's interpolate_embeddings does (bicubic on the
// patch grid, align_corners, class token kept).
std::shared_ptr<ImageModel> make_vit(const VitSize& size, const ModelOptions& options);

}  // namespace deeptirp
