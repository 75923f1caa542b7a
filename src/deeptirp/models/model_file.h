#pragma once
// deeptirp's own model files: the weights as safetensors (X.safetensors) beside their model card
// (X.json, models/model_card.h). A training checkpoint folder holds model.safetensors with
// model.json, so it is a model file too, and so is a bundle's models/<name>/. No pickle anywhere,
// so loading a model file cannot run code.
#include <filesystem>
#include <memory>
#include <string>

#include "deeptirp/models/image_model.h"
#include "deeptirp/models/model_card.h"
#include "deeptirp/models/state_dict.h"

namespace deeptirp {

// The two halves of a model file: "x.safetensors" <-> "x.json". Either path may be given.
std::filesystem::path model_weights_path(const std::filesystem::path& path);
std::filesystem::path model_card_path(const std::filesystem::path& path);

// What a --model argument names, as the weights path: a model file (either half), a folder
// holding model.safetensors + model.json (a checkpoint, a bundle's model), or a training run
// folder, whose best checkpoint its best.json names (train/checkpoint.h writes it).
std::filesystem::path resolve_model_file(const std::filesystem::path& model);

// The card's model, fresh weights, in training mode. `training` adds a run's dropout and
// stochastic depth (only training mode applies them; ModelOptions says what negative values mean).
std::shared_ptr<ImageModel> build_model(const ModelCard& card, const ModelOptions& training = {});

// Every parameter (as fp32) and buffer, on the CPU, under its module name.
StateDict model_tensors(torch::nn::Module& model);
// Writes both halves atomically (weights first, then the card that makes the pair complete).
// The card's input size, channels and class count are the model's.
void save_model_file(const std::filesystem::path& path, ImageModel& model, ModelCard card);

struct LoadedModel {
  std::shared_ptr<ImageModel> model;  // in eval mode, fp32, not yet prepared for inference
  ModelCard card;
  std::filesystem::path weights;  // the file it came from, for messages
};

// `path` as resolve_model_file takes it. Throws Error naming the file and the key at fault;
// every tensor must match by name and shape.
LoadedModel load_model_file(const std::filesystem::path& path);
// The same for a model trained on the study (one output, a positive class), as predict, explain
// and bundles need; a converted checkpoint is refused before its weights are read.
LoadedModel load_classifier(const std::filesystem::path& path);

}  // namespace deeptirp
