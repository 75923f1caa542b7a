#include "deeptirp/train/run_setup.h"

#include "deeptirp/error.h"
#include "deeptirp/models/registry.h"
#include "deeptirp/models/state_dict.h"
#include "deeptirp/version.h"

namespace deeptirp {

nlohmann::json ModelCard::to_json() const {
  return {{"architecture", architecture},
          {"image_size", image_size},
          {"channels", channels},
          {"roi_margin", roi_margin},
          {"mean", norm.mean},
          {"std", norm.std},
          {"target", target},
          {"positive", positive},
          {"classes", classes},
          {"num_classes", 1},
          {"tool", std::string("deeptirp ") + kVersion}};
}

ModelCard ModelCard::from_json(const nlohmann::json& j, const std::string& source) {
  try {
    ModelCard c;
    c.architecture = j.at("architecture");
    c.image_size = j.at("image_size");
    c.channels = j.at("channels");
    c.roi_margin = j.at("roi_margin");
    c.norm.mean = j.at("mean");
    c.norm.std = j.at("std");
    c.target = j.at("target");
    c.positive = j.at("positive");
    c.classes = j.at("classes").get<std::vector<std::string>>();
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": not a deeptirp model card (" + e.what() + ")");
  }
}

ImageOptions ModelCard::image_options() const {
  ImageOptions o;
  o.size = image_size;
  o.channels = channels;
  o.roi_margin = roi_margin;
  return o;
}

std::shared_ptr<ImageModel> build_model(const ModelCard& card, const ModelOptions& training) {
  ModelOptions options = training;
  options.num_classes = 1;  // one logit for a sigmoid, as in the study
  options.in_chans = card.channels;
  options.image_size = card.image_size;
  return create_model(card.architecture, options);
}

void load_pretrained(ImageModel& model, const std::string& architecture,
                     const std::string& weights_path) {
  const LoadReport report =
      load_weights(model, architecture, std::filesystem::path(weights_path));
  if (report.head_replaced || report.stem_summed)
    std::printf("%s: %s\n", weights_path.c_str(), report.describe().c_str());
}

}  // namespace deeptirp
