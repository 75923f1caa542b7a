// timm's parameter names -> torchvision's. Tables from timm/models/{efficientnet,
// _efficientnet_blocks, vision_transformer, swin_transformer}.py and torchvision 0.14's
// models/{efficientnet, vision_transformer, swin_transformer}.py; the tests check them against the
// full key lists and shapes of timm's efficientnet_b3/b4, vit_base_patch16_224 and
// swin_{tiny,base}_patch4_window7_224.
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "deeptirp/error.h"
#include "deeptirp/models/state_dict.h"

namespace deeptirp {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::vector<std::string> split(const std::string& name) {
  std::vector<std::string> parts;
  std::stringstream in(name);
  for (std::string part; std::getline(in, part, '.');) parts.push_back(part);
  return parts;
}

std::string join(const std::vector<std::string>& parts, size_t from) {
  std::string out;
  for (size_t i = from; i < parts.size(); ++i) out += (out.empty() ? "" : ".") + parts[i];
  return out;
}

std::optional<int> number(const std::string& s) {
  if (s.empty() || s.size() > 6 || s.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoi(s);
}

// Replaces the first matching prefix (a whole dotted component) of `rest`; nullopt when none does.
std::optional<std::string> rename(const std::string& rest,
                                  const std::vector<std::pair<std::string, std::string>>& table) {
  for (const auto& [from, to] : table)
    if (rest == from || starts_with(rest, from + ".")) return to + rest.substr(from.size());
  return std::nullopt;
}

// ---- EfficientNet: timm blocks.S.B -> torchvision features.(S+1).B.block.K -------------------
// Depthwise-separable blocks (stage 0, no expansion) and inverted residuals list their layers in
// torchvision's Sequential order; the block kind is told by the presence of conv_pwl.
const std::vector<std::pair<std::string, std::string>> kDsBlock = {
    {"conv_dw", "0.0"},          {"bn1", "0.1"},     {"se.conv_reduce", "1.fc1"},
    {"se.conv_expand", "1.fc2"}, {"conv_pw", "2.0"}, {"bn2", "2.1"}};
const std::vector<std::pair<std::string, std::string>> kIrBlock = {
    {"conv_pw", "0.0"},          {"bn1", "0.1"},
    {"conv_dw", "1.0"},          {"bn2", "1.1"},
    {"se.conv_reduce", "2.fc1"}, {"se.conv_expand", "2.fc2"},
    {"conv_pwl", "3.0"},         {"bn3", "3.1"}};

std::optional<std::string> efficientnet_name(const std::string& name, int last_stage,
                                             const std::set<std::string>& inverted) {
  const auto parts = split(name);
  if (parts.size() >= 4 && parts[0] == "blocks") {
    const auto stage = number(parts[1]);
    if (!stage || !number(parts[2])) return std::nullopt;
    const std::string block = parts[1] + "." + parts[2];
    auto inner = rename(join(parts, 3), inverted.count(block) ? kIrBlock : kDsBlock);
    if (!inner) return std::nullopt;
    return "features." + std::to_string(*stage + 1) + "." + parts[2] + ".block." + *inner;
  }
  const std::string head = "features." + std::to_string(last_stage + 2);
  return rename(name, {{"conv_stem", "features.0.0"},
                       {"bn1", "features.0.1"},
                       {"conv_head", head + ".0"},
                       {"bn2", head + ".1"},
                       {"classifier", "classifier.1"}});
}

StateDict map_efficientnet(const StateDict& timm, std::vector<std::string>* unmapped) {
  int last_stage = -1;
  std::set<std::string> inverted;
  for (const auto& [name, t] : timm) {
    const auto parts = split(name);
    if (parts.size() < 4 || parts[0] != "blocks") continue;
    if (auto s = number(parts[1])) last_stage = std::max(last_stage, *s);
    if (parts[3] == "conv_pwl") inverted.insert(parts[1] + "." + parts[2]);
  }
  StateDict out;
  std::set<std::string> names;
  for (const auto& [name, t] : timm) {
    auto mapped = efficientnet_name(name, last_stage, inverted);
    if (!mapped)
      unmapped->push_back(name);
    else
      out.emplace_back(*mapped, t), names.insert(*mapped);
  }
  // Batch norm's step counter, which some exports leave out; it only matters for momentum=None.
  for (const auto& [name, t] : StateDict(out)) {
    const std::string suffix = ".running_mean";
    if (name.size() <= suffix.size() ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix))
      continue;
    const std::string counter =
        name.substr(0, name.size() - suffix.size()) + ".num_batches_tracked";
    if (!names.count(counter)) out.emplace_back(counter, torch::zeros({}, torch::kInt64));
  }
  return out;
}

// ---- ViT ------------------------------------------------------------------------------------
std::optional<std::string> vit_name(const std::string& name) {
  const auto parts = split(name);
  if (parts.size() >= 3 && parts[0] == "blocks" && number(parts[1])) {
    auto inner = rename(join(parts, 2), {{"norm1", "ln_1"},
                                         {"attn.qkv.weight", "self_attention.in_proj_weight"},
                                         {"attn.qkv.bias", "self_attention.in_proj_bias"},
                                         {"attn.proj", "self_attention.out_proj"},
                                         {"norm2", "ln_2"},
                                         {"mlp.fc1", "mlp.0"},
                                         {"mlp.fc2", "mlp.3"}});
    if (!inner) return std::nullopt;
    return "encoder.layers.encoder_layer_" + parts[1] + "." + *inner;
  }
  return rename(name, {{"cls_token", "class_token"},
                       {"pos_embed", "encoder.pos_embedding"},
                       {"patch_embed.proj", "conv_proj"},
                       {"norm", "encoder.ln"},
                       {"head", "heads.head"}});
}

// ---- Swin -----------------------------------------------------------------------------------
// torchvision: features.0 = patch embedding, features.(2i+1) = stage i's blocks, features.(2i+2) =
// the patch merging after stage i. timm >= 0.9 puts that merging at the start of stage i+1
// (layers.(i+1).downsample), older timm at the end of stage i (layers.i.downsample); the merging's
// input width (4 C_i in its norm and reduction) says which stage it follows, whatever the layout.
torch::Tensor relative_position_index(int64_t window) {
  const int64_t area = window * window;
  torch::Tensor index = torch::empty({area * area}, torch::kInt64);
  auto* out = index.data_ptr<int64_t>();
  for (int64_t p = 0; p < area; ++p)
    for (int64_t q = 0; q < area; ++q)
      out[p * area + q] = (p / window - q / window + window - 1) * (2 * window - 1) +
                          (p % window - q % window + window - 1);
  return index;
}

std::optional<std::string> swin_merge_name(const std::string& rest, const torch::Tensor& t,
                                           int64_t embed) {
  // norm.weight/bias [4 C]; reduction.weight [2 C, 4 C]
  const int64_t four_c = starts_with(rest, "norm.") ? t.size(0) : t.dim() == 2 ? t.size(1) : -1;
  if (four_c <= 0 || four_c % (4 * embed)) return std::nullopt;
  const int64_t ratio = four_c / (4 * embed);
  const int stage = static_cast<int>(std::lround(std::log2(static_cast<double>(ratio))));
  if ((int64_t{1} << stage) != ratio) return std::nullopt;
  return "features." + std::to_string(2 * stage + 2) + "." + rest;
}

StateDict map_swin(const StateDict& timm, std::vector<std::string>* unmapped) {
  int64_t embed = 0;
  for (const auto& [name, t] : timm)
    if (name == "patch_embed.proj.weight") embed = t.size(0);
  StateDict out;
  std::set<std::string> names;
  for (const auto& [name, t] : timm) {
    const auto parts = split(name);
    std::optional<std::string> mapped;
    torch::Tensor value = t;
    if (parts.size() >= 5 && parts[0] == "layers" && parts[2] == "blocks" && number(parts[1]) &&
        number(parts[3])) {
      const std::string rest = join(parts, 4);
      if (rest == "attn_mask") continue;  // torchvision computes the shifted-window mask itself
      if (rest == "attn.relative_position_index") value = t.reshape({-1});
      auto inner = rename(rest, {{"norm1", "norm1"},
                                 {"attn", "attn"},
                                 {"norm2", "norm2"},
                                 {"mlp.fc1", "mlp.0"},
                                 {"mlp.fc2", "mlp.3"}});
      if (inner)
        mapped =
            "features." + std::to_string(2 * *number(parts[1]) + 1) + "." + parts[3] + "." + *inner;
    } else if (parts.size() >= 4 && parts[0] == "layers" && parts[2] == "downsample" && embed) {
      mapped = swin_merge_name(join(parts, 3), t, embed);
    } else {
      mapped = rename(name, {{"patch_embed.proj", "features.0.0"},
                             {"patch_embed.norm", "features.0.2"},
                             {"norm", "norm"},
                             {"head.fc", "head"},
                             {"head", "head"}});
    }
    if (!mapped)
      unmapped->push_back(name);
    else
      out.emplace_back(*mapped, value), names.insert(*mapped);
  }
  // timm >= 0.9 does not save relative_position_index (a function of the window size).
  for (const auto& [name, t] : StateDict(out)) {
    const std::string table = "relative_position_bias_table";
    if (name.size() < table.size() || name.compare(name.size() - table.size(), table.size(), table))
      continue;
    const std::string index =
        name.substr(0, name.size() - table.size()) + "relative_position_index";
    if (names.count(index)) continue;
    const int64_t window = (std::lround(std::sqrt(double(t.size(0)))) + 1) / 2;
    if ((2 * window - 1) * (2 * window - 1) != t.size(0)) continue;  // reported as missing later
    out.emplace_back(index, relative_position_index(window));
  }
  return out;
}

}  // namespace

StateDict map_timm_names(const StateDict& timm, const std::string& family,
                         const std::string& source) {
  std::vector<std::string> unmapped;
  StateDict out;
  if (family == "efficientnet") {
    out = map_efficientnet(timm, &unmapped);
  } else if (family == "vit") {
    for (const auto& [name, t] : timm) {
      auto mapped = vit_name(name);
      if (!mapped)
        unmapped.push_back(name);
      else
        out.emplace_back(*mapped, t);
    }
  } else if (family == "swin") {
    out = map_swin(timm, &unmapped);
  } else {
    throw Error(source + ": no timm name mapping for the family '" + family +
                "' (known: efficientnet, vit, swin)");
  }
  if (!unmapped.empty()) {
    std::string list;
    for (const auto& name : unmapped) list += (list.empty() ? "" : ", ") + name;
    throw Error(source + ": " + std::to_string(unmapped.size()) + " timm " + family +
                " key(s) have no torchvision name: " + list);
  }
  std::set<std::string> seen;
  for (const auto& [name, t] : out)
    if (!seen.insert(name).second)
      throw Error(source + ": two timm keys map to the torchvision name '" + name + "'");
  return out;
}

}  // namespace deeptirp
