// Milliseconds per image of each CAM method for each architecture on the CPU, random weights
// (the cost does not depend on them), one image at a time as `deeptirp explain` runs.
//
//   bench_explain [--arch a,b,...] [--methods gradcam,gradcampp,scorecam] [--size 224]
//                 [--images 3] [--score-batch 32] [--threads 2]
//   prints "arch<TAB>method<TAB>size<TAB>score_batch<TAB>ms_per_image" per pair
#include <ATen/Parallel.h>
#include <torch/torch.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "deeptirp/error.h"
#include "deeptirp/explain/cam.h"
#include "deeptirp/models/registry.h"

namespace {

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

double ms_per_image(deeptirp::ImageModel& model, const torch::Tensor& images,
                    const deeptirp::CamOptions& options) {
  using clock = std::chrono::steady_clock;
  // Warm-up (oneDNN primitives, allocator); Score-CAM's thousands of passes warm up by themselves.
  if (options.method != deeptirp::CamMethod::kScoreCam)
    deeptirp::compute_cam(model, images[0].unsqueeze(0), options);
  const auto start = clock::now();
  for (int64_t i = 0; i < images.size(0); ++i)
    deeptirp::compute_cam(model, images[i].unsqueeze(0), options);
  return std::chrono::duration<double, std::milli>(clock::now() - start).count() /
         static_cast<double>(images.size(0));
}

}  // namespace

int main(int argc, char** argv) {
  std::string archs = "efficientnet_b3,efficientnet_b4,vit_b_16,swin_t";
  std::string methods = "gradcam,gradcampp,scorecam";
  int64_t size = 224, images = 3, score_batch = 32;
  int threads = 2;
  CLI::App app{"Heat-map milliseconds per image (see the header of bench_explain.cpp)"};
  app.add_option("--arch", archs, "Architectures, comma-separated");
  app.add_option("--methods", methods, "CAM methods, comma-separated");
  app.add_option("--size", size, "Input size in pixels");
  app.add_option("--images", images, "Images per architecture");
  app.add_option("--score-batch", score_batch, "Score-CAM masks per forward pass");
  app.add_option("--threads", threads, "Compute threads");
  CLI11_PARSE(app, argc, argv);
  try {
    at::set_num_threads(threads);
    torch::manual_seed(1);
    for (const auto& arch : split_list(archs)) {
      auto model = deeptirp::create_model(arch, {1, 3, size});
      model->eval();
      const auto batch = torch::randn({images, 3, size, size});
      for (const auto& name : split_list(methods)) {
        deeptirp::CamOptions o{deeptirp::parse_cam_method(name)};
        o.score_batch = score_batch;
        std::printf("%s\t%s\t%lld\t%lld\t%.1f\n", arch.c_str(), name.c_str(),
                    static_cast<long long>(size), static_cast<long long>(score_batch),
                    ms_per_image(*model, batch, o));
        std::fflush(stdout);
      }
    }
  } catch (const std::exception& e) {
    std::cerr << "bench_explain: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
