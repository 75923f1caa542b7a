// `deeptirp stats`: every number the study reports, from a CSV (one row per
// case). Each sub-verb parses its options, calls one function of
// deeptirp/stats, and prints a table or --json.
#include <algorithm>
#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/stats_verbs.h"
#include "deeptirp/error.h"
#include "deeptirp/stats/bootstrap.h"
#include "deeptirp/stats/calibration.h"
#include "deeptirp/stats/diagnostic.h"
#include "deeptirp/stats/roc.h"

namespace deeptirp::cli {

void add_input_options(CLI::App *cmd, StatsInput *input) {
  cmd->add_option("--csv", input->csv, "The spreadsheet (CSV with a header line)")->required();
  cmd->add_flag("--json", input->json, "Print JSON instead of a table");
  cmd->add_flag("--drop-missing", input->drop_missing,
                "Leave out rows with a missing value in a used column (and count them)");
}

LoadedTable load_table(const StatsInput &input, const std::vector<std::string> &columns) {
  LoadedTable loaded{read_csv(input.csv), {}};
  loaded.rows = stats::select_rows(loaded.table, columns, input.drop_missing);
  return loaded;
}

void print_result(StatsResult result, const StatsInput &input, const LoadedTable &loaded) {
  result["rows_used"] = loaded.rows.rows.size();
  result["rows_dropped"] = loaded.rows.dropped;
  print_stats(result, input.json, std::cout);
}

namespace {

struct Labelled {
  std::string label;
  std::string positive;
};
void add_label_options(CLI::App *cmd, Labelled *l) {
  cmd->add_option("--label", l->label, "Column of the true class")->required();
  cmd->add_option("--positive", l->positive, "Value of --label that marks a positive case")
      ->required();
}

stats::Classes classes_of(const LoadedTable &loaded, const std::string &score, const Labelled &l) {
  return stats::split_by_label(
      stats::numeric_column(loaded.table, score, loaded.rows.rows),
      stats::binary_labels(loaded.table, l.label, l.positive, loaded.rows.rows));
}

struct Resampling {
  std::string ci;
  std::size_t replicates = stats::kDefaultReplicates;
  std::uint64_t seed = 1;
};
void add_resampling_options(CLI::App *cmd, Resampling *r, const std::string &methods) {
  cmd->add_option("--ci", r->ci, "Interval: " + methods)->capture_default_str();
  cmd->add_option("--boot", r->replicates, "Bootstrap replicates")->capture_default_str();
  cmd->add_option("--seed", r->seed, "Seed of the bootstrap")->capture_default_str();
}

// An AUC of 0.5 with a standard error of 0 reads as a precise "chance"; when every score is the
// same it only says the score ranks nothing, so the answer says so.
void note_constant_scores(const stats::Classes &classes, StatsResult &r) {
  std::vector<double> all = classes.cases;
  all.insert(all.end(), classes.controls.begin(), classes.controls.end());
  if (!all.empty() && std::all_of(all.begin(), all.end(), [&](double x) { return x == all[0]; }))
    r["note"] =
        "every score is the same, so the AUC of 0.5 and its zero-width CI only say that "
        "the score does not rank the cases";
}

void add_auc(CLI::App *stats) {
  auto input = std::make_shared<StatsInput>();
  auto label = std::make_shared<Labelled>();
  auto score = std::make_shared<std::string>();
  auto resampling = std::make_shared<Resampling>(Resampling{"delong"});
  CLI::App *cmd = stats->add_subcommand("auc", "AUC with a DeLong or bootstrap 95% CI (pROC)");
  add_input_options(cmd, input.get());
  cmd->add_option("--score", *score, "Column of the scores (higher = more likely positive)")
      ->required();
  add_label_options(cmd, label.get());
  add_resampling_options(cmd, resampling.get(), "delong or bootstrap (stratified, percentile)");
  cmd->callback([input, label, score, resampling] {
    if (resampling->ci != "delong" && resampling->ci != "bootstrap") {
      throw Error("auc: --ci must be delong or bootstrap, not '" + resampling->ci + "'");
    }
    const LoadedTable loaded = load_table(*input, {*score, label->label});
    const stats::Classes classes = classes_of(loaded, *score, *label);
    StatsResult r;
    if (resampling->ci == "delong") {
      const stats::AucEstimate e = stats::delong_auc(classes);
      r = {{"auc", e.auc},     {"se", e.se},       {"ci_low", e.ci_low}, {"ci_high", e.ci_high},
           {"n_pos", e.n_pos}, {"n_neg", e.n_neg}, {"method", "delong"}, {"variance", e.variance}};
    } else {
      const stats::BootstrapEstimate b =
          stats::bootstrap_auc(classes, resampling->replicates, resampling->seed);
      r = {{"auc", b.estimate},
           {"se", b.se},
           {"ci_low", b.ci_low},
           {"ci_high", b.ci_high},
           {"n_pos", classes.cases.size()},
           {"n_neg", classes.controls.size()},
           {"method", "bootstrap"},
           {"replicates", b.replicates},
           {"seed", resampling->seed}};
    }
    note_constant_scores(classes, r);
    print_result(std::move(r), *input, loaded);
  });
}

void add_compare_auc(CLI::App *stats) {
  auto input = std::make_shared<StatsInput>();
  auto label = std::make_shared<Labelled>();
  auto scores = std::make_shared<std::vector<std::string>>();
  auto unpaired = std::make_shared<bool>(false);
  CLI::App *cmd = stats->add_subcommand("compare-auc", "DeLong test of two AUCs (pROC roc.test)");
  add_input_options(cmd, input.get());
  cmd->add_option("--score", *scores, "Column of scores; give it twice (A, then B)")->required();
  add_label_options(cmd, label.get());
  cmd->add_flag("--unpaired", *unpaired, "The scores come from independent sets of subjects");
  cmd->callback([input, label, scores, unpaired] {
    if (scores->size() != 2) {
      throw Error("compare-auc: needs exactly two --score columns, got " +
                  std::to_string(scores->size()));
    }
    const LoadedTable loaded = load_table(*input, {(*scores)[0], (*scores)[1], label->label});
    const stats::Classes a = classes_of(loaded, (*scores)[0], *label);
    const stats::Classes b = classes_of(loaded, (*scores)[1], *label);
    const stats::AucComparison c =
        *unpaired ? stats::delong_unpaired(a, b) : stats::delong_paired(a, b);
    StatsResult r = {{"auc_a", c.auc_a},
                     {"auc_b", c.auc_b},
                     {"diff", c.diff},
                     {"z", c.z},
                     {"p", c.p},
                     {"ci_low", c.ci_low},
                     {"ci_high", c.ci_high},
                     {"se", c.se},
                     {"paired", !*unpaired},
                     {"n_pos", a.cases.size()},
                     {"n_neg", a.controls.size()}};
    if (*unpaired) r["df"] = c.df;
    print_result(std::move(r), *input, loaded);
  });
}

StatsResult interval_json(const std::string &name, const stats::Interval &v, StatsResult r) {
  r[name] = v.value;
  r[name + "_ci_low"] = v.ci_low;
  r[name + "_ci_high"] = v.ci_high;
  return r;
}

void add_metrics(CLI::App *stats) {
  auto input = std::make_shared<StatsInput>();
  auto label = std::make_shared<Labelled>();
  auto score = std::make_shared<std::string>();
  auto threshold = std::make_shared<double>(0.5);
  auto resampling = std::make_shared<Resampling>(Resampling{"wilson"});
  CLI::App *cmd =
      stats->add_subcommand("metrics",
                            "Confusion matrix, accuracy, sensitivity, specificity, PPV, "
                            "NPV, F1 with CIs");
  add_input_options(cmd, input.get());
  cmd->add_option("--score", *score, "Column of the scores")->required();
  add_label_options(cmd, label.get());
  cmd->add_option("--threshold", *threshold, "A case is called positive when score >= T")
      ->capture_default_str();
  add_resampling_options(cmd, resampling.get(), "wilson or bootstrap (stratified, percentile)");
  cmd->callback([input, label, score, threshold, resampling] {
    if (resampling->ci != "wilson" && resampling->ci != "bootstrap") {
      throw Error("metrics: --ci must be wilson or bootstrap, not '" + resampling->ci + "'");
    }
    const LoadedTable loaded = load_table(*input, {*score, label->label});
    const stats::Classes classes = classes_of(loaded, *score, *label);
    const stats::DiagnosticMetrics m =
        resampling->ci == "wilson"
            ? stats::diagnostic_metrics(classes, *threshold)
            : stats::bootstrap_diagnostic_metrics(classes, *threshold, resampling->replicates,
                                                  resampling->seed);
    const stats::RocPoint best = stats::youden_optimal(classes);
    StatsResult r = {{"threshold", *threshold}, {"tp", m.matrix.tp}, {"fp", m.matrix.fp},
                     {"tn", m.matrix.tn},       {"fn", m.matrix.fn}, {"ci", resampling->ci}};
    r = interval_json("accuracy", m.accuracy, r);
    r = interval_json("sensitivity", m.sensitivity, r);
    r = interval_json("specificity", m.specificity, r);
    r = interval_json("ppv", m.ppv, r);
    r = interval_json("npv", m.npv, r);
    r = interval_json("f1", m.f1, r);
    r["youden_threshold"] = best.threshold;
    r["youden_sensitivity"] = best.sensitivity;
    r["youden_specificity"] = best.specificity;
    print_result(std::move(r), *input, loaded);
  });
}

void add_calibration(CLI::App *stats) {
  auto input = std::make_shared<StatsInput>();
  auto label = std::make_shared<Labelled>();
  auto score = std::make_shared<std::string>();
  auto bins = std::make_shared<std::size_t>(10);
  CLI::App *cmd = stats->add_subcommand(
      "calibration", "Brier score, calibration intercept and slope, reliability bins");
  add_input_options(cmd, input.get());
  cmd->add_option("--score", *score, "Column of predicted probabilities")->required();
  add_label_options(cmd, label.get());
  cmd->add_option("--bins", *bins, "Equal-width reliability bins")->capture_default_str();
  cmd->callback([input, label, score, bins] {
    const LoadedTable loaded = load_table(*input, {*score, label->label});
    const stats::Calibration c = stats::calibration(
        stats::probability_column(loaded.table, *score, loaded.rows.rows),
        stats::binary_labels(loaded.table, label->label, label->positive, loaded.rows.rows), *bins);
    StatsResult r = {
        {"brier", c.brier}, {"intercept", c.intercept}, {"slope", c.slope}, {"n", c.n}};
    r["bins"] = StatsResult::array();
    for (const auto &b : c.bins) {
      r["bins"].push_back({{"lower", b.lower},
                           {"upper", b.upper},
                           {"n", b.n},
                           {"mean_predicted", b.mean_predicted},
                           {"observed", b.observed}});
    }
    print_result(std::move(r), *input, loaded);
  });
}

void add_stats(CLI::App &app) {
  CLI::App *stats = app.add_subcommand("stats",
                                       "Statistics of the study: AUC, DeLong, "
                                       "metrics, kappa, McNemar, calibration");
  stats->require_subcommand(1);
  add_auc(stats);
  add_compare_auc(stats);
  add_metrics(stats);
  add_fleiss(stats);
  add_cohen(stats);
  add_mcnemar(stats);
  add_calibration(stats);
}

const bool registered = register_command(60, add_stats);

}  // namespace
}  // namespace deeptirp::cli
