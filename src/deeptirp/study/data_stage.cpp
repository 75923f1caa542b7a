// The study's data: import, then the 7:1:2 patient split (kept when the manifest has one).
#include <iostream>

#include "deeptirp/data/import_btxrd.h"
#include "deeptirp/data/import_table.h"
#include "deeptirp/data/preview.h"
#include "deeptirp/data/split.h"
#include "deeptirp/study/study_context.h"

namespace deeptirp::study {

void run_data_stage(const StudyContext& ctx) {
  const StudyPlan& p = ctx.plan;
  std::filesystem::create_directories(ctx.manifest().parent_path());
  Manifest manifest;
  if (!p.table.empty()) {
    manifest = import_table(p.table, ctx.config, ctx.manifest(), p.images, false).manifest;
  } else if (!p.btxrd.empty()) {
    manifest = import_btxrd(p.btxrd, parse_btxrd_task(p.task), ctx.manifest(), false).manifest;
  } else {
    manifest = read_manifest(p.manifest, ctx.config);
    // Its relative image paths start at its own folder, not at the study's.
    for (auto& c : manifest.cases) c.image = manifest.image_path(c).string();
    manifest.path = ctx.manifest();
  }
  const bool already_split = std::all_of(manifest.cases.begin(), manifest.cases.end(),
                                         [](const Case& c) { return !c.split.empty(); });
  if (!already_split)
    assign_splits(manifest, {ctx.config.split, ctx.config.seed, ctx.config.external_centres});
  check_patient_splits(manifest);
  write_manifest(ctx.manifest(), manifest);
  if (!ctx.quiet) std::cout << format_split_counts(manifest);
  // The crops the models will see, per split and class: the first thing to look at.
  write_preview(manifest, ctx.config, {ctx.manifest().parent_path() / "preview.png"});
}

}  // namespace deeptirp::study
