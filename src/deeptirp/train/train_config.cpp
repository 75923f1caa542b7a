#include "deeptirp/train/train_config.h"

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "deeptirp/data/augment.h"
#include "deeptirp/data/manifest.h"
#include "deeptirp/data/preprocess.h"
#include "deeptirp/data/study_config.h"
#include "deeptirp/data/yaml_reader.h"
#include "deeptirp/error.h"
#include "deeptirp/io/json_file.h"
#include "deeptirp/io/numbers.h"
#include "deeptirp/models/registry.h"
#include "deeptirp/models/test_time.h"

namespace deeptirp {
namespace {

// A field's text as the YAML and the command line give it, read as T; errors name the field.
template <typename T>
T parse_value(const std::string& name, const std::string& text) {
  if constexpr (std::is_same_v<T, std::string>) {
    return text;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (text == "true" || text == "1" || text == "yes") return true;
    if (text == "false" || text == "0" || text == "no") return false;
    throw Error("train." + name + ": expected true or false, got '" + text + "'");
  } else {
    double v = 0;
    if (!parse_number(text, v)) throw Error("train." + name + ": '" + text + "' is not a number");
    if (std::is_integral_v<T> && v != static_cast<double>(static_cast<long long>(v)))
      throw Error("train." + name + ": expected a whole number, got '" + text + "'");
    if (std::is_unsigned_v<T> && v < 0)
      throw Error("train." + name + ": expected a non-negative number, got '" + text + "'");
    return static_cast<T>(v);
  }
}

// Numbers as the shortest text that reads back exactly: a resumed run reads its settings back
// from train_config.json (6 significant digits would turn lr 1.23456789e-4 into 1.23457e-4).
template <typename T>
std::string format_value(const T& value) {
  if constexpr (std::is_same_v<T, std::string>)
    return value;
  else if constexpr (std::is_same_v<T, bool>)
    return value ? "true" : "false";
  else if constexpr (std::is_floating_point_v<T>)
    return format_number(value);
  else
    return std::to_string(value);
}

template <typename T>
TrainField field(std::string name, std::string help, T TrainConfig::*member) {
  TrainField f;
  f.name = name;
  f.help = std::move(help);
  f.set = [name, member](TrainConfig& c, const std::string& text) {
    c.*member = parse_value<T>(name, text);
  };
  f.get = [member](const TrainConfig& c) { return format_value(c.*member); };
  return f;
}

// An image option that falls back to the study's `image:` section: "study" = unset.
template <typename T>
TrainField study_field(std::string name, std::string help, std::optional<T> TrainConfig::*member) {
  TrainField f;
  f.name = name;
  f.help = std::move(help) + " (default: the study's image section)";
  f.set = [name, member](TrainConfig& c, const std::string& text) {
    if (text == "study")
      c.*member = std::nullopt;
    else
      c.*member = parse_value<T>(name, text);
  };
  f.get = [member](const TrainConfig& c) {
    return c.*member ? format_value(*(c.*member)) : std::string("study");
  };
  return f;
}

// A probability in [0, 1), or "default" (stored as -1): the architecture's own value.
TrainField rate_field(std::string name, std::string help, double TrainConfig::*member) {
  TrainField f = field(name, std::move(help), member);
  auto set_number = f.set;
  f.set = [name, member, set_number](TrainConfig& c, const std::string& text) {
    if (text == "default") {
      c.*member = -1;
      return;
    }
    set_number(c, text);
    if (c.*member < 0 || c.*member >= 1)
      throw Error("train." + name + ": expected 'default' or a number in [0, 1), got '" + text +
                  "'");
  };
  auto get_number = f.get;
  f.get = [member, get_number](const TrainConfig& c) {
    return c.*member < 0 ? std::string("default") : get_number(c);
  };
  return f;
}

}  // namespace

const std::vector<TrainField>& train_fields() {
  static const std::vector<TrainField> fields = {
      field("manifest", "Split manifest (from `deeptirp split`)", &TrainConfig::manifest),
      field("study", "Study config: target, positive class", &TrainConfig::study),
      field("out", "Run folder: checkpoints, logs", &TrainConfig::out),
      field("model", "Architecture from the registry", &TrainConfig::model),
      field("weights", "Pretrained weights (.pth or .safetensors)", &TrainConfig::weights),
      study_field("image_size", "Model input size in pixels", &TrainConfig::image_size),
      study_field("channels", "1 (grey) or 3 input channels", &TrainConfig::channels),
      field("optimizer", "sgd | adamw", &TrainConfig::optimizer),
      field("lr", "Base learning rate", &TrainConfig::lr),
      field("momentum", "SGD momentum", &TrainConfig::momentum),
      field("weight_decay", "Weight decay", &TrainConfig::weight_decay),
      field("schedule", "step | cosine | constant", &TrainConfig::schedule),
      field("step_epochs", "step: epochs between decays", &TrainConfig::step_epochs),
      field("gamma", "step: decay factor", &TrainConfig::gamma),
      field("warmup_epochs", "cosine: warm-up epochs", &TrainConfig::warmup_epochs),
      field("min_lr", "cosine: final learning rate", &TrainConfig::min_lr),
      field("epochs", "Epochs", &TrainConfig::epochs),
      field("batch_size", "Images per optimiser step", &TrainConfig::batch_size),
      field("micro_batch", "Gradient accumulation chunk (0 = whole batch)",
            &TrainConfig::micro_batch),
      study_field("hflip", "Random horizontal flips (p = 0.5)", &TrainConfig::hflip),
      study_field("vflip", "Random vertical flips (p = 0.5)", &TrainConfig::vflip),
      study_field("intensity", "dataset | per-image | clahe | equalize", &TrainConfig::intensity),
      field("augment", "flips | standard | strong", &TrainConfig::augment),
      field("label_smoothing", "Targets y (1 - s) + s / 2", &TrainConfig::label_smoothing),
      field("ema_decay", "Weight averaging: EMA decay per step (0 = off)", &TrainConfig::ema_decay),
      field("subtype_weight", "Auxiliary target: weight of the subtype loss (0 = none)",
            &TrainConfig::subtype_weight),
      field("tta", "Test-time augmentation of predictions: none | flips | views",
            &TrainConfig::tta),
      rate_field("dropout", "Dropout before the classifier (default: torchvision's)",
                 &TrainConfig::dropout),
      rate_field("stochastic_depth", "Stochastic depth of the last block (default: torchvision's)",
                 &TrainConfig::stochastic_depth),
      field("class_balance", "none | pos-weight | sampling", &TrainConfig::class_balance),
      field("monitor", "Best checkpoint by auc | loss | accuracy", &TrainConfig::monitor),
      field("seed", "Random seed", &TrainConfig::seed),
      field("device", "cpu | cuda | cuda:N", &TrainConfig::device),
      field("precision", "fp32 | bf16 | fp16", &TrainConfig::precision),
      field("threads", "Compute threads (0 = all cores)", &TrainConfig::threads),
      field("workers", "Image loading threads (0 = all cores)", &TrainConfig::workers),
      field("cache_dir", "Preprocessed image cache (default <out>/cache)", &TrainConfig::cache_dir),
      field("log", "auto | plain | quiet", &TrainConfig::log),
      field("distributed.backend", "Several processes: auto | gloo | nccl",
            &TrainConfig::distributed_backend),
      field("distributed.timeout_s", "Several processes: seconds before a silent rank ends the run",
            &TrainConfig::distributed_timeout_s),
      field("distributed.sync_batch_norm",
            "Several processes: batch norm over every rank's cases (SyncBatchNorm)",
            &TrainConfig::distributed_sync_batch_norm),
  };
  return fields;
}

TrainConfig train_preset(const std::string& name) {
  TrainConfig c;  // the defaults are the study's recipe
  c.preset = name;
  if (name == "paper") return c;
  if (name == "transformer") {
    c.optimizer = "adamw";
    c.lr = 5e-4;
    c.weight_decay = 0.05;
    c.schedule = "cosine";
    c.warmup_epochs = 5;
    c.min_lr = 1e-6;
    c.model = "vit_b_16";
    return c;
  }
  if (name == "cpu-quick") {
    // Trains in minutes on 2 cores: few epochs, a short cosine schedule (and, at the study's
    // say, a small input: the demo's is 128).
    c.model = "efficientnet_b0";
    c.optimizer = "adamw";
    c.lr = 1e-3;
    c.weight_decay = 1e-4;
    c.schedule = "cosine";
    c.warmup_epochs = 1;
    c.epochs = 8;
    c.batch_size = 32;
    // From scratch for a few epochs the model underfits, and regularisation only slows it down:
    // with torchvision's dropout and stochastic depth, B0's best validation AUC on the synthetic
    // study (tests/train, 12 epochs) fell from 0.905 to 0.843.
    c.dropout = 0;
    c.stochastic_depth = 0;
    return c;
  }
  throw Error("unknown preset '" + name + "' (paper, transformer, cpu-quick)");
}

void apply_train_override(TrainConfig& config, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos) throw Error("--set: expected name=value, got '" + assignment + "'");
  const std::string name = assignment.substr(0, eq);
  for (const auto& f : train_fields())
    if (f.name == name) return f.set(config, assignment.substr(eq + 1));
  throw Error("--set: unknown training field '" + name + "'");
}

namespace {

// The train: section's keys and values in order, a nested mapping's keys as "outer.inner"
// (distributed: {backend: gloo} is distributed.backend).
std::vector<std::pair<std::string, std::string>> train_section_items(const YamlDocument& study) {
  const YAML::Node train = study.section("train");
  std::vector<std::pair<std::string, std::string>> out;
  if (!train || train.IsNull()) return out;
  if (!train.IsMap()) throw Error(study.file().string() + ": key 'train': expected a mapping");
  for (const auto& item : train) {
    const auto key = study.reader.as<std::string>(item.first, "train");
    if (!item.second.IsMap()) {
      out.emplace_back(key, study.reader.as<std::string>(item.second, "train." + key));
      continue;
    }
    for (const auto& inner : item.second) {
      const auto name = key + "." + study.reader.as<std::string>(inner.first, "train." + key);
      out.emplace_back(name, study.reader.as<std::string>(inner.second, "train." + name));
    }
  }
  return out;
}

}  // namespace

void apply_train_section(TrainConfig& config, const YamlDocument& study) {
  const YAML::Node train = study.section("train");
  const std::filesystem::path& yaml_file = study.file();
  const auto items = train_section_items(study);
  if (items.empty()) return;
  if (train["preset"]) {  // the preset first, so that the other keys override it
    TrainConfig keep = config;
    config = train_preset(study.reader.as<std::string>(train["preset"], "train.preset"));
    config.manifest = keep.manifest;
    config.study = keep.study;
  }
  for (const auto& [key, value] : items) {
    if (key == "preset") continue;
    bool known = false;
    for (const auto& f : train_fields())
      if (f.name == key) {
        known = true;
        try {
          f.set(config, value);
        } catch (const Error& e) {
          throw Error(yaml_file.string() + ": " + e.what());
        }
      }
    if (!known) throw Error(yaml_file.string() + ": key 'train." + key + "': unknown key");
  }
}

void check_train_config(const TrainConfig& c) {
  auto bad = [](const std::string& field, const std::string& why) {
    throw Error("train." + field + ": " + why);
  };
  if (c.manifest.empty()) bad("manifest", "required (a manifest split by `deeptirp split`)");
  if (c.epochs < 1) bad("epochs", "must be at least 1");
  if (c.batch_size < 1) bad("batch_size", "must be at least 1");
  if (c.micro_batch < 0 || c.micro_batch > c.batch_size)
    bad("micro_batch", "must be between 0 and batch_size");
  if (c.lr <= 0) bad("lr", "must be positive");
  if (c.optimizer != "sgd" && c.optimizer != "adamw") bad("optimizer", "sgd or adamw");
  if (c.class_balance != "none" && c.class_balance != "pos-weight" && c.class_balance != "sampling")
    bad("class_balance", "none, pos-weight or sampling");
  if (c.monitor != "auc" && c.monitor != "loss" && c.monitor != "accuracy")
    bad("monitor", "auc, loss or accuracy");
  if (c.precision != "fp32" && c.precision != "bf16" && c.precision != "fp16")
    bad("precision", "fp32, bf16 or fp16");
  if (c.precision == "fp16" && c.device.rfind("cuda", 0) != 0)
    bad("precision", "fp16 needs a CUDA device; use bf16 on the CPU");
  if (c.channels && *c.channels != 1 && *c.channels != 3) bad("channels", "1 or 3");
  if (c.image_size && (*c.image_size < 8 || *c.image_size > 4096))
    bad("image_size", "must be between 8 and 4096");
  if (c.log != "auto" && c.log != "plain" && c.log != "quiet") bad("log", "auto, plain or quiet");
  augment_level(c.augment);  // throws naming train.augment
  if (c.intensity && !is_intensity_kind(*c.intensity))
    bad("intensity", "'" + *c.intensity + "' is not one of " + intensity_kinds_text());
  if (!is_tta_kind(c.tta)) bad("tta", "'" + c.tta + "' is not one of " + tta_kinds_text());
  if (!(c.label_smoothing >= 0 && c.label_smoothing < 1))
    bad("label_smoothing", "must be in [0, 1)");
  if (!(c.ema_decay >= 0 && c.ema_decay < 1)) bad("ema_decay", "must be in [0, 1)");
  if (!(c.subtype_weight >= 0 && c.subtype_weight <= 100))
    bad("subtype_weight", "must be in [0, 100]");
  if (c.distributed_backend != "auto" && c.distributed_backend != "gloo" &&
      c.distributed_backend != "nccl")
    bad("distributed.backend", "auto, gloo or nccl");
  if (!(c.distributed_timeout_s >= 1)) bad("distributed.timeout_s", "must be at least 1 second");
}

ImageOptions resolve_image_options(const ImageOptions& study, const TrainConfig& config) {
  ImageOptions image = study;
  image.size = config.image_size.value_or(study.size);
  image.channels = config.channels.value_or(study.channels);
  image.hflip = config.hflip.value_or(study.hflip);
  image.vflip = config.vflip.value_or(study.vflip);
  image.intensity = config.intensity.value_or(study.intensity);
  return image;
}

std::string train_config_json(const TrainConfig& config) {
  nlohmann::ordered_json j;
  j["preset"] = config.preset;
  for (const auto& f : train_fields()) j[f.name] = f.get(config);
  return j.dump(2);
}

namespace {

constexpr const char* kRunConfigFile = "train_config.json";

// Settings that change how a run is watched or how fast it goes, never what it computes.
bool changes_no_result(const std::string& field) {
  return field == "log" || field == "threads" || field == "workers" ||
         (field.rfind("distributed.", 0) == 0 && field != "distributed.sync_batch_norm");
}

bool is_path_field(const std::string& field) {
  return field == "manifest" || field == "study" || field == "out" || field == "weights" ||
         field == "cache_dir";
}

std::string comparable(const std::string& field, const std::string& value) {
  if (!is_path_field(field) || value.empty()) return value;
  std::error_code ec;
  const auto path = std::filesystem::weakly_canonical(value, ec);
  return ec ? value : path.string();
}

}  // namespace

TrainConfig read_run_train_config(const std::filesystem::path& run) {
  const std::filesystem::path file = run / kRunConfigFile;
  if (!std::filesystem::exists(run / "last.json"))
    throw Error(run.string() + ": no run to resume here (no last.json)");
  if (!std::filesystem::exists(file))
    throw Error(file.string() + ": missing, so the run's settings are unknown; cannot resume");
  const nlohmann::json j = read_json_file(file);
  if (!j.is_object()) throw Error(file.string() + ": expected an object");
  TrainConfig config;
  config.preset = j.value("preset", config.preset);
  for (const auto& f : train_fields()) {
    if (!j.contains(f.name)) continue;
    if (!j[f.name].is_string()) throw Error(file.string() + ": key '" + f.name + "': not text");
    try {
      f.set(config, j[f.name].get<std::string>());
    } catch (const Error& e) {
      throw Error(file.string() + ": " + e.what());
    }
  }
  return config;
}

std::string changed_setting(const TrainConfig& run, const TrainConfig& requested) {
  if (requested.preset != run.preset)
    return "preset: the run was trained with '" + run.preset + "', this call gives '" +
           requested.preset + "'";
  for (const auto& f : train_fields()) {
    if (changes_no_result(f.name)) continue;
    const std::string was = f.get(run), now = f.get(requested);
    if (comparable(f.name, was) != comparable(f.name, now))
      return f.name + ": the run was trained with '" + was + "', this call gives '" + now + "'";
  }
  return "";
}

void require_same_settings(const std::filesystem::path& run, const TrainConfig& saved,
                           const TrainConfig& requested) {
  if (const std::string change = changed_setting(saved, requested); !change.empty())
    throw Error(run.string() + ": --resume refuses a changed setting: " + change +
                " (drop it to resume, or train into another --out)");
}

TrainConfig resume_train_config(const std::filesystem::path& run,
                                const std::vector<std::string>& given) {
  const TrainConfig saved = read_run_train_config(run);
  TrainConfig requested = saved;
  for (const auto& assignment : given) {
    if (assignment.rfind("preset=", 0) == 0)
      requested.preset = assignment.substr(7);  // compared by name, never re-applied
    else
      apply_train_override(requested, assignment);
  }
  require_same_settings(run, saved, requested);
  return requested;
}

std::vector<std::string> train_section_assignments(const YamlDocument& study) {
  std::vector<std::string> out;
  for (const auto& [key, value] : train_section_items(study)) out.push_back(key + "=" + value);
  return out;
}

}  // namespace deeptirp
