#include "deeptirp/models/state_dict.h"

#include <torch/nn/module.h>

#include <fstream>
#include <map>
#include <sstream>

#include "deeptirp/error.h"
#include "deeptirp/io/text.h"
#include "deeptirp/models/pth_reader.h"

namespace deeptirp {
namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return !prefix.empty() && s.compare(0, prefix.size(), prefix) == 0;
}

// timm's adapt_input_conv: a 1-channel stem from a 3-channel one by summing the RGB filters.
bool is_stem_sum(const std::string& name, const LoadOptions& options, const torch::Tensor& model,
                 const torch::Tensor& file) {
  return !options.stem_weight.empty() && name == options.stem_weight && model.dim() == 4 &&
         file.dim() == 4 && model.size(1) == 1 && file.size(1) == 3 &&
         model.size(0) == file.size(0) && model.size(2) == file.size(2) &&
         model.size(3) == file.size(3);
}

}  // namespace

std::string LoadReport::describe() const {
  std::vector<std::string> parts;
  if (!missing.empty())
    parts.push_back(std::to_string(missing.size()) + " missing from the file: " + join(missing));
  if (!unexpected.empty())
    parts.push_back(std::to_string(unexpected.size()) + " not in the model: " + join(unexpected));
  if (!mismatched.empty()) {
    std::vector<std::string> names;
    for (const auto& m : mismatched)
      names.push_back(m.name + " (model " + shape_text(m.expected) + ", file " +
                      shape_text(m.found) + ")");
    parts.push_back(std::to_string(mismatched.size()) + " of another shape: " + join(names));
  }
  if (head_replaced) parts.push_back("classifier head of another class count kept fresh");
  if (stem_summed) parts.push_back("RGB stem filters summed for a 1-channel input");
  if (parts.empty()) return std::to_string(loaded) + " tensors loaded";
  std::string out = std::to_string(loaded) + " tensors loaded";
  for (const auto& p : parts) out += "; " + p;
  return out;
}

StateDict read_weights(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open the weights file");
  char head[9] = {};
  in.read(head, sizeof head);
  const std::string_view magic(head, static_cast<size_t>(in.gcount()));
  if (magic.size() == 9 && head[8] == '{') return read_safetensors(path);
  if (magic.substr(0, 4) == "PK\3\4" || is_legacy_pth(magic))
    return read_pth(path);  // a zip archive, or a legacy bare pickle (refused with its reason)
  throw Error(path.string() +
              ": neither a torch.save archive (.pth) nor a safetensors file (by its first bytes)");
}

LoadReport load_state_dict(torch::nn::Module& model, const StateDict& weights,
                           const LoadOptions& options, const std::string& source) {
  std::map<std::string, torch::Tensor> file;
  std::vector<std::string> file_order;
  for (const auto& [name, t] : weights) {
    if (!file.emplace(name, t).second) throw Error(source + ": the key '" + name + "' is repeated");
    file_order.push_back(name);
  }
  std::vector<std::pair<std::string, torch::Tensor>> targets;
  std::map<std::string, bool> in_model;
  for (const auto& item : model.named_parameters(true))
    targets.emplace_back(item.key(), item.value());
  for (const auto& item : model.named_buffers(true)) targets.emplace_back(item.key(), item.value());
  for (const auto& [name, t] : targets) in_model[name] = true;

  LoadReport report;
  bool head_differs = false;
  for (const auto& [name, target] : targets) {
    auto found = file.find(name);
    if (found == file.end()) {
      report.missing.push_back(name);
    } else if (found->second.sizes() != target.sizes()) {
      if (options.replace_head && starts_with(name, options.head_prefix))
        head_differs = true;
      else if (is_stem_sum(name, options, target, found->second))
        report.stem_summed = true;
      else
        report.mismatched.push_back({name, target.sizes().vec(), found->second.sizes().vec()});
    }
  }
  for (const auto& name : file_order)
    if (!in_model.count(name)) report.unexpected.push_back(name);
  report.head_replaced = head_differs;
  if (!report.missing.empty() || !report.unexpected.empty() || !report.mismatched.empty())
    throw Error(source + ": the weights do not fit the model: " + report.describe());

  torch::NoGradGuard no_grad;
  for (auto& [name, target] : targets) {
    if (head_differs && starts_with(name, options.head_prefix)) continue;  // the whole head stays
    const torch::Tensor& from = file.at(name);
    if (report.stem_summed && name == options.stem_weight)
      target.copy_(from.to(torch::kFloat32).sum(1, true));
    else
      target.copy_(from);
    ++report.loaded;
  }
  return report;
}

}  // namespace deeptirp
