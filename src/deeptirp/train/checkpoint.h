#pragma once
// Training checkpoints. Each lives in its own folder, checkpoints/epoch-NNN/ (weights, optimiser
// state, and a JSON of the epoch, the best so far, the history and the torch RNG state); the small
// pointer files last.json and best.json name the current ones and are replaced by rename. A kill -9
// at any moment leaves the previous pointer, and the folder it names, intact.
#include <torch/nn/module.h>
#include <torch/optim/optimizer.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "deeptirp/models/image_model.h"
#include "deeptirp/models/model_card.h"

namespace deeptirp {

struct CheckpointState {
  int epoch = 0;        // epochs completed
  int best_epoch = -1;  // 1-based epoch of the best checkpoint so far, -1 = none yet
  double best_metric = 0;
  nlohmann::json history = nlohmann::json::array();  // one object per completed epoch
  std::int64_t average_steps = 0;                    // optimiser steps the weight average has seen
};

// Writes checkpoints/epoch-NNN (its model.safetensors + model.json are a model file) and points
// last.json (and best.json when `is_best`) at it, then removes checkpoint folders that neither
// pointer names. With a weight average, the model file holds the average (what is kept and
// predicts) and training.safetensors the raw weights the optimiser goes on from. With the subtype
// target, its layer and that layer's optimiser state go to subtype_head.safetensors and
// subtype_optimizer.safetensors (training only: the model file never holds them).
void save_checkpoint(const std::filesystem::path& run, ImageModel& model,
                     torch::optim::Optimizer& optimizer, const CheckpointState& state,
                     const ModelCard& card, bool is_best, ImageModel* average = nullptr,
                     torch::nn::Module* subtype_head = nullptr);

// The folder last.json or best.json names (which = "last" | "best"), or nothing.
std::optional<std::filesystem::path> checkpoint_folder(const std::filesystem::path& run,
                                                       const std::string& which);

// Restores model, optimiser, the weight average and the subtype layer (when given) and the torch
// RNG from a checkpoint folder; returns its state.
CheckpointState load_checkpoint(const std::filesystem::path& folder, torch::nn::Module& model,
                                torch::optim::Optimizer& optimizer,
                                torch::nn::Module* average = nullptr,
                                torch::nn::Module* subtype_head = nullptr);

// Weights only (for prediction).
void load_checkpoint_weights(const std::filesystem::path& folder, torch::nn::Module& model);

}  // namespace deeptirp
