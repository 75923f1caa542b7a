#pragma once
// The subtype labels as an auxiliary target of training (train.subtype_weight): a linear layer on
// the pooled activation of the model's CAM target layer (for EfficientNet, what its classifier
// takes) predicts each training case's subtype, and its cross-entropy, times the weight, is added
// to the BCE of the study's target. The finer diagnosis asks the features to tell, say, an
// osteochondroma from a giant cell tumour, not only benign from malignant. The layer lives for
// training only: the model file, predict, explain and the bundle never see it.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "deeptirp/data/manifest.h"
#include "deeptirp/models/image_model.h"

namespace deeptirp {

class SubtypeTarget {
 public:
  // The subtypes are those of the training cases (sorted); a case without one counts for the
  // study's target only. Fewer than two subtypes is an Error naming the manifest. Reads the
  // width of the model's activation from one pass in eval mode (no statistic changes).
  SubtypeTarget(const Manifest& manifest, const std::vector<std::size_t>& train_cases,
                ImageModel& model, int image_size, int channels, double weight,
                const torch::Device& device);

  // The subtypes of cases (indices into the manifest given to the constructor) as class indices
  // [N] (int64), -1 for a case without a known subtype.
  torch::Tensor classes_of(const std::vector<std::size_t>& cases) const;
  // weight x the mean cross-entropy over the cases with a subtype (0 when none has one).
  torch::Tensor loss(const ImageModel& model, const torch::Tensor& activation,
                     const torch::Tensor& classes);

  torch::nn::Linear& head() { return head_; }
  const std::vector<std::string>& subtypes() const { return subtypes_; }

 private:
  std::vector<std::string> subtypes_;
  std::vector<int64_t> class_of_case_;  // per manifest case, looked up once
  double weight_;
  torch::nn::Linear head_{nullptr};
};

}  // namespace deeptirp
