// The reader study from the study's files: config, split manifest, predictions, readers' calls.
#include <algorithm>

#include "deeptirp/data/manifest.h"
#include "deeptirp/data/predictions.h"
#include "deeptirp/data/study_config.h"
#include "deeptirp/error.h"
#include "deeptirp/readers/reader_study.h"
#include "deeptirp/stats/columns.h"

namespace deeptirp::readers {
namespace {

std::vector<StudyCase> study_cases(const Manifest& m, const std::vector<std::string>& sets,
                                   const std::string& positive) {
  std::vector<StudyCase> cases;
  for (const auto& set : sets) {
    if (std::find(kSplitNames.begin(), kSplitNames.end(), set) == kSplitNames.end())
      throw Error("readers: unknown set '" + set +
                  "' (known: train, validation, test, external_test)");
    for (const Case& c : m.cases)
      if (c.split == set) cases.push_back({c.image, set, c.label == positive ? 1 : 0});
  }
  if (cases.empty())
    throw Error(m.path.string() + ": no case in the sets asked for (has it been split?)");
  return cases;
}

}  // namespace

std::vector<ModelScores> read_model_scores(const std::filesystem::path& predictions,
                                           const std::string& target,
                                           const std::vector<std::string>& models,
                                           const std::map<std::string, double>& thresholds) {
  const PredictionsTable table = PredictionsTable::read(predictions);
  const CsvTable& t = table.table();
  std::vector<std::string> names = models;
  if (names.empty())
    names.assign(t.header.begin() + static_cast<std::ptrdiff_t>(t.column(target)) + 1,
                 t.header.end());
  if (names.empty()) throw Error(t.source + ": no model column after '" + target + "'");
  for (const auto& [name, threshold] : thresholds)
    if (std::find(names.begin(), names.end(), name) == names.end())
      throw Error("readers: --threshold " + name + "=...: no such model among the predictions' " +
                  "columns read");
  std::vector<ModelScores> out;
  for (const auto& name : names) {
    out.push_back({name, thresholds.count(name) ? thresholds.at(name) : 0.5, table.by_image(name)});
  }
  return out;
}

nlohmann::json reader_study_files(const ReaderStudyFiles& f) {
  const YamlDocument yaml = YamlDocument::load(f.config);
  const StudyConfig study = parse_study_config(yaml);
  return reader_study_on(f, study, parse_reader_config(yaml), read_manifest(f.manifest, study));
}

nlohmann::json reader_study_on(const ReaderStudyFiles& f, const StudyConfig& study,
                               const ReaderConfig& config, const Manifest& manifest) {
  if (study.positive.empty())
    throw Error(f.config.string() + ": key 'positive': the reader study needs the positive class");
  const std::filesystem::path calls_path = f.calls.empty() ? config.calls : f.calls;
  if (calls_path.empty())
    throw Error(f.config.string() + ": key 'readers.calls': no readers' calls given (or --calls)");
  ReaderCalls calls = read_reader_calls(calls_path, study.classes, config.columns);
  std::vector<std::string> images;
  for (const Case& c : manifest.cases) images.push_back(c.image);
  match_case_ids(calls, images, manifest.path);
  const std::vector<StudyCase> cases = study_cases(manifest, f.sets, study.positive);
  const std::vector<ModelScores> models =
      read_model_scores(f.predictions, study.target, f.models, f.thresholds);
  return reader_study(cases, models, calls, study.positive);
}

}  // namespace deeptirp::readers
