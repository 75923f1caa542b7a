#pragma once
// A synthetic study made as the README demo makes it (synth -> import table -> split): the
// fixture of the tests of every stage after import. Header-only, for test programs that link the
// data stage.
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "deeptirp/data/import_table.h"
#include "deeptirp/data/split.h"
#include "deeptirp/data/synth.h"
#include "test_support.h"

namespace deeptirp::testing {

struct SyntheticStudyOptions {
  int cases = 100;
  std::uint64_t seed = 1;
  int width = 160;  // smaller than synth's default, for speed
  int height = 192;
  std::optional<SplitRatios> ratios;  // default: the study.yaml's 7:1:2
  std::string yaml_extra;             // appended to study.yaml before it is read
};

struct SyntheticStudy {
  std::filesystem::path dir;  // scratch folder: data/ and manifest.csv
  std::filesystem::path study_yaml;
  std::filesystem::path manifest_path;
  StudyConfig config;
  Manifest manifest;  // split, as read back from manifest_path
};

inline SyntheticStudy make_synthetic_study(const std::string& name,
                                           const SyntheticStudyOptions& o) {
  SyntheticStudy s;
  s.dir = scratch_dir(name);
  SynthOptions synth;
  synth.out = s.dir / "data";
  synth.cases = o.cases;
  synth.seed = o.seed;
  synth.width = o.width;
  synth.height = o.height;
  const SynthResult r = synthesise(synth);
  s.study_yaml = r.study_yaml;
  if (!o.yaml_extra.empty()) std::ofstream(s.study_yaml, std::ios::app) << o.yaml_extra;
  s.config = load_study_config(s.study_yaml);
  s.manifest_path = s.dir / "manifest.csv";
  TableImport imported = import_table(r.clinical_csv, s.config, s.manifest_path, "", false);
  assign_splits(imported.manifest,
                {o.ratios.value_or(s.config.split), s.config.seed, s.config.external_centres});
  write_manifest(s.manifest_path, imported.manifest);
  s.manifest = read_manifest(s.manifest_path, s.config);
  return s;
}

// The image files of cases first .. first + count - 1, in the manifest's order.
inline std::vector<std::filesystem::path> image_files(const Manifest& m, std::size_t first,
                                                      std::size_t count) {
  std::vector<std::filesystem::path> files;
  for (std::size_t i = first; i < first + count; ++i) files.push_back(m.image_path(m.cases.at(i)));
  return files;
}

}  // namespace deeptirp::testing
