#include "deeptirp/train/evaluate.h"

#include <torch/torch.h>

#include <cmath>

#include "deeptirp/data/loader.h"
#include "deeptirp/error.h"
#include "deeptirp/io/numbers.h"
#include "deeptirp/models/test_time.h"
#include "deeptirp/stats/roc.h"
#include "deeptirp/train/autocast.h"

namespace deeptirp {

Evaluation evaluate(ImageModel& model, const Manifest& manifest,
                    const std::vector<std::size_t>& cases, const std::string& positive,
                    const NormStats& norm, ImageCache& cache, const torch::Device& device,
                    int workers, const std::string& precision, const std::string& tta) {
  return evaluation_of(
      case_logits(model, manifest, cases, positive, norm, cache, device, workers, precision, tta),
      manifest, cases, positive);
}

std::vector<double> case_logits(ImageModel& model, const Manifest& manifest,
                                const std::vector<std::size_t>& cases, const std::string& positive,
                                const NormStats& norm, ImageCache& cache,
                                const torch::Device& device, int workers,
                                const std::string& precision, const std::string& tta) {
  std::vector<double> out;
  if (cases.empty()) return out;
  LoaderOptions lo;
  lo.batch_size = 32;
  lo.workers = workers;
  lo.pin_memory = device.is_cuda();
  BatchLoader loader(manifest, cases, positive, norm, cache, lo);
  loader.start_epoch(0);
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  const AutocastGuard autocast(precision, device);
  const auto dtype = model.parameters().front().scalar_type();
  while (auto batch = loader.next()) {
    auto images = batch->images.to(device, dtype, /*non_blocking=*/true);
    const auto logits =
        tta_logits([&](const torch::Tensor& view) { return model.forward(view); }, images, tta)
            .reshape({-1});
    auto cpu = logits.cpu();
    for (int64_t k = 0; k < cpu.size(0); ++k) out.push_back(cpu[k].item<double>());
  }
  if (was_training) model.train();
  return out;
}

Evaluation evaluation_of(std::vector<double> logits, const Manifest& manifest,
                         const std::vector<std::size_t>& cases, const std::string& positive) {
  if (logits.size() != cases.size())
    throw Error("evaluate: " + std::to_string(logits.size()) + " logits for " +
                std::to_string(cases.size()) + " cases");
  Evaluation e;
  e.logits = std::move(logits);

  std::vector<double> scores;
  std::vector<int> labels;
  double loss = 0;
  std::size_t correct = 0;
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const double z = e.logits[k];
    const double p = sigmoid(z);
    e.probabilities.push_back(p);
    const std::string& label = manifest.cases[cases[k]].label;
    if (label.empty()) continue;
    const int y = label == positive;
    // log(1 + exp(-|z|)) keeps the loss finite for large logits.
    loss += std::max(z, 0.0) - z * y + std::log1p(std::exp(-std::abs(z)));
    correct += (p >= 0.5) == (y == 1);
    scores.push_back(z);  // logits, not probabilities: no ties from a saturated sigmoid
    labels.push_back(y);
  }
  if (!labels.empty()) {
    e.loss = loss / labels.size();
    e.accuracy = static_cast<double>(correct) / labels.size();
    const auto pos = std::count(labels.begin(), labels.end(), 1);
    if (pos > 0 && pos < static_cast<long>(labels.size()))
      e.auc = stats::auc(stats::split_by_label(scores, labels));
  }
  return e;
}

}  // namespace deeptirp
