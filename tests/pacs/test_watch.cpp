// pacs watch against a real Orthanc that the test starts: radiographs sent by C-STORE get one
// Structured Report and one heat map each, however often the watcher runs or loses its state;
// an unreadable radiograph is logged and passed over; Orthanc not answering and a broken state
// file are clear errors.
#include <gdcmAttribute.h>
#include <gdcmReader.h>
#include <gdcmWriter.h>
#include <gtest/gtest.h>

#include <functional>
#include <sstream>

#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/dicom_tags.h"
#include "deeptirp/io/dicom_write.h"
#include "deeptirp/io/json_file.h"
#include "deeptirp/pacs/dicom_clinical.h"
#include "deeptirp/pacs/orthanc.h"
#include "deeptirp/pacs/watch.h"
#include "orthanc_server.h"
#include "tiny_bundle.h"

namespace deeptirp::pacs {
namespace {

namespace fs = std::filesystem;
using testing::OrthancServer;

const testing::TinyBundle& tiny() {
  static const testing::TinyBundle t = testing::make_tiny_bundle("pacs-watch");
  return t;
}

std::vector<fs::path> radiographs(std::size_t first, std::size_t count) {
  return testing::image_files(tiny().study.manifest, first, count);
}

WatchOptions once(const OrthancServer& orthanc, const fs::path& state, std::ostream& log) {
  WatchOptions o;
  o.orthanc = orthanc.url();
  o.bundle = tiny().bundle;
  o.state = state;
  o.once = true;
  o.log = &log;
  return o;
}

#define SKIP_WITHOUT_ORTHANC()                                                  \
  if (const std::string missing = testing::orthanc_missing(); !missing.empty()) \
  GTEST_SKIP() << "not installed: " << missing

TEST(PacsWatch, EachRadiographGetsOneReportAndOneHeatMapHoweverOftenTheWatcherRuns) {
  SKIP_WITHOUT_ORTHANC();
  const fs::path dir = testing::scratch_dir("pacs-watch-once");
  OrthancServer orthanc(dir / "orthanc");
  orthanc.start();
  orthanc.store_scu(radiographs(0, 3));
  const fs::path state = dir / "state.json";
  std::ostringstream log;

  WatchSummary s = watch(once(orthanc, state, log));
  EXPECT_EQ(s.predicted, 3u) << log.str();
  EXPECT_EQ(s.failed, 0u) << log.str();
  EXPECT_EQ(s.skipped, 6u) << "its own results come through the feed too\n" << log.str();
  EXPECT_EQ(orthanc.instances("SR").size(), 3u);
  EXPECT_EQ(orthanc.instances("OT").size(), 3u);
  EXPECT_GT(read_json_file(state).at("last_change").get<int64_t>(), 0);

  // Again with its state: nothing new.
  s = watch(once(orthanc, state, log));
  EXPECT_EQ(s.predicted + s.present + s.skipped + s.failed, 0u) << log.str();
  // The state lost: every radiograph is found to have its results, and none is made again.
  fs::remove(state);
  s = watch(once(orthanc, state, log));
  EXPECT_EQ(s.predicted, 0u) << log.str();
  EXPECT_EQ(s.present, 3u) << log.str();
  EXPECT_EQ(orthanc.instances().size(), 9u);

  const std::string counts = testing::check_stored_results(orthanc, dir / "stored");
  if (!counts.empty())
    EXPECT_NE(counts.find(R"({"radiographs": 3, "reports": 3, "captures": 3})"), std::string::npos)
        << counts;
  // The log names instances by Orthanc's ids, never by the patient.
  for (const auto& file : radiographs(0, 3)) {
    const std::string bytes = read_file_bytes(file);
    MemoryStream stream(bytes);
    gdcm::Reader reader;
    reader.SetStream(stream);
    ASSERT_TRUE(reader.Read());
    for (const auto tag : {gdcm::Tag(0x0010, 0x0010), gdcm::Tag(0x0010, 0x0020)}) {
      const std::string value = text_value(reader.GetFile().GetDataSet(), tag).value_or("");
      ASSERT_FALSE(value.empty());
      EXPECT_EQ(log.str().find(value), std::string::npos) << value << " in\n" << log.str();
    }
  }
}

// A synthetic radiograph, edited.
std::string edited(const fs::path& file, const std::function<void(gdcm::DataSet&)>& edit) {
  const std::string bytes = read_file_bytes(file);
  MemoryStream stream(bytes);
  gdcm::Reader reader;
  reader.SetStream(stream);
  EXPECT_TRUE(reader.Read());
  edit(reader.GetFile().GetDataSet());
  std::ostringstream out;
  gdcm::Writer writer;
  writer.SetFile(reader.GetFile());
  writer.SetStream(out);
  EXPECT_TRUE(writer.Write());
  return out.str();
}

// A CR whose Rows promise more pixels than it has: Orthanc stores it, no decoder can read it.
std::string cut_radiograph(const fs::path& file) {
  return edited(file, [](gdcm::DataSet& ds) {
    gdcm::Attribute<0x0028, 0x0010> rows;
    rows.SetFromDataSet(ds);
    rows.SetValue(static_cast<uint16_t>(rows.GetValue() * 4));
    ds.Replace(rows.GetAsDataElement());
    put_element(ds, gdcm::Tag(0x0008, 0x0018), gdcm::VR::UI, derived_uid("cut"));
  });
}

TEST(PacsWatch, AnUnreadableRadiographIsLoggedAndTheWatcherGoesOn) {
  SKIP_WITHOUT_ORTHANC();
  const fs::path dir = testing::scratch_dir("pacs-watch-unreadable");
  OrthancServer orthanc(dir / "orthanc");
  orthanc.start();
  Orthanc client(orthanc.url());
  ASSERT_TRUE(client.store(cut_radiograph(radiographs(3, 1)[0])));
  orthanc.store_scu(radiographs(4, 1));
  std::ostringstream log;
  const WatchSummary s = watch(once(orthanc, dir / "state.json", log));
  EXPECT_EQ(s.failed, 1u) << log.str();
  EXPECT_EQ(s.predicted, 1u) << log.str();
  EXPECT_NE(log.str().find("pacs watch: Orthanc instance "), std::string::npos) << log.str();
  EXPECT_EQ(orthanc.instances("SR").size(), 1u);
}

TEST(PacsWatch, ClinicalValuesComeFromTheHeaderAsTheModelWasTrainedOnThem) {
  const auto bundle = bundle::Bundle::load(tiny().bundle);
  const auto tags =
      parse_clinical_tags({"age=PatientAge", "sex=PatientSex", "site=BodyPartExamined"}, *bundle);
  const fs::path file = radiographs(0, 1)[0];
  const gdcm::Tag age(0x0010, 0x1010), sex(0x0010, 0x0040), site(0x0018, 0x0015);
  auto values = [&](const std::string& a, const std::string& b) {
    const std::string dicom = edited(file, [&](gdcm::DataSet& ds) {
      put_element(ds, age, gdcm::VR::AS, a);
      put_element(ds, sex, gdcm::VR::CS, "F");
      put_element(ds, site, gdcm::VR::CS, b);
    });
    return clinical_from_dicom(dicom, "x.dcm", tags, *bundle);
  };
  using Values = std::map<std::string, std::string>;
  EXPECT_EQ(values("034Y", "TIBIA"), (Values{{"age", "34"}, {"sex", "F"}, {"site", "tibia"}}));
  EXPECT_EQ(values("006M", "").at("age"), "0.5");
  EXPECT_EQ(values("", "").count("age"), 0u) << "an empty attribute is missing";
  try {
    values("034Y", "SKULL");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'SKULL' is none of the levels"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("tibia"), std::string::npos) << e.what();
  }
  EXPECT_THROW(values("34 years", "TIBIA"), Error);
  EXPECT_THROW(parse_clinical_tags({"weight=PatientWeight"}, *bundle), Error);
  EXPECT_THROW(parse_clinical_tags({"age=PatientAgeInYears"}, *bundle), Error);
  EXPECT_THROW(parse_clinical_tags({"age"}, *bundle), Error);
}

TEST(PacsWatch, OrthancNotAnsweringAndABrokenStateFileAreErrorsNamingThem) {
  const fs::path dir = testing::scratch_dir("pacs-watch-errors");
  std::ostringstream log;
  WatchOptions o;
  o.orthanc = "http://127.0.0.1:" + std::to_string(testing::free_port());
  o.bundle = tiny().bundle;
  o.state = dir / "state.json";
  o.once = true;
  o.log = &log;
  try {
    watch(o);
    ADD_FAILURE() << "no error";
  } catch (const OrthancUnavailable& e) {
    EXPECT_NE(std::string(e.what()).find(o.orthanc), std::string::npos) << e.what();
  }
  std::ofstream(o.state) << R"({"last_change": "seven"})";
  try {
    watch(o);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("state.json"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Orthanc("orthanc:8042"), Error);
}

}  // namespace
}  // namespace deeptirp::pacs
