#include <gtest/gtest.h>

#include <fstream>

#include "deeptirp/error.h"
#include "deeptirp/io/csv.h"
#include "test_support.h"

namespace deeptirp {
namespace {

TEST(Csv, ReadsQuotedFieldsAndRecordsLines) {
  CsvTable t = parse_csv("a,b\n1,\"x, y\"\n\n2,\"say \"\"hi\"\"\"\n", "t.csv");
  ASSERT_EQ(t.header, (std::vector<std::string>{"a", "b"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0][1], "x, y");
  EXPECT_EQ(t.rows[1][1], "say \"hi\"");
  EXPECT_EQ(t.lines[0], 2u);
  EXPECT_EQ(t.lines[1], 4u);  // the blank line 3 is not a row
  EXPECT_EQ(t.where(1, "b"), "t.csv line 4, column 'b'");
}

TEST(Csv, StripsByteOrderMarkAndSpacesInHeader) {
  CsvTable t = parse_csv(
      "\xEF\xBB\xBF"
      "age , sex\r\n30,F\r\n",
      "t.csv");
  EXPECT_EQ(t.column("age"), 0u);
  EXPECT_EQ(t.column("sex"), 1u);
  EXPECT_EQ(t.rows[0][1], "F");
}

TEST(Csv, WrongFieldCountNamesTheLine) {
  try {
    parse_csv("a,b\n1,2\n3\n", "bad.csv");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.csv line 3"), std::string::npos) << e.what();
  }
}

TEST(Csv, MissingColumnListsTheColumnsThere) {
  CsvTable t = parse_csv("a,b\n1,2\n", "t.csv");
  try {
    t.column("age");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no column 'age' (columns: a, b)"), std::string::npos);
  }
}

TEST(Csv, WriteThenReadRoundTrips) {
  auto dir = testing::scratch_dir("csv");
  std::vector<std::vector<std::string>> rows = {{"x,1", "plain"}, {"quote\"d", "line\nbreak"}};
  write_csv(dir / "t.csv", {"a", "b"}, rows);
  CsvTable t = read_csv(dir / "t.csv");
  EXPECT_EQ(t.rows, rows);
  // Nothing but the target is left behind: the temporary file was renamed.
  int files = 0;
  for ([[maybe_unused]] auto& f : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1);
}

// The message of parse_csv's Error, or "" when it parses.
std::string parse_error(const std::string& text) {
  try {
    parse_csv(text, "t.csv");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Csv, ADuplicatedColumnNameIsAnErrorNamingBoth) {
  EXPECT_EQ(parse_error("image,age,sex,age\nx,1,F,2\n"),
            "t.csv line 1: column 'age' appears twice (columns 2 and 4)");
}

TEST(Csv, AnUnclosedQuoteIsReportedWhereItOpens) {
  const std::string error = parse_error("a,b\n1,2\n3,\"open\n4,5\n6,7\n");
  EXPECT_NE(error.find("t.csv line 3: a quoted field opens here"), std::string::npos) << error;
  EXPECT_TRUE(parse_error("a,b\n1,\"two\nlines\"\n").empty());  // closed on the next line
}

TEST(Csv, TextThatIsNotUtf8IsAnErrorNamingTheLine) {
  const std::string error = parse_error("site,age\nfemur,1\nf\xE9mur,2\n");  // Latin-1 e-acute
  EXPECT_NE(error.find("t.csv line 3: byte 0xE9 is not UTF-8"), std::string::npos) << error;
  EXPECT_TRUE(parse_error("site,age\nf\xC3\xA9mur,2\n").empty());
}

TEST(Csv, EmptyFileIsAnError) { EXPECT_THROW(parse_csv("", "empty.csv"), Error); }

}  // namespace
}  // namespace deeptirp
