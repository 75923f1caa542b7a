// The README demo's steps through the executable: synth -> import -> split -> preview, and the
// rule that identities from DICOM headers never reach what the tool prints or writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "deeptirp/data/manifest.h"
#include "deeptirp/data/split.h"
#include "test_support.h"

namespace deeptirp {
namespace {

std::string run(const std::string& args) {
  std::string out;
  const int rc = testing::run_command(std::string(DEEPTIRP_EXE) + " " + args, &out);
  EXPECT_EQ(rc, 0) << args << "\n" << out;
  return out;
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(DemoFlow, SynthImportSplitPreview) {
  const auto dir = testing::scratch_dir("demo-flow");
  const std::string d = dir.string();
  std::string printed = run("synth --out " + d + "/data --cases 60 --seed 4");
  printed += run("import table --table " + d + "/data/clinical.csv --config " + d +
                 "/data/study.yaml --out " + d + "/manifest.csv");
  printed += run("split --manifest " + d + "/manifest.csv --config " + d + "/data/study.yaml");
  printed += run("preview --manifest " + d + "/manifest.csv --config " + d +
                 "/data/study.yaml --out " + d + "/preview.png");
  printed += run("dicom info " + d + "/data/images/img00001.dcm");

  const StudyConfig study = load_study_config(dir / "data/study.yaml");
  const Manifest m = read_manifest(dir / "manifest.csv", study);
  EXPECT_EQ(m.cases.size(), 60u);
  EXPECT_NO_THROW(check_patient_splits(m));
  for (const auto& c : m.cases) {
    EXPECT_FALSE(c.split.empty());
    EXPECT_EQ(c.split == "external_test", c.centre == "C") << c.image;
  }
  EXPECT_GT(std::filesystem::file_size(dir / "preview.png"), 1000u);
  // Relative image paths: the demo folder can move.
  EXPECT_EQ(read(dir / "manifest.csv").find(d), std::string::npos);

  // The synthetic DICOM headers carry SYNTHETIC^PATIENT... / SYN-...; none of it may leak.
  for (const std::string& text : {printed, read(dir / "manifest.csv")}) {
    EXPECT_EQ(text.find("SYNTHETIC^"), std::string::npos);
    EXPECT_EQ(text.find("SYN-"), std::string::npos);
  }
}

// The README's resume line works as written, and a resume that changes a setting is refused in
// one line, before anything in the run folder changes.
TEST(DemoFlow, TrainResumesAsTheReadmeSaysAndRefusesChangedSettings) {
  const auto dir = testing::scratch_dir("demo-resume");
  const std::string d = dir.string(), config = " --config " + d + "/data/study.yaml";
  run("synth --out " + d + "/data --cases 40 --seed 3");
  run("import table --table " + d + "/data/clinical.csv" + config + " --out " + d + "/m.csv");
  run("split --manifest " + d + "/m.csv" + config);
  run("train" + config + " --manifest " + d + "/m.csv --preset cpu-quick --model efficientnet_b0" +
      " --image_size 32 --epochs 1 --batch_size 8 --lr 0.002 --quiet --out " + d + "/run");
  const std::string settings = read(dir / "run/train_config.json");
  EXPECT_NE(run("train" + config + " --out " + d + "/run --resume --quiet").find("best epoch 1"),
            std::string::npos);
  for (const std::string& change :
       {" --lr 0.01", " --model vit_ti_16", " --preset paper", " --set seed=7"}) {
    std::string out;
    EXPECT_EQ(testing::run_command(std::string(DEEPTIRP_EXE) + " train" + config + " --out " + d +
                                       "/run --resume" + change,
                                   &out),
              1)
        << change;
    EXPECT_NE(out.find("--resume refuses a changed setting: "), std::string::npos) << out;
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    EXPECT_EQ(read(dir / "run/train_config.json"), settings) << change;
  }
}

}  // namespace
}  // namespace deeptirp
