// The reader study: small cases checked by hand, the statistics against the stats functions
// called directly and against sklearn/scipy, and the errors a user's readers' CSV can have.
#include <fstream>

#include "deeptirp/error.h"
#include "deeptirp/readers/reader_study.h"
#include "deeptirp/stats/agreement.h"
#include "deeptirp/stats/diagnostic.h"
#include "deeptirp/stats/roc.h"
#include "stats/stats_test_util.h"
#include "test_support.h"

namespace deeptirp::readers {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::vector<std::string> kClasses = {"infection", "tumour"};

// Cases c1..cN of one set with the given truth (1 = tumour).
std::vector<StudyCase> study_cases(const std::vector<int>& labels, const std::string& set = "test",
                                   const std::string& prefix = "c") {
  std::vector<StudyCase> cases;
  for (std::size_t i = 0; i < labels.size(); ++i)
    cases.push_back({prefix + std::to_string(i + 1), set, labels[i]});
  return cases;
}

// One reader's calls (1 = tumour) on the cases in order; -1 = not read.
void add_reader(ReaderCalls& calls, const std::string& reader, const std::string& group,
                const std::vector<StudyCase>& cases, const std::vector<int>& says,
                const std::vector<double>& confidence = {}) {
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (says[i] < 0) continue;
    ReaderCall c{cases[i].id, reader, group, says[i] ? "tumour" : "infection", std::nullopt, 0};
    if (!confidence.empty()) c.confidence = confidence[i];
    calls.calls.push_back(c);
  }
}

ModelScores model(const std::string& name, const std::vector<StudyCase>& cases,
                  const std::vector<double>& p, double threshold = 0.5) {
  ModelScores m{name, threshold, {}};
  for (std::size_t i = 0; i < cases.size(); ++i) m.probability[cases[i].id] = p[i];
  return m;
}

const json* find(const json& list, const std::map<std::string, std::string>& keys) {
  for (const json& e : list) {
    bool all = true;
    for (const auto& [k, v] : keys) all = all && e.at(k) == v;
    if (all) return &e;
  }
  return nullptr;
}

void expect_interval(const json& j, const stats::Interval& expected) {
  EXPECT_DOUBLE_EQ(j.at("value").get<double>(), expected.value);
  EXPECT_DOUBLE_EQ(j.at("ci")[0].get<double>(), expected.ci_low);
  EXPECT_DOUBLE_EQ(j.at("ci")[1].get<double>(), expected.ci_high);
}

TEST(ReaderStudy, AReaderWhoCallsTheTruthIsAlwaysRight) {
  const std::vector<int> truth = {1, 1, 1, 0, 0, 0, 1};
  const auto cases = study_cases(truth);
  ReaderCalls calls;
  add_reader(calls, "R1", "senior", cases, truth);
  const json r = reader_study(cases, {}, calls, "tumour");
  EXPECT_EQ(r.at("groups"), json({"senior"}));
  ASSERT_EQ(r.at("readers").size(), 1u);
  const json& e = r.at("readers")[0];
  EXPECT_EQ(e.at("reader"), "R1");
  EXPECT_EQ(e.at("group"), "senior");
  EXPECT_EQ(e.at("set"), "test");
  EXPECT_EQ(e.at("n"), 7);
  expect_interval(e.at("accuracy"), stats::wilson_interval(7, 7));
  expect_interval(e.at("sensitivity"), stats::wilson_interval(4, 4));
  expect_interval(e.at("specificity"), stats::wilson_interval(3, 3));
  EXPECT_EQ(e.at("fpr"), 0.0);
  EXPECT_EQ(e.at("tpr"), 1.0);
  EXPECT_TRUE(e.at("auc").is_null()) << "no confidence given";
  EXPECT_TRUE(r.at("fleiss").empty()) << "one reader, no models: no Fleiss entry";
  EXPECT_TRUE(r.at("versus_models").empty());
}

TEST(ReaderStudy, AReaderWhoCallsAsTheModelAgreesPerfectly) {
  const auto cases = study_cases({1, 1, 0, 0, 1, 0, 1, 0});
  const std::vector<double> p = {0.9, 0.3, 0.6, 0.1, 0.8, 0.2, 0.55, 0.45};
  ReaderCalls calls;
  add_reader(calls, "R1", "junior", cases, {1, 0, 1, 0, 1, 0, 1, 0});  // p >= 0.5
  const json r = reader_study(cases, {model("b0", cases, p)}, calls, "tumour");
  const json* cohen = find(r.at("cohen"), {{"a", "b0"}, {"b", "R1"}});
  ASSERT_NE(cohen, nullptr) << r.dump(1);
  EXPECT_DOUBLE_EQ(cohen->at("kappa").get<double>(), 1.0);
  EXPECT_EQ(cohen->at("n"), 8);
  const json* versus = find(r.at("versus_models"), {{"model", "b0"}, {"reader", "R1"}});
  ASSERT_NE(versus, nullptr);
  EXPECT_EQ(versus->at("mcnemar_p"), 1.0);
  EXPECT_DOUBLE_EQ(versus->at("model_accuracy").get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(versus->at("reader_accuracy").get<double>(), 0.75);
  EXPECT_TRUE(versus->at("delong_p").is_null());
}

TEST(ReaderStudy, TheModelsCallsFollowItsThreshold) {
  const auto cases = study_cases({1, 1, 0, 0});
  ReaderCalls calls;
  add_reader(calls, "R1", "junior", cases, {1, 1, 0, 0});
  // At 0.3 the model calls 0.35 a tumour: 3 of 4 right, the reader 4 of 4.
  const json r =
      reader_study(cases, {model("m", cases, {0.9, 0.2, 0.35, 0.1}, 0.3)}, calls, "tumour");
  const json& v = r.at("versus_models")[0];
  EXPECT_DOUBLE_EQ(v.at("model_accuracy").get<double>(), 0.5);  // 0.2 is a miss, 0.35 a false call
  EXPECT_DOUBLE_EQ(v.at("reader_accuracy").get<double>(), 1.0);
}

TEST(ReaderStudy, FleissUsesTheCasesEveryRaterCalled) {
  const auto cases = study_cases({1, 1, 1, 0, 0, 0, 1, 0, 1, 0});
  const std::vector<std::vector<int>> says = {{1, 1, 0, 0, 0, 1, 1, 0, 1, 0},
                                              {1, 0, 1, 0, 1, 0, 1, 0, -1, 0},
                                              {1, 1, 1, 1, 0, 0, 0, 0, 1, -1}};
  ReaderCalls calls;
  for (std::size_t r = 0; r < says.size(); ++r)
    add_reader(calls, "R" + std::to_string(r + 1), r < 2 ? "junior" : "senior", cases, says[r]);
  const std::vector<ModelScores> models = {
      model("a", cases, {0.9, 0.8, 0.7, 0.6, 0.1, 0.2, 0.9, 0.1, 0.8, 0.3}),
      model("b", cases, {0.9, 0.4, 0.7, 0.2, 0.1, 0.6, 0.9, 0.1, 0.8, 0.3})};
  const json r = reader_study(cases, models, calls, "tumour");

  std::vector<std::vector<std::string>> readers, everyone;  // cases 1..8: every reader called them
  for (std::size_t i = 0; i < 8; ++i) {
    std::vector<std::string> by_readers, by_all;
    for (const auto& m : models) by_all.push_back(m.probability.at(cases[i].id) >= 0.5 ? "1" : "0");
    for (const auto& s : says) by_readers.push_back(std::to_string(s[i]));
    by_all.insert(by_all.end(), by_readers.begin(), by_readers.end());
    readers.push_back(by_readers);
    everyone.push_back(by_all);
  }
  const json* f = find(r.at("fleiss"), {{"raters", "readers"}});
  ASSERT_NE(f, nullptr);
  const stats::FleissKappa expected = stats::fleiss_kappa(readers);
  EXPECT_EQ(f->at("subjects"), 8);
  EXPECT_EQ(f->at("n_raters"), 3);
  EXPECT_DOUBLE_EQ(f->at("kappa").get<double>(), expected.kappa);
  EXPECT_DOUBLE_EQ(f->at("ci")[0].get<double>(), expected.ci_low);
  EXPECT_DOUBLE_EQ(f->at("p").get<double>(), expected.p);
  const json* both = find(r.at("fleiss"), {{"raters", "models+readers"}});
  ASSERT_NE(both, nullptr);
  EXPECT_EQ(both->at("n_raters"), 5);
  EXPECT_DOUBLE_EQ(both->at("kappa").get<double>(), stats::fleiss_kappa(everyone).kappa);
  const json* m = find(r.at("fleiss"), {{"raters", "models"}});
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->at("subjects"), 10);
  // Every pair of 5 raters once; R1 and R2 share 9 cases.
  EXPECT_EQ(r.at("cohen").size(), 10u);
  EXPECT_EQ(find(r.at("cohen"), {{"a", "R1"}, {"b", "R2"}})->at("n"), 9);
}

TEST(ReaderStudy, GroupMetricsPoolTheGroupsCalls) {
  const auto cases = study_cases({1, 1, 1, 0, 0, 0});
  ReaderCalls calls;
  add_reader(calls, "R1", "junior", cases, {1, 0, 0, 0, 1, 0});   // 1/3 sens, 2/3 spec
  add_reader(calls, "R2", "junior", cases, {1, 1, -1, 0, 0, 1});  // 2/2 sens, 2/3 spec
  add_reader(calls, "R3", "senior", cases, {1, 1, 1, 0, 0, 0});
  const json r = reader_study(cases, {}, calls, "tumour");
  EXPECT_EQ(r.at("groups"), json({"junior", "senior"}));
  const json* junior = find(r.at("group_metrics"), {{"group", "junior"}});
  ASSERT_NE(junior, nullptr);
  EXPECT_EQ(junior->at("n"), 11);
  expect_interval(junior->at("accuracy"), stats::wilson_interval(7, 11));
  expect_interval(junior->at("sensitivity"), stats::wilson_interval(3, 5));
  expect_interval(junior->at("specificity"), stats::wilson_interval(4, 6));
  EXPECT_DOUBLE_EQ(junior->at("fpr").get<double>(), 2.0 / 6);
  EXPECT_DOUBLE_EQ(junior->at("tpr").get<double>(), 3.0 / 5);
  EXPECT_EQ(find(r.at("readers"), {{"reader", "R2"}})->at("n"), 5);
}

TEST(ReaderStudy, SetsAreSeparateAndUnknownCasesIgnored) {
  auto cases = study_cases({1, 0, 1, 0}, "test", "t");
  const auto external = study_cases({1, 1, 0}, "external_test", "e");
  cases.insert(cases.end(), external.begin(), external.end());
  ReaderCalls calls;
  add_reader(calls, "R1", "junior", cases, {1, 0, 0, 0, 1, 1, 1});
  calls.calls.push_back({"not-in-the-manifest", "R1", "junior", "tumour", std::nullopt, 99});
  calls.calls.push_back({"nor-this", "R9", "senior", "tumour", std::nullopt, 100});
  const json r = reader_study(cases, {}, calls, "tumour");
  EXPECT_EQ(r.at("groups"), json({"junior"})) << "R9 read no study case";
  ASSERT_EQ(r.at("readers").size(), 2u);
  EXPECT_EQ(r.at("readers")[0].at("set"), "test");
  EXPECT_EQ(r.at("readers")[0].at("n"), 4);
  EXPECT_EQ(r.at("readers")[1].at("set"), "external_test");
  EXPECT_EQ(r.at("readers")[1].at("n"), 3);
  expect_interval(r.at("readers")[1].at("accuracy"), stats::wilson_interval(2, 3));
}

TEST(ReaderStudy, ConfidenceGivesTheReadersAucAndPairedDelong) {
  const auto cases = study_cases({1, 1, 1, 1, 0, 0, 0, 0, 1, 0});
  const std::vector<double> p = {0.9, 0.7, 0.4, 0.8, 0.3, 0.6, 0.2, 0.1, 0.65, 0.5};
  const std::vector<double> conf = {0.8, 0.6, 0.7, 0.3, 0.2, 0.4, 0.55, 0.1, 0.9, 0.35};
  ReaderCalls calls;
  std::vector<int> says;
  for (double c : conf) says.push_back(c >= 0.5);
  add_reader(calls, "R1", "senior", cases, says, conf);
  calls.has_confidence = true;
  const json r = reader_study(cases, {model("b0", cases, p)}, calls, "tumour");
  stats::Classes model_scores, reader_scores;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    (cases[i].label ? model_scores.cases : model_scores.controls).push_back(p[i]);
    (cases[i].label ? reader_scores.cases : reader_scores.controls).push_back(conf[i]);
  }
  EXPECT_DOUBLE_EQ(r.at("readers")[0].at("auc").get<double>(), stats::auc(reader_scores));
  EXPECT_DOUBLE_EQ(r.at("versus_models")[0].at("delong_p").get<double>(),
                   stats::delong_paired(model_scores, reader_scores).p);
}

TEST(ReaderStudy, MatchesSklearnAndScipy) {
  DEEPTIRP_REQUIRE_PYTHON();
  const std::vector<int> truth = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1};
  const std::vector<int> r1 = {1, 1, 0, 1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1, 1};
  const std::vector<int> r2 = {1, 0, 0, 1, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1};
  const auto cases = study_cases(truth);
  ReaderCalls calls;
  add_reader(calls, "R1", "junior", cases, r1);
  add_reader(calls, "R2", "junior", cases, r2);
  const json r = reader_study(cases, {}, calls, "tumour");
  const auto list = [](const std::vector<int>& v) { return json(v).dump(); };
  const json ref = testing::python_json(
      "import json\nfrom sklearn.metrics import cohen_kappa_score\n"
      "from scipy.stats import binomtest\n"
      "t, a, b = " +
          list(truth) + ", " + list(r1) + ", " + list(r2) +
          "\n"
          "k = sum(x == y for x, y in zip(t, a))\n"
          "ci = binomtest(k, len(t)).proportion_ci(method='wilson')\n"
          "tp = sum(x == 1 and y == 1 for x, y in zip(t, a))\n"
          "sci = binomtest(tp, sum(t)).proportion_ci(method='wilson')\n"
          "print(json.dumps({'kappa': cohen_kappa_score(a, b), 'acc': [k / len(t), ci.low, "
          "ci.high],"
          " 'sens': [tp / sum(t), sci.low, sci.high]}))\n",
      "readers-sklearn");
  const json& r1_entry = r.at("readers")[0];
  EXPECT_NEAR(r.at("cohen")[0].at("kappa").get<double>(), ref["kappa"].get<double>(), 1e-12);
  for (int i = 0; i < 2; ++i) {
    const char* metric = i == 0 ? "accuracy" : "sensitivity";
    const json& expected = ref[i == 0 ? "acc" : "sens"];
    EXPECT_NEAR(r1_entry.at(metric).at("value").get<double>(), expected[0].get<double>(), 1e-12);
    EXPECT_NEAR(r1_entry.at(metric).at("ci")[0].get<double>(), expected[1].get<double>(), 1e-9);
    EXPECT_NEAR(r1_entry.at(metric).at("ci")[1].get<double>(), expected[2].get<double>(), 1e-9);
  }
}

TEST(ReaderStudy, EmptyClassesAndConstantRatingsAreNull) {
  const auto cases = study_cases({1, 1, 1});
  ReaderCalls calls;
  add_reader(calls, "R1", "junior", cases, {1, 1, 1});
  add_reader(calls, "R2", "junior", cases, {1, 1, 1});
  const json r = reader_study(cases, {}, calls, "tumour");
  const json& e = r.at("readers")[0];
  EXPECT_TRUE(e.at("specificity").at("value").is_null());
  EXPECT_TRUE(e.at("fpr").is_null());
  const json* f = find(r.at("fleiss"), {{"raters", "readers"}});
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->at("kappa").is_null()) << "kappa is undefined when every call is the same";
  EXPECT_NO_THROW((void)r.dump());
}

TEST(ReaderStudy, DegenerateComparisons) {
  const auto cases = study_cases({1, 1, 0, 0});
  const std::vector<double> perfect = {0.9, 0.8, 0.2, 0.1};
  ReaderCalls calls;
  add_reader(calls, "R1", "junior", cases, {1, 1, 0, 0}, perfect);
  add_reader(calls, "R2", "junior", cases, {1, 1, 1, 1});
  const json r = reader_study(cases, {model("m", cases, perfect)}, calls, "tumour");
  const json* v = find(r.at("versus_models"), {{"reader", "R1"}});
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->at("delong_p"), 1.0) << "two perfect rankings: no evidence of a difference";
  const json* c = find(r.at("cohen"), {{"a", "R1"}, {"b", "R2"}});
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->at("kappa").is_null()) << "R2 always says tumour";
  EXPECT_DOUBLE_EQ(find(r.at("cohen"), {{"a", "m"}, {"b", "R1"}})->at("kappa").get<double>(), 1.0);
}

// --- the readers' CSV and the YAML section ---

fs::path write(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

std::string error_of(const fs::path& path) {
  try {
    read_reader_calls(path, kClasses);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ReaderCalls, ReadsCallsGroupsAndConfidence) {
  const fs::path dir = testing::scratch_dir("reader-calls");
  const ReaderCalls c =
      read_reader_calls(write(dir / "r.csv",
                              "image,reader,group,call,confidence\na.png,R1,junior,tumour,0.8\n"
                              "b.png,R1,junior,infection,\nb.png,R2,senior,infection,0.1\n"),
                        kClasses);
  ASSERT_EQ(c.calls.size(), 3u);
  EXPECT_TRUE(c.has_confidence);
  EXPECT_EQ(c.calls[0].confidence, 0.8);
  EXPECT_FALSE(c.calls[1].confidence.has_value());
  EXPECT_EQ(c.calls[2].group, "senior");
  EXPECT_EQ(c.calls[2].line, 4u);
  const ReaderCalls plain =
      read_reader_calls(write(dir / "plain.csv", "case,who,says\na.png,R1,tumour\n"), kClasses,
                        {"case", "who", "g", "says", "c"});
  EXPECT_EQ(plain.calls[0].group, kOneGroup);
  EXPECT_FALSE(plain.has_confidence);
}

TEST(ReaderCalls, ErrorsNameTheLineAndColumn) {
  const fs::path dir = testing::scratch_dir("reader-call-errors");
  const std::string head = "image,reader,group,call,confidence\na.png,R1,junior,tumour,0.8\n";
  const auto expect_error = [&](const std::string& name, const std::string& rows,
                                const std::vector<std::string>& parts) {
    const std::string message = error_of(write(dir / name, head + rows));
    for (const auto& part : parts) EXPECT_NE(message.find(part), std::string::npos) << message;
  };
  expect_error("call.csv", "b.png,R1,junior,sarcoma,0.4\n",
               {"call.csv line 3, column 'call'", "'sarcoma'", "infection, tumour"});
  expect_error("twice.csv", "b.png,R1,junior,tumour,\na.png,R1,junior,infection,0.2\n",
               {"twice.csv line 4, column 'image'", "R1", "line 2"});
  expect_error("range.csv", "b.png,R1,junior,tumour,1.5\n",
               {"range.csv line 3, column 'confidence'", "'1.5'"});
  expect_error("text.csv", "b.png,R1,junior,tumour,high\n", {"line 3, column 'confidence'"});
  expect_error("group.csv", "b.png,R1,senior,tumour,0.9\n",
               {"group.csv line 3, column 'group'", "junior", "line 2"});
  expect_error("empty.csv", ",R1,junior,tumour,0.9\n", {"line 3, column 'image'", "empty"});
  const std::string missing =
      error_of(write(dir / "missing.csv", "image,reader,group,confidence\na.png,R1,j,0.5\n"));
  EXPECT_NE(missing.find("missing.csv: no column 'call'"), std::string::npos) << missing;
}

TEST(ReaderConfig, ReadsTheSectionStrictly) {
  EXPECT_TRUE(parse_reader_config(YamlDocument::parse("target: diagnosis\n", "/s/study.yaml"))
                  .calls.empty());
  const ReaderConfig c = parse_reader_config(YamlDocument::parse(
      "readers:\n  calls: calls/readers.csv\n  columns: {case: file, confidence: sure}\n",
      "/s/study.yaml"));
  EXPECT_EQ(c.calls, fs::path("/s/calls/readers.csv"));
  EXPECT_EQ(c.columns.case_id, "file");
  EXPECT_EQ(c.columns.confidence, "sure");
  EXPECT_EQ(c.columns.reader, "reader");
  EXPECT_EQ(
      parse_reader_config(YamlDocument::parse("readers: {calls: /abs/r.csv}\n", "s.yaml")).calls,
      fs::path("/abs/r.csv"));
  for (const auto& [yaml, key] : std::vector<std::pair<std::string, std::string>>{
           {"readers:\n  calls: r.csv\n  cals: x\n", "readers.cals"},
           {"readers:\n  calls: r.csv\n  columns: {cases: x}\n", "readers.columns.cases"},
           {"readers:\n  columns: {case: x}\n", "readers.calls"}}) {
    try {
      parse_reader_config(YamlDocument::parse(yaml, "study.yaml"));
      ADD_FAILURE() << "no error for " << yaml;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("study.yaml: key '" + key + "'"), std::string::npos)
          << e.what();
    }
  }
}

TEST(ReaderCalls, CaseIdsMatchTheManifestByFile) {
  const fs::path dir = testing::scratch_dir("reader-match");
  ReaderCalls calls;
  calls.path = dir / "data" / "readers.csv";
  calls.calls = {{"images/a.dcm", "R1", "j", "tumour", std::nullopt, 2},
                 {"data/images/b.dcm", "R1", "j", "tumour", std::nullopt, 3},
                 {"images/zzz.dcm", "R1", "j", "tumour", std::nullopt, 4}};
  match_case_ids(calls, {"data/images/a.dcm", "data/images/b.dcm"}, dir / "manifest.csv");
  EXPECT_EQ(calls.calls[0].case_id, "data/images/a.dcm");
  EXPECT_EQ(calls.calls[1].case_id, "data/images/b.dcm") << "as written, kept";
  EXPECT_EQ(calls.calls[2].case_id, "images/zzz.dcm")
      << "no such case: left for the study to ignore";
}

}  // namespace
}  // namespace deeptirp::readers
