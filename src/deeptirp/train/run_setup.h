#pragma once
// What a training run and a prediction share: the study's target, the model card that travels
// with the weights, and the model built from it.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "deeptirp/data/preprocess.h"
#include "deeptirp/data/study_config.h"
#include "deeptirp/models/image_model.h"

namespace deeptirp {

struct TrainConfig;

// Everything needed to rebuild the model and its input from a run folder alone.
struct ModelCard {
  std::string architecture;
  int image_size = 224;
  int channels = 3;
  double roi_margin = 0.1;
  NormStats norm;
  std::string target = "label";
  std::string positive;
  std::vector<std::string> classes;

  nlohmann::json to_json() const;
  static ModelCard from_json(const nlohmann::json& j, const std::string& source);
  ImageOptions image_options() const;
};

// The card's model, one logit. `training` adds the run's dropout and stochastic depth (only
// training mode applies them; ModelOptions says what negative values mean).
std::shared_ptr<ImageModel> build_model(const ModelCard& card, const ModelOptions& training = {});

// Pretrained weights into a freshly built model (head replaced when the class count differs).
void load_pretrained(ImageModel& model, const std::string& architecture,
                     const std::string& weights_path);

}  // namespace deeptirp
