#include "deeptirp/train/distributed.h"

#include <cmath>
#include <cstdlib>

#include "deeptirp/error.h"
#include "deeptirp/io/numbers.h"

#ifdef DEEPTIRP_WITH_C10D
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace deeptirp {
namespace {

int env_int(const char* name, int fallback, int low, int high) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  double value = 0;
  if (!parse_number(std::string(text), value) || value != std::floor(value) || value < low ||
      value > high)
    throw Error(std::string("environment variable ") + name + "='" + text +
                "': expected a whole number from " + std::to_string(low) + " to " +
                std::to_string(high));
  return static_cast<int>(value);
}

// DDP's default bucket_cap_mb.
constexpr std::int64_t kBucketBytes = 25 << 20;

}  // namespace

ProcessGroupEnv process_group_env() {
  ProcessGroupEnv e;
  constexpr int kMaxRanks = 1 << 16;
  e.world_size = env_int("WORLD_SIZE", 1, 1, kMaxRanks);
  e.rank = env_int("RANK", 0, 0, e.world_size - 1);
  e.local_world_size = env_int("LOCAL_WORLD_SIZE", e.world_size, 1, e.world_size);
  e.local_rank = env_int("LOCAL_RANK", e.rank, 0, e.local_world_size - 1);
  if (const char* addr = std::getenv("MASTER_ADDR"); addr && *addr) e.master_addr = addr;
  e.master_port = env_int("MASTER_PORT", e.master_port, 1, 65535);
  return e;
}

std::string distributed_backend(const std::string& requested, const std::string& device) {
  if (requested == "gloo" || requested == "nccl") return requested;
  if (requested != "auto")
    throw Error("train.distributed.backend: expected auto, gloo or nccl, not '" + requested + "'");
  return device.rfind("cuda", 0) == 0 ? "nccl" : "gloo";
}

#ifdef DEEPTIRP_WITH_C10D

bool has_data_parallel() { return true; }

struct DataParallel::Impl {
  ProcessGroupEnv env;
  std::chrono::milliseconds timeout{0};
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;

  // c10d reports a peer gone or silent as c10::Error (or gloo's own exceptions).
  template <typename Work>
  void wait(const Work& work, const char* what) const {
    try {
      work->wait(timeout);
    } catch (const std::exception& e) {
      throw Error("rank " + std::to_string(env.rank) + " of " + std::to_string(env.world_size) +
                  ": " + what + " failed (another process ended, or did not answer within " +
                  std::to_string(timeout.count() / 1000) + " s): " + first_line(e.what()));
    }
  }

  static std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

  // `tensor` replaced by its element-wise sum over the ranks.
  void sum(at::Tensor& tensor, const char* what) const {
    std::vector<at::Tensor> one = {tensor.is_contiguous() ? tensor : tensor.contiguous()};
    wait(group->allreduce(one), what);
    if (!one[0].is_same(tensor)) tensor.copy_(one[0]);
  }
};

DataParallel::DataParallel(const ProcessGroupEnv& env, const std::string& backend,
                           std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  if (backend != "gloo")
    throw Error("train.distributed.backend: '" + backend +
                "' is not in this build (a CPU LibTorch has Gloo only)");
  impl_->env = env;
  impl_->timeout = timeout;
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  try {
    c10d::TCPStoreOptions store;
    store.port = static_cast<std::uint16_t>(env.master_port);
    store.isServer = env.rank == 0;
    store.numWorkers = env.world_size;
    store.timeout = timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(env.master_addr, store);
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    // GLOO_SOCKET_IFNAME, as PyTorch reads it, picks the network card; else the address that
    // reaches MASTER_ADDR's name (loopback on one machine).
    const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
    options->devices.push_back(
        interface && *interface ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
        : env.world_size == env.local_world_size
            ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
            : c10d::ProcessGroupGloo::createDefaultDevice());
    options->threads = 1;  // the collectives are small next to a step; the cores train
    impl_->group =
        c10::make_intrusive<c10d::ProcessGroupGloo>(tcp, env.rank, env.world_size, options);
  } catch (const std::exception& e) {
    throw Error("rank " + std::to_string(env.rank) + " of " + std::to_string(env.world_size) +
                ": could not join the process group at " + where +
                " (MASTER_ADDR, MASTER_PORT) within " + std::to_string(timeout.count() / 1000) +
                " s: " + Impl::first_line(e.what()));
  }
}

DataParallel::~DataParallel() = default;

const ProcessGroupEnv& DataParallel::env() const { return impl_->env; }

void DataParallel::broadcast_from_main(const std::vector<at::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    std::vector<at::Tensor> one = {t.is_contiguous() ? t : t.contiguous()};
    impl_->wait(impl_->group->broadcast(one), "broadcasting the weights");
    if (!one[0].is_same(t)) t.copy_(one[0]);
  }
}

void DataParallel::sum_gradients(const std::vector<at::Tensor>& parameters) {
  torch::NoGradGuard no_grad;
  std::vector<at::Tensor> grads;
  for (const auto& p : parameters) {
    if (!p.requires_grad()) continue;
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  std::size_t begin = 0;
  while (begin < grads.size()) {
    std::size_t end = begin;
    std::int64_t bytes = 0;
    while (end < grads.size() && (end == begin || bytes + grads[end].nbytes() <= kBucketBytes))
      bytes += grads[end++].nbytes();
    std::vector<at::Tensor> flat;
    for (std::size_t k = begin; k < end; ++k) flat.push_back(grads[k].reshape(-1));
    at::Tensor bucket = torch::cat(flat);
    impl_->sum(bucket, "summing the gradients");
    std::int64_t at = 0;
    for (std::size_t k = begin; k < end; ++k) {
      const std::int64_t n = grads[k].numel();
      grads[k].copy_(bucket.narrow(0, at, n).view_as(grads[k]));
      at += n;
    }
    begin = end;
  }
}

std::vector<double> DataParallel::sum(std::vector<double> values) {
  if (values.empty()) return values;
  at::Tensor tensor =
      torch::from_blob(values.data(), {static_cast<std::int64_t>(values.size())}, torch::kFloat64);
  impl_->sum(tensor, "summing figures");
  return values;  // the allreduce wrote into them
}

void DataParallel::sum_in_place(at::Tensor& tensor) {
  impl_->sum(tensor, "summing batch-norm statistics");
}

void DataParallel::barrier() { impl_->wait(impl_->group->barrier(), "waiting for every rank"); }

#else

bool has_data_parallel() { return false; }

struct DataParallel::Impl {
  ProcessGroupEnv env;
};

DataParallel::DataParallel(const ProcessGroupEnv&, const std::string&, std::chrono::milliseconds) {
  throw Error(
      "data-parallel training: this deeptirp was built without c10d's Gloo process group (install "
      "libgloo-dev and rebuild)");
}
DataParallel::~DataParallel() = default;
const ProcessGroupEnv& DataParallel::env() const { return impl_->env; }
void DataParallel::broadcast_from_main(const std::vector<at::Tensor>&) {}
void DataParallel::sum_gradients(const std::vector<at::Tensor>&) {}
std::vector<double> DataParallel::sum(std::vector<double> values) { return values; }
void DataParallel::sum_in_place(at::Tensor&) {}
void DataParallel::barrier() {}

#endif

}  // namespace deeptirp
