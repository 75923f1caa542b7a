// `deeptirp model list|forward|convert`: the image models by name, a forward pass on a tensor
// file (how parity with torchvision is checked from outside the test suite), and our own model
// files from torchvision or safetensors checkpoints.
#include <torch/types.h>

#include <iostream>
#include <memory>
#include <string>

#include "cli/command.h"
#include "deeptirp/error.h"
#include "deeptirp/models/inference.h"
#include "deeptirp/models/model_file.h"
#include "deeptirp/models/registry.h"
#include "deeptirp/models/state_dict.h"

namespace deeptirp::cli {
namespace {

struct ModelArgs {
  std::string arch, weights, model_file, input, output, precision = "fp32";
  int64_t num_classes = 0, in_chans = 0, image_size = 0;
};

// The class count of a checkpoint's head, so that --num-classes may be left out.
int64_t head_classes(const StateDict& weights, const ArchitectureInfo& info) {
  for (const auto& [name, tensor] : weights)
    if (name == info.head_prefix + "weight") return tensor.size(0);
  throw Error("the weights have no '" + info.head_prefix + "weight'; give --num-classes");
}

// A model from --model FILE, or from --arch and --weights (checked, head/stem adapted).
std::shared_ptr<ImageModel> open_model(const ModelArgs& a, int64_t default_size) {
  if (!a.model_file.empty()) {
    if (!a.arch.empty() || !a.weights.empty())
      throw Error("give either --model or --arch with --weights, not both");
    return load_model_file(a.model_file).model;
  }
  if (a.arch.empty() || a.weights.empty())
    throw Error("give --model FILE, or --arch A with --weights W");
  const ArchitectureInfo& info = architecture(a.arch);
  StateDict weights = read_weights(a.weights);
  ModelOptions options{a.num_classes ? a.num_classes : head_classes(weights, info),
                       a.in_chans ? a.in_chans : 3, a.image_size ? a.image_size : default_size};
  auto model = create_model(a.arch, options);
  LoadReport report = load_weights(*model, a.arch, std::move(weights), a.weights);
  std::cerr << a.weights << ": " << report.describe() << "\n";
  return model;
}

torch::Tensor read_input(const std::string& path) {
  for (auto& [name, tensor] : read_safetensors(path)) {
    if (name != "input") continue;
    if (tensor.dim() != 4 || tensor.scalar_type() != torch::kFloat32)
      throw Error(path + ": tensor 'input' must be [N, C, H, W] float32");
    return tensor;
  }
  throw Error(path + ": no tensor named 'input'");
}

void add_model_options(CLI::App* cmd, ModelArgs& a) {
  cmd->add_option("--arch", a.arch, "Architecture (see `deeptirp model list`)");
  cmd->add_option("--weights", a.weights, "torchvision .pth or .safetensors checkpoint");
  cmd->add_option("--model", a.model_file,
                  "deeptirp model file (.safetensors + .json), checkpoint or training run folder");
  cmd->add_option("--num-classes", a.num_classes,
                  "Logits (1: one logit); default: the checkpoint's");
  cmd->add_option("--in-chans", a.in_chans, "Input channels, 1 or 3 (default 3)");
  cmd->add_option("--image-size", a.image_size, "Input size (default: the input's / the arch's)");
}

void add_model(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("model", "Image models: list, forward pass, model files");
  cmd->require_subcommand(1);

  CLI::App* list = cmd->add_subcommand("list", "Architectures and their default preprocessing");
  list->callback([] {
    for (const auto& info : architectures()) {
      std::cout << info.name << "\tinput " << info.input_size << " (resize " << info.resize_size
                << ", " << info.interpolation << ")\tmean " << info.mean[0] << "," << info.mean[1]
                << "," << info.mean[2] << "\tstd " << info.std[0] << "," << info.std[1] << ","
                << info.std[2] << "\n";
    }
  });

  auto args = std::make_shared<ModelArgs>();
  CLI::App* forward = cmd->add_subcommand(
      "forward", "Run a model in eval mode on the tensor 'input' of a safetensors file");
  add_model_options(forward, *args);
  forward->add_option("--input", args->input, "safetensors with 'input' [N,C,H,W] float32")
      ->required();
  forward->add_option("--output", args->output, "safetensors to write 'logits' [N,K] into")
      ->required();
  forward->add_option("--precision", args->precision, "fp32 or bf16 (where the CPU has it)");
  forward->callback([args] {
    const Precision wanted = parse_precision(args->precision);
    torch::Tensor input = read_input(args->input);
    if (input.size(2) != input.size(3) && args->image_size == 0)
      throw Error(args->input + ": a non-square input needs --image-size");
    auto model = open_model(*args, input.size(2));
    std::string note;
    prepare_for_inference(*model, wanted, &note);
    if (!note.empty()) std::cerr << "deeptirp: " << note << "\n";
    write_safetensors(args->output, {{"logits", predict_logits(*model, input)}});
  });

  auto convert_args = std::make_shared<ModelArgs>();
  auto classes = std::make_shared<std::vector<std::string>>();
  CLI::App* convert = cmd->add_subcommand(
      "convert", "Write a deeptirp model file (.safetensors + .json) from a checkpoint");
  add_model_options(convert, *convert_args);
  convert->add_option("--output", convert_args->output, "model file to write (X.safetensors)")
      ->required();
  convert->add_option("--classes", *classes, "Class names, in logit order");
  convert->callback([convert_args, classes] {
    if (convert_args->arch.empty()) throw Error("convert needs --arch and --weights");
    const ArchitectureInfo& arch = architecture(convert_args->arch);
    auto model = open_model(*convert_args, arch.input_size);
    // A starting point for training, not a classifier of the study: no target, no positive
    // class; the weights' own preprocessing travels with them.
    ModelCard card;
    card.architecture = arch.name;
    card.target.clear();
    card.classes = *classes;
    card.weights_preset = WeightsPreset{arch.mean, arch.std, arch.interpolation};
    save_model_file(convert_args->output, *model, card);
  });
}

const bool registered = register_command(70, add_model);

}  // namespace
}  // namespace deeptirp::cli
