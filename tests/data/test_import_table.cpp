#include <gtest/gtest.h>

#include <fstream>

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
  for (const char* file : {"a.dcm", "b.dcm"}) std::ofstream(f.root / "dicom" / file) << "x";
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

}  // namespace
}  // namespace deeptirp
