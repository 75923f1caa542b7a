// The fuzz targets (fuzz_targets.h) in the ordinary test run, without libFuzzer: every input kept
// in tests/fuzz/regressions/<target>/ (each a crash found by fuzzing, then fixed; those derived
// from a file of ../shared are kept as patches of it, never as copies; fuzzer-made DICOM as hex
// text, no binary DICOM in the repository) and a fixed set
// of seeded mutations (cuts, flipped and inserted bytes) of the sample files. A target that
// crashes or lets an exception other than deeptirp::Error escape aborts this program.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "deeptirp/io/byte_source.h"
#include "fuzz_targets.h"
#include "test_support.h"

namespace deeptirp::fuzz {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  if (fs::is_directory(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file()) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

void run_bytes(const Target& target, const std::string& bytes) {
  run_one(target, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

// A finding derived from a file of ../shared is kept as a patch of it (tests/fuzz/keep_finding.py):
// "source <path>", then "<start> <end> <hex>" lines replacing source bytes start..end.
std::string rebuild_from_patch(const fs::path& patch) {
  std::ifstream in(patch);
  std::string line, word, source_path;
  std::getline(in, line);
  std::istringstream(line) >> word >> source_path;
  EXPECT_EQ(word, "source") << patch;
  const std::string source = read_file_bytes(testing::shared_dir() / source_path);
  std::string out;
  size_t pos = 0, start = 0, end = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string hex;  // none: a deletion
    if (!(fields >> start >> end)) continue;
    fields >> hex;
    out.append(source, pos, start - pos);
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
      out += char(std::stoi(hex.substr(i, 2), nullptr, 16));
    pos = end;
  }
  return out + source.substr(pos);
}

// A finding kept as hex text: the bytes' hex digits, `#` lines being comments.
std::string bytes_from_hex(const fs::path& file) {
  std::ifstream in(file);
  std::string out, line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    for (size_t i = 0; i + 1 < line.size(); i += 2)
      out += char(std::stoi(line.substr(i, 2), nullptr, 16));
  }
  return out;
}

std::string kept_input(const fs::path& file) {
  if (file.extension() == ".patch") return rebuild_from_patch(file);
  if (file.extension() == ".hex") return bytes_from_hex(file);
  return read_file_bytes(file);
}

TEST(FuzzRegressions, EveryKeptInputIsAnswered) {
  int kept = 0, skipped = 0;
  for (const Target& target : targets())
    for (const auto& file :
         files_in(fs::path(DEEPTIRP_SOURCE_DIR) / "tests/fuzz/regressions" / target.name)) {
      SCOPED_TRACE(file.string());
      const bool patch = file.extension() == ".patch";
      if (patch && !fs::is_directory(testing::shared_dir())) {
        ++skipped;
        continue;
      }
      run_bytes(target, kept_input(file));
      ++kept;
    }
  std::printf("%d kept inputs replayed, %d skipped (they patch files of ../shared)\n", kept,
              skipped);
  EXPECT_GE(kept, 2);
}

// Cuts, flipped bytes and inserted bytes, from a fixed seed: the same inputs on every run.
std::vector<std::string> mutations(const std::string& bytes, int count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> out;
  for (int i = 0; i < count && !bytes.empty(); ++i) {
    std::string m = bytes;
    const size_t at = rng() % m.size();
    switch (i % 3) {
      case 0:
        m.resize(at);
        break;
      case 1:
        for (int k = 0; k < 4; ++k) m[(at + rng() % 64) % m.size()] = char(rng());
        break;
      default:
        m.insert(at, std::string(1 + rng() % 8, char(rng())));
    }
    out.push_back(std::move(m));
  }
  return out;
}

TEST(FuzzRegressions, MutatedSamplesAreAnsweredNotCrashedOn) {
  DEEPTIRP_REQUIRE_SHARED();
  const fs::path dicom = testing::shared_dir() / "data/dicom";
  const std::vector<std::pair<std::string, fs::path>> samples = {
      {"dicom", dicom / "CR-MONO1-10-chest.dcm"},
      {"dicom", dicom / "Issue1097_FailToOpenDeflatedFileWithSQ.dcm"},
      {"dicom", dicom / "JPEGwithIcon.dcm"},
      {"dicom", dicom / "RG3_JPLY.dcm"},
      {"deidentify", dicom / "CR-MONO1-10-chest.dcm"},
      {"deidentify", dicom / "Issue1097_FailToOpenDeflatedFileWithSQ.dcm"},
      {"deidentify", dicom / "JPEGwithIcon.dcm"},
      {"radiograph", testing::shared_dir() / "data/btxrd/images/IMG000001.png"},
      {"csv", testing::shared_dir() / "data/stats/fleiss_diagnoses.csv"},
  };
  for (const auto& [name, file] : samples) {
    SCOPED_TRACE(file.string());
    const std::string bytes = read_file_bytes(file);
    for (const std::string& m : mutations(bytes, 150, std::hash<std::string>{}(file.string())))
      run_bytes(target(name), m);
  }
}

}  // namespace
}  // namespace deeptirp::fuzz
