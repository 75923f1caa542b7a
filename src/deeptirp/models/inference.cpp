#include "deeptirp/models/inference.h"

#include <torch/types.h>

#include <climits>  // also defines __GLIBC__ where it applies
#include <fstream>
#include <sstream>

#include "deeptirp/error.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace deeptirp {

Precision parse_precision(const std::string& text) {
  if (text == "fp32") return Precision::kFloat32;
  if (text == "bf16") return Precision::kBFloat16;
  throw Error("unknown precision '" + text + "' (fp32 or bf16)");
}

std::string precision_name(Precision precision) {
  return precision == Precision::kBFloat16 ? "bf16" : "fp32";
}

bool cpuinfo_has_bf16(std::string_view cpuinfo) {
  std::istringstream lines{std::string(cpuinfo)};
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::istringstream words(line.substr(line.find(':') + 1));
    std::string flag;
    while (words >> flag) {
      if (flag == "avx512_bf16" || flag == "amx_bf16") return true;
    }
    return false;  // every core lists the same flags
  }
  return false;
}

bool cpu_supports_bf16() {
  std::ifstream in("/proc/cpuinfo");
  std::stringstream text;
  text << in.rdbuf();
  return cpuinfo_has_bf16(text.str());
}

void reuse_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_MAX, 0);              // large blocks from the heap too, not mmap
  mallopt(M_TRIM_THRESHOLD, INT_MAX);  // and the heap's free top kept, not returned
#endif
}

Precision prepare_for_inference(ImageModel& model, Precision requested, std::string* note) {
  Precision used = requested;
  if (requested == Precision::kBFloat16 && !cpu_supports_bf16()) {
    used = Precision::kFloat32;
    if (note) *note = "this CPU has no native bf16 (avx512_bf16 / amx_bf16): running in fp32";
  } else if (requested == Precision::kBFloat16 && !model.bf16_inference_refused().empty()) {
    used = Precision::kFloat32;
    if (note) *note = model.bf16_inference_refused() + ": running in fp32";
  }
  reuse_freed_memory();
  torch::NoGradGuard no_grad;
  model.eval();
  model.prepare_inference(used == Precision::kBFloat16 ? torch::kBFloat16 : torch::kFloat32);
  return used;
}

torch::Tensor predict_logits(ImageModel& model, const torch::Tensor& images) {
  if (images.dim() != 4 || images.size(1) != model.options().in_chans) {
    std::ostringstream shape;
    shape << images.sizes();
    throw Error("the model takes images [N, " + std::to_string(model.options().in_chans) +
                ", H, W]; got " + shape.str());
  }
  c10::InferenceMode guard;
  const auto dtype = model.parameters().front().scalar_type();
  return model.forward(images.to(dtype)).to(torch::kFloat32);
}

}  // namespace deeptirp
