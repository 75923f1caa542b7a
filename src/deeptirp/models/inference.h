#pragma once
// Running a loaded model for inference: batch norm folded, the precision chosen, no autograd.
// Nothing here is global: several threads may call predict_logits on one prepared model with
// separate inputs.
#include <string>
#include <string_view>

#include "deeptirp/models/image_model.h"

namespace deeptirp {

enum class Precision { kFloat32, kBFloat16 };

// "fp32" or "bf16"; throws Error otherwise.
Precision parse_precision(const std::string& text);
std::string precision_name(Precision precision);

// bf16 inference pays off only with native bf16 instructions (AVX-512 BF16 or AMX); without
// them oneDNN emulates bf16 more slowly than fp32. `cpuinfo` is the text of /proc/cpuinfo.
bool cpuinfo_has_bf16(std::string_view cpuinfo);
bool cpu_supports_bf16();

// Training and inference allocate and free the same large activations every batch. glibc hands
// blocks over its mmap threshold back to the kernel at once (and trims the heap's free top), so
// each batch faults in and zeroes fresh pages: 5-15% of a training step, and up to 25% of bf16
// inference with batch 16. This keeps freed memory in the process for reuse (for the whole
// process; peak memory grows by 5-20%). Idempotent and thread-safe; a no-op without glibc.
void reuse_freed_memory();

// Puts the model in eval mode, folds batch norm and converts it (and calls reuse_freed_memory).
// Returns the precision used: fp32 when bf16 was asked for on a CPU without native bf16, or for
// an architecture that refuses it (ImageModel::bf16_inference_refused); `note`, if given, says
// which.
Precision prepare_for_inference(ImageModel& model, Precision requested,
                                std::string* note = nullptr);

// images [N, C, H, W] float32 -> logits [N, K] float32, under torch::InferenceMode.
torch::Tensor predict_logits(ImageModel& model, const torch::Tensor& images);

}  // namespace deeptirp
