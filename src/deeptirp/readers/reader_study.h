#pragma once
// The reader study: radiologists' calls on the test cases against the truth and against the
// models, as the study compared six radiologists of three seniority levels with its models.

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "deeptirp/data/yaml_reader.h"

namespace deeptirp {
struct Manifest;
struct StudyConfig;
}  // namespace deeptirp

namespace deeptirp::readers {

// Where the readers' CSV keeps each field. The study YAML's `readers` section:
//   readers:
//     calls: readers.csv      # relative to the YAML's folder
//     columns: {case: image, reader: reader, group: group, call: call, confidence: confidence}
struct ReaderColumns {
  std::string case_id = "image";  // matches the manifest's image column as written
  std::string reader = "reader";
  std::string group = "group";            // seniority; may be absent (every reader in one group)
  std::string call = "call";              // one of the study's classes
  std::string confidence = "confidence";  // optional: probability of the positive class, 0..1
};

struct ReaderConfig {
  std::filesystem::path calls;  // empty = no reader study
  ReaderColumns columns;
};
// `calls` comes back resolved against the YAML's folder. Unknown keys are errors naming the key.
ReaderConfig parse_reader_config(const YamlDocument& study);

struct ReaderCall {
  std::string case_id, reader, group, call;
  std::optional<double> confidence;
  std::size_t line = 0;
};

struct ReaderCalls {
  std::filesystem::path path;
  std::vector<ReaderCall> calls;
  bool has_confidence = false;
};

// Errors name the file, line and column: an unknown call, a reader calling a case twice, a
// confidence outside [0, 1], a missing column.
ReaderCalls read_reader_calls(const std::filesystem::path& path,
                              const std::vector<std::string>& classes,
                              const ReaderColumns& columns = {});

// The group of readers when the CSV has no group column.
inline const std::string kOneGroup = "all";

// A call names a case by the manifest's image column as written, or by a path relative to the
// readers' CSV that is the same file as the manifest's image (relative to the manifest's folder):
// `deeptirp synth` writes readers.csv beside its images, while the manifest may live elsewhere.
// Rewrites such ids to the manifest's form; other ids are left as they are.
void match_case_ids(ReaderCalls& calls, const std::vector<std::string>& manifest_images,
                    const std::filesystem::path& manifest_path);

// A case of an evaluated set, with its truth.
struct StudyCase {
  std::string id;   // the manifest's image column
  std::string set;  // "test", "external_test"
  int label = 0;    // 1 = the study's positive class
};

// A model's probabilities by case id and the threshold that makes its calls.
struct ModelScores {
  std::string name;
  double threshold = 0.5;
  std::map<std::string, double> probability;
};

// The "readers" object of results.json (docs/results.md). Calls on cases outside `cases` are
// ignored; a case a reader did not read is left out of that reader's numbers.
nlohmann::json reader_study(const std::vector<StudyCase>& cases,
                            const std::vector<ModelScores>& models, const ReaderCalls& calls,
                            const std::string& positive);

// The study's cases of `sets` from a split manifest, and the models' probabilities from a
// predictions CSV such as `deeptirp ensemble predict` writes (image, patient_id, split, <target>,
// one column per model). Predictions must name images as the manifest does.
struct ReaderStudyFiles {
  std::filesystem::path config, manifest, predictions;
  std::filesystem::path calls;               // empty = the config's readers.calls
  std::vector<std::string> models;           // empty = every column after the target
  std::map<std::string, double> thresholds;  // by model; 0.5 where not given
  std::vector<std::string> sets = {"test", "external_test"};
};
nlohmann::json reader_study_files(const ReaderStudyFiles& files);
// The same on the study's config, readers section and manifest as the caller has read them.
nlohmann::json reader_study_on(const ReaderStudyFiles& files, const StudyConfig& study,
                               const ReaderConfig& config, const Manifest& manifest);

// Models' probabilities from a predictions CSV; an empty cell is a case the model did not score.
std::vector<ModelScores> read_model_scores(const std::filesystem::path& predictions,
                                           const std::string& target,
                                           const std::vector<std::string>& models,
                                           const std::map<std::string, double>& thresholds);

// The "readers" object as tables for the terminal: readers, groups, models against readers,
// Fleiss' and Cohen's kappa.
std::string format_reader_study(const nlohmann::json& readers);

}  // namespace deeptirp::readers
