#include "deeptirp/models/model_file.h"

#include <torch/nn/module.h>

#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/io/json_file.h"
#include "deeptirp/models/registry.h"
#include "deeptirp/models/state_dict.h"

namespace deeptirp {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFolderWeights = "model.safetensors";

}  // namespace

fs::path model_weights_path(const fs::path& path) {
  auto p = path;
  return p.replace_extension(".safetensors");
}

fs::path model_card_path(const fs::path& path) {
  auto p = path;
  return p.replace_extension(".json");
}

fs::path resolve_model_file(const fs::path& model) {
  if (!fs::is_directory(model)) {
    if (!fs::exists(model_card_path(model)) && !fs::exists(model_weights_path(model)))
      throw Error(model.string() + ": no such model file");
    return model_weights_path(model);
  }
  if (fs::exists(model / "model.json")) return model / kFolderWeights;
  const fs::path best = model / "best.json";
  if (fs::exists(best)) {
    const nlohmann::json pointer = read_json_file(best);
    if (!pointer.is_object() || !pointer.contains("folder") || !pointer["folder"].is_string())
      throw Error(best.string() + ": key 'folder' naming the best checkpoint is missing");
    const fs::path folder = model / pointer["folder"].get<std::string>();
    if (!fs::exists(folder / "model.json"))
      throw Error(best.string() + " names " + folder.string() + ", which holds no model.json");
    return folder / kFolderWeights;
  }
  throw Error(model.string() +
              ": neither a model file, a checkpoint folder (with model.json) "
              "nor a run folder (with best.json)");
}

std::shared_ptr<ImageModel> build_model(const ModelCard& card, const ModelOptions& training) {
  ModelOptions options = training;
  options.num_classes = card.num_classes;
  options.in_chans = card.channels;
  options.image_size = card.image_size;
  return create_model(card.architecture, options);
}

StateDict model_tensors(torch::nn::Module& model) {
  StateDict tensors;
  for (const auto& item : model.named_parameters(true))
    tensors.emplace_back(item.key(), item.value().detach().to(torch::kFloat32).cpu());
  for (const auto& item : model.named_buffers(true))
    tensors.emplace_back(item.key(), item.value().detach().cpu());
  return tensors;
}

void save_model_file(const fs::path& path, ImageModel& model, ModelCard card) {
  card.channels = static_cast<int>(model.options().in_chans);
  card.num_classes = static_cast<int>(model.options().num_classes);
  card.image_size = static_cast<int>(model.options().image_size);
  write_safetensors(model_weights_path(path), model_tensors(model),
                    {{"format", kModelCardFormat}, {"architecture", card.architecture}});
  write_model_card(model_card_path(path), card);
}

namespace {

LoadedModel load_model(const fs::path& path, bool classifier) {
  LoadedModel loaded;
  loaded.weights = resolve_model_file(path);
  const fs::path card = model_card_path(loaded.weights);
  loaded.card = read_model_card(card);
  if (classifier) loaded.card.check_classifier(card.string());
  loaded.model = build_model(loaded.card);
  // Our own files must match exactly: no head replacement, no stem summing.
  load_state_dict(*loaded.model, read_safetensors(loaded.weights), LoadOptions{"", "", false},
                  loaded.weights.string());
  loaded.model->eval();
  return loaded;
}

}  // namespace

LoadedModel load_model_file(const fs::path& path) { return load_model(path, false); }
LoadedModel load_classifier(const fs::path& path) { return load_model(path, true); }

}  // namespace deeptirp
