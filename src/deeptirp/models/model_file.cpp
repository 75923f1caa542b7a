#include "deeptirp/models/model_file.h"

#include <nlohmann/json.hpp>
#include <torch/nn/module.h>

#include <fstream>
#include <sstream>

#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/models/registry.h"
#include "deeptirp/models/state_dict.h"
#include "deeptirp/version.h"

namespace deeptirp {
namespace {

using json = nlohmann::json;

template <typename T>
T field(const json& doc, const char* key, const std::string& source) {
  if (!doc.contains(key)) throw Error(source + ": missing key '" + key + "'");
  try {
    return doc.at(key).get<T>();
  } catch (const json::exception&) {
    throw Error(source + ": key '" + key + "' has the wrong type (" +
                doc.at(key).dump().substr(0, 60) + ")");
  }
}

}  // namespace

std::filesystem::path model_weights_path(const std::filesystem::path& path) {
  auto p = path;
  return p.replace_extension(".safetensors");
}

std::filesystem::path model_sidecar_path(const std::filesystem::path& path) {
  auto p = path;
  return p.replace_extension(".json");
}

std::string model_sidecar_json(const ModelFileInfo& info) {
  json doc = {{"format", "deeptirp-model"},
              {"architecture", info.architecture},
              {"input_size", info.input_size},
              {"in_chans", info.in_chans},
              {"num_classes", info.num_classes},
              {"mean", info.mean},
              {"std", info.std},
              {"interpolation", info.interpolation},
              {"classes", info.classes},
              {"tool_version", info.tool_version}};
  return doc.dump(2) + "\n";
}

ModelFileInfo parse_model_sidecar(const std::string& text, const std::string& source) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(source + ": not valid JSON (" + e.what() + ")");
  }
  if (!doc.is_object() || doc.value("format", "") != "deeptirp-model") {
    throw Error(source + ": not a deeptirp model sidecar (\"format\": \"deeptirp-model\" missing)");
  }
  ModelFileInfo info;
  info.architecture = field<std::string>(doc, "architecture", source);
  architecture(info.architecture);  // throws for an unknown name
  info.input_size = field<int64_t>(doc, "input_size", source);
  info.in_chans = field<int64_t>(doc, "in_chans", source);
  info.num_classes = field<int64_t>(doc, "num_classes", source);
  info.mean = field<std::array<double, 3>>(doc, "mean", source);
  info.std = field<std::array<double, 3>>(doc, "std", source);
  info.interpolation = field<std::string>(doc, "interpolation", source);
  info.classes = field<std::vector<std::string>>(doc, "classes", source);
  info.tool_version = field<std::string>(doc, "tool_version", source);
  if (info.in_chans != 1 && info.in_chans != 3)
    throw Error(source + ": 'in_chans' must be 1 or 3; got " + std::to_string(info.in_chans));
  if (info.num_classes < 1) throw Error(source + ": 'num_classes' must be at least 1");
  const auto names = static_cast<int64_t>(info.classes.size());
  if (names != 0 && names != info.num_classes && !(info.num_classes == 1 && names == 2)) {
    throw Error(source + ": 'classes' names " + std::to_string(names) + " classes for " +
                std::to_string(info.num_classes) + " logits");
  }
  for (double s : info.std)
    if (!(s > 0)) throw Error(source + ": 'std' values must be positive");
  return info;
}

void save_model_file(const std::filesystem::path& path, ImageModel& model, ModelFileInfo info) {
  info.tool_version = kVersion;
  info.in_chans = model.options().in_chans;
  info.num_classes = model.options().num_classes;
  info.input_size = model.options().image_size;
  StateDict tensors;
  for (const auto& item : model.named_parameters(true))
    tensors.emplace_back(item.key(), item.value().detach().to(torch::kFloat32));
  for (const auto& item : model.named_buffers(true))
    tensors.emplace_back(item.key(), item.value().detach());
  const std::string sidecar = model_sidecar_json(info);
  write_safetensors(model_weights_path(path), tensors,
                    {{"format", "deeptirp-model"}, {"architecture", info.architecture}});
  write_file_atomically(model_sidecar_path(path), sidecar);
}

LoadedModel load_model_file(const std::filesystem::path& path) {
  const auto sidecar = model_sidecar_path(path), weights = model_weights_path(path);
  std::ifstream in(sidecar);
  if (!in) throw Error(sidecar.string() + ": cannot open the model sidecar");
  std::stringstream text;
  text << in.rdbuf();
  LoadedModel loaded;
  loaded.info = parse_model_sidecar(text.str(), sidecar.string());
  ModelOptions options{loaded.info.num_classes, loaded.info.in_chans, loaded.info.input_size};
  loaded.model = create_model(loaded.info.architecture, options);
  // Our own files must match exactly: no head replacement, no stem summing.
  load_state_dict(*loaded.model, read_safetensors(weights), LoadOptions{"", "", false},
                  weights.string());
  loaded.model->eval();
  return loaded;
}

}  // namespace deeptirp
