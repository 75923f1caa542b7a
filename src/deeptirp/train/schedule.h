#pragma once
// Learning-rate schedules, as pure functions of the epoch and the step within it.
#include <string>

namespace deeptirp {

struct Schedule {
  std::string kind = "step";  // "step": the study's; "cosine": warm-up then cosine decay
  double base_lr = 0.1;
  int step_epochs = 30;  // step: multiply by gamma every step_epochs epochs
  double gamma = 0.1;
  int warmup_epochs = 0;  // cosine: linear warm-up from 0, then cosine down to min_lr
  double min_lr = 0.0;
  int epochs = 100;
};

// The learning rate during `epoch` (0-based) at `fraction` (0..1) of the way through it. The step
// schedule changes only at epoch boundaries, as torch.optim.lr_scheduler.StepLR does.
double learning_rate(const Schedule& s, int epoch, double fraction = 0.0);

}  // namespace deeptirp
