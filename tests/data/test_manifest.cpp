#include <gtest/gtest.h>

#include <fstream>

#include "deeptirp/data/manifest.h"
#include "deeptirp/error.h"
#include "test_support.h"

namespace deeptirp {
namespace {

StudyConfig demo_config() {
  return parse_study_config(
      YamlDocument::parse("target: diagnosis\npositive: tumour\nclasses: [infection, tumour]\n"
                          "clinical: {numeric: [age], categorical: [sex]}\n",
                          "study.yaml"));
}

std::filesystem::path write(const std::string& name, const std::string& text) {
  auto path = testing::scratch_dir("manifest-" + name) / "manifest.csv";
  std::ofstream(path) << text;
  return path;
}

const char* kHeader = "image,patient_id,diagnosis,centre,roi_x0,roi_y0,roi_x1,roi_y1,age,sex\n";

std::string error_of(const std::filesystem::path& path) {
  try {
    read_manifest(path, demo_config());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Manifest, ReadsCasesAndKeepsClinicalColumns) {
  auto path = write("ok", std::string(kHeader) +
                              "a.dcm,p1,tumour,A,1,2,30,40,12,F\n"
                              "b.dcm,p1,tumour,A,,,,,,M\n");
  Manifest m = read_manifest(path, demo_config());
  ASSERT_EQ(m.cases.size(), 2u);
  EXPECT_EQ(m.clinical_columns, (std::vector<std::string>{"age", "sex"}));
  ASSERT_TRUE(m.cases[0].roi.has_value());
  EXPECT_EQ(*m.cases[0].roi, (RoiBox{1, 2, 30, 40}));
  EXPECT_FALSE(m.cases[1].roi.has_value());
  EXPECT_EQ(m.cases[1].clinical[0], "");  // a missing age stays missing, for imputation
  EXPECT_EQ(m.image_path(m.cases[0]), path.parent_path() / "a.dcm");
}

TEST(Manifest, NanAgeNamesLineAndColumn) {
  auto e = error_of(write("nan", std::string(kHeader) + "a.dcm,p1,tumour,A,,,,,12,F\n" +
                                     "b.dcm,p2,tumour,A,,,,,NaN,F\n"));
  EXPECT_NE(e.find("line 3, column 'age'"), std::string::npos) << e;
  EXPECT_NE(e.find("'NaN' is not a number"), std::string::npos) << e;
}

TEST(Manifest, AnImplausibleAgeNamesLineAndColumn) {
  for (const char* age : {"-5", "250", "1e308"}) {
    auto e = error_of(write("age", std::string(kHeader) + "a.dcm,p1,tumour,A,,,,,12,F\n" +
                                       "b.dcm,p2,tumour,A,,,,," + age + ",F\n"));
    EXPECT_NE(e.find("line 3, column 'age': '" + std::string(age) +
                     "' is outside the plausible range 0 to 120"),
              std::string::npos)
        << e;
  }
  // A study whose ages are in months says so.
  const StudyConfig months = parse_study_config(YamlDocument::parse(
      "target: diagnosis\npositive: tumour\nclasses: [infection, tumour]\n"
      "clinical: {numeric: [age], categorical: [sex], ranges: {age: [0, 1500]}}\n",
      "study.yaml"));
  EXPECT_EQ(
      read_manifest(write("months", std::string(kHeader) + "a.dcm,p1,tumour,A,,,,,250,F\n"), months)
          .cases.size(),
      1u);
}

TEST(Manifest, AnImageListedTwiceNamesBothLines) {
  auto e = error_of(write("twice", std::string(kHeader) + "a.dcm,p1,tumour,A,,,,,12,F\n" +
                                       "b.dcm,p2,tumour,A,,,,,12,F\n" +
                                       "./a.dcm,p1,infection,A,,,,,12,F\n"));
  EXPECT_NE(e.find("line 4, column 'image': ./a.dcm is listed already on line 2"),
            std::string::npos)
      << e;
}

TEST(Manifest, UnknownLabelNamesTheClasses) {
  auto e = error_of(write("label", std::string(kHeader) + "a.dcm,p1,fracture,A,,,,,12,F\n"));
  EXPECT_NE(e.find("line 2, column 'diagnosis'"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown label 'fracture' (classes: infection, tumour)"), std::string::npos);
}

TEST(Manifest, MissingColumnsAreNamed) {
  auto e = error_of(write("nocol", "image,patient_id,age,sex\na.dcm,p1,3,F\n"));
  EXPECT_NE(e.find("no column 'diagnosis'"), std::string::npos) << e;
  e = error_of(write("nofeature", "image,patient_id,diagnosis,age\na.dcm,p1,tumour,3\n"));
  EXPECT_NE(e.find("no column 'sex'"), std::string::npos) << e;
}

TEST(Manifest, PartialOrInvertedRoiIsAnError) {
  auto e = error_of(write("roi1", std::string(kHeader) + "a.dcm,p1,tumour,A,1,2,,,12,F\n"));
  EXPECT_NE(e.find("only partly filled"), std::string::npos) << e;
  e = error_of(write("roi2", std::string(kHeader) + "a.dcm,p1,tumour,A,10,2,5,9,12,F\n"));
  EXPECT_NE(e.find("x0 < x1"), std::string::npos) << e;
  e = error_of(write("roi3", std::string(kHeader) + "a.dcm,p1,tumour,A,1.5,2,5,9,12,F\n"));
  EXPECT_NE(e.find("column 'roi_x0'"), std::string::npos) << e;
}

TEST(Manifest, SkipBadRowsListsEverySkippedRow) {
  auto path = write("skip", std::string(kHeader) +
                                "a.dcm,p1,tumour,A,,,,,12,F\n"
                                "b.dcm,p2,tumour,A,,,,,twelve,F\n"
                                "c.dcm,p3,cyst,A,,,,,12,F\n"
                                "d.dcm,,tumour,A,,,,,12,F\n"
                                "e.dcm,p5,infection,A,,,,,70,M\n");
  std::vector<BadRow> skipped;
  Manifest m = read_manifest(path, demo_config(), {true}, &skipped);
  EXPECT_EQ(m.cases.size(), 2u);
  ASSERT_EQ(skipped.size(), 3u);
  EXPECT_EQ(skipped[0].line, 3u);
  EXPECT_EQ(skipped[1].line, 4u);
  EXPECT_EQ(skipped[2].line, 5u);
  const std::string summary = describe_bad_rows(skipped);
  EXPECT_NE(summary.find("3 skipped rows"), std::string::npos);
  EXPECT_NE(summary.find("column 'patient_id'"), std::string::npos);
}

TEST(Manifest, WriteRewritesImagePathsRelativeToTheNewFolder) {
  auto path = write("roundtrip", std::string(kHeader) + "img/a.dcm,p1,tumour,A,1,2,3,4,12,F\n" +
                                     "/abs/b.dcm,p2,infection,B,,,,,80,M\n");
  Manifest m = read_manifest(path, demo_config());
  m.cases[0].split = "train";
  auto moved = path.parent_path() / "runs" / "manifest.csv";
  write_manifest(moved, m);
  Manifest again = read_manifest(moved, demo_config());
  ASSERT_EQ(again.cases.size(), 2u);
  EXPECT_EQ(std::filesystem::weakly_canonical(again.image_path(again.cases[0])),
            std::filesystem::weakly_canonical(path.parent_path() / "img/a.dcm"));
  EXPECT_EQ(again.cases[1].image, "/abs/b.dcm");
  EXPECT_EQ(again.cases[0].split, "train");
  EXPECT_EQ(*again.cases[0].roi, (RoiBox{1, 2, 3, 4}));
  EXPECT_EQ(again.cases[1].clinical, (std::vector<std::string>{"80", "M"}));
}

TEST(StudyConfig, UnknownKeyIsNamed) {
  try {
    parse_study_config(
        YamlDocument::parse("target: diagnosis\nimage: {size: 224, chanels: 3}\n", "s.yaml"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("s.yaml: key 'image.chanels': unknown key"),
              std::string::npos)
        << e.what();
  }
}

std::string config_error(const std::string& yaml) {
  try {
    parse_study_config(YamlDocument::parse(yaml, "s.yaml"));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(StudyConfig, RatiosThatDoNotAddToOneNameTheirKey) {
  const std::string base = "target: diagnosis\npositive: tumour\n";
  EXPECT_EQ(config_error(base + "split: {train: 0.7, validation: 0.1, test: -0.2}\n"),
            "s.yaml: key 'split.test': -0.2 is not a fraction in [0, 1]");
  EXPECT_NE(config_error(base + "split: {train: 0.7, validation: 0.2, test: 0.2}\n")
                .find("key 'split': train, validation and test add to 1.1"),
            std::string::npos);
  EXPECT_EQ(config_error(base + "split: {train: 0.7, validation: 0.1, test: 0.2}\n"), "");
}

TEST(StudyConfig, ADuplicatedKeyOrAnEmptyFileIsAnError) {
  EXPECT_EQ(config_error("target: diagnosis\npositive: tumour\ntarget: label\n"),
            "s.yaml line 3: key 'target' appears twice in one mapping");
  EXPECT_NE(config_error("target: d\nimage: {size: 64, size: 128}\n").find("key 'size' appears"),
            std::string::npos);
  EXPECT_NE(config_error("# nothing but a comment\n").find("s.yaml: empty"), std::string::npos);
}

TEST(StudyConfig, InconsistentValuesAreNamed) {
  EXPECT_THROW(parse_study_config(YamlDocument::parse("classes: [a, b]\npositive: c\n", "s.yaml")),
               Error);
  EXPECT_THROW(parse_study_config(YamlDocument::parse("image: {channels: 2}\n", "s.yaml")), Error);
  EXPECT_THROW(parse_study_config(YamlDocument::parse("image: {size: big}\n", "s.yaml")), Error);
  EXPECT_THROW(parse_study_config(YamlDocument::parse(
                   "clinical: {numeric: [age], categorical: [age]}\n", "s.yaml")),
               Error);
}

TEST(StudyConfig, ReadsEverySection) {
  StudyConfig c = parse_study_config(YamlDocument::parse(
      "target: dx\npositive: t\nclasses: [i, t]\nclinical: {numeric: [age], categorical: [sex]}\n"
      "centres: {external: [C, D]}\nsplit: {train: 0.6, validation: 0.2, test: 0.2, seed: 9}\n"
      "image: {size: 128, channels: 1, roi_margin: 0.2}\nimport: {image: file, patient_id: pid}\n",
      "s.yaml"));
  EXPECT_EQ(c.target, "dx");
  EXPECT_EQ(c.clinical_features(), (std::vector<std::string>{"age", "sex"}));
  EXPECT_EQ(c.external_centres, (std::vector<std::string>{"C", "D"}));
  EXPECT_DOUBLE_EQ(c.split.train, 0.6);
  EXPECT_EQ(c.seed, 9u);
  EXPECT_EQ(c.image.size, 128);
  EXPECT_EQ(c.image.channels, 1);
  EXPECT_EQ(c.import_columns.image, "file");
  EXPECT_EQ(c.import_columns.patient_id, "pid");
}

}  // namespace
}  // namespace deeptirp
