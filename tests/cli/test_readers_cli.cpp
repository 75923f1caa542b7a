// `deeptirp readers` on the demo's synthetic study: synth -> import -> split, predictions made up
// from the manifest, and the reader study with its JSON.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "deeptirp/data/manifest.h"
#include "deeptirp/io/csv.h"
#include "test_support.h"

namespace deeptirp {
namespace {

std::string run(const std::string& args, int* status = nullptr) {
  std::string out;
  const int rc = testing::run_command(std::string(DEEPTIRP_EXE) + " " + args, &out);
  if (status)
    *status = rc;
  else
    EXPECT_EQ(rc, 0) << args << "\n" << out;
  return out;
}

TEST(ReadersCli, TheDemoStudysReadersAgainstTwoModels) {
  const auto dir = testing::scratch_dir("readers-cli");
  const std::string d = dir.string(), config = d + "/data/study.yaml";
  run("synth --out " + d + "/data --cases 80 --seed 9 --quiet");
  run("import table --table " + d + "/data/clinical.csv --config " + config + " --out " + d +
      "/manifest.csv");
  run("split --manifest " + d + "/manifest.csv --config " + config);
  // Predictions as `ensemble predict` writes them: a good model and a coin.
  const Manifest m = read_manifest(dir / "manifest.csv", load_study_config(config));
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < m.cases.size(); ++i) {
    const Case& c = m.cases[i];
    const double good = c.label == "tumour" ? 0.55 + 0.4 * (i % 5) / 5 : 0.1 + 0.5 * (i % 7) / 7;
    rows.push_back(
        {c.image, c.patient_id, c.split, c.label, std::to_string(good), i % 2 ? "0.9" : "0.1"});
  }
  write_csv(dir / "preds.csv", {"image", "patient_id", "split", "diagnosis", "good", "coin"}, rows);

  const std::string printed =
      run("readers --config " + config + " --manifest " + d + "/manifest.csv --predictions " + d +
          "/preds.csv --threshold good=0.5 --json " + d + "/readers.json");
  for (const char* table : {"Readers", "Groups", "Models against readers", "Fleiss", "Cohen"})
    EXPECT_NE(printed.find(table), std::string::npos) << table << "\n" << printed;
  std::ifstream in(dir / "readers.json");
  const nlohmann::json j = nlohmann::json::parse(in);
  EXPECT_EQ(j.at("groups"), nlohmann::json({"junior", "intermediate", "senior"}));
  std::size_t test_cases = 0, sets = 0;
  for (const auto& c : m.cases) test_cases += c.split == "test";
  for (const char* set : {"test", "external_test"})
    for (const auto& c : m.cases)
      if (c.split == set) {
        ++sets;
        break;
      }
  EXPECT_EQ(j.at("readers").size(), 6 * sets);
  EXPECT_EQ(j.at("readers")[0].at("n"), test_cases) << "readers.csv beside the images matched";
  EXPECT_NE(j.at("readers")[0].at("auc"), nullptr) << "the synthetic readers give confidence";
  EXPECT_EQ(j.at("group_metrics").size(), 3 * sets);
  EXPECT_EQ(j.at("versus_models").size(), 2 * 6 * sets);
  EXPECT_EQ(j.at("fleiss").size(), 3 * sets);
  EXPECT_EQ(j.at("cohen").size(), 28 * sets);  // 8 raters, every pair

  int rc = 0;
  const std::string error =
      run("readers --config " + config + " --manifest " + d + "/manifest.csv --predictions " + d +
              "/preds.csv --threshold nothing=0.3",
          &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(error.find("--threshold nothing"), std::string::npos) << error;
}

}  // namespace
}  // namespace deeptirp
