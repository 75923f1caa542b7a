// The results a PACS receives, from a synthetic radiograph: dicom3tools' dciodvfy finds no error
// in the SR or the Secondary Capture, pydicom reads both, and they file with their source.
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "deeptirp/data/synth.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/dicom_tags.h"
#include "deeptirp/pacs/result_dicom.h"
#include "test_support.h"

namespace deeptirp::pacs {
namespace {

namespace fs = std::filesystem;
using gdcm::Tag;

struct Sample {
  fs::path dir, source;
};

const Sample& sample() {
  static const Sample s = [] {
    Sample s;
    s.dir = testing::scratch_dir("pacs-results");
    SynthOptions o;
    o.out = s.dir / "synth";
    o.cases = 4;
    o.width = 96;
    o.height = 120;
    synthesise(o);
    for (const auto& e : fs::directory_iterator(o.out / "images")) s.source = e.path();
    return s;
  }();
  return s;
}

ResultIdentity identity() { return {"0123456789abcdef", "0.1.0", {"b0"}, 0.42, "tumour"}; }

bundle::BundlePrediction prediction() {
  bundle::BundlePrediction p;
  p.image_probabilities = {0.8125};
  p.clinical = 0.25;
  p.ensemble = 0.6875;
  p.calibrated = 0.5;
  p.predicted_class = "tumour";
  return p;
}

std::string text(const gdcm::DataSet& ds, const Tag& tag) {
  return text_value(ds, tag).value_or("");
}

gdcm::DataSet parse(const std::string& bytes) {
  MemoryStream stream(bytes);
  gdcm::Reader reader;
  reader.SetStream(stream);
  EXPECT_TRUE(reader.Read());
  return reader.GetFile().GetDataSet();
}

void check_with_tools(const fs::path& file) {
  if (const auto errors = testing::iod_errors(file))
    EXPECT_EQ(*errors, std::vector<std::string>{}) << file;
  else
    std::printf("dciodvfy (dicom3tools) not installed: IOD check skipped\n");
  const std::string python = testing::reference_python();
  if (python.empty()) return;
  std::string out;
  EXPECT_EQ(testing::run_command(python + " -c \"import pydicom; pydicom.dcmread('" +
                                     file.string() + "').walk(lambda ds, el: None)\"",
                                 &out),
            0)
      << out;
}

TEST(ResultDicom, StructuredReportReferencesItsSourceAndPassesTheIodCheck) {
  const Sample& s = sample();
  const std::string source = read_file_bytes(s.source);
  const std::string sr =
      structured_report(read_result_source(source, s.source.string()), prediction(), identity());
  const fs::path file = s.dir / "sr.dcm";
  std::ofstream(file, std::ios::binary) << sr;
  check_with_tools(file);

  const gdcm::DataSet src = parse(source), ds = parse(sr);
  EXPECT_EQ(text(ds, Tag(0x0020, 0x000d)), text(src, Tag(0x0020, 0x000d)));
  EXPECT_EQ(text(ds, Tag(0x0010, 0x0020)), text(src, Tag(0x0010, 0x0020)));
  EXPECT_NE(text(ds, Tag(0x0020, 0x000e)), text(src, Tag(0x0020, 0x000e)));
  EXPECT_EQ(text(ds, Tag(0x0008, 0x0060)), "SR");
  // The content: the source image referenced, the probabilities and the class.
  const auto content = ds.GetDataElement(Tag(0x0040, 0xa730)).GetValueAsSQ();
  ASSERT_TRUE(content);
  std::map<std::string, std::string> numbers;
  std::string referenced, predicted;
  for (gdcm::SequenceOfItems::SizeType i = 1; i <= content->GetNumberOfItems(); ++i) {
    const gdcm::DataSet& item = content->GetItem(i).GetNestedDataSet();
    const std::string type = text(item, Tag(0x0040, 0xa040));
    const auto name = item.GetDataElement(Tag(0x0040, 0xa043)).GetValueAsSQ();
    const std::string code = text(name->GetItem(1).GetNestedDataSet(), Tag(0x0008, 0x0100));
    if (type == "IMAGE") {
      const auto ref = item.GetDataElement(Tag(0x0008, 0x1199)).GetValueAsSQ();
      referenced = text(ref->GetItem(1).GetNestedDataSet(), Tag(0x0008, 0x1155));
    } else if (type == "NUM") {
      const auto measured = item.GetDataElement(Tag(0x0040, 0xa300)).GetValueAsSQ();
      numbers[code] = text(measured->GetItem(1).GetNestedDataSet(), Tag(0x0040, 0xa30a));
    } else if (code == "CLASS") {
      predicted = text(item, Tag(0x0040, 0xa160));
    }
  }
  EXPECT_EQ(referenced, text(src, Tag(0x0008, 0x0018)));
  EXPECT_EQ(numbers, (std::map<std::string, std::string>{{"P-b0", "0.8125"},
                                                         {"P-clinical", "0.25"},
                                                         {"P-ensemble", "0.6875"},
                                                         {"P-calibrated", "0.5"},
                                                         {"THRESHOLD", "0.42"}}));
  EXPECT_EQ(predicted, "tumour");

  // The same radiograph and bundle give the same instance: stored again, it replaces.
  const gdcm::DataSet again = parse(
      structured_report(read_result_source(source, s.source.string()), prediction(), identity()));
  EXPECT_EQ(text(again, Tag(0x0008, 0x0018)), text(ds, Tag(0x0008, 0x0018)));
  EXPECT_EQ(result_uids(text(src, Tag(0x0008, 0x0018)), identity().bundle_id).report,
            text(ds, Tag(0x0008, 0x0018)));
  ResultIdentity other = identity();
  other.bundle_id = "fedcba9876543210";
  EXPECT_NE(text(parse(structured_report(read_result_source(source, "x"), prediction(), other)),
                 Tag(0x0008, 0x0018)),
            text(ds, Tag(0x0008, 0x0018)));
}

TEST(ResultDicom, HeatMapCaptureIsAValidSecondaryCaptureOfItsSource) {
  const Sample& s = sample();
  const std::string source = read_file_bytes(s.source);
  cv::Mat overlay(120, 192, CV_8UC3, cv::Scalar(10, 120, 240));
  const std::string sc =
      heat_map_capture(read_result_source(source, s.source.string()), overlay, identity());
  const fs::path file = s.dir / "sc.dcm";
  std::ofstream(file, std::ios::binary) << sc;
  check_with_tools(file);
  const gdcm::DataSet src = parse(source), ds = parse(sc);
  EXPECT_EQ(text(ds, Tag(0x0020, 0x000d)), text(src, Tag(0x0020, 0x000d)));
  EXPECT_EQ(text(ds, Tag(0x0028, 0x0004)), "RGB");
  EXPECT_EQ(text(ds, Tag(0x0008, 0x0016)), "1.2.840.10008.5.1.4.1.1.7");
  EXPECT_EQ(result_uids(text(src, Tag(0x0008, 0x0018)), identity().bundle_id).capture,
            text(ds, Tag(0x0008, 0x0018)));
  EXPECT_THROW(
      heat_map_capture(read_result_source(source, "x"), cv::Mat(4, 4, CV_8UC1), identity()), Error);
  EXPECT_THROW(read_result_source(source.substr(0, 300), "cut.dcm"), Error);
}

}  // namespace
}  // namespace deeptirp::pacs
