// McNemar's test against R's mcnemar.test example and scipy's exact binomial
// test.
#include "deeptirp/error.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/stats/columns.h"
#include "deeptirp/stats/mcnemar.h"
#include "stats_test_util.h"

namespace deeptirp::stats {
namespace {

TEST(McNemar, MatchesR) {
  DEEPTIRP_REQUIRE_SHARED();
  const auto expected = testing::stats_expected()["mcnemar_survey.csv"];
  const CsvTable table = read_csv(testing::stats_csv("mcnemar_survey.csv"));
  const RowSelection rows = select_rows(table, {"a", "b"}, false);
  const McNemar m =
      mcnemar(zero_one_column(table, "a", rows.rows), zero_one_column(table, "b", rows.rows));
  EXPECT_EQ(m.both, 794u);
  EXPECT_EQ(m.a_only, 150u);
  EXPECT_EQ(m.b_only, 86u);
  EXPECT_EQ(m.neither, 570u);
  EXPECT_DIGITS(m.statistic, expected["continuity_corrected"]["statistic"]);
  EXPECT_DIGITS(m.p, expected["continuity_corrected"]["p"]);
  EXPECT_DIGITS(m.statistic_uncorrected, expected["uncorrected"]["statistic"]);
  EXPECT_DIGITS(m.p_uncorrected, expected["uncorrected"]["p"]);
}

TEST(McNemar, ExactPMatchesScipy) {
  DEEPTIRP_REQUIRE_PYTHON();
  const auto ref = testing::python_json(
      "import json\nfrom scipy.stats import binomtest\n"
      "print(json.dumps([binomtest(86, 236).pvalue, binomtest(3, 12).pvalue,"
      " binomtest(5, 10).pvalue]))\n",
      "mcnemar-exact");
  ASSERT_FALSE(ref.is_null());
  auto exact = [](int a_only, int b_only) {
    std::vector<int> a, b;
    for (int i = 0; i < a_only; ++i) a.push_back(1), b.push_back(0);
    for (int i = 0; i < b_only; ++i) a.push_back(0), b.push_back(1);
    a.push_back(1), b.push_back(1);
    return mcnemar(a, b).p_exact;
  };
  EXPECT_NEAR(exact(150, 86), ref[0].get<double>(), 1e-12);
  EXPECT_NEAR(exact(9, 3), ref[1].get<double>(), 1e-12);
  EXPECT_NEAR(exact(5, 5), ref[2].get<double>(), 1e-12);
}

TEST(McNemar, NoDiscordantPairsIsNoEvidence) {
  const McNemar m = mcnemar({1, 0, 1}, {1, 0, 1});
  EXPECT_EQ(m.statistic, 0.0);
  EXPECT_EQ(m.p, 1.0);
  EXPECT_EQ(m.p_exact, 1.0);
}

}  // namespace
}  // namespace deeptirp::stats
