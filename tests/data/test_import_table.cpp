#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "deeptirp/data/import_table.h"
#include "deeptirp/error.h"
#include "test_support.h"

namespace deeptirp {
namespace {

const char* kConfig =
    "target: diagnosis\npositive: tumour\nclasses: [infection, tumour]\n"
    "clinical: {numeric: [age], categorical: [sex]}\n"
    "import: {image: file, patient_id: patient, centre: hospital, roi: [bx0, by0, bx1, by1]}\n";

struct Folder {
  std::filesystem::path root;
  StudyConfig config;
};

Folder make_folder(const std::string& name, const std::string& rows) {
  Folder f{testing::scratch_dir("table-" + name),
           parse_study_config(YamlDocument::parse(kConfig, "study.yaml"))};
  std::filesystem::create_directories(f.root / "dicom");
  // Tiny PNGs under .dcm names: the importer checks each file's signature, not its extension.
  std::vector<uchar> png;
  cv::imencode(".png", cv::Mat(4, 4, CV_8UC1, cv::Scalar(7)), png);
  for (const char* file : {"a.dcm", "b.dcm"})
    std::ofstream(f.root / "dicom" / file, std::ios::binary)
        .write(reinterpret_cast<const char*>(png.data()), std::streamsize(png.size()));
  std::ofstream(f.root / "dicom" / "passwd") << "root:x:0:0:root:/root:/bin/bash\n";
  std::ofstream(f.root / "clinical.csv")
      << "file,patient,diagnosis,hospital,bx0,by0,bx1,by1,age,sex,notes\n"
      << rows;
  return f;
}

TEST(ImportTable, MapsTheConfiguredColumnsAndKeepsTheRest) {
  Folder f = make_folder("ok",
                         "dicom/a.dcm,P1,tumour,H1,1,2,3,4,12,F,left leg\n"
                         "dicom/b.dcm,P2,infection,H2,,,,,,M,\n");
  TableImport r =
      import_table(f.root / "clinical.csv", f.config, f.root / "manifest.csv", "", false);
  ASSERT_EQ(r.manifest.cases.size(), 2u);
  const Case& c = r.manifest.cases[0];
  EXPECT_EQ(c.patient_id, "P1");
  EXPECT_EQ(c.centre, "H1");
  EXPECT_EQ(*c.roi, (RoiBox{1, 2, 3, 4}));
  EXPECT_EQ(r.manifest.clinical_columns, (std::vector<std::string>{"age", "sex", "notes"}));
  EXPECT_TRUE(std::filesystem::exists(r.manifest.image_path(c)));
}

TEST(ImportTable, MissingImageNamesTableLineAndFile) {
  Folder f = make_folder("missing",
                         "dicom/a.dcm,P1,tumour,H1,,,,,12,F,\n"
                         "dicom/zzz.dcm,P2,tumour,H1,,,,,12,F,\n");
  try {
    import_table(f.root / "clinical.csv", f.config, f.root / "m.csv", "", false);
    FAIL();
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("clinical.csv line 3, column 'file'"), std::string::npos) << what;
    EXPECT_NE(what.find("zzz.dcm"), std::string::npos) << what;
  }
  TableImport r = import_table(f.root / "clinical.csv", f.config, f.root / "m.csv", "", true);
  EXPECT_EQ(r.manifest.cases.size(), 1u);
  EXPECT_EQ(r.skipped.size(), 1u);
}

TEST(ImportTable, BadValueNamesTheUsersColumn) {
  Folder f = make_folder("bad", "dicom/a.dcm,P1,tumor,H1,,,,,12,F,\n");
  try {
    import_table(f.root / "clinical.csv", f.config, f.root / "m.csv", "", false);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("clinical.csv line 2, column 'diagnosis'"),
              std::string::npos)
        << e.what();
  }
}

// The Error message of an import, or "" when it succeeds.
std::string import_error(const Folder& f) {
  try {
    import_table(f.root / "clinical.csv", f.config, f.root / "m.csv", "", false);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ImportTable, TheSameImageTwiceIsAnErrorNamingBothLines) {
  // Two spellings of one file, with two labels: the split could put it in two sets.
  Folder f = make_folder("twice",
                         "dicom/a.dcm,P1,tumour,H1,,,,,12,F,\n"
                         "dicom/b.dcm,P2,tumour,H1,,,,,12,F,\n"
                         "./dicom/../dicom/a.dcm,P1,infection,H1,,,,,12,F,\n");
  const std::string error = import_error(f);
  EXPECT_NE(error.find("clinical.csv line 4, column 'image'"), std::string::npos) << error;
  EXPECT_NE(error.find("listed already on line 2"), std::string::npos) << error;
  TableImport r = import_table(f.root / "clinical.csv", f.config, f.root / "m.csv", "", true);
  EXPECT_EQ(r.manifest.cases.size(), 2u);
  EXPECT_EQ(r.manifest.cases[0].label, "tumour");
}

TEST(ImportTable, AFileThatIsNoImageIsAnErrorNamingTheLine) {
  Folder f = make_folder("passwd",
                         "dicom/a.dcm,P1,tumour,H1,,,,,12,F,\n"
                         "dicom/passwd,P2,tumour,H1,,,,,12,F,\n");
  const std::string error = import_error(f);
  EXPECT_NE(error.find("clinical.csv line 3, column 'file'"), std::string::npos) << error;
  EXPECT_NE(error.find("not a DICOM, PNG or JPEG file"), std::string::npos) << error;
}

TEST(ImportTable, AHeaderOnlyTableIsAnError) {
  Folder f = make_folder("header-only", "");
  EXPECT_NE(import_error(f).find("header only"), std::string::npos) << import_error(f);
}

TEST(ImportTable, AColumnRenamedOntoAnotherIsAnError) {
  // import.image names 'file'; a column already called 'image' would be shadowed.
  Folder f = make_folder("collide", "");
  std::ofstream(f.root / "clinical.csv") << "file,image,patient,diagnosis,age,sex\n"
                                         << "dicom/a.dcm,x,P1,tumour,12,F\n";
  EXPECT_NE(import_error(f).find("columns 'file' and 'image'"), std::string::npos)
      << import_error(f);
}

}  // namespace
}  // namespace deeptirp
