// Our own model files: safetensors + JSON sidecar; a round trip gives the same logits, and a file
// that does not describe its weights is refused by name.
#include <nlohmann/json.hpp>

#include <fstream>

#include "deeptirp/io/atomic_file.h"
#include "deeptirp/models/model_file.h"
#include "deeptirp/version.h"
#include "model_test_util.h"

namespace deeptirp::testing {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

ModelFileInfo binary_info() {
  ModelFileInfo info;
  info.architecture = "efficientnet_b0";
  info.mean = {0.5, 0.5, 0.5};
  info.std = {0.25, 0.25, 0.25};
  info.interpolation = "bicubic";
  info.classes = {"infection", "tumour"};
  return info;
}

TEST(ModelFile, RoundTripGivesTheSameLogitsAndDescribesTheModel) {
  auto dir = scratch_dir("model-file");
  torch::manual_seed(1);
  auto model = create_model("efficientnet_b0", {1, 1, 128});
  {
    torch::NoGradGuard no_grad;
    for (auto& item : model->named_buffers())
      if (item.key().find("running_var") != std::string::npos) item.value().uniform_(0.5, 2);
  }
  save_model_file(dir / "m.safetensors", *model, binary_info());
  ASSERT_TRUE(std::filesystem::exists(dir / "m.json"));

  auto sidecar = nlohmann::json::parse(read_text(dir / "m.json"));
  EXPECT_EQ(sidecar["architecture"], "efficientnet_b0");
  EXPECT_EQ(sidecar["in_chans"], 1);
  EXPECT_EQ(sidecar["num_classes"], 1);
  EXPECT_EQ(sidecar["input_size"], 128);
  EXPECT_EQ(sidecar["tool_version"], kVersion);
  EXPECT_EQ(sidecar["classes"], nlohmann::json({"infection", "tumour"}));

  LoadedModel loaded = load_model_file(dir / "m.json");  // either path names the pair
  EXPECT_EQ(loaded.info.std[0], 0.25);
  prepare_for_inference(*model, Precision::kFloat32);
  prepare_for_inference(*loaded.model, Precision::kFloat32);
  auto x = torch::rand({2, 1, 128, 128});
  EXPECT_TRUE(torch::equal(predict_logits(*model, x), predict_logits(*loaded.model, x)));
}

TEST(ModelFile, TheWeightsFileHoldsNoPickle) {
  auto dir = scratch_dir("model-file-format");
  auto model = create_model("efficientnet_b0", {1, 3, 64});
  save_model_file(dir / "m.safetensors", *model, binary_info());
  std::ifstream in(dir / "m.safetensors", std::ios::binary);
  char head[9] = {};
  in.read(head, 9);
  EXPECT_EQ(head[8], '{');  // safetensors: 8-byte length, then JSON
  EXPECT_NE(std::string(head, 2), "PK");
}

TEST(ModelFile, MismatchedOrIncompleteSidecarsAreRefusedByName) {
  auto dir = scratch_dir("model-file-bad");
  auto model = create_model("efficientnet_b0", {1, 3, 64});
  save_model_file(dir / "m.safetensors", *model, binary_info());
  auto original = nlohmann::json::parse(read_text(dir / "m.json"));

  auto expect_error = [&](nlohmann::json doc, const std::string& needle) {
    write_file_atomically(dir / "m.json", doc.dump());
    try {
      load_model_file(dir / "m.safetensors");
      ADD_FAILURE() << "loaded with " << doc.dump();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  auto doc = original;
  doc["architecture"] = "efficientnet_b3";  // B0 weights under a B3 description
  expect_error(doc, "features.");
  doc = original;
  doc["num_classes"] = 3;  // the head in the file has 1 row
  doc["classes"] = nlohmann::json::array();
  expect_error(doc, "classifier.1.weight");
  doc = original;
  doc.erase("std");
  expect_error(doc, "'std'");
  doc = original;
  doc["in_chans"] = 2;
  expect_error(doc, "in_chans");
  std::filesystem::remove(dir / "m.json");
  EXPECT_THROW(load_model_file(dir / "m.safetensors"), Error);
}

}  // namespace
}  // namespace deeptirp::testing
