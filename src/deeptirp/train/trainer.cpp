#include "deeptirp/train/trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "deeptirp/data/image_cache.h"
#include "deeptirp/data/loader.h"
#include "deeptirp/data/rng.h"
#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/io/progress.h"
#include "deeptirp/models/inference.h"
#include "deeptirp/models/model_file.h"
#include "deeptirp/models/registry.h"
#include "deeptirp/stats/roc.h"
#include "deeptirp/train/checkpoint.h"
#include "deeptirp/train/distributed.h"
#include "deeptirp/train/evaluate.h"
#include "deeptirp/train/schedule.h"
#include "deeptirp/train/subtype_target.h"
#include "deeptirp/train/train_step.h"
#include "deeptirp/train/weight_average.h"

namespace deeptirp {
namespace {

torch::Device parse_device(const std::string& name) {
  torch::Device device(name);  // throws c10::Error on nonsense; caught below
  if (device.is_cuda() && !torch::cuda::is_available())
    throw Error("train.device: '" + name + "' asked for, but no CUDA device is available");
  return device;
}

// GradScaler's defaults: init_scale 2^16, growth_interval 2000.
constexpr double kInitialLossScale = 65536.0;
constexpr int kLossScaleGrowthSteps = 2000;
// The generator stream of balanced sampling's draws (mix_seed's second argument), apart from
// the loader's streams, so that sampling and augmentation draws never coincide.
constexpr std::uint64_t kBalancedDrawStream = 1000003;

// Dynamic loss scaling for fp16 (as torch.cuda.amp.GradScaler): scale up after a run of finite
// steps, halve and skip the step on an overflow.
struct LossScaler {
  bool enabled = false;
  double scale = kInitialLossScale;
  int good_steps = 0;

  bool unscale_and_check(const std::vector<torch::Tensor>& params) {
    if (!enabled) return true;
    // One flag on the device for all gradients, read once: one host synchronisation a step.
    torch::Tensor all_finite;
    for (const auto& p : params)
      if (p.grad().defined()) {
        p.grad().div_(scale);
        const auto f = torch::isfinite(p.grad()).all();
        all_finite = all_finite.defined() ? all_finite.logical_and(f) : f;
      }
    const bool finite = !all_finite.defined() || all_finite.item<bool>();
    if (!finite) {
      scale /= 2;
      good_steps = 0;
    } else if (++good_steps == kLossScaleGrowthSteps) {
      scale *= 2;
      good_steps = 0;
    }
    return finite;
  }
};

// What the optimiser updates: the model's parameters, then the subtype layer's (when trained).
std::vector<torch::Tensor> trained_parameters(ImageModel& model, SubtypeTarget* subtype) {
  std::vector<torch::Tensor> params = model.parameters();
  if (subtype)
    for (const auto& p : subtype->head()->parameters()) params.push_back(p);
  return params;
}

void set_lr(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

// Cases of a split, checked to hold both the positive class and another.
std::vector<std::size_t> checked_split(const Manifest& m, const std::string& split,
                                       const std::string& positive) {
  auto cases = cases_in_split(m, split);
  std::size_t pos = 0;
  for (auto i : cases) pos += m.cases[i].label == positive;
  if (cases.empty())
    throw Error(m.path.string() + ": no cases in split '" + split +
                "' (run `deeptirp split` first)");
  if (pos == 0 || pos == cases.size())
    throw Error(m.path.string() + ": split '" + split + "' holds only " +
                (pos == 0 ? "negative cases" : "'" + positive + "' cases") +
                "; training needs both classes in train and validation");
  return cases;
}

// Balanced sampling: as many draws as cases, each class equally likely, from seed and epoch.
std::vector<std::size_t> balanced_draw(const Manifest& m, const std::vector<std::size_t>& cases,
                                       const std::string& positive, std::uint64_t seed, int epoch) {
  std::vector<std::size_t> pos, neg;
  for (auto i : cases) (m.cases[i].label == positive ? pos : neg).push_back(i);
  std::mt19937_64 g(mix_seed(seed, kBalancedDrawStream + epoch));
  std::vector<std::size_t> drawn(cases.size());
  for (auto& d : drawn) {
    const auto& from = bernoulli(g, 0.5) ? pos : neg;
    d = from[uniform_index(g, from.size())];
  }
  return drawn;
}

double monitor_value(const TrainConfig& c, const Evaluation& e) {
  if (c.monitor == "loss") return -e.loss;  // higher is better throughout
  if (c.monitor == "accuracy") return e.accuracy;
  return e.auc;
}

void write_log(const std::filesystem::path& run, const nlohmann::json& history) {
  std::string lines;
  for (const auto& epoch : history) lines += epoch.dump() + "\n";
  write_file_atomically(run / "train_log.jsonl", lines);
}

// What a run trains on, checked before anything is written: the study, the manifest and its
// train and validation cases.
struct RunData {
  StudyConfig study;
  Manifest manifest;
  std::vector<std::size_t> train_cases, val_cases;
};

RunData load_run_data(const TrainConfig& config, const TrainControl& control) {
  RunData d;
  if (control.study)
    d.study = *control.study;
  else if (!config.study.empty())
    d.study = load_study_config(config.study);
  d.manifest = manifest_or_read(control.manifest, config.manifest, d.study);
  if (d.study.positive.empty())
    throw Error((config.study.empty() ? std::string("train.study") : config.study) +
                ": the positive class is not set (key 'positive' of the study config)");
  d.train_cases = checked_split(d.manifest, "train", d.study.positive);
  d.val_cases = checked_split(d.manifest, "validation", d.study.positive);
  return d;
}

// The card of the model this run trains; its normalisation is filled in once the training
// split's images are decoded.
ModelCard run_card(const TrainConfig& config, const StudyConfig& study, const ImageOptions& image) {
  ModelCard card;
  card.architecture = config.model;
  architecture(card.architecture);  // an unknown name fails before any image is decoded
  card.image_size = image.size;
  card.channels = image.channels;
  card.roi_margin = image.roi_margin;
  card.min_crop = image.min_crop;
  card.normalisation = image.intensity;
  card.tta = config.tta;
  card.target = study.target;
  card.positive = study.positive;
  card.classes = study.classes;
  return card;
}

// Decodes every image once, before the first step: a file that fails stops the run here.
void decode_all(const RunData& d, ImageCache& cache, const std::string& log) {
  std::vector<std::size_t> all = d.train_cases;
  all.insert(all.end(), d.val_cases.begin(), d.val_cases.end());
  Progress progress(Progress::parse_mode(log), "decoding images", all.size());
  std::size_t done = 0;
  for (auto i : all) {
    cache.get(d.manifest.image_path(d.manifest.cases[i]), d.manifest.cases[i].roi);
    progress.update(++done, "");
  }
  progress.finish("decoded " + std::to_string(all.size()) + " images (cached in memory)");
}

std::shared_ptr<ImageModel> initial_model(const TrainConfig& config, const ModelCard& card,
                                          const torch::Device& device) {
  torch::manual_seed(config.seed);
  ModelOptions regularisation;
  regularisation.dropout = config.dropout;
  regularisation.stochastic_depth = config.stochastic_depth;
  std::shared_ptr<ImageModel> model = build_model(card, regularisation);
  if (!config.weights.empty()) {
    const LoadReport report =
        load_weights(*model, config.model, std::filesystem::path(config.weights));
    if (report.head_replaced || report.stem_summed)
      std::printf("%s: %s\n", config.weights.c_str(), report.describe().c_str());
  }
  model->to(device);
  model->prepare_training();
  return model;
}

// The positive class's weight in the loss: negatives per positive with class_balance pos-weight.
double positive_weight(const TrainConfig& config, const RunData& d) {
  if (config.class_balance != "pos-weight") return 1.0;
  std::size_t pos = 0;
  for (auto i : d.train_cases) pos += d.manifest.cases[i].label == d.study.positive;
  return static_cast<double>(d.train_cases.size() - pos) / pos;
}

// One epoch's steps of batch_size images, each in micro-batches; returns the mean training loss.
// With several ranks, each runs its share of every step (rank_share) and the gradients are
// summed before the step: each micro-batch's loss is weighted by its share of the whole step,
// so the sum is the gradient of one process on the whole batch.
class EpochRunner {
 public:
  EpochRunner(const TrainConfig& config, const RunData& data, const ModelCard& card,
              ImageCache& cache, const torch::Device& device, DataParallel* parallel,
              SubtypeTarget* subtype)
      : config_(config),
        data_(data),
        card_(card),
        cache_(cache),
        device_(device),
        schedule_{config.schedule,      config.lr,     config.step_epochs, config.gamma,
                  config.warmup_epochs, config.min_lr, config.epochs},
        parallel_(parallel),
        subtype_(subtype),
        ranks_(parallel ? parallel->world_size() : 1),
        rank_(parallel ? parallel->rank() : 0),
        share_(config.batch_size / ranks_),
        micro_(config.micro_batch > 0 ? config.micro_batch : share_),
        pos_weight_(positive_weight(config, data)) {
    if (config.batch_size % ranks_ != 0)
      throw Error("train.batch_size: " + std::to_string(config.batch_size) +
                  " images per step cannot be shared equally by " + std::to_string(ranks_) +
                  " processes");
    if (share_ % micro_ != 0)
      throw Error("train.micro_batch: must divide batch_size (" +
                  std::to_string(config.batch_size) + ")" +
                  (ranks_ > 1 ? " / processes (" + std::to_string(share_) + ")" : ""));
    scaler_.enabled = config.precision == "fp16";
  }

  const Schedule& schedule() const { return schedule_; }

  // train.distributed.sync_batch_norm: the model's batch norm (not the average's, which is only
  // evaluated) takes its statistics over every rank's cases, summed here.
  void synchronise_batch_norm(ImageModel& model) {
    synchronised_ = model.synchronise_batch_norm([this](torch::Tensor& t) {
      if (placeholder_) t.zero_();  // a placeholder's statistics count for nothing
      parallel_->sum_in_place(t);
    });
    if (!synchronised_ && parallel_->is_main())
      std::printf("train.distributed.sync_batch_norm: %s has no batch norm\n",
                  config_.model.c_str());
  }

  // Of the last epoch, rank 0's time in summing gradients (waiting for the slowest rank included).
  double allreduce_seconds() const { return allreduce_seconds_; }

  double run(int epoch, ImageModel& model, torch::optim::Optimizer& optimizer,
             WeightAverage* average) {
    const auto started = std::chrono::steady_clock::now();
    allreduce_seconds_ = 0;
    const std::vector<std::size_t> cases =
        config_.class_balance == "sampling"
            ? balanced_draw(data_.manifest, data_.train_cases, data_.study.positive, config_.seed,
                            epoch)
            : data_.train_cases;
    LoaderOptions lo;
    lo.batch_size = static_cast<int>(micro_);
    lo.shuffle = true;
    lo.augment = true;
    lo.augment_level = config_.augment;
    lo.workers = config_.workers;
    lo.seed = config_.seed;
    lo.rank = rank_;
    lo.ranks = ranks_;
    lo.step_cases = config_.batch_size;
    lo.pin_memory = device_.is_cuda();
    BatchLoader loader(data_.manifest, cases, data_.study.positive, card_.norm, cache_, lo);
    loader.start_epoch(epoch);

    model.train();
    const std::size_t n = cases.size(), batch = config_.batch_size;
    const std::size_t steps = (n + batch - 1) / batch;
    Progress progress(Progress::parse_mode(config_.log),
                      "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(config_.epochs),
                      loader.batches_per_epoch());
    double loss_sum = 0;
    std::size_t seen = 0, micro_done = 0;
    const auto params = trained_parameters(model, subtype_);
    clear_gradients(optimizer);
    for (std::size_t step = 0; step < steps; ++step) {
      set_lr(optimizer, learning_rate(schedule_, epoch, static_cast<double>(step) / steps));
      const std::size_t step_size = std::min<std::size_t>(batch, n - step * batch);
      const std::size_t mine = rank_share_size(step_size, batch, rank_, ranks_);
      // Synchronised batch norm: every rank takes as many passes as rank 0 (which has the most
      // cases), placeholders first where its own cases are fewer.
      const std::size_t passes =
          synchronised_ ? (rank_share_size(step_size, batch, 0, ranks_) + micro_ - 1) / micro_ : 0;
      for (std::size_t pass = (mine + micro_ - 1) / micro_; pass < passes; ++pass)
        placeholder_pass(model, optimizer);
      for (std::size_t done = 0; done < mine;) {
        auto b = loader.next();
        if (!b) throw Error("train: the loader ended inside a step");  // a bug, not bad input
        // From pinned memory on CUDA: queued behind the last step's kernels, no host wait.
        auto images = b->images.to(device_, /*non_blocking=*/true);
        auto labels = b->labels.to(device_, /*non_blocking=*/true);
        const torch::Tensor subtypes =
            subtype_ ? subtype_->classes_of(b->indices).to(device_) : torch::Tensor();
        const double chunk = static_cast<double>(images.size(0));
        const auto loss =
            forward_backward(model, images, labels, config_.precision, pos_weight_,
                             (chunk / step_size) * (scaler_.enabled ? scaler_.scale : 1.0),
                             config_.label_smoothing, subtype_, subtypes);
        loss_sum += loss.item<double>() * chunk;
        done += images.size(0);
        seen += images.size(0);
        char detail[96];
        const double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        std::snprintf(detail, sizeof detail, "loss %.4f %.1f img/s", loss_sum / seen,
                      seen * ranks_ / secs);
        progress.update(++micro_done, detail);
      }
      if (parallel_) {
        const auto begun = std::chrono::steady_clock::now();
        parallel_->sum_gradients(params);
        allreduce_seconds_ +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - begun).count();
      }
      if (scaler_.unscale_and_check(params)) {
        optimizer.step();
        if (average) average->update(model);
      }
      clear_gradients(optimizer);
    }
    progress_ = std::move(progress);
    return (parallel_ ? parallel_->sum({loss_sum})[0] : loss_sum) / n;
  }

  // A rank's turn in a pass where it has no cases left but the others' batch norm waits for its
  // sums: one blank image whose statistics are zeroed before they are summed. Its gradients are
  // dropped (the step's own passes come after it): through the shared statistics it would
  // otherwise receive the other ranks' gradient. Not an empty batch: LibTorch 1.13's
  // channels-last convolutions refuse one.
  void placeholder_pass(ImageModel& model, torch::optim::Optimizer& optimizer) {
    const torch::Tensor image =
        torch::zeros({1, card_.channels, card_.image_size, card_.image_size}, device_);
    placeholder_ = true;
    forward_backward(model, image, torch::zeros({1}, device_), config_.precision, pos_weight_, 0.0);
    placeholder_ = false;
    clear_gradients(optimizer);
  }

  // The epoch's progress line, finished with its summary once validation is done.
  void finish(const std::string& summary) {
    if (progress_) progress_->finish(summary);
    progress_.reset();
  }

 private:
  const TrainConfig& config_;
  const RunData& data_;
  const ModelCard& card_;
  ImageCache& cache_;
  const torch::Device device_;
  const Schedule schedule_;
  DataParallel* parallel_;  // null: one process
  SubtypeTarget* subtype_;  // null: no auxiliary target
  const int ranks_, rank_;
  const std::size_t share_;  // of a full step, per rank
  const std::size_t micro_;
  const double pos_weight_;
  LossScaler scaler_;
  bool synchronised_ = false, placeholder_ = false;
  double allreduce_seconds_ = 0;
  std::optional<Progress> progress_;
};

// Records an epoch in `state` (best by the monitored validation figure) and returns whether it
// is the best so far.
bool record_epoch(CheckpointState& state, const TrainConfig& config, int epoch, double lr,
                  double train_loss, const Evaluation& val, double seconds, std::size_t n) {
  const double metric = monitor_value(config, val);
  const bool best = state.best_epoch < 0 || metric > state.best_metric;
  state.epoch = epoch + 1;
  if (best) {
    state.best_epoch = epoch + 1;
    state.best_metric = metric;
  }
  state.history.push_back({{"epoch", epoch + 1},
                           {"lr", lr},
                           {"train_loss", train_loss},
                           {"val_loss", val.loss},
                           {"val_auc", val.auc},
                           {"val_accuracy", val.accuracy},
                           {"seconds", seconds},
                           {"images_per_second", n / seconds},
                           {"best", best}});
  return best;
}

std::string epoch_summary(const TrainConfig& config, int epoch, double train_loss,
                          const Evaluation& val, double seconds, bool best) {
  char summary[256];
  std::snprintf(summary, sizeof summary,
                "epoch %d/%d  train loss %.4f  val loss %.4f  val AUC %.4f  val acc %.4f  "
                "%.0f s%s",
                epoch + 1, config.epochs, train_loss, val.loss, val.auc, val.accuracy, seconds,
                best ? "  (best)" : "");
  return summary;
}

// The group this process trains in when a launcher started several (WORLD_SIZE > 1), joined
// before anything is written; null for one process.
std::unique_ptr<DataParallel> join_process_group(const TrainConfig& config) {
  const ProcessGroupEnv env = process_group_env();
  if (env.world_size == 1) return nullptr;
  const auto timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(config.distributed_timeout_s * 1000));
  return std::make_unique<DataParallel>(
      env, distributed_backend(config.distributed_backend, config.device), timeout);
}

// Several processes on one machine share its cores: each computes on its part unless told.
TrainConfig per_process(TrainConfig config, const DataParallel* parallel) {
  if (!parallel) return config;
  const int local = parallel->env().local_world_size;
  const int cores = std::max(1u, std::thread::hardware_concurrency());
  if (config.threads == 0) config.threads = std::max(1, cores / local);
  if (config.workers == 0) config.workers = std::max(1, cores / local);
  if (!parallel->is_main()) config.log = "quiet";  // one progress bar, rank 0's
  return config;
}

// Rank 0's batch-norm running statistics into every rank. Each rank's come from its own shares
// of the batches; training uses each batch's own statistics, so only evaluation sees them, and
// rank 0's are the ones its checkpoint keeps (DDP's broadcast_buffers gives the same).
void share_buffers(DataParallel& parallel, ImageModel& model) {
  std::vector<at::Tensor> buffers;
  for (const auto& b : model.buffers()) buffers.push_back(b);
  if (!buffers.empty()) parallel.broadcast_from_main(buffers);
}

// The validation figures of the kept model; with several ranks each computes the logits of its
// block of the cases, and the sum of the blocks (zeros elsewhere) gives every rank all of them.
Evaluation validate(ImageModel& kept, const RunData& data, const ModelCard& card, ImageCache& cache,
                    const torch::Device& device, const TrainConfig& config,
                    DataParallel* parallel) {
  const auto& cases = data.val_cases;
  if (!parallel)
    return evaluate(kept, data.manifest, cases, data.study.positive, card.norm, cache, device,
                    config.workers, config.precision);
  share_buffers(*parallel, kept);
  const std::size_t ranks = parallel->world_size(), per = (cases.size() + ranks - 1) / ranks;
  const std::size_t begin = std::min(cases.size(), per * parallel->rank());
  const std::size_t end = std::min(cases.size(), begin + per);
  const std::vector<std::size_t> mine(cases.begin() + begin, cases.begin() + end);
  const std::vector<double> logits =
      case_logits(kept, data.manifest, mine, data.study.positive, card.norm, cache, device,
                  config.workers, config.precision);
  std::vector<double> all(cases.size(), 0.0);
  std::copy(logits.begin(), logits.end(), all.begin() + begin);
  return evaluation_of(parallel->sum(std::move(all)), data.manifest, cases, data.study.positive);
}

// Every rank starts from rank 0's weights and buffers (the same seed builds the same model, but
// a resumed rank reads its own copy of the checkpoint).
void share_weights(DataParallel* parallel, ImageModel& model) {
  if (!parallel) return;
  parallel->broadcast_from_main(model.parameters());
  share_buffers(*parallel, model);
}

}  // namespace

TrainResult train(const TrainConfig& requested, const TrainControl& control) {
  check_train_config(requested);
  // Decided before anything is read or written: a resumed run keeps every setting it began with.
  if (control.resume)
    require_same_settings(requested.out, read_run_train_config(requested.out), requested);
  const std::unique_ptr<DataParallel> parallel = join_process_group(requested);
  const bool writes = !parallel || parallel->is_main();
  const TrainConfig config = per_process(requested, parallel.get());
  const torch::Device device = parse_device(config.device);
  const RunData data = load_run_data(config, control);
  const ImageOptions image = resolve_image_options(data.study.image, config);
  ModelCard card = run_card(config, data.study, image);

  const std::filesystem::path run = config.out;
  std::filesystem::create_directories(run);
  if (!control.resume && std::filesystem::exists(run / "last.json"))
    throw Error(run.string() +
                " already holds a run; pass --resume to continue it, or choose "
                "another --out");
  if (config.threads > 0) torch::set_num_threads(config.threads);
  reuse_freed_memory();

  const std::filesystem::path cache_dir =
      config.cache_dir.empty() ? run / "cache" : std::filesystem::path(config.cache_dir);
  ImageCache cache(image, cache_dir);
  decode_all(data, cache, config.log);
  card.norm = compute_norm_stats(data.manifest, cache);
  if (!control.resume && writes)
    write_file_atomically(run / "train_config.json", train_config_json(requested) + "\n");

  std::shared_ptr<ImageModel> model = initial_model(config, card, device);
  std::optional<SubtypeTarget> subtype;
  if (config.subtype_weight > 0) {
    subtype.emplace(data.manifest, data.train_cases, *model, card.image_size, card.channels,
                    config.subtype_weight, device);
    if (writes)
      std::printf("subtype target: %zu subtypes, weight %g\n", subtype->subtypes().size(),
                  config.subtype_weight);
  }
  SubtypeTarget* subtype_target = subtype ? &*subtype : nullptr;
  torch::nn::Module* subtype_head = subtype ? subtype->head().get() : nullptr;
  auto optimizer = make_optimizer(config, trained_parameters(*model, subtype_target));
  std::optional<WeightAverage> average;
  if (config.ema_decay > 0)
    average.emplace(initial_model(config, card, device), *model, config.ema_decay);
  ImageModel* averaged = average ? &average->model() : nullptr;
  CheckpointState state;
  if (control.resume) {
    if (auto last = checkpoint_folder(run, "last")) {
      state = load_checkpoint(*last, *model, *optimizer, averaged, subtype_head);
      if (average) average->restore(state.average_steps);
      if (writes)
        std::printf("resuming %s after epoch %d (best so far: epoch %d)\n", run.c_str(),
                    state.epoch, state.best_epoch);
    }
  }
  share_weights(parallel.get(), *model);
  if (averaged) share_weights(parallel.get(), *averaged);
  if (parallel && subtype_head) parallel->broadcast_from_main(subtype_head->parameters());

  EpochRunner epochs(config, data, card, cache, device, parallel.get(), subtype_target);
  if (parallel && config.distributed_sync_batch_norm) epochs.synchronise_batch_norm(*model);
  int epochs_this_call = 0;
  for (int epoch = state.epoch; epoch < config.epochs; ++epoch) {
    if (control.stop_after > 0 && epochs_this_call == control.stop_after) break;
    const auto started = std::chrono::steady_clock::now();
    const double train_loss = epochs.run(epoch, *model, *optimizer, average ? &*average : nullptr);
    if (average) state.average_steps = average->steps();
    // With weight averaging, the average is what is validated and kept.
    ImageModel& kept = averaged ? *averaged : *model;
    const Evaluation val = validate(kept, data, card, cache, device, config, parallel.get());
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::size_t n = data.train_cases.size();  // balanced sampling draws as many
    const bool best = record_epoch(state, config, epoch, learning_rate(epochs.schedule(), epoch),
                                   train_loss, val, seconds, n);
    if (parallel) {
      state.history.back()["processes"] = parallel->world_size();
      state.history.back()["allreduce_seconds"] = epochs.allreduce_seconds();
    }
    if (writes) {
      save_checkpoint(run, *model, *optimizer, state, card, best, averaged, subtype_head);
      write_log(run, state.history);
    }
    epochs.finish(epoch_summary(config, epoch, train_loss, val, seconds, best));
    ++epochs_this_call;
    // No rank goes on (or ends) before the checkpoint of this epoch is written: a rank killed
    // now resumes from it, and a finished run's files are complete when every rank returns.
    if (parallel) parallel->barrier();
  }
  return {run, cache_dir, state.epoch, state.best_epoch, state.best_metric, state.history, writes};
}

}  // namespace deeptirp
