// Inference throughput of one architecture at 224x224 on 2 threads, fp32 or bf16, with the
// process's peak resident memory. Compare with bench/models_reference.py (torchvision, same
// machine, same run) through bench/run_models.sh; run one architecture per process so that the
// peak memory is that architecture's.
//
//   bench_models --arch A [--precision fp32|bf16] [--batch 1,16] [--seconds S] [--threads 2]
//                [--profile TRACE.json]   (one more forward pass per batch size, as a Chrome trace;
//                                          bench/profile_summary.py sums it per operator)
//   --device cuda: on the GPU (bench/gpu/run.sh); its logits are first checked against the CPU's
//   (the largest difference goes to stderr, and one over --tolerance fails the run)
//   prints "cpp<TAB>A<TAB>precision<TAB>batch<TAB>images_per_s<TAB>peak_rss_mib" per batch size
#include <ATen/Parallel.h>
#include <sys/resource.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "deeptirp/error.h"
#include "deeptirp/models/inference.h"
#include "deeptirp/models/registry.h"

namespace {

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // kilobytes on Linux
}

double images_per_second(deeptirp::ImageModel& model, const torch::Tensor& batch, double seconds) {
  using clock = std::chrono::steady_clock;
  const bool cuda = batch.is_cuda();
  deeptirp::predict_logits(model, batch);  // warm-up: oneDNN primitives, allocator
  if (cuda) torch::cuda::synchronize();
  int runs = 0;
  const auto start = clock::now();
  double elapsed = 0;
  while (runs < 2 || elapsed < seconds) {
    deeptirp::predict_logits(model, batch);
    if (cuda) torch::cuda::synchronize();
    ++runs;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  }
  return runs * batch.size(0) / elapsed;
}

}  // namespace

int main(int argc, char** argv) {
  std::string arch, precision = "fp32", batches = "1,16", profile, device_name = "cpu";
  double seconds = 5, tolerance = 0.02;
  int threads = 2;
  CLI::App app{"Inference images/s of one architecture (see the header of bench_models.cpp)"};
  app.add_option("--arch", arch, "Architecture")->required();
  app.add_option("--precision", precision, "fp32 or bf16");
  app.add_option("--batch", batches, "Batch sizes, comma-separated");
  app.add_option("--seconds", seconds, "Minimum timing per batch size");
  app.add_option("--threads", threads, "Compute threads");
  app.add_option("--profile", profile, "Chrome trace of one more pass per batch size");
  app.add_option("--device", device_name, "cpu | cuda");
  app.add_option("--tolerance", tolerance,
                 "cuda: largest logit difference from the CPU's, relative");
  CLI11_PARSE(app, argc, argv);
  try {
    at::set_num_threads(threads);
    torch::manual_seed(0);
    auto model = deeptirp::create_model(arch, {1000, 3, 224});
    std::string note;
    auto used =
        deeptirp::prepare_for_inference(*model, deeptirp::parse_precision(precision), &note);
    if (!note.empty()) std::cerr << "bench_models: " << note << "\n";
    // A precision not run is not reported (run_models.sh's table shows n/a), rather than the
    // fallback's figures under its name.
    if (deeptirp::precision_name(used) != precision) return 0;
    const torch::Device device(device_name);
    if (device.is_cuda()) {  // the same model and images on both: how far do the logits move?
      const auto input = torch::randn({4, 3, 224, 224});
      const auto cpu = deeptirp::predict_logits(*model, input).to(torch::kFloat32);
      model->to(device);
      const auto gpu = deeptirp::predict_logits(*model, input.to(device)).cpu().to(torch::kFloat32);
      const double diff =
          (gpu - cpu).abs().max().item<double>() / std::max(1e-6, cpu.abs().max().item<double>());
      std::fprintf(stderr, "bench_models: %s %s: cuda logits within %.2g of the CPU's (relative)\n",
                   arch.c_str(), precision.c_str(), diff);
      if (!(diff <= tolerance)) throw deeptirp::Error("cuda logits differ from the CPU's");
    }
    std::stringstream list(batches);
    std::string item;
    while (std::getline(list, item, ',')) {
      const int64_t batch = std::stoll(item);
      auto input = torch::randn({batch, 3, 224, 224}).to(device);
      const double rate = images_per_second(*model, input, seconds);
      if (!profile.empty()) {
        torch::autograd::profiler::RecordProfile trace(profile + "." + item);
        deeptirp::predict_logits(*model, input);
      }
      std::printf("cpp\t%s\t%s\t%lld\t%.3f\t%.0f\n", arch.c_str(),
                  deeptirp::precision_name(used).c_str(), static_cast<long long>(batch), rate,
                  peak_rss_mib());
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::cerr << "bench_models: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
