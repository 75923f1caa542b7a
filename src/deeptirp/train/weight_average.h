#pragma once
// Weight averaging: an exponential moving average of a model's weights (and its batch-norm
// statistics), updated after every optimiser step, as timm's ModelEmaV2. With it the trainer
// validates, checkpoints and keeps the average: it moves less from step to step than the raw
// weights, which late in a short CPU schedule are still noisy.
#include <cstdint>
#include <memory>

#include "deeptirp/models/image_model.h"

namespace deeptirp {

class WeightAverage {
 public:
  // `average` is a model of the same architecture; it starts as a copy of `model`.
  WeightAverage(std::shared_ptr<ImageModel> average, ImageModel& model, double decay);

  // After an optimiser step. The decay ramps up as min(decay, (1 + t) / (10 + t)) over the t
  // steps so far, so the first, random weights do not linger.
  void update(ImageModel& model);
  // Takes the average's values as they were saved, and how many steps it had seen.
  void restore(std::int64_t steps) { steps_ = steps; }

  ImageModel& model() { return *average_; }
  std::int64_t steps() const { return steps_; }

 private:
  std::shared_ptr<ImageModel> average_;
  double decay_;
  std::int64_t steps_ = 0;
};

}  // namespace deeptirp
