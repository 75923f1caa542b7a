// Training throughput of one architecture: the trainer's own step (forward_backward, SGD step,
// clear_gradients, after reuse_freed_memory and prepare_training) on random 224x224 images,
// batch 8, 2 threads, fp32 or bf16 autocast, with the process's peak resident memory. Compare with
// tools/reference_train.py (torchvision, same machine, same run) through bench/run_train.sh; one
// architecture per process.
//
//   bench_train --arch A [--precision fp32|bf16] [--batch 8] [--size 224] [--threads 2]
//               [--warmup 2] [--steps 5] [--weights FILE] [--lr 0.1]
//   --weights: start from these (e.g. torchvision's initialisation, written by
//   tools/write_reference_weights.py) so that both sides compute on the same numbers.
//   --lr 0: the optimiser does all its work, but every step computes on the same numbers (the
//   cost of these ops does not depend on the values, denormals apart).
//   --profile FILE: one extra step (after warm-up) under the autograd profiler, as a chrome trace
//   --device cuda: on the GPU (bench/gpu/run.sh), each timed step ended by a synchronisation
//   prints one JSON line: {"impl":"cpp","arch":...,"images_per_s":...,"peak_rss_mib":...};
//   images_per_s is batch / the median step's seconds, mean_images_per_s over all timed steps
#include <ATen/Parallel.h>
#include <sys/resource.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "deeptirp/models/inference.h"
#include "deeptirp/models/registry.h"
#include "deeptirp/train/train_step.h"

namespace {

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // kilobytes on Linux
}

}  // namespace

int main(int argc, char** argv) {
  std::string arch, precision = "fp32", weights, profile, device_name = "cpu";
  int batch = 8, size = 224, threads = 2, warmup = 2, steps = 5;
  double lr = 0.1;
  CLI::App app{"Training images/s of one architecture (see the header of bench_train.cpp)"};
  app.add_option("--arch", arch, "Architecture")->required();
  app.add_option("--precision", precision, "fp32 or bf16 (autocast)");
  app.add_option("--batch", batch, "Images per step");
  app.add_option("--size", size, "Input size in pixels");
  app.add_option("--threads", threads, "Compute threads");
  app.add_option("--warmup", warmup, "Untimed steps first");
  app.add_option("--steps", steps, "Timed steps");
  app.add_option("--weights", weights, "Weights to start from");
  app.add_option("--profile", profile, "Chrome trace of one more step");
  app.add_option("--lr", lr, "Learning rate");
  app.add_option("--device", device_name, "cpu | cuda");
  CLI11_PARSE(app, argc, argv);
  try {
    at::set_num_threads(threads);
    deeptirp::reuse_freed_memory();  // as deeptirp::train does
    torch::manual_seed(0);
    deeptirp::TrainConfig config;  // the study's recipe: SGD lr 0.1, momentum 0.9, wd 1e-4
    config.precision = precision;
    config.lr = lr;
    auto model = deeptirp::create_model(arch, {1, 3, size});
    if (!weights.empty()) deeptirp::load_weights(*model, arch, std::filesystem::path(weights));
    const torch::Device device(device_name);
    model->to(device);
    model->train();
    model->prepare_training();  // as deeptirp::train does
    torch::manual_seed(1);      // the same images and labels as tools/reference_train.py
    auto optimizer = deeptirp::make_optimizer(config, model->parameters());
    const auto images = torch::randn({batch, 3, size, size}).to(device);
    const auto labels = torch::randint(0, 2, {batch}).to(torch::kFloat32).to(device);
    double loss = 0;
    auto step = [&] {
      loss = deeptirp::forward_backward(*model, images, labels, precision, 1.0, 1.0).item<double>();
      optimizer->step();
      deeptirp::clear_gradients(*optimizer);
      if (device.is_cuda()) torch::cuda::synchronize();  // the step's kernels, not their launch
    };
    for (int i = 0; i < warmup; ++i) step();  // oneDNN primitives, allocator, momentum buffers
    if (!profile.empty()) {  // one more step under the autograd profiler: a chrome trace
      torch::autograd::profiler::RecordProfile record(profile);
      step();
    }
    // Each step timed alone: on a shared machine the median step is steadier than the mean.
    using clock = std::chrono::steady_clock;
    std::vector<double> seconds;
    for (int i = 0; i < steps; ++i) {
      const auto start = clock::now();
      step();
      seconds.push_back(std::chrono::duration<double>(clock::now() - start).count());
    }
    const double total = std::accumulate(seconds.begin(), seconds.end(), 0.0);
    std::sort(seconds.begin(), seconds.end());
    const double median = seconds[seconds.size() / 2];
    nlohmann::json line = {{"impl", "cpp"},
                           {"arch", arch},
                           {"precision", precision},
                           {"device", device_name},
                           {"batch", batch},
                           {"size", size},
                           {"threads", threads},
                           {"steps", steps},
                           {"lr", lr},
                           {"seconds", total},
                           {"images_per_s", batch / median},
                           {"mean_images_per_s", steps * batch / total},
                           {"peak_rss_mib", peak_rss_mib()},
                           {"last_loss", loss}};
    std::cout << line.dump() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "bench_train: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
