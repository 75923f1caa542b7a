#pragma once
// The predictions table: what every part of the study writes (predict, clinical, ensemble and
// the bundle: one row per image with image, patient_id, split, the target, then a probability
// column per part) and what every later stage reads (ensemble, evaluate, readers). One reader,
// one rule for the names a part may take; numbers are written by format_number (io/numbers.h).
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "deeptirp/data/manifest.h"
#include "deeptirp/io/csv.h"

namespace deeptirp {

// A part's name becomes a column of the predictions and a folder of the study and the bundle:
// letters, digits, '_', '-' and '.', not starting with '.', and none of the tables' own columns
// (image, patient_id, split, predicted, the study's target) or other parts (clinical, ensemble).
// Throws Error "<where>: ..." naming the name.
void check_part_name(const std::string& name, const std::string& target, const std::string& where);

class PredictionsTable {
 public:
  // Reads a predictions CSV; an image listed twice is an Error naming both lines.
  static PredictionsTable read(const std::filesystem::path& csv);

  // `column`'s probability of each of the manifest's `rows`, in order. An image of those rows
  // that the table lacks, or a cell that is not a probability in [0, 1], is an Error naming the
  // file and line (`part` says whose predictions these are, for the message).
  std::vector<double> of_cases(const std::string& column, const Manifest& manifest,
                               const std::vector<std::size_t>& rows, const std::string& part) const;
  // Every row's probability in `column` by image; missing cells (is_missing) are left out.
  std::map<std::string, double> by_image(const std::string& column) const;

  const CsvTable& table() const { return table_; }

 private:
  double probability(std::size_t row, std::size_t column) const;

  CsvTable table_;
  std::unordered_map<std::string, std::size_t> row_of_;
};

// A part's column of a predictions table: one value per row written.
struct PredictionsColumn {
  std::string name;
  std::vector<double> values;
};

// Writes the table (atomically): one row per case of `rows`, with image, patient_id, split and
// the manifest's target, then each column's value by format_number.
void write_predictions(const std::filesystem::path& csv, const Manifest& manifest,
                       const std::vector<std::size_t>& rows,
                       const std::vector<PredictionsColumn>& columns);

// Every case of a manifest, in order (for tables over the whole manifest).
std::vector<std::size_t> all_cases(const Manifest& manifest);

}  // namespace deeptirp
