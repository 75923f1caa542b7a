// Synchronised batch norm against LibTorch's BatchNorm2d on the whole batch: two threads stand in
// for two ranks, their sums meeting in a small all-reduce of their own.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "deeptirp/models/efficientnet.h"
#include "deeptirp/models/sync_batch_norm.h"

namespace deeptirp {
namespace {

// An all-reduce between `ranks` threads: each call waits for the others' tensors of the same
// round and returns their sum to all.
class ThreadAllReduce {
 public:
  explicit ThreadAllReduce(int ranks) : ranks_(ranks) {}

  SumOverRanks member() {
    return [this](torch::Tensor& t) { sum(t); };
  }

 private:
  void sum(torch::Tensor& t) {
    std::unique_lock<std::mutex> lock(mutex_);
    const long round = round_;
    total_ = arrived_ == 0 ? t.clone() : total_ + t;
    if (++arrived_ == ranks_) {
      result_ = total_;
      arrived_ = 0;
      ++round_;
      changed_.notify_all();
    } else {
      changed_.wait(lock, [&] { return round_ != round; });
    }
    t.copy_(result_);
  }

  const int ranks_;
  std::mutex mutex_;
  std::condition_variable changed_;
  int arrived_ = 0;
  long round_ = 0;
  torch::Tensor total_, result_;
};

struct Pass {
  torch::Tensor output, input_grad, weight_grad, bias_grad, running_mean, running_var;
};

// A loss whose gradient differs per case and per channel, so that every term of the backward
// pass matters.
torch::Tensor loss_of(const torch::Tensor& y, const torch::Tensor& target) {
  return (y * target).sum() + (y * y).sum() * 0.25;
}

torch::nn::BatchNorm2d fresh_norm(int64_t channels) {
  torch::manual_seed(3);
  torch::nn::BatchNorm2d norm(channels);
  torch::NoGradGuard no_grad;
  norm->weight.uniform_(0.5, 1.5);
  norm->bias.uniform_(-0.5, 0.5);
  return norm;
}

Pass run(torch::nn::BatchNorm2d norm, const torch::Tensor& x_in, const torch::Tensor& target,
         const SumOverRanks* sum) {
  auto x = x_in.clone().requires_grad_(true);
  auto y = sum ? sync_batch_norm(x, *norm, *sum) : norm->forward(x);
  loss_of(y, target).backward();
  return {y.detach(),
          x.grad(),
          norm->weight.grad(),
          norm->bias.grad(),
          norm->running_mean.clone(),
          norm->running_var.clone()};
}

void expect_close(const torch::Tensor& a, const torch::Tensor& b, const char* what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  EXPECT_LT((a - b).abs().max().item<double>(), 1e-5) << what;
}

// Two ranks with the given shares of a batch of 12 equal one BatchNorm2d over all 12: outputs,
// the input's gradient, the weight's and bias's gradients summed over the ranks (as the gradient
// all-reduce does), and the running statistics on both ranks.
void check_shares(int64_t first, const char* what) {
  SCOPED_TRACE(what);
  torch::manual_seed(11);
  const auto x = torch::randn({12, 5, 4, 3}) * 2 + 1;
  const auto target = torch::randn({12, 5, 4, 3});
  const Pass whole = run(fresh_norm(5), x, target, nullptr);

  ThreadAllReduce reduce(2);
  const SumOverRanks sum = reduce.member();
  Pass part[2];
  torch::nn::BatchNorm2d norms[2] = {fresh_norm(5), fresh_norm(5)};  // seeded: not in threads
  auto rank = [&](int r) {
    const int64_t begin = r == 0 ? 0 : first, size = r == 0 ? first : 12 - first;
    part[r] = run(norms[r], x.narrow(0, begin, size), target.narrow(0, begin, size), &sum);
  };
  std::thread other(rank, 1);
  rank(0);
  other.join();

  expect_close(torch::cat({part[0].output, part[1].output}), whole.output, "output");
  expect_close(torch::cat({part[0].input_grad, part[1].input_grad}), whole.input_grad,
               "input gradient");
  expect_close(part[0].weight_grad + part[1].weight_grad, whole.weight_grad, "weight gradient");
  expect_close(part[0].bias_grad + part[1].bias_grad, whole.bias_grad, "bias gradient");
  for (const auto& p : part) {
    expect_close(p.running_mean, whole.running_mean, "running mean");
    expect_close(p.running_var, whole.running_var, "running variance");
  }
}

TEST(SyncBatchNorm, TwoRanksEqualOneBatchNormOverTheWholeBatch) {
  check_shares(6, "equal shares");
  check_shares(9, "unequal shares");
  check_shares(12, "the second rank with no cases");
}

// A whole EfficientNet-B0 in training mode: the loss gradient of every parameter, summed over two
// ranks with synchronised batch norm, is the gradient of one model on the whole batch.
TEST(SyncBatchNorm, EfficientNetGradientsOverTwoRanksAreTheWholeBatchs) {
  ModelOptions o;
  o.in_chans = 1;
  o.dropout = 0;
  o.stochastic_depth = 0;
  auto make = [&] {
    torch::manual_seed(1);
    auto m = make_efficientnet(efficientnet_scale("b0"), o);
    m->prepare_training();
    m->train();
    return m;
  };
  torch::manual_seed(2);
  const auto images = torch::randn({10, 1, 32, 32});
  const auto labels = torch::randint(0, 2, {10}).to(torch::kFloat);
  auto loss_of_share = [&](ImageModel& m, int64_t begin, int64_t size) {
    auto logits = m.forward(images.narrow(0, begin, size)).reshape({-1});
    // The mean over the whole batch: each rank's sum over its cases / 10.
    return torch::binary_cross_entropy_with_logits(logits, labels.narrow(0, begin, size), {}, {},
                                                   at::Reduction::Sum) /
           10;
  };
  auto whole = make();
  loss_of_share(*whole, 0, 10).backward();

  std::shared_ptr<ImageModel> part[2] = {make(), make()};
  ThreadAllReduce reduce(2);
  for (auto& m : part) ASSERT_TRUE(m->synchronise_batch_norm(reduce.member()));
  auto rank = [&](int r) { loss_of_share(*part[r], r == 0 ? 0 : 6, r == 0 ? 6 : 4).backward(); };
  std::thread other(rank, 1);
  rank(0);
  other.join();

  const auto expected = whole->named_parameters();
  const auto first = part[0]->named_parameters(), second = part[1]->named_parameters();
  // float rounding: 2e-5 here (as far as the whole batch in float is from itself in double).
  for (std::size_t k = 0; k < expected.size(); ++k) {
    const auto g = expected[k].value().grad();
    ASSERT_TRUE(g.defined()) << expected[k].key();
    const auto summed = first[k].value().grad() + second[k].value().grad();
    EXPECT_LT((summed - g).abs().max().item<double>(), 1e-4 * (1 + g.abs().max().item<double>()))
        << expected[k].key();
  }
}

TEST(SyncBatchNorm, OneRankIsBatchNorm2d) {
  torch::manual_seed(5);
  const auto x = torch::randn({4, 3, 5, 5}).contiguous(at::MemoryFormat::ChannelsLast);
  const auto target = torch::randn({4, 3, 5, 5});
  const SumOverRanks alone = [](torch::Tensor&) {};
  auto norm = fresh_norm(3);
  const Pass sync = run(norm, x, target, &alone);
  const Pass plain = run(fresh_norm(3), x, target, nullptr);
  expect_close(sync.output, plain.output, "output");
  expect_close(sync.input_grad, plain.input_grad, "input gradient");
  expect_close(sync.weight_grad, plain.weight_grad, "weight gradient");
  expect_close(sync.running_var, plain.running_var, "running variance");
  EXPECT_EQ(norm->num_batches_tracked.item<int64_t>(), 1);
}

}  // namespace
}  // namespace deeptirp
