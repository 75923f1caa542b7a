// Fleiss' kappa against irr::kappam.fleiss (Fleiss 1971 data), Cohen's kappa
// against SAS PROC FREQ and sklearn, and the properties every kappa has.
#include "deeptirp/error.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/stats/agreement.h"
#include "deeptirp/stats/columns.h"
#include "stats_test_util.h"

namespace deeptirp::stats {
namespace {

std::vector<std::vector<std::string>> fleiss_ratings() {
  const CsvTable table = read_csv(testing::stats_csv("fleiss_diagnoses.csv"));
  std::vector<std::string> raters(table.header.begin() + 1, table.header.end());
  const RowSelection rows = select_rows(table, raters, false);
  std::vector<std::vector<std::string>> ratings(rows.rows.size());
  for (const auto &rater : raters) {
    const auto column = string_column(table, rater, rows.rows);
    for (std::size_t s = 0; s < column.size(); ++s) ratings[s].push_back(column[s]);
  }
  return ratings;
}

TEST(Agreement, FleissMatchesIrr) {
  DEEPTIRP_REQUIRE_SHARED();
  const auto expected = testing::stats_expected()["fleiss_diagnoses.csv"];
  const FleissKappa f = fleiss_kappa(fleiss_ratings());
  EXPECT_EQ(f.subjects, 30u);
  EXPECT_EQ(f.raters, 6u);
  EXPECT_DIGITS(f.kappa, expected["kappa"]);
  EXPECT_DIGITS(f.z, expected["z"]);
  EXPECT_LT(f.p, 1e-10);
  ASSERT_EQ(f.category_kappa.size(), expected["per_category_kappa"].size());
  for (std::size_t j = 0; j < f.category_kappa.size(); ++j) {
    EXPECT_EQ(f.category_totals[j], expected["category_totals"][j].get<std::size_t>());
    EXPECT_DIGITS(f.category_kappa[j], expected["per_category_kappa"][j]);
  }
  EXPECT_NEAR(f.ci_high - f.kappa, 1.959964 * f.se, 1e-6);
}

TEST(Agreement, FleissOnTextRatingsEqualsNumeric) {
  DEEPTIRP_REQUIRE_SHARED();
  auto ratings = fleiss_ratings();
  const FleissKappa numeric = fleiss_kappa(ratings);
  const std::vector<std::string> names = {"",         "depression", "personality", "schizophrenia",
                                          "neurosis", "other"};
  for (auto &subject : ratings)
    for (auto &r : subject) r = names[std::stoi(r)];
  const FleissKappa text = fleiss_kappa(ratings);
  EXPECT_DOUBLE_EQ(text.kappa, numeric.kappa);
  EXPECT_DOUBLE_EQ(text.se, numeric.se);
}

void cohen_raters(std::vector<std::string> *r1, std::vector<std::string> *r2) {
  const CsvTable table = read_csv(testing::stats_csv("cohen_sas_table.csv"));
  const RowSelection rows = select_rows(table, {"rater1", "rater2"}, false);
  *r1 = string_column(table, "rater1", rows.rows);
  *r2 = string_column(table, "rater2", rows.rows);
}

TEST(Agreement, CohenMatchesSasProcFreq) {
  DEEPTIRP_REQUIRE_SHARED();
  const auto expected = testing::stats_expected()["cohen_sas_table.csv"];
  std::vector<std::string> r1, r2;
  cohen_raters(&r1, &r2);
  const CohenKappa u = cohen_kappa(r1, r2, KappaWeights::kNone);
  const auto &e = expected["unweighted"];
  EXPECT_DIGITS(u.kappa, e["kappa"]);
  EXPECT_DIGITS(u.ase, e["ase"]);
  EXPECT_DIGITS(u.ci_low, e["ci95"][0]);
  EXPECT_DIGITS(u.ci_high, e["ci95"][1]);
  EXPECT_DIGITS(u.ase_h0, e["ase_h0"]);
  EXPECT_DIGITS(u.z, e["z"]);
  EXPECT_DIGITS(u.p_one_sided, e["p_one_sided"]);
  EXPECT_DIGITS(u.p, e["p_two_sided"]);
  const CohenKappa w = cohen_kappa(r1, r2, KappaWeights::kLinear);
  const auto &l = expected["linear_weighted"];
  EXPECT_DIGITS(w.kappa, l["kappa"]);
  EXPECT_DIGITS(w.ase, l["ase"]);
  EXPECT_DIGITS(w.ci_low, l["ci95"][0]);
  EXPECT_DIGITS(w.ci_high, l["ci95"][1]);
  EXPECT_DIGITS(w.ase_h0, l["ase_h0"]);
  EXPECT_DIGITS(w.z, l["z"]);
}

TEST(Agreement, WeightedKappaMatchesSklearn) {
  DEEPTIRP_REQUIRE_PYTHON();
  const std::vector<int> a = {1, 2, 3, 4, 2, 3, 1, 4, 4, 2, 3, 3, 1, 2, 4, 1, 3, 2, 2, 4};
  const std::vector<int> b = {1, 3, 3, 4, 2, 2, 2, 4, 3, 2, 3, 4, 1, 1, 4, 2, 3, 2, 3, 3};
  std::vector<std::string> ra, rb;
  std::string la, lb;
  for (std::size_t i = 0; i < a.size(); ++i) {
    ra.push_back(std::to_string(a[i]));
    rb.push_back(std::to_string(b[i]));
    la += std::to_string(a[i]) + ",";
    lb += std::to_string(b[i]) + ",";
  }
  const auto ref = testing::python_json(
      "import json\nfrom sklearn.metrics import cohen_kappa_score as k\n"
      "a = [" +
          la + "]; b = [" + lb +
          "]\n"
          "print(json.dumps([k(a, b), k(a, b, weights='linear'), k(a, b, "
          "weights='quadratic')]))\n",
      "cohen-sklearn");
  ASSERT_FALSE(ref.is_null());
  EXPECT_NEAR(cohen_kappa(ra, rb, KappaWeights::kNone).kappa, ref[0].get<double>(), 1e-12);
  EXPECT_NEAR(cohen_kappa(ra, rb, KappaWeights::kLinear).kappa, ref[1].get<double>(), 1e-12);
  EXPECT_NEAR(cohen_kappa(ra, rb, KappaWeights::kQuadratic).kappa, ref[2].get<double>(), 1e-12);
}

TEST(Agreement, IdenticalRatersHaveKappaOne) {
  const std::vector<std::string> r = {"tumour", "infection", "tumour", "normal", "infection"};
  for (auto weights : {KappaWeights::kNone, KappaWeights::kLinear, KappaWeights::kQuadratic}) {
    EXPECT_DOUBLE_EQ(cohen_kappa(r, r, weights).kappa, 1.0);
  }
  std::vector<std::vector<std::string>> ratings;
  for (const auto &x : r) ratings.push_back({x, x, x});
  const FleissKappa f = fleiss_kappa(ratings);
  EXPECT_DOUBLE_EQ(f.kappa, 1.0);
  for (double k : f.category_kappa) EXPECT_DOUBLE_EQ(k, 1.0);
}

TEST(Agreement, BadInputIsAnError) {
  EXPECT_THROW(fleiss_kappa({{"1"}, {"2"}}), Error);  // one rater
  EXPECT_THROW(cohen_kappa({"a", "b"}, {"a"}, KappaWeights::kNone), Error);
  EXPECT_THROW(cohen_kappa({"a", "a"}, {"a", "a"}, KappaWeights::kNone), Error);
  EXPECT_THROW(parse_kappa_weights("cubic"), Error);
}

}  // namespace
}  // namespace deeptirp::stats
