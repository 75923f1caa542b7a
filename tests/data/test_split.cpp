#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "deeptirp/data/split.h"
#include "deeptirp/error.h"

namespace deeptirp {
namespace {

// Patients with 1-3 images each; a third malignant; centres 1 (internal) and 2 (external).
Manifest make_manifest(int patients) {
  Manifest m;
  m.path = "synthetic.csv";
  for (int p = 0; p < patients; ++p) {
    const int images = 1 + (p * 7) % 3;
    for (int k = 0; k < images; ++k) {
      Case c;
      c.image = "img" + std::to_string(p) + "_" + std::to_string(k) + ".png";
      c.patient_id = "p" + std::to_string(p);
      c.label = p % 3 == 0 ? "malignant" : "benign";
      c.centre = p % 5 == 0 ? "2" : "1";
      m.cases.push_back(c);
    }
  }
  return m;
}

std::map<std::string, std::map<std::string, std::set<std::string>>> patients_by_split_label(
    const Manifest& m) {
  std::map<std::string, std::map<std::string, std::set<std::string>>> out;
  for (const auto& c : m.cases) out[c.split][c.label].insert(c.patient_id);
  return out;
}

TEST(Split, NoPatientInTwoSplitsAndExternalCentreIsExternal) {
  Manifest m = make_manifest(400);
  assign_splits(m, {{0.7, 0.1, 0.2}, 42, {"2"}});
  std::map<std::string, std::string> split_of;
  for (const auto& c : m.cases) {
    EXPECT_EQ(c.split == "external_test", c.centre == "2");
    auto [it, inserted] = split_of.emplace(c.patient_id, c.split);
    EXPECT_EQ(it->second, c.split) << c.patient_id;
  }
  EXPECT_NO_THROW(check_patient_splits(m));
}

TEST(Split, RatiosHoldPerClassAtPatientLevel) {
  Manifest m = make_manifest(1000);
  assign_splits(m, {{0.7, 0.1, 0.2}, 1, {"2"}});
  auto groups = patients_by_split_label(m);
  for (const std::string label : {"benign", "malignant"}) {
    double total = 0;
    for (const char* s : {"train", "validation", "test"}) total += groups[s][label].size();
    EXPECT_NEAR(groups["train"][label].size() / total, 0.7, 0.01) << label;
    EXPECT_NEAR(groups["validation"][label].size() / total, 0.1, 0.01) << label;
    EXPECT_NEAR(groups["test"][label].size() / total, 0.2, 0.01) << label;
  }
}

TEST(Split, SameSeedSameSplitWhateverTheRowOrder) {
  Manifest a = make_manifest(300), b = make_manifest(300), c = make_manifest(300);
  std::reverse(b.cases.begin(), b.cases.end());
  assign_splits(a, {{0.7, 0.1, 0.2}, 5, {}});
  assign_splits(b, {{0.7, 0.1, 0.2}, 5, {}});
  assign_splits(c, {{0.7, 0.1, 0.2}, 6, {}});
  std::map<std::string, std::string> in_a, in_b;
  int differ_from_c = 0;
  for (std::size_t i = 0; i < a.cases.size(); ++i) {
    in_a[a.cases[i].image] = a.cases[i].split;
    in_b[b.cases[i].image] = b.cases[i].split;
    differ_from_c += a.cases[i].split != c.cases[i].split;
  }
  EXPECT_EQ(in_a, in_b);
  EXPECT_GT(differ_from_c, 0);  // the seed matters
}

TEST(Split, TinyClassesStillSumUp) {
  Manifest m = make_manifest(4);
  assign_splits(m, {{0.7, 0.1, 0.2}, 3, {}});
  for (const auto& c : m.cases) EXPECT_FALSE(c.split.empty());
}

TEST(Split, PatientInTwoSplitsIsReported) {
  Manifest m = make_manifest(3);
  for (auto& c : m.cases) c.split = "train";
  m.cases.back().patient_id = m.cases.front().patient_id;
  m.cases.back().split = "test";
  try {
    check_patient_splits(m);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("patient 'p0' is in split 'train'"), std::string::npos)
        << e.what();
  }
}

TEST(Split, UnknownExternalCentreIsAnError) {
  Manifest m = make_manifest(10);
  EXPECT_THROW(assign_splits(m, {{0.7, 0.1, 0.2}, 3, {"9"}}), Error);
}

TEST(Split, CountsTableShowsEverySplitClassCentre) {
  Manifest m = make_manifest(50);
  assign_splits(m, {{0.7, 0.1, 0.2}, 3, {"2"}});
  SplitCounts counts = count_splits(m);
  int total = 0;
  for (const auto& [key, n] : counts) total += n;
  EXPECT_EQ(total, static_cast<int>(m.cases.size()));
  const std::string table = format_split_counts(m);
  EXPECT_NE(table.find("external_test"), std::string::npos);
  EXPECT_NE(table.find("malignant"), std::string::npos);
}

}  // namespace
}  // namespace deeptirp
