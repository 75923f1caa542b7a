// The one predictions table and the one number format: what every stage writes reads back as
// the same double, and every reader refuses the same bad tables with the file and line.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <limits>

#include "deeptirp/data/predictions.h"
#include "deeptirp/error.h"
#include "deeptirp/io/numbers.h"
#include "test_support.h"

namespace deeptirp {
namespace {

using testing::error_of;

TEST(Numbers, EveryDoubleReadsBackExactly) {
  for (double v : {0.1, 1.0 / 3.0, 0.63241000841581951, 1e-300, 5e-324, 123456789.125, -2.5e17}) {
    const std::optional<double> back = parse_number(format_number(v));
    ASSERT_TRUE(back) << format_number(v);
    EXPECT_EQ(*back, v) << format_number(v);
  }
  EXPECT_EQ(format_number(0.5), "0.5");
  EXPECT_EQ(parse_number(" 12 "), 12.0);
  for (const char* bad : {"", "NaN", "inf", "12 years", "1,5"})
    EXPECT_FALSE(parse_number(bad)) << bad;
  EXPECT_TRUE(is_missing(" NA"));
  EXPECT_FALSE(is_missing("0"));
  EXPECT_NEAR(sigmoid(-800), 0.0, 1e-300);
  EXPECT_EQ(sigmoid(800), 1.0);
  EXPECT_DOUBLE_EQ(sigmoid(0.3) + sigmoid(-0.3), 1.0);
}

TEST(PredictionsTable, ANonFiniteValueIsNeverWritten) {
  // A NaN would read back as a missing cell, and a missing prediction is no class at all.
  const auto dir = testing::scratch_dir("predictions-nan");
  Manifest m;
  m.target = "label";
  for (const char* image : {"a.dcm", "b.dcm"}) {
    Case c;
    c.image = image;
    m.cases.push_back(c);
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::string error = error_of([&] {
    write_predictions(dir / "p.csv", m, all_cases(m), {{"b0", {0.5, nan}}});
  });
  EXPECT_NE(error.find("the b0 prediction of image 'b.dcm' is nan"), std::string::npos) << error;
  EXPECT_FALSE(std::filesystem::exists(dir / "p.csv"));
}

TEST(PredictionsTable, ReadsByImageAndNamesWhatIsWrong) {
  const auto dir = testing::scratch_dir("predictions-table");
  Manifest m;
  m.path = dir / "manifest.csv";
  for (const char* image : {"a.dcm", "b.dcm", "c.dcm"}) {
    Case c;
    c.image = image;
    c.line = m.cases.size() + 2;
    m.cases.push_back(c);
  }
  std::ofstream(dir / "p.csv") << "image,patient_id,split,label,probability,other\n"
                               << "b.dcm,P2,test,tumour,0.25,NA\n"
                               << "a.dcm,P1,test,tumour,0.75,0.5\n"
                               << "c.dcm,P3,test,infection,0.125,\n";
  const PredictionsTable t = PredictionsTable::read(dir / "p.csv");
  EXPECT_EQ(t.of_cases("probability", m, all_cases(m), "b0"),
            (std::vector<double>{0.75, 0.25, 0.125}));
  EXPECT_EQ(t.by_image("other"), (std::map<std::string, double>{{"a.dcm", 0.5}}));

  Case d;
  d.image = "d.dcm";
  d.line = 5;
  m.cases.push_back(d);
  EXPECT_NE(
      error_of([&] {
        t.of_cases("probability", m, {3}, "b0");
      }).find("(b0): no prediction for image 'd.dcm' (manifest " + m.path.string() + " line 5)"),
      std::string::npos);
  std::ofstream(dir / "twice.csv") << "image,probability\na.dcm,0.5\nb.dcm,0.5\na.dcm,0.5\n";
  EXPECT_NE(error_of([&] {
              PredictionsTable::read(dir / "twice.csv");
            }).find("image 'a.dcm' is listed twice (first on line 2)"),
            std::string::npos);
  std::ofstream(dir / "bad.csv") << "image,probability\na.dcm,1.5\nb.dcm,-nan\n";
  const PredictionsTable bad = PredictionsTable::read(dir / "bad.csv");
  const std::string e = error_of([&] { bad.of_cases("probability", m, {0}, "b0"); });
  EXPECT_NE(e.find("line 2"), std::string::npos) << e;
  EXPECT_NE(e.find("'1.5' is not a probability"), std::string::npos) << e;
  EXPECT_NE(error_of([&] { bad.of_cases("probability", m, {1}, "b0"); }).find("'-nan'"),
            std::string::npos);
}

TEST(PredictionsTable, APartNameMayNotTakeATablesColumn) {
  EXPECT_NO_THROW(check_part_name("b3-224.v2", "diagnosis", "models[0].name"));
  for (const char* name : {"image", "patient_id", "split", "predicted", "clinical", "ensemble",
                           "diagnosis", "", ".hidden", "a/b", "a b"}) {
    const std::string e = error_of([&] { check_part_name(name, "diagnosis", "models[0].name"); });
    EXPECT_EQ(e.rfind("models[0].name: the name '" + std::string(name) + "'", 0), 0u) << e;
  }
}

}  // namespace
}  // namespace deeptirp
