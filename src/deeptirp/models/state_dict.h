#pragma once
// Named weights, and their import from torchvision (.pth) and safetensors files, checked against
// a model so that a silently partial load is impossible.
#include <torch/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace torch::nn {
class Module;
}

namespace deeptirp {

// Parameter and buffer names in torchvision's spelling ("features.0.0.weight"), in file order.
using StateDict = std::vector<std::pair<std::string, torch::Tensor>>;

// torch.save(model.state_dict(), path): the zip archive whose pickle holds an OrderedDict with a
// `_metadata` attribute (which torch::pickle_load rejects). Never runs code from the file.
// Also accepts a checkpoint dict that wraps the state dict under "state_dict" or "model". The
// legacy (pre-1.6, non-zip) format is refused with an Error that says so.
StateDict read_pth(const std::filesystem::path& path);
StateDict read_pth_bytes(std::string_view bytes, const std::string& source);

// safetensors (https://github.com/huggingface/safetensors): 8-byte header size, JSON header, data.
StateDict read_safetensors(const std::filesystem::path& path,
                           std::map<std::string, std::string>* metadata = nullptr);
StateDict read_safetensors_bytes(std::string_view bytes, const std::string& source,
                                 std::map<std::string, std::string>* metadata = nullptr);
// Atomic; "__metadata__" holds `metadata`. Tensors are written contiguous, in the given order.
void write_safetensors(const std::filesystem::path& path, const StateDict& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// Reads .pth / .pt / .bin (pickle zip) or .safetensors by content.
StateDict read_weights(const std::filesystem::path& path);

// timm's names (the model hub's model.safetensors) to torchvision's, for one architecture family
// ("efficientnet", "vit", "swin"). Shapes already agree except Swin's relative_position_index
// (timm [w*w, w*w], torchvision flat). Buffers that torchvision keeps and timm computes are filled
// in: Swin's relative_position_index (absent from timm >= 0.9 files) and batch norm's
// num_batches_tracked (absent from some exports; 0). Old timm's Swin attn_mask buffers (recomputed
// by torchvision) are dropped. Any other key without a torchvision name -> Error naming it.
StateDict map_timm_names(const StateDict& timm, const std::string& family,
                         const std::string& source = "timm weights");

struct ShapeMismatch {
  std::string name;
  std::vector<int64_t> expected, found;
};

struct LoadReport {
  std::vector<std::string> missing;     // in the model, not in the file
  std::vector<std::string> unexpected;  // in the file, not in the model
  std::vector<ShapeMismatch> mismatched;
  size_t loaded = 0;             // tensors copied into the model
  bool head_replaced = false;    // the classifier head kept its fresh initialisation
  bool stem_summed = false;      // RGB stem filters summed for a 1-channel input
  std::string describe() const;  // names every key, for the error message
};

struct LoadOptions {
  std::string head_prefix;   // e.g. "classifier.1." / "heads.head." / "head."
  std::string stem_weight;   // e.g. "features.0.0.weight"
  bool replace_head = true;  // a head of another class count stays fresh, reported
};

// Copies `weights` into `model`. Throws Error (with LoadReport::describe()) on any missing,
// unexpected or mis-shaped key other than the allowed head replacement and stem summing.
LoadReport load_state_dict(torch::nn::Module& model, const StateDict& weights,
                           const LoadOptions& options, const std::string& source);

}  // namespace deeptirp
