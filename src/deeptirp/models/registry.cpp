#include "deeptirp/models/registry.h"

#include "deeptirp/error.h"
#include "deeptirp/models/efficientnet.h"
#include "deeptirp/models/swin.h"
#include "deeptirp/models/vit.h"

namespace deeptirp {
namespace {

constexpr std::array<double, 3> kImagenetMean = {0.485, 0.456, 0.406};
constexpr std::array<double, 3> kImagenetStd = {0.229, 0.224, 0.225};

// Each builder and the list below are rows of one table, kept as such.
// clang-format off
ArchitectureInfo efficientnet(const std::string& variant, int64_t crop, int64_t resize) {
  return {"efficientnet_" + variant, "efficientnet", variant, crop, resize, "bicubic",
          kImagenetMean, kImagenetStd, "classifier.1.", "features.0.0.weight"};
}
ArchitectureInfo vit(const std::string& variant) {
  return {"vit_" + variant + "_16", "vit", variant, 224, 256, "bilinear",
          kImagenetMean, kImagenetStd, "heads.head.", "conv_proj.weight"};
}
ArchitectureInfo swin(const std::string& variant, int64_t resize) {
  return {"swin_" + variant, "swin", variant, 224, resize, "bicubic",
          kImagenetMean, kImagenetStd, "head.", "features.0.0.weight"};
}

}  // namespace

const std::vector<ArchitectureInfo>& architectures() {
  // Sizes and interpolation from torchvision 0.14's weight presets (IMAGENET1K_V1); S/16 and
  // Ti/16 have no torchvision weights and take B/16's.
  static const std::vector<ArchitectureInfo> all = {
      efficientnet("b0", 224, 256), efficientnet("b1", 240, 256), efficientnet("b2", 288, 288),
      efficientnet("b3", 300, 320), efficientnet("b4", 380, 384), vit("b"), vit("s"), vit("ti"),
      swin("t", 232), swin("s", 246), swin("b", 238)};
  return all;
}
// clang-format on

const ArchitectureInfo& architecture(const std::string& name) {
  std::string known;
  for (const auto& info : architectures()) {
    if (info.name == name) return info;
    known += (known.empty() ? "" : ", ") + info.name;
  }
  throw Error("unknown architecture '" + name + "'; known: " + known);
}

std::shared_ptr<ImageModel> create_model(const std::string& name, ModelOptions options) {
  const ArchitectureInfo& info = architecture(name);
  if (options.num_classes < 1) {
    throw Error(name + ": the number of classes must be at least 1; got " +
                std::to_string(options.num_classes));
  }
  if (options.in_chans != 1 && options.in_chans != 3) {
    throw Error(name + ": input channels must be 1 or 3; got " + std::to_string(options.in_chans));
  }
  if (options.image_size == 0) options.image_size = info.input_size;
  if (options.image_size < 32) {
    throw Error(name + ": input size must be at least 32; got " +
                std::to_string(options.image_size));
  }
  if (options.dropout >= 1 || options.stochastic_depth >= 1)
    throw Error(name + ": dropout and stochastic depth must be below 1");
  // Where torchvision's recipe has none (0 by default), we have none to turn on: say so rather
  // than train without what was asked for.
  if (options.dropout > 0 && info.family != "efficientnet")
    throw Error(name + ": dropout in training is available for EfficientNet only");
  if (options.stochastic_depth > 0 && info.family == "vit")
    throw Error(name + ": ViT has no stochastic depth (none in torchvision's ViT)");
  if (info.family == "efficientnet")
    return make_efficientnet(efficientnet_scale(info.variant), options);
  if (info.family == "vit") return make_vit(vit_size(info.variant), options);
  return make_swin(swin_size(info.variant), options);
}

LoadReport load_weights(ImageModel& model, const std::string& architecture_name, StateDict weights,
                        const std::string& source) {
  const ArchitectureInfo& info = architecture(architecture_name);
  model.adapt_weights(weights);
  LoadOptions options;
  options.head_prefix = info.head_prefix;
  options.stem_weight = info.stem_weight;
  return load_state_dict(model, weights, options, source);
}

LoadReport load_weights(ImageModel& model, const std::string& architecture_name,
                        const std::filesystem::path& path) {
  return load_weights(model, architecture_name, read_weights(path), path.string());
}

}  // namespace deeptirp
