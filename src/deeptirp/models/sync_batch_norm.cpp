#include "deeptirp/models/sync_batch_norm.h"

#include <torch/autograd.h>

namespace deeptirp {
namespace {

// The forward value is the sum over the ranks; the gradient reaching it (d loss_r / d sum on each
// rank r) is summed over the ranks too before it flows back to this rank's own sums: every
// rank's loss depends on every rank's cases through the shared statistics.
torch::Tensor summed_over_ranks(const torch::Tensor& local, const SumOverRanks& sum) {
  torch::Tensor total = local.detach().clone();
  sum(total);
  if (!local.requires_grad()) return total;
  // total + (local - local): the value is exactly the sum, the gradient flows to `local`.
  torch::Tensor joined = total + (local - local.detach());
  joined.register_hook([sum](torch::Tensor grad) {
    torch::Tensor all = grad.clone();
    sum(all);
    return all;
  });
  return joined;
}

}  // namespace

torch::Tensor sync_batch_norm(const torch::Tensor& x, torch::nn::BatchNorm2dImpl& norm,
                              const SumOverRanks& sum) {
  const std::vector<int64_t> per_channel = {0, 2, 3};
  const double count = static_cast<double>(x.numel() / x.size(1));
  // Sums of x and x^2 about this rank's own mean f (a constant to autograd): x squared in
  // float would lose the variance of a channel whose mean is large next to its spread (a batch of
  // two at a 1x1 feature map), where sum(x^2) / n - mean^2 cancels. In float64, with d = x - f:
  // sum x = sum d + n f, sum x^2 = sum d^2 + 2 f sum d + n f^2.
  const torch::Tensor f = count > 0 ? at::mean(x.detach(), per_channel, false, torch::kDouble)
                                    : at::zeros({x.size(1)}, x.options().dtype(torch::kDouble));
  const torch::Tensor d = x - f.to(x.scalar_type()).view({1, -1, 1, 1});
  const torch::Tensor sum_d = at::sum(d, per_channel, false, torch::kDouble);
  const torch::Tensor f_used = f.to(x.scalar_type()).to(torch::kDouble);  // as subtracted
  torch::Tensor local =
      at::stack({sum_d + count * f_used,
                 at::sum(d * d, per_channel, false, torch::kDouble) + 2 * f_used * sum_d +
                     count * f_used * f_used,
                 at::full({x.size(1)}, count, x.options().dtype(torch::kDouble))});
  const torch::Tensor total = summed_over_ranks(local, sum);
  const torch::Tensor n = total[2];
  const torch::Tensor mean = total[0] / n;
  const torch::Tensor var = (total[1] / n - mean * mean).clamp_min(0);  // biased, as in training
  const auto& options = norm.options;
  torch::Tensor scale = at::rsqrt(var + options.eps());
  if (options.affine()) scale = scale * norm.weight.to(torch::kDouble);
  torch::Tensor shift = -mean * scale;
  if (options.affine()) shift = shift + norm.bias.to(torch::kDouble);
  if (options.track_running_stats()) {
    torch::NoGradGuard no_grad;
    // momentum unset: BatchNorm2d's cumulative average over the batches seen.
    norm.num_batches_tracked.add_(1);
    const double momentum =
        options.momentum() ? *options.momentum() : 1.0 / norm.num_batches_tracked.item<double>();
    const auto stored = norm.running_mean.scalar_type();
    const torch::Tensor cases = n.detach();
    const torch::Tensor unbiased = var.detach() * cases / (cases - 1).clamp_min(1);
    norm.running_mean.mul_(1 - momentum).add_(momentum * mean.detach().to(stored));
    norm.running_var.mul_(1 - momentum).add_(momentum * unbiased.to(stored));
  }
  const auto type = x.scalar_type();
  return x * scale.to(type).view({1, -1, 1, 1}) + shift.to(type).view({1, -1, 1, 1});
}

}  // namespace deeptirp
