#pragma once
// Synchronised batch norm (PyTorch's SyncBatchNorm) for data-parallel training: in training, a
// batch-norm layer normalises each rank's share of a step with the mean and variance of the whole
// step's cases, not of its own share, so that several processes take the step of one process on
// the whole batch. The ranks' sums travel through a function the trainer hands the model (no
// global process group): the model layer knows nothing of c10d.
#include <torch/nn/modules/batchnorm.h>

#include <functional>

namespace deeptirp {

// Replaces a tensor by its element-wise sum over every rank (an all-reduce). Every rank calls it
// the same number of times in the same order: once per layer in the forward pass, once per layer
// in the backward pass.
using SumOverRanks = std::function<void(torch::Tensor&)>;

// Batch norm in training mode over the cases of every rank together: per channel, the sums of x
// and x^2 and the count (in float64) are summed over the ranks, and in the backward pass the
// gradients of those sums are summed again, which is exactly the gradient one process computes on
// the whole batch. The running mean and (unbiased) variance are updated as BatchNorm2d's with the
// step's statistics, so they are the same on every rank. A rank with no cases (x of batch 0)
// still takes part. In eval mode use the layer's own forward: the running statistics need no sum.
torch::Tensor sync_batch_norm(const torch::Tensor& x, torch::nn::BatchNorm2dImpl& norm,
                              const SumOverRanks& sum);

}  // namespace deeptirp
