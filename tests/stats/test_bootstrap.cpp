// The stratified bootstrap: reproducible, stratified, and its O(n) replicate
// AUC equal to the AUC of the resampled data computed the plain way.
#include <algorithm>
#include <random>

#include "deeptirp/io/csv.h"
#include "deeptirp/stats/bootstrap.h"
#include "deeptirp/stats/columns.h"
#include "deeptirp/stats/random.h"
#include "stats_test_util.h"

namespace deeptirp::stats {
namespace {

Classes asah_s100b() {
  const CsvTable table = read_csv(testing::stats_csv("aSAH.csv"));
  const RowSelection rows = select_rows(table, {"s100b", "outcome"}, false);
  return split_by_label(numeric_column(table, "s100b", rows.rows),
                        binary_labels(table, "outcome", "Poor", rows.rows));
}

TEST(Bootstrap, SameSeedSameIntervalAndItContainsTheAuc) {
  DEEPTIRP_REQUIRE_SHARED();
  const Classes c = asah_s100b();
  const BootstrapEstimate first = bootstrap_auc(c, 2000, 42);
  const BootstrapEstimate again = bootstrap_auc(c, 2000, 42);
  const BootstrapEstimate other = bootstrap_auc(c, 2000, 43);
  EXPECT_EQ(first.ci_low, again.ci_low);
  EXPECT_EQ(first.ci_high, again.ci_high);
  EXPECT_EQ(first.se, again.se);
  EXPECT_NE(first.ci_low, other.ci_low);
  EXPECT_DOUBLE_EQ(first.estimate, auc(c));
  EXPECT_LT(first.ci_low, first.estimate);
  EXPECT_GT(first.ci_high, first.estimate);
  // pROC's DeLong interval on these data is 0.6301-0.8326 (expected.json); 2000
  // bootstrap replicates land within a few hundredths of it.
  const auto delong = testing::stats_expected()["aSAH.csv"]["auc_delong_s100b"]["ci95"];
  EXPECT_NEAR(first.ci_low, delong[0].get<double>(), 0.03);
  EXPECT_NEAR(first.ci_high, delong[1].get<double>(), 0.03);
}

TEST(Bootstrap, RankTrickEqualsTheAucOfTheResampledData) {
  std::mt19937_64 gen(7);
  Classes c;
  for (int i = 0; i < 80; ++i) c.cases.push_back(static_cast<double>(gen() % 30) + 5);
  for (int j = 0; j < 120; ++j) c.controls.push_back(static_cast<double>(gen() % 30));
  // The same seed drives the same draws, so a plain statistic over materialised
  // resamples must give exactly the replicates behind bootstrap_auc.
  auto plain = [&](const std::vector<std::uint32_t> &cw, const std::vector<std::uint32_t> &kw) {
    Classes resample;
    for (std::size_t i = 0; i < cw.size(); ++i)
      resample.cases.insert(resample.cases.end(), cw[i], c.cases[i]);
    for (std::size_t j = 0; j < kw.size(); ++j)
      resample.controls.insert(resample.controls.end(), kw[j], c.controls[j]);
    return auc(resample);
  };
  // bootstrap_auc sorts the scores before resampling; sort here the same way.
  Classes sorted = c;
  std::sort(sorted.cases.begin(), sorted.cases.end());
  std::sort(sorted.controls.begin(), sorted.controls.end());
  c = sorted;
  const auto replicates = stratified_bootstrap(80, 120, 500, 99, plain);
  const BootstrapEstimate expected = summarise_replicates(auc(c), replicates, 0.95);
  const BootstrapEstimate fast = bootstrap_auc(c, 500, 99);
  EXPECT_NEAR(fast.ci_low, expected.ci_low, 1e-12);
  EXPECT_NEAR(fast.ci_high, expected.ci_high, 1e-12);
  EXPECT_NEAR(fast.se, expected.se, 1e-12);
}

TEST(Bootstrap, ResamplingIsStratified) {
  std::size_t calls = 0;
  stratified_bootstrap(13, 29, 50, 1, [&](const auto &cw, const auto &kw) {
    std::uint32_t cases = 0, controls = 0;
    for (auto w : cw) cases += w;
    for (auto w : kw) controls += w;
    EXPECT_EQ(cases, 13u);
    EXPECT_EQ(controls, 29u);
    ++calls;
    return 0.0;
  });
  EXPECT_EQ(calls, 50u);
}

TEST(Bootstrap, PercentileIntervalIsRQuantileType7) {
  // R: quantile(1:10, c(0.025, 0.975)) gives 1.225 and 9.775.
  const auto [low, high] = percentile_interval({10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, 0.95);
  EXPECT_DOUBLE_EQ(low, 1.225);
  EXPECT_DOUBLE_EQ(high, 9.775);
}

TEST(Bootstrap, IndexDrawsAreInRangeAndUniform) {
  IndexDraws index(5);
  std::vector<int> counts(3, 0);
  const int draws = 300000;
  for (int k = 0; k < draws; ++k) {
    const auto i = index(3);
    ASSERT_LT(i, 3u);
    ++counts[i];
  }
  // Each share within 5 standard errors of 1/3.
  for (int c : counts) EXPECT_NEAR(c / static_cast<double>(draws), 1.0 / 3.0, 5 * 0.00086);
}

}  // namespace
}  // namespace deeptirp::stats
