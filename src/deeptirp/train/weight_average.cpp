#include "deeptirp/train/weight_average.h"

#include <torch/torch.h>

#include <algorithm>

#include "deeptirp/error.h"

namespace deeptirp {
namespace {

// Every parameter and buffer of both models, paired by position (the same architecture).
template <typename F>
void each_pair(ImageModel& average, ImageModel& model, F f) {
  auto a = average.parameters(), m = model.parameters();
  auto ab = average.buffers(), mb = model.buffers();
  if (a.size() != m.size() || ab.size() != mb.size())
    throw Error("weight averaging: the average and the model differ in architecture");
  a.insert(a.end(), ab.begin(), ab.end());
  m.insert(m.end(), mb.begin(), mb.end());
  torch::NoGradGuard no_grad;
  for (std::size_t i = 0; i < a.size(); ++i) f(a[i], m[i]);
}

}  // namespace

WeightAverage::WeightAverage(std::shared_ptr<ImageModel> average, ImageModel& model, double decay)
    : average_(std::move(average)), decay_(decay) {
  each_pair(*average_, model, [](torch::Tensor& a, const torch::Tensor& m) { a.copy_(m); });
  for (auto& p : average_->parameters()) p.set_requires_grad(false);
}

void WeightAverage::update(ImageModel& model) {
  const double t = static_cast<double>(steps_++);
  const double d = std::min(decay_, (1 + t) / (10 + t));
  each_pair(*average_, model, [d](torch::Tensor& a, const torch::Tensor& m) {
    if (a.is_floating_point())
      a.mul_(d).add_(m, 1 - d);
    else
      a.copy_(m);  // counters such as batch norm's num_batches_tracked
  });
}

}  // namespace deeptirp
