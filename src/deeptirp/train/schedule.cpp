#include "deeptirp/train/schedule.h"

#include <algorithm>
#include <cmath>

#include "deeptirp/error.h"

namespace deeptirp {

double learning_rate(const Schedule& s, int epoch, double fraction) {
  if (s.kind == "step") return s.base_lr * std::pow(s.gamma, epoch / std::max(1, s.step_epochs));
  if (s.kind == "cosine") {
    const double t = epoch + std::clamp(fraction, 0.0, 1.0);
    if (t < s.warmup_epochs) return s.base_lr * t / s.warmup_epochs;
    const double span = std::max(1, s.epochs - s.warmup_epochs);
    const double progress = std::min(1.0, (t - s.warmup_epochs) / span);
    return s.min_lr + 0.5 * (s.base_lr - s.min_lr) * (1.0 + std::cos(M_PI * progress));
  }
  if (s.kind == "constant") return s.base_lr;
  throw Error("unknown schedule '" + s.kind + "' (step, cosine, constant)");
}

}  // namespace deeptirp
