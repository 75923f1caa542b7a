#pragma once
// Mixed precision for the forward pass: bf16 autocast on the CPU, fp16 or bf16 on CUDA. Autocast
// is per thread, so the guard enables it for one scope and restores it. LibTorch 2.4 replaced the
// per-device setters with ones that take the device type; both spellings are kept here, once.
#include <ATen/autocast_mode.h>
#include <torch/version.h>

#include <string>

namespace deeptirp {

class AutocastGuard {
 public:
  AutocastGuard(const std::string& precision, const c10::Device& device)
      : active_(precision != "fp32"), type_(device.type()) {
    if (!active_) return;
    const auto dtype = precision == "fp16" ? at::kHalf : at::kBFloat16;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_dtype(type_, dtype);
    at::autocast::set_autocast_enabled(type_, true);
#else
    if (type_ == c10::DeviceType::CUDA) {
      at::autocast::set_autocast_gpu_dtype(dtype);
      at::autocast::set_enabled(true);
    } else {
      at::autocast::set_autocast_cpu_dtype(dtype);
      at::autocast::set_cpu_enabled(true);
    }
#endif
  }
  ~AutocastGuard() {
    if (!active_) return;
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
    at::autocast::set_autocast_enabled(type_, false);
#else
    if (type_ == c10::DeviceType::CUDA)
      at::autocast::set_enabled(false);
    else
      at::autocast::set_cpu_enabled(false);
#endif
    at::autocast::clear_cache();
  }
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool active_;
  c10::DeviceType type_;
};

}  // namespace deeptirp
