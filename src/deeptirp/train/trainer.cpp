#include "deeptirp/train/trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "deeptirp/data/image_cache.h"
#include "deeptirp/data/loader.h"
#include "deeptirp/data/rng.h"
#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/io/progress.h"
#include "deeptirp/models/inference.h"
#include "deeptirp/stats/roc.h"
#include "deeptirp/train/checkpoint.h"
#include "deeptirp/train/evaluate.h"
#include "deeptirp/train/run_setup.h"
#include "deeptirp/train/schedule.h"
#include "deeptirp/train/train_step.h"

namespace deeptirp {
namespace {

torch::Device parse_device(const std::string& name) {
  torch::Device device(name);  // throws c10::Error on nonsense; caught below
  if (device.is_cuda() && !torch::cuda::is_available())
    throw Error("train.device: '" + name + "' asked for, but no CUDA device is available");
  return device;
}

// Dynamic loss scaling for fp16 (as torch.cuda.amp.GradScaler): scale up after a run of finite
// steps, halve and skip the step on an overflow.
struct LossScaler {
  bool enabled = false;
  double scale = 65536.0;
  int good_steps = 0;

  bool unscale_and_check(const std::vector<torch::Tensor>& params) {
    if (!enabled) return true;
    bool finite = true;
    for (const auto& p : params)
      if (p.grad().defined()) {
        p.grad().div_(scale);
        finite = finite && torch::isfinite(p.grad()).all().item<bool>();
      }
    if (!finite) {
      scale /= 2;
      good_steps = 0;
    } else if (++good_steps == 2000) {
      scale *= 2;
      good_steps = 0;
    }
    return finite;
  }
};

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
  std::mt19937_64 g(mix_seed(seed, 1000003 + epoch));
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

}  // namespace

TrainResult train(const TrainConfig& config, const TrainControl& control) {
  check_train_config(config);
  const torch::Device device = parse_device(config.device);
  const StudyConfig study =
      config.study.empty() ? StudyConfig{} : load_study_config(config.study);
  Manifest manifest = read_manifest(config.manifest, study);
  std::string positive = study.positive;
  if (positive.empty())
    throw Error((config.study.empty() ? std::string("train.study") : config.study) +
                ": the positive class is not set (key 'positive' of the study config)");
  const auto train_cases = checked_split(manifest, "train", positive);
  const auto val_cases = checked_split(manifest, "validation", positive);

  const std::filesystem::path run = config.out;
  std::filesystem::create_directories(run);
  if (!control.resume && std::filesystem::exists(run / "last.json"))
    throw Error(run.string() + " already holds a run; pass --resume to continue it, or choose "
                "another --out");
  if (config.threads > 0) torch::set_num_threads(config.threads);
  reuse_freed_memory();

  ModelCard card;
  card.architecture = config.model;
  card.image_size = config.image_size;
  card.channels = config.channels;
  card.roi_margin = study.image.roi_margin;
  card.target = study.target;
  card.positive = positive;
  card.classes = study.classes;
  ImageOptions image = card.image_options();
  image.hflip = config.hflip;
  image.vflip = config.vflip;

  // Decode every image once, before the first step: a file that fails stops the run here.
  ImageCache cache(image, config.cache_dir.empty() ? run / "cache"
                                                  : std::filesystem::path(config.cache_dir));
  {
    std::vector<std::size_t> all = train_cases;
    all.insert(all.end(), val_cases.begin(), val_cases.end());
    Progress progress(Progress::parse_mode(config.log), "decoding images", all.size());
    std::size_t done = 0;
    for (auto i : all) {
      cache.get(manifest.image_path(manifest.cases[i]), manifest.cases[i].roi);
      progress.update(++done, "");
    }
    progress.finish("decoded " + std::to_string(all.size()) + " images (cached in memory)");
  }
  card.norm = compute_norm_stats(manifest, cache);
  write_file_atomically(run / "train_config.json", train_config_json(config) + "\n");

  torch::manual_seed(config.seed);
  ModelOptions regularisation;
  regularisation.dropout = config.dropout;
  regularisation.stochastic_depth = config.stochastic_depth;
  std::shared_ptr<ImageModel> model = build_model(card, regularisation);
  if (!config.weights.empty()) load_pretrained(*model, config.model, config.weights);
  model->to(device);
  model->prepare_training();
  auto optimizer = make_optimizer(config, model->parameters());

  CheckpointState state;
  if (control.resume) {
    if (auto last = checkpoint_folder(run, "last")) {
      state = load_checkpoint(*last, *model, *optimizer);
      std::printf("resuming %s after epoch %d (best so far: epoch %d)\n", run.c_str(), state.epoch,
                  state.best_epoch);
    }
  }

  const std::size_t micro = config.micro_batch > 0 ? config.micro_batch : config.batch_size;
  if (config.batch_size % micro != 0)
    throw Error("train.micro_batch: must divide batch_size (" +
                std::to_string(config.batch_size) + ")");
  double pos_weight = 1.0;
  if (config.class_balance == "pos-weight") {
    std::size_t pos = 0;
    for (auto i : train_cases) pos += manifest.cases[i].label == positive;
    pos_weight = static_cast<double>(train_cases.size() - pos) / pos;
  }
  const Schedule schedule{config.schedule,    config.lr,      config.step_epochs, config.gamma,
                          config.warmup_epochs, config.min_lr, config.epochs};
  LossScaler scaler;
  scaler.enabled = config.precision == "fp16";
  const nlohmann::json card_json = card.to_json();

  int epochs_this_call = 0;
  for (int epoch = state.epoch; epoch < config.epochs; ++epoch) {
    if (control.stop_after > 0 && epochs_this_call == control.stop_after) break;
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::size_t> epoch_cases =
        config.class_balance == "sampling"
            ? balanced_draw(manifest, train_cases, positive, config.seed, epoch)
            : train_cases;
    LoaderOptions lo;
    lo.batch_size = static_cast<int>(micro);
    lo.shuffle = true;
    lo.augment = true;
    lo.workers = config.workers;
    lo.seed = config.seed;
    BatchLoader loader(manifest, epoch_cases, positive, card.norm, cache, lo);
    loader.start_epoch(epoch);

    model->train();
    const std::size_t n = epoch_cases.size();
    const std::size_t steps = (n + config.batch_size - 1) / config.batch_size;
    Progress progress(Progress::parse_mode(config.log),
                      "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(config.epochs),
                      loader.batches_per_epoch());
    double loss_sum = 0;
    std::size_t seen = 0, micro_done = 0;
    const auto params = model->parameters();
    clear_gradients(*optimizer);
    while (auto batch = loader.next()) {
      const std::size_t step = seen / config.batch_size;
      set_lr(*optimizer, learning_rate(schedule, epoch, static_cast<double>(step) / steps));
      const std::size_t step_size = std::min<std::size_t>(config.batch_size, n - step * config.batch_size);
      auto images = batch->images.to(device), labels = batch->labels.to(device);
      const double chunk = static_cast<double>(images.size(0));
      const auto loss =
          forward_backward(*model, images, labels, config.precision, pos_weight,
                           (chunk / step_size) * (scaler.enabled ? scaler.scale : 1.0));
      loss_sum += loss.item<double>() * chunk;
      seen += images.size(0);
      if (seen % config.batch_size == 0 || seen == n) {
        if (scaler.unscale_and_check(params)) optimizer->step();
        clear_gradients(*optimizer);
      }
      char detail[96];
      const double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      std::snprintf(detail, sizeof detail, "loss %.4f %.1f img/s", loss_sum / seen, seen / secs);
      progress.update(++micro_done, detail);
    }

    const Evaluation val = evaluate(*model, manifest, val_cases, positive, card.norm, cache,
                                    device, config.workers, config.precision);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const double metric = monitor_value(config, val);
    const bool best = state.best_epoch < 0 || metric > state.best_metric;
    state.epoch = epoch + 1;
    if (best) {
      state.best_epoch = epoch + 1;
      state.best_metric = metric;
    }
    state.history.push_back({{"epoch", epoch + 1},
                             {"lr", learning_rate(schedule, epoch)},
                             {"train_loss", loss_sum / n},
                             {"val_loss", val.loss},
                             {"val_auc", val.auc},
                             {"val_accuracy", val.accuracy},
                             {"seconds", seconds},
                             {"images_per_second", n / seconds},
                             {"best", best}});
    save_checkpoint(run, *model, *optimizer, state, card_json, best);
    write_log(run, state.history);
    char summary[256];
    std::snprintf(summary, sizeof summary,
                  "epoch %d/%d  train loss %.4f  val loss %.4f  val AUC %.4f  val acc %.4f  "
                  "%.0f s%s",
                  epoch + 1, config.epochs, loss_sum / n, val.loss, val.auc, val.accuracy, seconds,
                  best ? "  (best)" : "");
    progress.finish(summary);
    ++epochs_this_call;
  }
  return {run, state.epoch, state.best_epoch, state.best_metric, state.history};
}

}  // namespace deeptirp
