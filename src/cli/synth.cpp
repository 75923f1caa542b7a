// deeptirp synth: a synthetic study (DICOMs, clinical.csv, study.yaml) for the demo and tests.
#include "deeptirp/data/synth.h"

#include <iostream>

#include "cli/command.h"
#include "deeptirp/io/progress.h"

namespace deeptirp::cli {
namespace {

void add_synth(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "synth",
      "Write a synthetic study: DICOM radiographs of bone tumours and infections, clinical.csv, "
      "simulated radiologists' calls (readers.csv) and study.yaml (same seed, same bytes)");
  auto options = std::make_shared<SynthOptions>();
  auto quiet = std::make_shared<bool>(false);
  cmd->add_option("--out", options->out,
                  "Output folder (gets images/, clinical.csv, readers.csv, study.yaml)")
      ->required();
  cmd->add_option("--cases", options->cases, "Number of images (1 or 2 views per patient)")
      ->capture_default_str();
  cmd->add_option("--seed", options->seed, "Random seed")->capture_default_str();
  cmd->add_flag("--quiet", *quiet, "No progress line");
  cmd->callback([options, quiet] {
    auto progress = std::make_shared<Progress>(
        *quiet ? Progress::Mode::kQuiet : Progress::Mode::kAuto, "synth", options->cases);
    options->progress = [progress](int done, int) { progress->update(done, "images"); };
    const SynthResult r = synthesise(*options);
    progress->finish("");
    std::cout << "wrote " << r.images << " images of " << r.patients << " patients ("
              << r.tumour_images << " tumour, " << r.infection_images << " infection) to "
              << options->out.string() << "\n"
              << "  " << r.clinical_csv.string() << "\n  " << r.readers_csv.string() << "\n  "
              << r.study_yaml.string() << "\n";
  });
}

const bool registered = register_command(10, add_synth);

}  // namespace
}  // namespace deeptirp::cli
