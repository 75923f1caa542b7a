// AUC and DeLong against pROC's published values on aSAH, sklearn, and the
// definitions.
#include <random>

#include "deeptirp/error.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/stats/columns.h"
#include "deeptirp/stats/roc.h"
#include "stats_test_util.h"

namespace deeptirp::stats {
namespace {

using testing::stats_csv;

Classes asah_classes(const std::string &score) {
  const CsvTable table = read_csv(stats_csv("aSAH.csv"));
  const RowSelection rows = select_rows(table, {score, "outcome"}, false);
  return split_by_label(numeric_column(table, score, rows.rows),
                        binary_labels(table, "outcome", "Poor", rows.rows));
}

TEST(Roc, DelongMatchesPRocOnASah) {
  DEEPTIRP_REQUIRE_SHARED();
  const auto expected = testing::stats_expected()["aSAH.csv"];
  const auto &s100b = expected["auc_delong_s100b"];
  const AucEstimate e = delong_auc(asah_classes("s100b"));
  EXPECT_DIGITS(e.auc, s100b["auc"]);
  EXPECT_DIGITS(e.variance, s100b["variance"]);
  EXPECT_DIGITS(e.ci_low, s100b["ci95"][0]);
  EXPECT_DIGITS(e.ci_high, s100b["ci95"][1]);
  EXPECT_EQ(e.n_pos, 41u);
  EXPECT_EQ(e.n_neg, 72u);
  EXPECT_DIGITS(auc(asah_classes("wfns")), expected["auc_wfns"]["auc"]);
}

TEST(Roc, PairedAndUnpairedDelongMatchPRoc) {
  DEEPTIRP_REQUIRE_SHARED();
  const auto expected = testing::stats_expected()["aSAH.csv"];
  const Classes wfns = asah_classes("wfns");
  const Classes s100b = asah_classes("s100b");
  const AucComparison paired = delong_paired(wfns, s100b);
  const auto &p = expected["paired_delong_wfns_vs_s100b"];
  EXPECT_DIGITS(paired.z, p["z"]);
  EXPECT_DIGITS(paired.p, p["p_two_sided"]);
  EXPECT_DIGITS(paired.ci_low, p["diff_ci95"][0]);
  EXPECT_DIGITS(paired.ci_high, p["diff_ci95"][1]);
  const AucComparison unpaired = delong_unpaired(wfns, s100b);
  EXPECT_DIGITS(unpaired.z, expected["unpaired_delong_wfns_vs_s100b"]["d"]);
  EXPECT_DIGITS(unpaired.p, expected["unpaired_delong_wfns_vs_s100b"]["p"]);
}

Classes random_classes(std::size_t m, std::size_t n, std::uint64_t seed, double levels) {
  std::mt19937_64 gen(seed);
  auto draw = [&](double shift) {  // coarse scores, so that many ties occur
    return std::floor((static_cast<double>(gen() % 1000) / 1000.0 + shift) * levels) / levels;
  };
  Classes c;
  for (std::size_t i = 0; i < m; ++i) c.cases.push_back(draw(0.3));
  for (std::size_t j = 0; j < n; ++j) c.controls.push_back(draw(0.0));
  return c;
}

TEST(Roc, ReversedScoresGiveOneMinusAuc) {
  Classes c = random_classes(57, 83, 1, 20);
  const double forward = auc(c);
  for (double &x : c.cases) x = -x;
  for (double &y : c.controls) y = -y;
  EXPECT_NEAR(auc(c), 1.0 - forward, 1e-15);
}

TEST(Roc, TiesCountOneHalf) {
  // Pairs (case, control): (1,1) tie, (1,0) win, (2,1) win, (2,0) win -> 3.5
  // / 4.
  EXPECT_DOUBLE_EQ(auc({{1.0, 2.0}, {1.0, 0.0}}), 0.875);
  EXPECT_DOUBLE_EQ(auc({{5.0, 5.0, 5.0}, {5.0, 5.0}}), 0.5);
}

TEST(Roc, PlacementsMatchTheQuadraticDefinition) {
  const Classes c = random_classes(40, 60, 2, 10);
  const DelongPlacements p = delong_placements(c);
  for (std::size_t i = 0; i < c.cases.size(); ++i) {
    double v = 0.0;
    for (double y : c.controls) v += (c.cases[i] > y) + 0.5 * (c.cases[i] == y);
    EXPECT_DOUBLE_EQ(p.cases[i], v / static_cast<double>(c.controls.size()));
  }
  for (std::size_t j = 0; j < c.controls.size(); ++j) {
    double v = 0.0;
    for (double x : c.cases) v += (x > c.controls[j]) + 0.5 * (x == c.controls[j]);
    EXPECT_DOUBLE_EQ(p.controls[j], v / static_cast<double>(c.cases.size()));
  }
}

TEST(Roc, AucAndCurveMatchSklearn) {
  DEEPTIRP_REQUIRE_PYTHON();
  const Classes c = random_classes(300, 500, 3, 25);
  const auto dir = testing::scratch_dir("roc-sklearn");
  std::vector<double> scores = c.cases, labels(c.cases.size(), 1.0);
  scores.insert(scores.end(), c.controls.begin(), c.controls.end());
  labels.resize(scores.size(), 0.0);
  testing::write_columns((dir / "s.csv").string(), {"score", "label"}, {scores, labels});
  const auto ref = testing::python_json(
      "import json, numpy as np\n"
      "from sklearn.metrics import roc_auc_score, roc_curve\n"
      "d = np.loadtxt('" +
          (dir / "s.csv").string() +
          "', delimiter=',', skiprows=1)\n"
          "fpr, tpr, thr = roc_curve(d[:,1], d[:,0], drop_intermediate=False)\n"
          "print(json.dumps({'auc': roc_auc_score(d[:,1], d[:,0]), 'tpr': "
          "tpr.tolist(),"
          " 'fpr': fpr.tolist()}))\n",
      "roc-sklearn-py");
  ASSERT_FALSE(ref.is_null());
  EXPECT_NEAR(auc(c), ref["auc"].get<double>(), 1e-12);
  // sklearn lists the points from the highest threshold down; ours run upwards.
  const std::vector<RocPoint> curve = roc_curve(c);
  ASSERT_EQ(curve.size(), ref["tpr"].size());
  for (std::size_t k = 0; k < curve.size(); ++k) {
    const std::size_t r = curve.size() - 1 - k;
    EXPECT_NEAR(curve[k].sensitivity, ref["tpr"][r].get<double>(), 1e-12);
    EXPECT_NEAR(1.0 - curve[k].specificity, ref["fpr"][r].get<double>(), 1e-12);
  }
}

TEST(Roc, ASingleClassIsAnError) {
  EXPECT_THROW(split_by_label({0.1, 0.2}, {1, 1}), Error);
  EXPECT_THROW(delong_auc({{0.3}, {}}), Error);
}

}  // namespace
}  // namespace deeptirp::stats
