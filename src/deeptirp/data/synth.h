#pragma once
// A deterministic generator of synthetic radiographs and a clinical spreadsheet, for the README
// demo and end-to-end tests: primary bone tumours vs bone infections (osteomyelitis), with the
// lesion's look, the clinical columns and the centre all carrying part of the signal.
#include <cstdint>
#include <filesystem>
#include <functional>

namespace deeptirp {

struct SynthOptions {
  std::filesystem::path out;  // gets images/, clinical.csv, readers.csv and study.yaml
  int cases = 300;            // images (manifest rows); each patient has 1 or 2 views
  std::uint64_t seed = 1;
  int width = 256;  // pixels of every image
  int height = 320;
  std::function<void(int done, int total)> progress;  // optional, called after each image
};

struct SynthResult {
  std::filesystem::path clinical_csv;
  std::filesystem::path study_yaml;
  std::filesystem::path readers_csv;  // simulated radiologists' calls on every image
  int images = 0;
  int patients = 0;
  int tumour_images = 0;
  int infection_images = 0;
};

// Same options => byte-identical files (UIDs and dates are derived from the seed, never the clock).
SynthResult synthesise(const SynthOptions& options);

}  // namespace deeptirp
