// Simulated radiologists for the demo's reader study: six readers of three seniority levels call
// every image, as the study's six radiologists did.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "deeptirp/data/rng.h"
#include "deeptirp/data/synth_internal.h"
#include "deeptirp/io/csv.h"

namespace deeptirp::synth {
namespace {

struct SimulatedReader {
  const char* name;
  const char* group;
  double skill;  // probit of being right on a case of average hardness, scaled by kSpread
};
// Skills give accuracies of about 0.67, 0.73 | 0.75, 0.81 | 0.84, 0.88: the groups average about
// 0.70, 0.78 and 0.86, rising with seniority.
const SimulatedReader kReaders[] = {{"R1", "junior", 0.525},       {"R2", "junior", 0.731},
                                    {"R3", "intermediate", 0.804}, {"R4", "intermediate", 1.047},
                                    {"R5", "senior", 1.186},       {"R6", "senior", 1.401}};
// How strongly a case's hardness moves every reader at once. Shared hardness correlates the
// readers' errors; this weight puts Fleiss' kappa among them near the study's 0.40.
constexpr double kSpread = 0.65;
// The reader-study stream, apart from the images' and the spreadsheet's, so that adding readers
// changed no other output.
constexpr std::uint64_t kReaderStream = 0x5EAD3125;

// Standardised hardness: faint lesions are hard, plus what else makes a film hard to read.
double hardness(double conspicuity, std::mt19937_64& g) {
  const double faint = (0.675 - conspicuity) / 0.1876;  // conspicuity ~ U(0.35, 1)
  return std::sqrt(0.5) * faint + std::sqrt(0.5) * normal(g);
}

std::string two_decimals(double v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

void write_reader_calls(const std::filesystem::path& path, const std::vector<ReadCase>& cases,
                        std::uint64_t seed) {
  std::vector<std::vector<std::string>> rows;
  for (const ReadCase& c : cases) {
    std::mt19937_64 g(mix_seed(mix_seed(seed, kReaderStream), c.image_number));
    const double h = hardness(c.conspicuity, g);
    for (const SimulatedReader& r : kReaders) {
      // Evidence for the right answer; the reader is right when it is positive.
      const double evidence = r.skill - kSpread * h + normal(g);
      const double towards_tumour = c.tumour ? evidence : -evidence;
      const bool tumour = towards_tumour >= 0;
      double confidence = std::round(100.0 / (1.0 + std::exp(-1.7 * towards_tumour))) / 100.0;
      confidence = tumour ? std::max(confidence, 0.5) : std::min(confidence, 0.49);
      rows.push_back(
          {c.image, r.name, r.group, tumour ? "tumour" : "infection", two_decimals(confidence)});
    }
  }
  write_csv(path, {"image", "reader", "group", "call", "confidence"}, rows);
}

}  // namespace deeptirp::synth
