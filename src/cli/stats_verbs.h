#pragma once
// Shared plumbing of the `deeptirp stats` sub-verbs: every one reads a CSV,
// takes the rows whose columns hold values, calls one function of
// deeptirp/stats, and prints its result.
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli/stats_format.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/stats/columns.h"

namespace deeptirp::cli {

struct StatsInput {
  std::string csv;
  bool json = false;
  bool drop_missing = false;
};
void add_input_options(CLI::App *cmd, StatsInput *input);

struct LoadedTable {
  CsvTable table;
  stats::RowSelection rows;
};
LoadedTable load_table(const StatsInput &input, const std::vector<std::string> &columns);

// Adds the rows used and dropped, then prints as the user asked.
void print_result(StatsResult result, const StatsInput &input, const LoadedTable &loaded);

void add_fleiss(CLI::App *stats);
void add_cohen(CLI::App *stats);
void add_mcnemar(CLI::App *stats);

}  // namespace deeptirp::cli
