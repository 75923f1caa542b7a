// deeptirp import: cases from a data set or a spreadsheet into a checked manifest.
#include <iostream>
#include <map>

#include "cli/command.h"
#include "deeptirp/data/import_btxrd.h"
#include "deeptirp/data/import_table.h"
#include "deeptirp/data/split.h"

namespace deeptirp::cli {
namespace {

void print_summary(const Manifest& manifest, const std::vector<BadRow>& skipped, int patients) {
  std::cout << "wrote " << manifest.path.string() << ": " << manifest.cases.size() << " images of "
            << patients << " patients\n"
            << format_split_counts(manifest);
  if (!skipped.empty()) std::cout << describe_bad_rows(skipped);
}

int count_patients(const Manifest& manifest) {
  std::map<std::string, int> ids;
  for (const auto& c : manifest.cases) ++ids[c.patient_id];
  return static_cast<int>(ids.size());
}

void add_import(CLI::App& app) {
  CLI::App* import = app.add_subcommand("import", "Read cases into a manifest (one row per image)");
  import->require_subcommand(1);

  struct BtxrdArgs {
    std::string root, out, task = "benign-vs-malignant";
    bool skip_bad_rows = false;
  };
  auto btxrd_args = std::make_shared<BtxrdArgs>();
  CLI::App* btxrd = import->add_subcommand(
      "btxrd", "The BTXRD data set (published layout, or the resized PNG copy with masks)");
  btxrd->add_option("--root", btxrd_args->root, "Folder holding dataset.csv and images/")
      ->required()
      ->check(CLI::ExistingDirectory);
  btxrd->add_option("--out", btxrd_args->out, "Manifest to write")->required();
  btxrd->add_option("--task", btxrd_args->task, "benign-vs-malignant | tumour-vs-normal | subtype")
      ->capture_default_str();
  btxrd->add_flag("--skip-bad-rows", btxrd_args->skip_bad_rows,
                  "Skip malformed rows and list them, instead of stopping at the first");
  btxrd->callback([btxrd_args] {
    BtxrdImport result = import_btxrd(btxrd_args->root, parse_btxrd_task(btxrd_args->task),
                                      btxrd_args->out, btxrd_args->skip_bad_rows);
    write_manifest(btxrd_args->out, result.manifest);
    print_summary(result.manifest, result.skipped, result.patients);
    if (result.images_without_roi > 0)
      std::cout
          << result.images_without_roi
          << " lesion images have neither mask nor annotation: their ROI is the whole image\n";
  });

  struct TableArgs {
    std::string table, config, out, images_root;
    bool skip_bad_rows = false;
  };
  auto table_args = std::make_shared<TableArgs>();
  CLI::App* table = import->add_subcommand(
      "table", "Your own spreadsheet (CSV, one row per image) checked against a study config");
  table->add_option("--table", table_args->table, "CSV with image paths, patients, diagnoses")
      ->required()
      ->check(CLI::ExistingFile);
  table->add_option("--config", table_args->config, "Study config (YAML)")
      ->required()
      ->check(CLI::ExistingFile);
  table->add_option("--out", table_args->out, "Manifest to write")->required();
  table->add_option("--images-root", table_args->images_root,
                    "Folder that relative image paths start from (default: the table's folder)");
  table->add_flag("--skip-bad-rows", table_args->skip_bad_rows,
                  "Skip malformed rows and list them, instead of stopping at the first");
  table->callback([table_args] {
    const StudyConfig config = load_study_config(table_args->config);
    TableImport result = import_table(table_args->table, config, table_args->out,
                                      table_args->images_root, table_args->skip_bad_rows);
    write_manifest(table_args->out, result.manifest);
    print_summary(result.manifest, result.skipped, count_patients(result.manifest));
  });
}

const bool registered = register_command(20, add_import);

}  // namespace
}  // namespace deeptirp::cli
