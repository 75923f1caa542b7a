// The synthetic study's simulated radiologists: reproducible to the byte, every reader calls every
// image, and accuracy rises with seniority.
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "deeptirp/data/study_config.h"
#include "deeptirp/data/synth.h"
#include "deeptirp/io/csv.h"
#include "test_support.h"

namespace deeptirp {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

SynthResult synth_small(const std::string& name, int cases, std::uint64_t seed) {
  SynthOptions o;
  o.out = testing::scratch_dir(name);
  o.cases = cases;
  o.seed = seed;
  o.width = 64;  // the readers do not look at the pixels
  o.height = 64;
  return synthesise(o);
}

// Fleiss' kappa for binary ratings, written out for this check only (Fleiss 1971).
double binary_fleiss(const std::vector<int>& positives, int raters) {
  double agreement = 0, total = 0;
  for (int k : positives) {
    agreement += double(k * k + (raters - k) * (raters - k) - raters) / (raters * (raters - 1.0));
    total += k;
  }
  const double n = static_cast<double>(positives.size());
  const double p = total / (n * raters), chance = p * p + (1 - p) * (1 - p);
  return (agreement / n - chance) / (1 - chance);
}

TEST(SynthReaders, SameSeedSameBytesAndTheStudyYamlNamesThem) {
  const SynthResult a = synth_small("synth_readers_a", 40, 5),
                    b = synth_small("synth_readers_b", 40, 5);
  EXPECT_EQ(a.readers_csv.filename(), "readers.csv");
  EXPECT_TRUE(slurp(a.readers_csv) == slurp(b.readers_csv));
  EXPECT_NE(slurp(a.readers_csv), slurp(synth_small("synth_readers_c", 40, 6).readers_csv));
  EXPECT_NE(slurp(a.study_yaml).find("readers:\n  calls: readers.csv\n"), std::string::npos);
  EXPECT_NO_THROW(load_study_config(a.study_yaml));
}

TEST(SynthReaders, SixReadersCallEveryImageAndSeniorsAreRightMoreOften) {
  const SynthResult r = synth_small("synth_readers_200", 200, 2025);
  const CsvTable clinical = read_csv(r.clinical_csv), calls = read_csv(r.readers_csv);
  EXPECT_EQ(calls.header,
            (std::vector<std::string>{"image", "reader", "group", "call", "confidence"}));
  std::map<std::string, std::string> truth;
  for (const auto& row : clinical.rows) truth[row[0]] = row[clinical.column("diagnosis")];
  ASSERT_EQ(calls.rows.size(), 6 * truth.size());
  std::map<std::string, int> right, read;
  std::map<std::string, std::set<std::string>> readers_of_image;
  std::map<std::string, int> tumour_calls;
  for (const auto& row : calls.rows) {
    const std::string &image = row[0], &reader = row[1], &group = row[2], &call = row[3];
    ASSERT_TRUE(truth.count(image)) << image;
    readers_of_image[image].insert(reader);
    const double confidence = std::stod(row[4]);
    EXPECT_EQ(call == "tumour", confidence >= 0.5) << image << " " << reader;
    right[group] += call == truth[image];
    ++read[group];
    tumour_calls[image] += call == "tumour";
  }
  for (const auto& [image, readers] : readers_of_image) EXPECT_EQ(readers.size(), 6u) << image;
  const double junior = double(right["junior"]) / read["junior"];
  const double intermediate = double(right["intermediate"]) / read["intermediate"];
  const double senior = double(right["senior"]) / read["senior"];
  RecordProperty("accuracy", std::to_string(junior) + " " + std::to_string(intermediate) + " " +
                                 std::to_string(senior));
  EXPECT_LT(junior, intermediate);
  EXPECT_LT(intermediate, senior);
  EXPECT_GT(junior, 0.6);
  EXPECT_LT(senior, 0.95);
  std::vector<int> positives;
  for (const auto& [image, k] : tumour_calls) positives.push_back(k);
  const double kappa = binary_fleiss(positives, 6);
  RecordProperty("fleiss", std::to_string(kappa));
  EXPECT_GT(kappa, 0.25) << "readers share the hard cases";
  EXPECT_LT(kappa, 0.6) << "but still disagree, as the study's radiologists did (0.40)";
}

}  // namespace
}  // namespace deeptirp
