// Reading columns: numbers or text, clear errors naming file, line and column,
// --drop-missing.
#include "deeptirp/error.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/stats/columns.h"
#include "stats_test_util.h"
#include "test_support.h"

namespace deeptirp::stats {
namespace {

using testing::error_of;

const char *kTable =
    "id,score,label,reader\n"
    "1,0.9,tumour,a\n"
    "2,0.4,infection,b\n"
    "3,,tumour,a\n"
    "4,high,infection,NA\n";

TEST(Columns, NonNumericScoreNamesTheCell) {
  const CsvTable t = parse_csv(kTable, "scores.csv");
  const auto msg = error_of([&] { numeric_column(t, "score", {0, 1, 3}); });
  EXPECT_NE(msg.find("scores.csv line 5, column 'score'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'high' is not a number"), std::string::npos) << msg;
}

TEST(Columns, MissingValueNamesTheCellUnlessDropped) {
  const CsvTable t = parse_csv(kTable, "scores.csv");
  const auto msg = error_of([&] { select_rows(t, {"score", "label"}, false); });
  EXPECT_NE(msg.find("scores.csv line 4, column 'score'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--drop-missing"), std::string::npos) << msg;
  const RowSelection kept = select_rows(t, {"score", "reader"}, true);
  EXPECT_EQ(kept.dropped, 2u);
  EXPECT_EQ(kept.rows, (std::vector<std::size_t>{0, 1}));
}

TEST(Columns, UnknownColumnNamesIt) {
  const CsvTable t = parse_csv(kTable, "scores.csv");
  const auto msg = error_of([&] { select_rows(t, {"probability"}, false); });
  EXPECT_NE(msg.find("'probability'"), std::string::npos) << msg;
}

TEST(Columns, LabelsAreTextOrNumbersWithTwoClasses) {
  const CsvTable t = parse_csv(kTable, "scores.csv");
  EXPECT_EQ(binary_labels(t, "label", "tumour", {0, 1, 2}), (std::vector<int>{1, 0, 1}));
  const CsvTable numeric = parse_csv("y\n1\n0\n1.0\n", "n.csv");
  EXPECT_EQ(binary_labels(numeric, "y", "1", {0, 1, 2}), (std::vector<int>{1, 0, 1}));
  const auto single = error_of([&] { binary_labels(t, "label", "tumour", {0, 2}); });
  EXPECT_NE(single.find("single class"), std::string::npos) << single;
  EXPECT_NE(single.find("'label'"), std::string::npos) << single;
  const auto absent = error_of([&] { binary_labels(t, "label", "Poor", {0, 1}); });
  EXPECT_NE(absent.find("no row has the positive value 'Poor'"), std::string::npos) << absent;
  const auto third = error_of([&] { binary_labels(t, "reader", "a", {0, 1, 3}); });
  EXPECT_NE(third.find("line 5"), std::string::npos) << third;
}

TEST(Columns, ProbabilitiesAndZeroOne) {
  const CsvTable t = parse_csv("p,o\n0.2,1\n1.2,2\n", "p.csv");
  EXPECT_NE(error_of([&] {
              probability_column(t, "p", {0, 1});
            }).find("line 3, column 'p'"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              zero_one_column(t, "o", {0, 1});
            }).find("line 3, column 'o'"),
            std::string::npos);
}

}  // namespace
}  // namespace deeptirp::stats
