#include "deeptirp/train/subtype_target.h"

#include <algorithm>
#include <set>

#include "deeptirp/error.h"

namespace deeptirp {

SubtypeTarget::SubtypeTarget(const Manifest& manifest, const std::vector<std::size_t>& train_cases,
                             ImageModel& model, int image_size, int channels, double weight,
                             const torch::Device& device)
    : weight_(weight) {
  std::set<std::string> found;
  for (auto i : train_cases)
    if (!manifest.cases[i].subtype.empty()) found.insert(manifest.cases[i].subtype);
  subtypes_.assign(found.begin(), found.end());
  if (subtypes_.size() < 2)
    throw Error(manifest.path.string() + ": train.subtype_weight needs at least two subtypes " +
                "among the training cases (column 'subtype'); found " +
                std::to_string(subtypes_.size()));
  int64_t width = 0;
  {
    torch::NoGradGuard no_grad;
    model.eval();
    const auto image = torch::zeros({1, channels, image_size, image_size}, device);
    width = model.to_grid(model.features(image)).size(1);
    model.train();
  }
  class_of_case_.reserve(manifest.cases.size());
  for (const auto& c : manifest.cases) {
    const auto it = std::lower_bound(subtypes_.begin(), subtypes_.end(), c.subtype);
    class_of_case_.push_back(it != subtypes_.end() && *it == c.subtype ? it - subtypes_.begin()
                                                                       : -1);
  }
  head_ = torch::nn::Linear(width, static_cast<int64_t>(subtypes_.size()));
  head_->to(device);
}

torch::Tensor SubtypeTarget::classes_of(const std::vector<std::size_t>& cases) const {
  std::vector<int64_t> classes;
  classes.reserve(cases.size());
  for (auto i : cases) classes.push_back(class_of_case_.at(i));
  return torch::tensor(classes, torch::kInt64);
}

torch::Tensor SubtypeTarget::loss(const ImageModel& model, const torch::Tensor& activation,
                                  const torch::Tensor& classes) {
  const auto pooled = model.to_grid(activation).mean({2, 3});
  const auto logits = head_->forward(pooled.to(head_->weight.dtype())).to(torch::kFloat32);
  // Cases without a subtype add 0 and are not counted; no host synchronisation.
  namespace F = torch::nn::functional;
  const auto each = F::cross_entropy(
      logits, classes, F::CrossEntropyFuncOptions().ignore_index(-1).reduction(torch::kNone));
  const auto known = classes.ge(0).sum().clamp_min(1).to(torch::kFloat32);
  return weight_ * each.sum() / known;
}

}  // namespace deeptirp
