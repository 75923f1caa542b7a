#include "deeptirp/models/model_card.h"

#include "deeptirp/error.h"
#include "deeptirp/io/json_file.h"
#include "deeptirp/models/registry.h"
#include "deeptirp/models/test_time.h"
#include "deeptirp/version.h"

namespace deeptirp {
namespace {

using json = nlohmann::json;

template <typename T>
T field(const json& doc, const char* key, const std::string& source) {
  if (!doc.contains(key)) throw Error(source + ": model card: missing key '" + key + "'");
  try {
    return doc.at(key).get<T>();
  } catch (const json::exception&) {
    throw Error(source + ": model card: key '" + key + "' has the wrong type (" +
                doc.at(key).dump().substr(0, 60) + ")");
  }
}

WeightsPreset parse_preset(const json& doc, const std::string& source) {
  WeightsPreset p;
  p.mean = field<std::array<double, 3>>(doc, "mean", source);
  p.std = field<std::array<double, 3>>(doc, "std", source);
  p.interpolation = field<std::string>(doc, "interpolation", source);
  return p;
}

json key_or_null(const json& doc, const char* key) { return doc.contains(key) ? doc[key] : json(); }

// deeptirp 0.1's two cards in this version's form, so that one parser reads all three. A key the
// old card lacks becomes null, which the parser names as missing or of the wrong type.
// The run card: {architecture, image_size, channels, roi_margin, mean, std, target, positive,
// classes, num_classes, tool}.
json upgraded_run_card_v1(const json& doc) {
  json v2 = doc;
  v2["num_classes"] = doc.value("num_classes", 1);
  v2["normalisation"] = {
      {"kind", "dataset"}, {"mean", key_or_null(doc, "mean")}, {"std", key_or_null(doc, "std")}};
  v2["tool_version"] = doc.value("tool", "");
  return v2;
}

// The model-file sidecar: {format, architecture, input_size, in_chans, num_classes, mean[3],
// std[3], interpolation, classes, tool_version}; its mean/std were the weights' preset, and it
// described no classifier of a study.
json upgraded_sidecar_v1(const json& doc) {
  json v2 = doc;
  v2["image_size"] = key_or_null(doc, "input_size");
  v2["channels"] = key_or_null(doc, "in_chans");
  const ModelCard defaults;
  v2["roi_margin"] = defaults.roi_margin;
  v2["normalisation"] = {
      {"kind", defaults.normalisation}, {"mean", defaults.norm.mean}, {"std", defaults.norm.std}};
  v2["target"] = "";
  v2["positive"] = "";
  v2["weights_preset"] = {{"mean", key_or_null(doc, "mean")},
                          {"std", key_or_null(doc, "std")},
                          {"interpolation", key_or_null(doc, "interpolation")}};
  return v2;
}

ModelCard parse_card(const json& doc, const std::string& source) {
  ModelCard c;
  c.architecture = field<std::string>(doc, "architecture", source);
  c.image_size = field<int>(doc, "image_size", source);
  c.channels = field<int>(doc, "channels", source);
  c.num_classes = field<int>(doc, "num_classes", source);
  c.roi_margin = field<double>(doc, "roi_margin", source);
  if (doc.contains("min_crop")) c.min_crop = field<double>(doc, "min_crop", source);  // absent: 0
  const json intensity = field<json>(doc, "normalisation", source);
  c.normalisation = field<std::string>(intensity, "kind", source);
  if (!is_intensity_kind(c.normalisation))
    throw Error(source + ": model card: normalisation kind '" + c.normalisation +
                "' is not one this deeptirp knows (" + intensity_kinds_text() + ")");
  c.norm.mean = field<double>(intensity, "mean", source);
  c.norm.std = field<double>(intensity, "std", source);
  c.target = field<std::string>(doc, "target", source);
  c.positive = field<std::string>(doc, "positive", source);
  c.classes = field<std::vector<std::string>>(doc, "classes", source);
  if (doc.contains("weights_preset") && !doc["weights_preset"].is_null())
    c.weights_preset = parse_preset(doc["weights_preset"], source);
  if (doc.contains("tta")) c.tta = field<std::string>(doc, "tta", source);  // absent: none
  c.tool_version = field<std::string>(doc, "tool_version", source);
  return c;
}

void check_card(const ModelCard& c, const std::string& source) {
  architecture(c.architecture);  // throws for an unknown name
  auto bad = [&](const std::string& what) { throw Error(source + ": model card: " + what); };
  if (c.channels != 1 && c.channels != 3)
    bad("'channels' must be 1 or 3; got " + std::to_string(c.channels));
  if (c.num_classes < 1) bad("'num_classes' must be at least 1");
  if (c.image_size < 1) bad("'image_size' must be positive");
  if (!(c.roi_margin >= 0)) bad("'roi_margin' must not be negative");
  if (!(c.min_crop >= 0 && c.min_crop <= 1)) bad("'min_crop' must be between 0 and 1");
  if (!(c.norm.std > 0)) bad("the normalisation's 'std' must be positive");
  if (!is_tta_kind(c.tta))
    bad("'tta' must be one of " + tta_kinds_text() + "; got '" + c.tta + "'");
  const auto names = static_cast<int>(c.classes.size());
  if (c.target.empty() && names != 0 && names != c.num_classes &&
      !(c.num_classes == 1 && names == 2))
    bad("'classes' names " + std::to_string(names) + " classes for " +
        std::to_string(c.num_classes) + " logits");
  if (c.weights_preset)
    for (double s : c.weights_preset->std)
      if (!(s > 0)) bad("the weights preset's 'std' values must be positive");
}

}  // namespace

ImageOptions ModelCard::image_options() const {
  ImageOptions o;
  o.size = image_size;
  o.channels = channels;
  o.roi_margin = roi_margin;
  o.min_crop = min_crop;
  o.intensity = normalisation;
  return o;
}

void ModelCard::check_classifier(const std::string& source) const {
  if (num_classes != 1 || positive.empty())
    throw Error(source +
                ": not a trained classifier of the study (no positive class; a model "
                "converted from a checkpoint is a starting point: `deeptirp train` with "
                "weights: it)");
}

json model_card_json(const ModelCard& c) {
  json doc = {
      {"format", kModelCardFormat},
      {"card_version", kModelCardVersion},
      {"architecture", c.architecture},
      {"image_size", c.image_size},
      {"channels", c.channels},
      {"num_classes", c.num_classes},
      {"roi_margin", c.roi_margin},
      {"min_crop", c.min_crop},
      {"normalisation", {{"kind", c.normalisation}, {"mean", c.norm.mean}, {"std", c.norm.std}}},
      {"target", c.target},
      {"positive", c.positive},
      {"classes", c.classes},
      {"tta", c.tta},
      {"tool_version", c.tool_version}};
  if (c.weights_preset)
    doc["weights_preset"] = {{"mean", c.weights_preset->mean},
                             {"std", c.weights_preset->std},
                             {"interpolation", c.weights_preset->interpolation}};
  return doc;
}

ModelCard parse_model_card(const json& doc, const std::string& source) {
  if (!doc.is_object()) throw Error(source + ": not a deeptirp model card (not a JSON object)");
  ModelCard card;
  if (!doc.contains("format")) {
    if (!doc.contains("image_size"))
      throw Error(source + ": not a deeptirp model card (no \"format\": \"deeptirp-model\")");
    card = parse_card(upgraded_run_card_v1(doc), source);
  } else if (doc.at("format") != kModelCardFormat) {
    throw Error(source + ": not a deeptirp model card (\"format\" is " + doc.at("format").dump() +
                ")");
  } else if (!doc.contains("card_version")) {
    card = parse_card(upgraded_sidecar_v1(doc), source);
  } else {
    const int version = field<int>(doc, "card_version", source);
    if (version != kModelCardVersion)
      throw Error(source + ": model card version " + std::to_string(version) +
                  " is newer than this deeptirp reads (" + std::to_string(kModelCardVersion) +
                  "); use the deeptirp that wrote it (" +
                  doc.value("tool_version", std::string("unknown")) + ")");
    card = parse_card(doc, source);
  }
  check_card(card, source);
  return card;
}

ModelCard read_model_card(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) throw Error(path.string() + ": no model card here");
  return parse_model_card(read_json_file(path), path.string());
}

void write_model_card(const std::filesystem::path& path, ModelCard card) {
  if (card.tool_version.empty()) card.tool_version = kVersion;
  write_json_file(path, model_card_json(card));
}

}  // namespace deeptirp
