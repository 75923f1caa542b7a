// timm -> torchvision names: every key of timm's state dict maps, none is left over, and the result
// has exactly torchvision's keys and shapes (both lists written by reference scripts: timm's from
// its architecture rules, torchvision's from python3-torchvision 0.14 itself).
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "deeptirp/error.h"
#include "deeptirp/models/state_dict.h"
#include "reference_fixtures.h"
#include "test_support.h"

namespace deeptirp {
namespace {

namespace fs = std::filesystem;

struct Key {
  std::vector<int64_t> shape;
  std::string dtype;
  bool operator==(const Key& o) const { return shape == o.shape && dtype == o.dtype; }
};

std::string dtype_name(torch::Dtype d) {
  return d == torch::kInt64 ? "I64" : d == torch::kFloat32 ? "F32" : c10::toString(d);
}

std::ostream& operator<<(std::ostream& out, const Key& k) {
  out << k.dtype << "[";
  for (auto s : k.shape) out << s << ",";
  return out << "]";
}

class TimmNames : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string python = testing::reference_python();
    if (python.empty()) return;
    const std::string tools = DEEPTIRP_SOURCE_DIR "/tools/";
    dir_ = testing::reference_fixtures(
        "timm",
        python + " " + tools +
            "timm_state_dict_keys.py --arch efficientnet_b3,efficientnet_b4,vit_base_patch16_224,"
            "swin_tiny_patch4_window7_224,swin_base_patch4_window7_224,"
            "swin_tiny_patch4_window7_224@v0,swin_base_patch4_window7_224@v0 --out {out} && " +
            python + " " + tools +
            "write_reference_weights.py --keys-only --arch efficientnet_b3,efficientnet_b4,"
            "vit_b_16,swin_t,swin_b --out {out} && " +
            python + " " + tools +
            "write_reference_weights.py --arch swin_attention_w7 --out {out}",
        {"timm_state_dict_keys.py", "write_reference_weights.py"}, &log_);
    status_ = dir_.empty() ? 1 : 0;
  }
  void SetUp() override {
    if (testing::reference_python().empty()) GTEST_SKIP() << "no reference python3 with torch";
    ASSERT_EQ(status_, 0) << log_;
  }

  static nlohmann::json keys(const std::string& file) {
    std::ifstream in(dir_ / file);
    return nlohmann::json::parse(in);
  }

  // A timm state dict with the listed names and shapes (uninitialised values, except that every
  // tensor is distinct memory so that values can be followed through the mapping).
  static StateDict timm_state_dict(const std::string& arch) {
    StateDict d;
    for (const auto& k : keys(arch + ".timm.json")) {
      const auto dtype = k.at("dtype") == "I64" ? torch::kInt64 : torch::kFloat32;
      d.emplace_back(k.at("name"), torch::empty(k.at("shape").get<std::vector<int64_t>>(), dtype));
    }
    return d;
  }

  static void expect_torchvision_keys(const std::string& timm_arch, const std::string& family,
                                      const std::string& torchvision_arch) {
    SCOPED_TRACE(timm_arch + " -> " + torchvision_arch);
    const StateDict timm = timm_state_dict(timm_arch);
    ASSERT_GT(timm.size(), 100u);
    const StateDict mapped = map_timm_names(timm, family, timm_arch);
    std::map<std::string, Key> got, want;
    for (const auto& [name, t] : mapped) got[name] = {t.sizes().vec(), dtype_name(t.scalar_type())};
    for (const auto& k : keys(torchvision_arch + ".keys.json"))
      want[k.at("name")] = {k.at("shape").get<std::vector<int64_t>>(), k.at("dtype")};
    for (const auto& [name, key] : want) {
      auto it = got.find(name);
      if (it == got.end())
        ADD_FAILURE() << "torchvision key not produced: " << name;
      else
        EXPECT_EQ(it->second, key) << name;
    }
    for (const auto& [name, key] : got)
      if (!want.count(name)) ADD_FAILURE() << "mapped key not in torchvision: " << name;
    EXPECT_EQ(mapped.size(), want.size());
  }

  static inline fs::path dir_;
  static inline int status_ = -1;
  static inline std::string log_;
};

TEST_F(TimmNames, EfficientNetB3MapsOntoTorchvision) {
  expect_torchvision_keys("efficientnet_b3", "efficientnet", "efficientnet_b3");
}
TEST_F(TimmNames, EfficientNetB4MapsOntoTorchvision) {
  expect_torchvision_keys("efficientnet_b4", "efficientnet", "efficientnet_b4");
}
TEST_F(TimmNames, VitBase16MapsOntoTorchvision) {
  expect_torchvision_keys("vit_base_patch16_224", "vit", "vit_b_16");
}
TEST_F(TimmNames, SwinTinyMapsOntoTorchvisionInBothTimmLayouts) {
  expect_torchvision_keys("swin_tiny_patch4_window7_224", "swin", "swin_t");
  expect_torchvision_keys("swin_tiny_patch4_window7_224@v0", "swin", "swin_t");
}
TEST_F(TimmNames, SwinBaseMapsOntoTorchvisionInBothTimmLayouts) {
  expect_torchvision_keys("swin_base_patch4_window7_224", "swin", "swin_b");
  expect_torchvision_keys("swin_base_patch4_window7_224@v0", "swin", "swin_b");
}

// Names that shapes cannot tell apart (two norms of one width in one block): the tensor must land
// on the layer at the same place in the forward pass. Module orders from the sources: timm
// InvertedResidual conv_pw, bn1, conv_dw, bn2, se, conv_pwl, bn3 and torchvision MBConv
// block.0 (expand conv, bn), block.1 (depthwise conv, bn), block.2 (SE), block.3 (project);
// timm Block norm1 -> attn -> norm2 -> mlp and torchvision EncoderBlock ln_1 -> self_attention ->
// ln_2 -> mlp; Swin blocks alike (norm1 / norm2 in both).
TEST_F(TimmNames, SameShapedLayersLandInForwardOrder) {
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> cases = {
      {"efficientnet_b3", "efficientnet", "blocks.1.0.bn1.weight", "features.2.0.block.0.1.weight"},
      {"efficientnet_b3", "efficientnet", "blocks.1.0.bn2.running_var",
       "features.2.0.block.1.1.running_var"},
      {"efficientnet_b3", "efficientnet", "blocks.0.0.bn1.bias", "features.1.0.block.0.1.bias"},
      {"efficientnet_b3", "efficientnet", "blocks.0.1.bn2.bias", "features.1.1.block.2.1.bias"},
      {"efficientnet_b3", "efficientnet", "bn1.weight", "features.0.1.weight"},
      {"efficientnet_b3", "efficientnet", "bn2.weight", "features.8.1.weight"},
      {"vit_base_patch16_224", "vit", "blocks.5.norm1.weight",
       "encoder.layers.encoder_layer_5.ln_1.weight"},
      {"vit_base_patch16_224", "vit", "blocks.5.norm2.bias",
       "encoder.layers.encoder_layer_5.ln_2.bias"},
      {"vit_base_patch16_224", "vit", "norm.weight", "encoder.ln.weight"},
      {"swin_tiny_patch4_window7_224", "swin", "layers.2.blocks.3.norm2.weight",
       "features.5.3.norm2.weight"},
      {"swin_tiny_patch4_window7_224", "swin", "layers.1.downsample.norm.weight",
       "features.2.norm.weight"},
      {"swin_tiny_patch4_window7_224@v0", "swin", "layers.0.downsample.norm.weight",
       "features.2.norm.weight"},
      {"swin_tiny_patch4_window7_224", "swin", "patch_embed.norm.bias", "features.0.2.bias"},
  };
  for (const auto& [arch, family, from, to] : cases) {
    SCOPED_TRACE(arch + ": " + from);
    const StateDict timm = timm_state_dict(arch);
    const StateDict mapped = map_timm_names(timm, family);
    const void* source = nullptr;
    for (const auto& [n, t] : timm)
      if (n == from) source = t.data_ptr();
    ASSERT_NE(source, nullptr);
    bool found = false;
    for (const auto& [n, t] : mapped)
      if (n == to) {
        found = true;
        EXPECT_EQ(t.data_ptr(), source);
      }
    EXPECT_TRUE(found) << to;
  }
}

// The index timm >= 0.9 leaves out is filled in with torchvision's own values; old timm's [49, 49]
// index is flattened in row-major order.
TEST_F(TimmNames, SwinRelativePositionIndexMatchesTorchvision) {
  const StateDict tv = read_safetensors(dir_ / "swin_attention_w7.safetensors");
  torch::Tensor expected;
  for (const auto& [n, t] : tv)
    if (n == "relative_position_index") expected = t;
  ASSERT_TRUE(expected.defined());
  ASSERT_EQ(expected.numel(), 49 * 49);
  const StateDict mapped = map_timm_names(timm_state_dict("swin_tiny_patch4_window7_224"), "swin");
  int filled = 0;
  for (const auto& [n, t] : mapped)
    if (n.find("relative_position_index") != std::string::npos) {
      ++filled;
      EXPECT_TRUE(torch::equal(t, expected)) << n;
    }
  EXPECT_EQ(filled, 12);  // one per block of swin_t
  StateDict old = {
      {"patch_embed.proj.weight", torch::zeros({96, 3, 4, 4})},
      {"layers.0.blocks.0.attn.relative_position_index", torch::arange(49 * 49).reshape({49, 49})}};
  const StateDict flat = map_timm_names(old, "swin");
  ASSERT_EQ(flat.size(), 2u);
  EXPECT_EQ(flat[1].first, "features.1.0.attn.relative_position_index");
  EXPECT_TRUE(torch::equal(flat[1].second, torch::arange(49 * 49)));
}

TEST_F(TimmNames, KeysWithoutATorchvisionNameAreErrorsNamingThem) {
  StateDict vit = timm_state_dict("vit_base_patch16_224");
  vit.emplace_back("blocks.0.ls1.gamma", torch::zeros({768}));
  vit.emplace_back("fc_norm.weight", torch::zeros({768}));
  try {
    map_timm_names(vit, "vit", "model.safetensors");
    ADD_FAILURE() << "unmapped keys were accepted";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("model.safetensors"), std::string::npos) << what;
    EXPECT_NE(what.find("blocks.0.ls1.gamma"), std::string::npos) << what;
    EXPECT_NE(what.find("fc_norm.weight"), std::string::npos) << what;
  }
  EXPECT_THROW(map_timm_names(vit, "resnet"), Error);
  // An EfficientNet file mapped as Swin fails instead of loading half.
  EXPECT_THROW(map_timm_names(timm_state_dict("efficientnet_b3"), "swin"), Error);
}

}  // namespace
}  // namespace deeptirp
