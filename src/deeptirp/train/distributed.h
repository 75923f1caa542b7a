#pragma once
// Data-parallel training on PyTorch's own distributed engine (c10d): every process (a "rank")
// holds the whole model, trains on its share of each step's cases, and the gradients are summed
// across ranks before the optimiser step, so that a step is the step of one process on the whole
// batch. Processes meet as torchrun's do: RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
// MASTER_ADDR and MASTER_PORT, with rank 0 serving the TCPStore where the others find it.
#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace deeptirp {

struct ProcessGroupEnv {
  int rank = 0, world_size = 1;
  int local_rank = 0, local_world_size = 1;  // on this machine
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
};

// The variables as a launcher set them; WORLD_SIZE unset means one process. An Error names the
// variable that is not a number or out of range.
ProcessGroupEnv process_group_env();

// Gloo for CPU tensors, NCCL for CUDA ("auto"); "gloo" or "nccl" overrides.
std::string distributed_backend(const std::string& requested, const std::string& device);

// One rank's membership of the group. Every collective call must be made by every rank in the
// same order; one that fails (another rank ended, or did not answer within the timeout) is an
// Error naming this rank, never a hang.
class DataParallel {
 public:
  // Joins the group: waits up to `timeout` for every rank at MASTER_ADDR:MASTER_PORT.
  DataParallel(const ProcessGroupEnv& env, const std::string& backend,
               std::chrono::milliseconds timeout);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  const ProcessGroupEnv& env() const;  // as the group was joined
  int rank() const { return env().rank; }
  int world_size() const { return env().world_size; }
  bool is_main() const { return rank() == 0; }  // the one that writes, logs and shows progress

  // Rank 0's values into every rank's tensors (the initial weights, batch-norm buffers).
  void broadcast_from_main(const std::vector<at::Tensor>& tensors);
  // Each parameter's gradient replaced by its sum over the ranks, in buckets of about 25 MiB (as
  // DDP's default) so that a model costs a few collectives, not one per tensor. A parameter
  // without a gradient (a rank with no cases in a step) counts as zero.
  void sum_gradients(const std::vector<at::Tensor>& parameters);
  // Element by element, over the ranks (a figure of the epoch; validation logits gathered).
  std::vector<double> sum(std::vector<double> values);
  // A tensor replaced by its element-wise sum over the ranks (synchronised batch norm's
  // statistics and their gradients, models/sync_batch_norm.h).
  void sum_in_place(at::Tensor& tensor);
  void barrier();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether this build has c10d's Gloo process group (LibTorch with it, and Gloo's headers).
bool has_data_parallel();

}  // namespace deeptirp
