// The registry builds every architecture with torchvision's parameter names and shapes, and
// knows torchvision's preprocessing for each.
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

#include "model_test_util.h"

namespace deeptirp::testing {
namespace {

using Shapes = std::map<std::string, std::vector<int64_t>>;

Shapes shapes_of(torch::nn::Module& model) {
  Shapes out;
  for (auto& item : model.named_parameters()) out[item.key()] = item.value().sizes().vec();
  for (auto& item : model.named_buffers()) out[item.key()] = item.value().sizes().vec();
  return out;
}

TEST(Registry, EveryArchitectureHasTorchvisionsNamesAndShapes) {
  DEEPTIRP_REQUIRE_REFERENCE_PYTHON();
  auto dir = scratch_dir("registry-keys");
  std::string names;
  for (const auto& info : architectures()) names += (names.empty() ? "" : ",") + info.name;
  const std::string command = reference_python() + " " + DEEPTIRP_SOURCE_DIR +
                              "/tools/write_reference_weights.py --keys-only --arch " + names +
                              " --out " + dir.string();
  std::string output;
  ASSERT_EQ(run_command(command, &output), 0) << output;
  for (const auto& info : architectures()) {
    std::ifstream in(dir / (info.name + ".keys.json"));
    Shapes expected;
    for (const auto& key : nlohmann::json::parse(in))
      expected[key["name"].get<std::string>()] = key["shape"].get<std::vector<int64_t>>();
    auto model = create_model(info.name, {1000, 3, 224});
    EXPECT_EQ(shapes_of(*model), expected) << info.name;
  }
}

TEST(Registry, PreprocessingIsTorchvisionsPresetForItsWeights) {
  DEEPTIRP_REQUIRE_REFERENCE_PYTHON();
  const std::string script =
      "import json, torchvision.models as m\n"
      "out = {}\n"
      "for name in ['efficientnet_b0','efficientnet_b1','efficientnet_b2','efficientnet_b3',\n"
      "             'efficientnet_b4','vit_b_16','swin_t','swin_s','swin_b']:\n"
      "    t = m.get_model_weights(name).IMAGENET1K_V1.transforms()\n"
      "    out[name] = [t.crop_size[0], t.resize_size[0], t.interpolation.value, t.mean, t.std]\n"
      "print(json.dumps(out))\n";
  auto dir = scratch_dir("registry-presets");
  std::ofstream(dir / "presets.py") << script;
  std::string output;
  ASSERT_EQ(run_command(reference_python() + " " + (dir / "presets.py").string(), &output), 0)
      << output;
  auto presets = nlohmann::json::parse(output.substr(output.find('{')));
  ASSERT_EQ(presets.size(), 9u);
  for (const auto& [name, preset] : presets.items()) {
    const ArchitectureInfo& info = architecture(name);
    EXPECT_EQ(info.input_size, preset[0].get<int64_t>()) << name;
    EXPECT_EQ(info.resize_size, preset[1].get<int64_t>()) << name;
    EXPECT_EQ(info.interpolation, preset[2].get<std::string>()) << name;
    for (int c = 0; c < 3; ++c) {
      EXPECT_DOUBLE_EQ(info.mean[c], preset[3][c].get<double>()) << name;
      EXPECT_DOUBLE_EQ(info.std[c], preset[4][c].get<double>()) << name;
    }
  }
}

TEST(Registry, BadRequestsNameWhatIsWrong) {
  try {
    create_model("resnet50", {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("resnet50"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("efficientnet_b3"), std::string::npos);
  }
  EXPECT_THROW(create_model("efficientnet_b3", {1, 2, 224}), Error);
  EXPECT_THROW(create_model("swin_t", {0, 3, 224}), Error);
}

// Regularisation that the architecture does not have is refused, not silently skipped.
TEST(Registry, RegularisationOnlyWhereTorchvisionHasIt) {
  auto options = [](double dropout, double stochastic_depth) {
    ModelOptions o{1, 3, 64};
    o.dropout = dropout;
    o.stochastic_depth = stochastic_depth;
    return o;
  };
  EXPECT_NO_THROW(create_model("efficientnet_b0", options(0.5, 0.1)));
  EXPECT_NO_THROW(create_model("swin_t", options(0, 0.1)));
  EXPECT_NO_THROW(create_model("vit_ti_16", options(0, 0)));
  EXPECT_THROW(create_model("efficientnet_b0", options(1.0, 0)), Error);
  EXPECT_THROW(create_model("swin_t", options(0.1, 0)), Error);
  try {
    create_model("vit_ti_16", options(-1, 0.1));
    FAIL() << "stochastic depth for ViT was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("stochastic depth"), std::string::npos) << e.what();
  }
}

TEST(Registry, ModelsTakeTheRequestedHeadChannelsAndDefaultSize) {
  for (const std::string name : {"efficientnet_b0", "vit_ti_16", "swin_t"}) {
    auto model = create_model(name, {1, 1, 0});
    EXPECT_EQ(model->options().image_size, architecture(name).input_size);
    prepare_for_inference(*model, Precision::kFloat32);
    const int64_t size = name == "efficientnet_b0" ? 64 : 224;
    EXPECT_EQ(predict_logits(*model, torch::rand({2, 1, size, size})).sizes(),
              (std::vector<int64_t>{2, 1}))
        << name;
  }
}

TEST(Registry, Bf16DetectionReadsTheCpuFlags) {
  EXPECT_TRUE(
      cpuinfo_has_bf16("processor\t: 0\nflags\t\t: fpu sse avx512f avx512_bf16 amx_tile\n"));
  EXPECT_TRUE(cpuinfo_has_bf16("flags\t\t: fpu amx_bf16\n"));
  EXPECT_FALSE(cpuinfo_has_bf16("flags\t\t: fpu sse avx2 avx512f avx512_vnni\n"));
  EXPECT_FALSE(cpuinfo_has_bf16("model name\t: avx512_bf16 in a name only\n"));
}

}  // namespace
}  // namespace deeptirp::testing
