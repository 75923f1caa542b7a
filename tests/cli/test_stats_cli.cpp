// `deeptirp stats` end to end: the built executable on the shared CSVs (--json
// values against expected.json), and on bad CSVs (an error naming the column or
// line, exit status non-zero).
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"

namespace deeptirp::testing {
namespace {

std::string data(const std::string &name) {
  return (shared_dir() / "data" / "stats" / name).string();
}

nlohmann::json expected() {
  std::ifstream in(shared_dir() / "data" / "stats" / "expected.json");
  return nlohmann::json::parse(in);
}

nlohmann::json run_json(const std::string &args) {
  std::string out;
  const int rc = run_command(std::string(DEEPTIRP_EXE) + " stats " + args + " --json", &out);
  EXPECT_EQ(rc, 0) << out;
  return rc == 0 ? nlohmann::json::parse(out) : nlohmann::json::object();
}

// Tolerance: half a unit of the last digit expected.json prints (floor 1e-13
// relative).
void expect_digits(const nlohmann::json &actual, const nlohmann::json &value) {
  ASSERT_TRUE(actual.is_number()) << actual;
  const std::string text = value.dump();
  const auto e = text.find_first_of("eE");
  const std::string mantissa = text.substr(0, e);
  const int exponent = e == std::string::npos ? 0 : std::stoi(text.substr(e + 1));
  const auto dot = mantissa.find('.');
  const int decimals = dot == std::string::npos ? 0 : static_cast<int>(mantissa.size() - dot - 1);
  const double tol = std::max(0.5 * std::pow(10.0, exponent - decimals),
                              1e-13 * std::max(1.0, std::fabs(value.get<double>())));
  EXPECT_NEAR(actual.get<double>(), value.get<double>(), tol) << text;
}

TEST(StatsCli, AucAndComparisonsMatchPRoc) {
  DEEPTIRP_REQUIRE_SHARED();
  const auto e = expected()["aSAH.csv"];
  const std::string base = "--csv " + data("aSAH.csv") + " --label outcome --positive Poor";
  const auto auc = run_json("auc " + base + " --score s100b");
  for (const char *key : {"auc", "se", "ci_low", "ci_high", "n_pos", "n_neg"})
    EXPECT_TRUE(auc.contains(key)) << key;
  expect_digits(auc["auc"], e["auc_delong_s100b"]["auc"]);
  expect_digits(auc["ci_low"], e["auc_delong_s100b"]["ci95"][0]);
  expect_digits(auc["ci_high"], e["auc_delong_s100b"]["ci95"][1]);
  EXPECT_EQ(auc["n_pos"], 41);
  EXPECT_EQ(auc["n_neg"], 72);

  const auto paired = run_json("compare-auc " + base + " --score wfns --score s100b");
  for (const char *key : {"auc_a", "auc_b", "diff", "z", "p", "ci_low", "ci_high"})
    EXPECT_TRUE(paired.contains(key)) << key;
  expect_digits(paired["auc_a"], e["auc_wfns"]["auc"]);
  expect_digits(paired["z"], e["paired_delong_wfns_vs_s100b"]["z"]);
  expect_digits(paired["p"], e["paired_delong_wfns_vs_s100b"]["p_two_sided"]);
  expect_digits(paired["ci_low"], e["paired_delong_wfns_vs_s100b"]["diff_ci95"][0]);
  const auto unpaired = run_json("compare-auc " + base + " --score wfns --score s100b --unpaired");
  expect_digits(unpaired["z"], e["unpaired_delong_wfns_vs_s100b"]["d"]);
  expect_digits(unpaired["p"], e["unpaired_delong_wfns_vs_s100b"]["p"]);

  const auto boot = run_json("auc " + base + " --score s100b --ci bootstrap --boot 500 --seed 9");
  const auto again = run_json("auc " + base + " --score s100b --ci bootstrap --boot 500 --seed 9");
  EXPECT_EQ(boot["ci_low"], again["ci_low"]);
  EXPECT_LT(boot["ci_low"].get<double>(), boot["auc"].get<double>());
  EXPECT_GT(boot["ci_high"].get<double>(), boot["auc"].get<double>());

  const auto metrics = run_json("metrics " + base + " --score s100b --threshold 0.205");
  for (const char *key : {"accuracy", "sensitivity", "specificity", "ppv", "npv", "f1",
                          "youden_threshold", "tp", "fp", "tn", "fn"})
    EXPECT_TRUE(metrics.contains(key)) << key;
  EXPECT_EQ(metrics["tp"].get<int>() + metrics["fn"].get<int>(), 41);
  EXPECT_EQ(metrics["tn"].get<int>() + metrics["fp"].get<int>(), 72);
}

TEST(StatsCli, AgreementAndMcNemarMatchPublishedValues) {
  DEEPTIRP_REQUIRE_SHARED();
  const auto e = expected();
  const auto fleiss = run_json("fleiss --csv " + data("fleiss_diagnoses.csv") +
                               " --raters rater1,rater2,rater3,rater4,rater5,rater6");
  for (const char *key : {"kappa", "se", "z", "p", "ci_low", "ci_high"})
    EXPECT_TRUE(fleiss.contains(key)) << key;
  expect_digits(fleiss["kappa"], e["fleiss_diagnoses.csv"]["kappa"]);
  expect_digits(fleiss["z"], e["fleiss_diagnoses.csv"]["z"]);
  ASSERT_EQ(fleiss["categories"].size(), 5u);
  expect_digits(fleiss["categories"][4]["kappa"],
                e["fleiss_diagnoses.csv"]["per_category_kappa"][4]);

  const auto cohen = run_json("cohen --csv " + data("cohen_sas_table.csv") +
                              " --rater1 rater1 --rater2 rater2 --weights linear");
  const auto &l = e["cohen_sas_table.csv"]["linear_weighted"];
  for (const char *key : {"kappa", "ase", "ci_low", "ci_high", "ase_h0", "z", "p"})
    EXPECT_TRUE(cohen.contains(key)) << key;
  expect_digits(cohen["kappa"], l["kappa"]);
  expect_digits(cohen["ase"], l["ase"]);
  expect_digits(cohen["ase_h0"], l["ase_h0"]);
  expect_digits(cohen["z"], l["z"]);

  const auto mc = run_json("mcnemar --csv " + data("mcnemar_survey.csv") + " --a a --b b");
  const auto &m = e["mcnemar_survey.csv"];
  expect_digits(mc["statistic"], m["continuity_corrected"]["statistic"]);
  expect_digits(mc["p"], m["continuity_corrected"]["p"]);
  expect_digits(mc["statistic_uncorrected"], m["uncorrected"]["statistic"]);
  expect_digits(mc["p_uncorrected"], m["uncorrected"]["p"]);
  EXPECT_TRUE(mc.contains("p_exact"));
}

TEST(StatsCli, CalibrationOfAWrittenCsv) {
  const auto dir = scratch_dir("stats-cli-calibration");
  std::ofstream(dir / "p.csv") << "p,y\n0.1,0\n0.2,0\n0.3,1\n0.4,0\n0.6,1\n0.7,0\n0.8,1\n0.9,1\n";
  const auto c = run_json("calibration --csv " + (dir / "p.csv").string() +
                          " --score p --label y --positive 1 --bins 5");
  for (const char *key : {"brier", "intercept", "slope"}) EXPECT_TRUE(c.contains(key)) << key;
  // Brier by hand: (.01 + .04 + .49 + .16 + .16 + .49 + .04 + .01) / 8.
  EXPECT_NEAR(c["brier"].get<double>(), 1.4 / 8, 1e-12);
  EXPECT_EQ(c["bins"].size(), 5u);
}

TEST(StatsCli, BadInputNamesTheCellAndFails) {
  const auto dir = scratch_dir("stats-cli-bad");
  const std::string csv = (dir / "bad.csv").string();
  std::ofstream(csv) << "id,score,label\n1,0.9,tumour\n2,0.3,infection\n3,,tumour\n"
                        "4,0.2,infection\n5,abc,tumour\n";
  const std::string exe = std::string(DEEPTIRP_EXE) + " stats auc --csv " + csv;
  std::string out;
  EXPECT_NE(run_command(exe + " --score score --label label --positive tumour", &out), 0);
  EXPECT_NE(out.find("line 4, column 'score'"), std::string::npos) << out;
  EXPECT_NE(out.find("missing"), std::string::npos) << out;

  EXPECT_NE(
      run_command(exe + " --score score --label label --positive tumour --drop-missing", &out), 0);
  EXPECT_NE(out.find("line 6, column 'score'"), std::string::npos) << out;
  EXPECT_NE(out.find("'abc' is not a number"), std::string::npos) << out;

  EXPECT_NE(run_command(exe + " --score risk --label label --positive tumour", &out), 0);
  EXPECT_NE(out.find("'risk'"), std::string::npos) << out;

  EXPECT_NE(run_command(exe + " --score id --label label --positive sarcoma", &out), 0);
  EXPECT_NE(out.find("no row has the positive value 'sarcoma'"), std::string::npos) << out;

  std::ofstream(dir / "single.csv") << "score,label\n0.1,tumour\n0.3,tumour\n";
  EXPECT_NE(
      run_command(std::string(DEEPTIRP_EXE) + " stats auc --csv " + (dir / "single.csv").string() +
                      " --score score --label label --positive tumour",
                  &out),
      0);
  EXPECT_NE(out.find("single class"), std::string::npos) << out;
  EXPECT_NE(out.find("'label'"), std::string::npos) << out;

  std::string fleiss;
  EXPECT_NE(
      run_command(std::string(DEEPTIRP_EXE) + " stats fleiss --csv " + csv + " --raters label",
                  &fleiss),
      0);
  EXPECT_NE(fleiss.find("two raters"), std::string::npos) << fleiss;

  std::ofstream(dir / "ok.csv") << "score,label\n0.9,1\n,0\n0.2,0\n0.7,1\n0.8,0\n";
  const auto dropped = nlohmann::json::parse([&] {
    std::string o;
    run_command(std::string(DEEPTIRP_EXE) + " stats auc --csv " + (dir / "ok.csv").string() +
                    " --score score --label label --positive 1 --drop-missing "
                    "--json 2>/dev/null",
                &o);
    return o;
  }());
  EXPECT_EQ(dropped["rows_dropped"], 1);
  EXPECT_DOUBLE_EQ(dropped["auc"].get<double>(),
                   0.75);  // (1 + 1 + 1 + 0) / 4 pairs
}

// Degenerate input is one line naming what is wrong, never Boost's "Random variate x is nan" or
// a silent NaN; all-equal scores keep their AUC of 0.5 but say what it means.
TEST(StatsCli, DegenerateInputIsAnErrorOrANote) {
  const auto dir = scratch_dir("stats-cli-degenerate");
  const std::string same = (dir / "same.csv").string(), disjoint = (dir / "disjoint.csv").string();
  std::ofstream(same) << "score,label,r1,r2,r3\n0.5,a,x,x,x\n0.5,b,x,x,x\n0.5,a,x,x,x\n";
  std::ofstream(disjoint) << "r1,r2\nx,y\nx,y\nx,y\n";
  const std::string stats = std::string(DEEPTIRP_EXE) + " stats ";
  const struct {
    std::string args, message;
  } cases[] = {
      {"metrics --csv " + same + " --score score --label label --positive a --threshold nan",
       "the threshold must be a finite number"},
      {"metrics --csv " + same + " --score score --label label --positive a --threshold inf",
       "the threshold must be a finite number"},
      {"fleiss --csv " + same + " --raters r1,r2,r3", "every rating is 'x'"},
      {"cohen --csv " + disjoint + " --rater1 r1 --rater2 r2", "rater 1 rated every subject 'x'"},
  };
  for (const auto &c : cases) {
    std::string out;
    EXPECT_EQ(run_command(stats + c.args, &out), 1) << c.args;
    EXPECT_NE(out.find(c.message), std::string::npos) << c.args << ": " << out;
    EXPECT_EQ(out.find("Random variate"), std::string::npos) << c.args << ": " << out;
  }
  const auto auc = run_json("auc --csv " + same + " --score score --label label --positive a");
  EXPECT_DOUBLE_EQ(auc["auc"].get<double>(), 0.5);
  EXPECT_NE(auc.value("note", "").find("every score is the same"), std::string::npos) << auc;
  std::ofstream(dir / "ranked.csv") << "score,label\n0.9,a\n0.1,b\n0.7,a\n";
  EXPECT_FALSE(run_json("auc --csv " + (dir / "ranked.csv").string() +
                        " --score score --label label --positive a")
                   .contains("note"));
}

}  // namespace
}  // namespace deeptirp::testing
