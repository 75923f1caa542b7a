// Confusion matrix, Wilson intervals and Youden's threshold against scipy and
// sklearn.
#include <random>

#include "deeptirp/io/csv.h"
#include "deeptirp/stats/columns.h"
#include "deeptirp/stats/diagnostic.h"
#include "stats_test_util.h"

namespace deeptirp::stats {
namespace {

TEST(Diagnostic, WilsonMatchesScipy) {
  DEEPTIRP_REQUIRE_PYTHON();
  const std::vector<std::pair<int, int>> cases = {{81, 263}, {15, 148}, {0, 20}, {1, 29}, {20, 20}};
  std::string list;
  for (auto [k, n] : cases) list += "(" + std::to_string(k) + "," + std::to_string(n) + "),";
  const auto ref = testing::python_json(
      "import json\nfrom scipy.stats import binomtest\n"
      "out = []\nfor k, n in [" +
          list +
          "]:\n"
          "    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, "
          "method='wilson')\n"
          "    out.append([ci.low, ci.high])\nprint(json.dumps(out))\n",
      "wilson");
  ASSERT_FALSE(ref.is_null());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Interval w = wilson_interval(cases[i].first, cases[i].second);
    EXPECT_NEAR(w.ci_low, ref[i][0].get<double>(), 1e-12) << i;
    EXPECT_NEAR(w.ci_high, ref[i][1].get<double>(), 1e-12) << i;
  }
}

TEST(Diagnostic, MetricsAndYoudenMatchSklearnOnASah) {
  DEEPTIRP_REQUIRE_SHARED();
  DEEPTIRP_REQUIRE_PYTHON();
  const std::string csv = testing::stats_csv("aSAH.csv");
  const CsvTable table = read_csv(csv);
  const RowSelection rows = select_rows(table, {"s100b", "outcome"}, false);
  const Classes c = split_by_label(numeric_column(table, "s100b", rows.rows),
                                   binary_labels(table, "outcome", "Poor", rows.rows));
  const auto ref = testing::python_json(
      "import csv, json, numpy as np\n"
      "from sklearn.metrics import confusion_matrix, f1_score, roc_curve\n"
      "rows = list(csv.DictReader(open('" +
          csv +
          "')))\n"
          "s = np.array([float(r['s100b']) for r in rows]); y = "
          "np.array([r['outcome'] == 'Poor' for r in rows])\n"
          "tn, fp, fn, tp = confusion_matrix(y, s >= 0.2).ravel()\n"
          "fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)\n"
          "k = int(np.argmax(tpr - fpr))\n"
          "print(json.dumps({'tp': int(tp), 'fp': int(fp), 'tn': int(tn), "
          "'fn': int(fn),"
          " 'f1': f1_score(y, s >= 0.2), 'sens': tpr[k], 'spec': 1 - fpr[k], "
          "'thr': thr[k],"
          " 'next': thr[k + 1]}))\n",
      "metrics-sklearn");
  ASSERT_FALSE(ref.is_null());
  const DiagnosticMetrics m = diagnostic_metrics(c, 0.2);
  EXPECT_EQ(m.matrix.tp, ref["tp"].get<std::size_t>());
  EXPECT_EQ(m.matrix.fp, ref["fp"].get<std::size_t>());
  EXPECT_EQ(m.matrix.tn, ref["tn"].get<std::size_t>());
  EXPECT_EQ(m.matrix.fn, ref["fn"].get<std::size_t>());
  EXPECT_NEAR(m.f1.value, ref["f1"].get<double>(), 1e-12);
  EXPECT_LE(m.f1.ci_low, m.f1.value);
  EXPECT_GE(m.f1.ci_high, m.f1.value);
  const Interval sens = wilson_interval(m.matrix.tp, m.matrix.tp + m.matrix.fn);
  EXPECT_EQ(m.sensitivity.ci_low, sens.ci_low);

  const RocPoint best = youden_optimal(c);
  EXPECT_NEAR(best.sensitivity, ref["sens"].get<double>(), 1e-12);
  EXPECT_NEAR(best.specificity, ref["spec"].get<double>(), 1e-12);
  // sklearn's threshold is the lowest score called positive; ours the midpoint
  // below it.
  EXPECT_LE(best.threshold, ref["thr"].get<double>());
  EXPECT_GT(best.threshold, ref["next"].get<double>());
}

TEST(Diagnostic, BootstrapIntervalsAreReproducibleAndContainTheValue) {
  std::mt19937_64 gen(3);
  Classes c;
  for (int i = 0; i < 60; ++i) c.cases.push_back(static_cast<double>(gen() % 100) / 100.0 + 0.2);
  for (int j = 0; j < 90; ++j) c.controls.push_back(static_cast<double>(gen() % 100) / 100.0);
  const DiagnosticMetrics a = bootstrap_diagnostic_metrics(c, 0.6, 1000, 11);
  const DiagnosticMetrics b = bootstrap_diagnostic_metrics(c, 0.6, 1000, 11);
  const DiagnosticMetrics wilson = diagnostic_metrics(c, 0.6);
  for (auto member : {&DiagnosticMetrics::accuracy, &DiagnosticMetrics::sensitivity,
                      &DiagnosticMetrics::specificity, &DiagnosticMetrics::ppv,
                      &DiagnosticMetrics::npv, &DiagnosticMetrics::f1}) {
    EXPECT_EQ((a.*member).ci_low, (b.*member).ci_low);
    EXPECT_DOUBLE_EQ((a.*member).value, (wilson.*member).value);
    EXPECT_LE((a.*member).ci_low, (a.*member).value);
    EXPECT_GE((a.*member).ci_high, (a.*member).value);
  }
}

}  // namespace
}  // namespace deeptirp::stats
