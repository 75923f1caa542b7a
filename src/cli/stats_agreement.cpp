// `deeptirp stats fleiss | cohen | mcnemar`: agreement between readers and
// paired outcomes.
#include <iostream>
#include <memory>

#include "cli/stats_verbs.h"
#include "deeptirp/error.h"
#include "deeptirp/stats/agreement.h"
#include "deeptirp/stats/mcnemar.h"

namespace deeptirp::cli {

void add_fleiss(CLI::App *stats) {
  auto input = std::make_shared<StatsInput>();
  auto raters = std::make_shared<std::vector<std::string>>();
  CLI::App *cmd = stats->add_subcommand("fleiss", "Fleiss' kappa for several readers (irr)");
  add_input_options(cmd, input.get());
  cmd->add_option("--raters", *raters, "Columns of the readers' ratings, comma-separated")
      ->required()
      ->delimiter(',');
  cmd->callback([input, raters] {
    if (raters->size() < 2) {
      throw Error("fleiss: needs at least two raters, got " + std::to_string(raters->size()) +
                  " (--raters C1,C2,...)");
    }
    const LoadedTable loaded = load_table(*input, *raters);
    std::vector<std::vector<std::string>> ratings(loaded.rows.rows.size());
    for (const auto &rater : *raters) {
      const auto column = stats::string_column(loaded.table, rater, loaded.rows.rows);
      for (std::size_t s = 0; s < column.size(); ++s) ratings[s].push_back(column[s]);
    }
    const stats::FleissKappa f = stats::fleiss_kappa(ratings);
    StatsResult r = {{"kappa", f.kappa},
                     {"se", f.se},
                     {"z", f.z},
                     {"p", f.p},
                     {"ci_low", f.ci_low},
                     {"ci_high", f.ci_high},
                     {"subjects", f.subjects},
                     {"raters", f.raters}};
    r["categories"] = StatsResult::array();
    for (std::size_t j = 0; j < f.category_kappa.size(); ++j) {
      r["categories"].push_back({{"category", f.categories.names[j]},
                                 {"total", f.category_totals[j]},
                                 {"kappa", f.category_kappa[j]}});
    }
    print_result(std::move(r), *input, loaded);
  });
}

void add_cohen(CLI::App *stats) {
  auto input = std::make_shared<StatsInput>();
  auto rater1 = std::make_shared<std::string>();
  auto rater2 = std::make_shared<std::string>();
  auto weights = std::make_shared<std::string>("none");
  CLI::App *cmd = stats->add_subcommand("cohen", "Cohen's kappa for two readers (SAS PROC FREQ)");
  add_input_options(cmd, input.get());
  cmd->add_option("--rater1", *rater1, "Column of the first reader")->required();
  cmd->add_option("--rater2", *rater2, "Column of the second reader")->required();
  cmd->add_option("--weights", *weights,
                  "none, linear (Cicchetti-Allison) or quadratic (Fleiss-Cohen)")
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "linear", "quadratic"}));
  cmd->callback([input, rater1, rater2, weights] {
    const LoadedTable loaded = load_table(*input, {*rater1, *rater2});
    const stats::CohenKappa c =
        stats::cohen_kappa(stats::string_column(loaded.table, *rater1, loaded.rows.rows),
                           stats::string_column(loaded.table, *rater2, loaded.rows.rows),
                           stats::parse_kappa_weights(*weights));
    StatsResult r = {
        {"kappa", c.kappa},   {"ase", c.ase}, {"ci_low", c.ci_low}, {"ci_high", c.ci_high},
        {"ase_h0", c.ase_h0}, {"z", c.z},     {"p", c.p},           {"p_one_sided", c.p_one_sided},
        {"weights", *weights}};
    r["categories"] = c.categories.names;
    r["table"] = c.table;
    print_result(std::move(r), *input, loaded);
  });
}

void add_mcnemar(CLI::App *stats) {
  auto input = std::make_shared<StatsInput>();
  auto a = std::make_shared<std::string>();
  auto b = std::make_shared<std::string>();
  CLI::App *cmd = stats->add_subcommand("mcnemar", "McNemar's test on paired 0/1 outcomes");
  add_input_options(cmd, input.get());
  cmd->add_option("--a", *a, "Column of the first outcome (0/1)")->required();
  cmd->add_option("--b", *b, "Column of the second outcome (0/1)")->required();
  cmd->callback([input, a, b] {
    const LoadedTable loaded = load_table(*input, {*a, *b});
    const stats::McNemar m =
        stats::mcnemar(stats::zero_one_column(loaded.table, *a, loaded.rows.rows),
                       stats::zero_one_column(loaded.table, *b, loaded.rows.rows));
    StatsResult r = {{"statistic", m.statistic},
                     {"p", m.p},
                     {"statistic_uncorrected", m.statistic_uncorrected},
                     {"p_uncorrected", m.p_uncorrected},
                     {"p_exact", m.p_exact},
                     {"both", m.both},
                     {"a_only", m.a_only},
                     {"b_only", m.b_only},
                     {"neither", m.neither}};
    print_result(std::move(r), *input, loaded);
  });
}

}  // namespace deeptirp::cli
