#pragma once
// Everything one training run needs. Filled from a preset, then the study YAML's `train:` section,
// then command-line overrides, in that order; every field has one name used in all three places.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace deeptirp {

struct ImageOptions;
struct YamlDocument;

struct TrainConfig {
  std::string preset = "paper";
  std::string manifest;  // the split manifest
  std::string study;     // the study config (target, positive class, clinical columns)
  std::string out = "runs/train";
  std::string model = "efficientnet_b3";
  std::string weights;  // pretrained checkpoint (.pth or .safetensors); empty = random
  // The model's input: the study's `image:` section unless a run sets it (resolve_image_options).
  std::optional<int> image_size;
  std::optional<int> channels;
  std::string optimizer = "sgd";  // sgd | adamw
  double lr = 0.1;
  double momentum = 0.9;
  double weight_decay = 1e-4;
  std::string schedule = "step";  // step | cosine | constant
  int step_epochs = 30;
  double gamma = 0.1;
  int warmup_epochs = 0;
  double min_lr = 0.0;
  int epochs = 100;
  int batch_size = 128;
  int micro_batch = 0;  // gradient accumulation: batch_size in chunks of this; 0 = whole
  std::optional<bool> hflip;
  std::optional<bool> vflip;
  std::optional<std::string> intensity;  // ImageOptions::intensity
  std::string augment = "flips";         // flips | standard | strong (data/augment.h)
  // Label smoothing: targets y (1 - s) + s / 2. Weight averaging: an exponential moving average
  // of the weights (decay per step; 0 = off) is what is validated, checkpointed and kept.
  double label_smoothing = 0;
  double ema_decay = 0;
  // The subtype labels as an auxiliary target (train/subtype_target.h): the weight of their
  // cross-entropy beside the study's BCE (the logged train loss is the sum); 0 = none.
  double subtype_weight = 0;
  // Test-time augmentation of the trained model (models/test_time.h), kept in its card: the
  // study's predictions, predict and the bundle use it; validation during training does not.
  std::string tta = "none";
  // Regularisation in training: dropout before EfficientNet's classifier, and the stochastic depth
  // of EfficientNet and Swin (the rate of the last block). -1 ("default"): torchvision's values.
  double dropout = -1;
  double stochastic_depth = -1;
  std::string class_balance = "none";  // none | pos-weight | sampling
  std::string monitor = "auc";         // best checkpoint by: auc | loss | accuracy
  std::uint64_t seed = 42;
  std::string device = "cpu";      // cpu | cuda | cuda:N
  std::string precision = "fp32";  // fp32 | bf16 | fp16 (fp16 on CUDA only)
  int threads = 0;                 // intra-op threads; 0 = all cores
  int workers = 0;                 // image loading threads; 0 = all cores
  std::string cache_dir;           // preprocessed images; empty = <out>/cache
  std::string log = "auto";        // auto (bar on a terminal) | plain | quiet
  // Data-parallel training (train/distributed.h), when a launcher starts several processes:
  // batch_size is the step's, shared by the ranks. The YAML's `distributed:` mapping.
  std::string distributed_backend = "auto";  // auto (gloo on CPUs, nccl on CUDA) | gloo | nccl
  double distributed_timeout_s = 300;        // a rank silent this long ends the run
  // Batch norm over the whole step's cases (models/sync_batch_norm.h) instead of each rank's
  // share (DDP's default): the run then takes the steps of one process.
  bool distributed_sync_batch_norm = false;
};

// A field as the YAML and the command line know it.
struct TrainField {
  std::string name;
  std::string help;
  std::function<void(TrainConfig&, const std::string&)> set;  // throws Error on a bad value
  std::function<std::string(const TrainConfig&)> get;
};
const std::vector<TrainField>& train_fields();

// paper: the study (SGD momentum 0.9, wd 1e-4, lr 0.1 / 10 every 30 epochs, batch 128, 100 epochs);
// transformer: AdamW, warm-up + cosine; cpu-quick: short for 2 cores. A preset sets no image
// option: the input is the study's (`image:`), which a run's train: section may override.
TrainConfig train_preset(const std::string& name);

// Applies the `train:` section of a study YAML, when it has one (unknown keys are errors naming
// the key and the file).
void apply_train_section(TrainConfig& config, const YamlDocument& study);
// Applies "name=value"; unknown names and bad values are errors naming them.
void apply_train_override(TrainConfig& config, const std::string& assignment);

// The crop a run trains on: the study's `image:` section, with the run's image_size, channels and
// flips where it sets them. The trainer records it in the model card, so predict, explain and
// the bundle see the same value; preview shows the study's.
ImageOptions resolve_image_options(const ImageOptions& study, const TrainConfig& config);

// Resuming: a run folder's train_config.json gives every setting. Only settings that change how
// a run is watched or how fast it goes (log, threads, workers) may differ on resume.
//
// The settings the run in `run` was trained with; Error when there is no run or no record.
TrainConfig read_run_train_config(const std::filesystem::path& run);
// "field: the run was trained with 'a', this call gives 'b'" for the first setting that differs
// (paths compared as canonical paths); "" when none.
std::string changed_setting(const TrainConfig& run, const TrainConfig& requested);
// The Error that --resume gives (naming `run` and the setting) when changed_setting finds one.
void require_same_settings(const std::filesystem::path& run, const TrainConfig& saved,
                           const TrainConfig& requested);
// The run's settings with `given` ("name=value", in the order a fresh run applies them: preset,
// the study's train: section, flags, --set) applied; an Error naming the first that changes one.
// A preset is compared by its name, not re-applied.
TrainConfig resume_train_config(const std::filesystem::path& run,
                                const std::vector<std::string>& given);
// The study YAML's `train:` section as "name=value" assignments (preset included), in order.
std::vector<std::string> train_section_assignments(const YamlDocument& study);

void check_train_config(const TrainConfig& config);        // inconsistent values -> Error
std::string train_config_json(const TrainConfig& config);  // every field, for the run folder

}  // namespace deeptirp
