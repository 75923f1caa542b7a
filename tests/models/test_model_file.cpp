// Our own model files: safetensors + the model card; a round trip gives the same logits, a card
// that does not describe its weights is refused by name, and deeptirp 0.1's cards still load.
#include <nlohmann/json.hpp>

#include <fstream>

#include <opencv2/core.hpp>

#include "deeptirp/data/preprocess.h"
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

ModelCard binary_info() {
  ModelCard card;
  card.architecture = "efficientnet_b0";
  card.target.clear();  // converted, not trained
  card.weights_preset = WeightsPreset{{0.5, 0.5, 0.5}, {0.25, 0.25, 0.25}, "bicubic"};
  card.classes = {"infection", "tumour"};
  return card;
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
  EXPECT_EQ(sidecar["format"], "deeptirp-model");
  EXPECT_EQ(sidecar["card_version"], kModelCardVersion);
  EXPECT_EQ(sidecar["architecture"], "efficientnet_b0");
  EXPECT_EQ(sidecar["channels"], 1);
  EXPECT_EQ(sidecar["num_classes"], 1);
  EXPECT_EQ(sidecar["image_size"], 128);
  EXPECT_EQ(sidecar["tool_version"], kVersion);
  EXPECT_EQ(sidecar["classes"], nlohmann::json({"infection", "tumour"}));

  LoadedModel loaded = load_model_file(dir / "m.json");  // either path names the pair
  ASSERT_TRUE(loaded.card.weights_preset);
  EXPECT_EQ(loaded.card.weights_preset->std[0], 0.25);
  EXPECT_THROW(loaded.card.check_classifier("m.json"), Error) << "a converted model predicts";
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
  doc.erase("normalisation");
  expect_error(doc, "'normalisation'");
  doc = original;
  doc["channels"] = 2;
  expect_error(doc, "channels");
  doc = original;
  doc["card_version"] = kModelCardVersion + 1;
  expect_error(doc, "newer than this deeptirp reads");
  std::filesystem::remove(dir / "m.json");
  EXPECT_THROW(load_model_file(dir / "m.safetensors"), Error);
}

// The two cards of deeptirp 0.1, as it wrote them: a training run's model.json and a converted
// model's sidecar. Both load, and say what they said.
TEST(ModelCard, Version1CardsLoad) {
  const auto run = parse_model_card(nlohmann::json::parse(R"({"architecture": "efficientnet_b0",
      "image_size": 128, "channels": 3, "roi_margin": 0.1, "mean": 0.41, "std": 0.22,
      "target": "diagnosis", "positive": "tumour", "classes": ["infection", "tumour"],
      "num_classes": 1, "tool": "deeptirp 0.1.0"})"),
                                    "run/model.json");
  EXPECT_EQ(run.image_size, 128);
  EXPECT_DOUBLE_EQ(run.norm.mean, 0.41);
  EXPECT_DOUBLE_EQ(run.norm.std, 0.22);
  EXPECT_EQ(run.positive, "tumour");
  EXPECT_NO_THROW(run.check_classifier("run/model.json"));
  const auto sidecar = parse_model_card(nlohmann::json::parse(R"({"format": "deeptirp-model",
      "architecture": "vit_ti_16", "input_size": 64, "in_chans": 3, "num_classes": 3,
      "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225], "interpolation": "bilinear",
      "classes": ["a", "b", "c"], "tool_version": "0.1.0"})"),
                                        "vit.json");
  EXPECT_EQ(sidecar.image_size, 64);
  EXPECT_EQ(sidecar.num_classes, 3);
  ASSERT_TRUE(sidecar.weights_preset);
  EXPECT_EQ(sidecar.weights_preset->interpolation, "bilinear");
  // Written again, a card reads back as the same card.
  EXPECT_EQ(model_card_json(parse_model_card(model_card_json(run), "x")), model_card_json(run));
  EXPECT_EQ(model_card_json(parse_model_card(model_card_json(sidecar), "x")),
            model_card_json(sidecar));
  try {
    parse_model_card(nlohmann::json::parse(R"({"weights": 1})"), "other.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("other.json: not a deeptirp model card"),
              std::string::npos)
        << e.what();
  }
}

// The crop a model trained on is the crop predict, explain and the bundle make from its card
// (each builds it from card.image_options()), bit for bit, whatever the intensity mode.
TEST(ModelCard, EveryIntensityModeGivesTheTrainingCropBack) {
  const auto dir = scratch_dir("card_intensity");
  cv::Mat radiograph(90, 70, CV_16UC1);
  for (int y = 0; y < 90; ++y)
    for (int x = 0; x < 70; ++x)
      radiograph.at<std::uint16_t>(y, x) = static_cast<std::uint16_t>(3000 + 97 * x + 211 * y);
  const RoiBox roi{10, 20, 50, 70};
  for (const char* mode : {"dataset", "per-image", "clahe", "equalize"}) {
    ImageOptions training;
    training.size = 32;
    training.intensity = mode;
    ModelCard card;
    card.architecture = "efficientnet_b0";
    card.image_size = training.size;
    card.normalisation = training.intensity;
    card.positive = "tumour";
    const ModelCard read = parse_model_card(model_card_json(card), "m.json");
    EXPECT_EQ(read.normalisation, mode);
    const cv::Mat trained = preprocess_image(radiograph, roi, training, "r.png");
    const cv::Mat served = preprocess_image(radiograph, roi, read.image_options(), "r.png");
    EXPECT_EQ(cv::countNonZero(trained != served), 0) << mode;
  }
  // A card naming a mode this deeptirp does not know is refused by name.
  try {
    nlohmann::json doc = model_card_json(ModelCard{"efficientnet_b0"});
    doc["normalisation"]["kind"] = "gamma";
    parse_model_card(doc, "m.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("normalisation kind 'gamma'"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace deeptirp::testing
