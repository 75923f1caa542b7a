#include "deeptirp/train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/util/StringUtil.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>

#include <cstdio>
#include <fstream>

#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/io/json_file.h"
#include "deeptirp/models/model_file.h"
#include "deeptirp/models/state_dict.h"

namespace deeptirp {
namespace {

// torch::optim keys its per-parameter state by the parameter's TensorImpl: its address printed as
// a string in LibTorch 1.13, the address itself in later versions.
template <typename StateMap>
typename StateMap::key_type state_key(const StateMap&, const torch::Tensor& parameter) {
  using Key = typename StateMap::key_type;
  if constexpr (std::is_same_v<Key, std::string>)
    return c10::str(parameter.unsafeGetTensorImpl());
  else
    return static_cast<Key>(parameter.unsafeGetTensorImpl());
}

// The optimiser's per-parameter state under "<kind>.<parameter name>", matched through the model.
StateDict optimizer_tensors(torch::nn::Module& model, torch::optim::Optimizer& optimizer) {
  StateDict out;
  auto& state = optimizer.state();
  for (const auto& p : model.named_parameters()) {
    auto it = state.find(state_key(state, p.value()));
    if (it == state.end()) continue;
    if (auto* sgd = dynamic_cast<torch::optim::SGDParamState*>(it->second.get())) {
      out.emplace_back("momentum_buffer." + p.key(), sgd->momentum_buffer().cpu());
    } else if (auto* adam = dynamic_cast<torch::optim::AdamWParamState*>(it->second.get())) {
      out.emplace_back("exp_avg." + p.key(), adam->exp_avg().cpu());
      out.emplace_back("exp_avg_sq." + p.key(), adam->exp_avg_sq().cpu());
      out.emplace_back("step." + p.key(), torch::tensor({static_cast<int64_t>(adam->step())}));
    }
  }
  return out;
}

void restore_optimizer(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                       const StateDict& saved) {
  std::map<std::string, torch::Tensor> by_name(saved.begin(), saved.end());
  auto& state = optimizer.state();
  const bool sgd = dynamic_cast<torch::optim::SGD*>(&optimizer) != nullptr;
  for (const auto& p : model.named_parameters()) {
    const auto key = state_key(state, p.value());
    const auto device = p.value().device();
    if (sgd) {
      auto it = by_name.find("momentum_buffer." + p.key());
      if (it == by_name.end()) continue;
      auto s = std::make_unique<torch::optim::SGDParamState>();
      s->momentum_buffer(it->second.to(device));
      state[key] = std::move(s);
    } else {
      auto avg = by_name.find("exp_avg." + p.key());
      if (avg == by_name.end()) continue;
      auto s = std::make_unique<torch::optim::AdamWParamState>();
      s->exp_avg(avg->second.to(device));
      s->exp_avg_sq(by_name.at("exp_avg_sq." + p.key()).to(device));
      s->step(by_name.at("step." + p.key()).item<int64_t>());
      state[key] = std::move(s);
    }
  }
}

std::string rng_state_hex() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  at::Tensor state = gen.get_state();
  const auto* bytes = state.data_ptr<uint8_t>();
  std::string hex;
  char buf[3];
  for (int64_t i = 0; i < state.numel(); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", bytes[i]);
    hex += buf;
  }
  return hex;
}

void restore_rng(const std::string& hex) {
  if (hex.empty()) return;
  at::Tensor state = torch::empty({static_cast<int64_t>(hex.size() / 2)}, torch::kUInt8);
  auto* bytes = state.data_ptr<uint8_t>();
  for (std::size_t i = 0; i < hex.size() / 2; ++i)
    bytes[i] = static_cast<uint8_t>(std::stoi(hex.substr(2 * i, 2), nullptr, 16));
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state);
}

// With weight averaging, the raw weights the optimiser goes on from.
constexpr const char* kTrainingWeights = "training.safetensors";
// With the subtype target, its layer and the layer's optimiser state.
constexpr const char* kSubtypeWeights = "subtype_head.safetensors";
constexpr const char* kSubtypeOptimizer = "subtype_optimizer.safetensors";

// Whether the checkpoint was trained with a setting that leaves `file` in it; an Error unless
// the resumed run asks for the same (`wanted`).
bool trained_with(const std::filesystem::path& folder, const char* file, bool wanted,
                  const std::string& setting) {
  const bool with = std::filesystem::exists(folder / file);
  if (with != wanted)
    throw Error(folder.string() + (with ? ": was trained with " : ": was trained without ") +
                setting + "; resume it with the same setting");
  return with;
}

void load_exactly(const std::filesystem::path& file, torch::nn::Module& model) {
  LoadOptions exact;
  exact.replace_head = false;
  load_state_dict(model, read_safetensors(file), exact, file.string());
}

}  // namespace

void save_checkpoint(const std::filesystem::path& run, ImageModel& model,
                     torch::optim::Optimizer& optimizer, const CheckpointState& state,
                     const ModelCard& card, bool is_best, ImageModel* average,
                     torch::nn::Module* subtype_head) {
  char name[32];
  std::snprintf(name, sizeof name, "epoch-%03d", state.epoch);
  const auto folder = run / "checkpoints" / name;
  std::filesystem::create_directories(folder);
  save_model_file(folder / "model.safetensors", average ? *average : model, card);
  if (average) write_safetensors(folder / kTrainingWeights, model_tensors(model));
  write_safetensors(folder / "optimizer.safetensors", optimizer_tensors(model, optimizer));
  if (subtype_head) {
    write_safetensors(folder / kSubtypeWeights, model_tensors(*subtype_head));
    write_safetensors(folder / kSubtypeOptimizer, optimizer_tensors(*subtype_head, optimizer));
  }
  nlohmann::json j = {{"epoch", state.epoch},
                      {"best_epoch", state.best_epoch},
                      {"best_metric", state.best_metric},
                      {"history", state.history},
                      {"torch_rng", rng_state_hex()},
                      {"average_steps", state.average_steps}};
  write_json_file(folder / "state.json", j);  // written last: its presence marks a complete folder

  const nlohmann::json pointer = {{"folder", std::string("checkpoints/") + name},
                                  {"epoch", state.epoch}};
  write_json_file(run / "last.json", pointer);
  if (is_best) write_json_file(run / "best.json", pointer);

  std::set<std::filesystem::path> keep;
  for (const char* which : {"last", "best"})
    if (auto f = checkpoint_folder(run, which)) keep.insert(f->filename());
  for (const auto& entry : std::filesystem::directory_iterator(run / "checkpoints"))
    if (!keep.count(entry.path().filename())) std::filesystem::remove_all(entry.path());
}

std::optional<std::filesystem::path> checkpoint_folder(const std::filesystem::path& run,
                                                       const std::string& which) {
  const auto pointer = run / (which + ".json");
  if (!std::filesystem::exists(pointer)) return std::nullopt;
  const auto folder = run / read_json_file(pointer).at("folder").get<std::string>();
  if (!std::filesystem::exists(folder / "state.json"))
    throw Error(pointer.string() + " names " + folder.string() + ", which is incomplete");
  return folder;
}

void load_checkpoint_weights(const std::filesystem::path& folder, torch::nn::Module& model) {
  load_exactly(folder / "model.safetensors", model);
}

CheckpointState load_checkpoint(const std::filesystem::path& folder, torch::nn::Module& model,
                                torch::optim::Optimizer& optimizer, torch::nn::Module* average,
                                torch::nn::Module* subtype_head) {
  const bool averaged = trained_with(folder, kTrainingWeights, average != nullptr,
                                     "weight averaging (train.ema_decay)");
  load_exactly(folder / (averaged ? kTrainingWeights : "model.safetensors"), model);
  if (average) load_exactly(folder / "model.safetensors", *average);
  restore_optimizer(model, optimizer, read_safetensors(folder / "optimizer.safetensors"));
  trained_with(folder, kSubtypeWeights, subtype_head != nullptr,
               "the subtype target (train.subtype_weight)");
  if (subtype_head) {
    load_exactly(folder / kSubtypeWeights, *subtype_head);
    restore_optimizer(*subtype_head, optimizer, read_safetensors(folder / kSubtypeOptimizer));
  }
  const nlohmann::json j = read_json_file(folder / "state.json");
  CheckpointState state;
  state.epoch = j.at("epoch");
  state.best_epoch = j.at("best_epoch");
  state.best_metric = j.at("best_metric");
  state.history = j.at("history");
  state.average_steps = j.value("average_steps", std::int64_t{0});
  restore_rng(j.value("torch_rng", ""));
  return state;
}

}  // namespace deeptirp
