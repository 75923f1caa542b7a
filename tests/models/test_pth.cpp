// torch.save archives: read with exactly the values Python saved, never running code from them.
#include <caffe2/serialize/inline_container.h>
#include <torch/torch.h>

#include <fstream>
#include <iterator>
#include <random>

#include "deeptirp/error.h"
#include "deeptirp/models/state_dict.h"
#include "reference_fixtures.h"
#include "test_support.h"

namespace deeptirp {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;  // pickles hold NUL bytes

// Fixtures written once by Debian's python3-torchvision through the reference script.
class PthFromPython : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string python = testing::reference_python();
    if (python.empty()) return;
    dir_ = testing::reference_fixtures(
        "pth",
        python + " " DEEPTIRP_SOURCE_DIR
                 "/tools/write_reference_weights.py --num-classes 3 "
                 "--arch tiny_bn,efficientnet_b0,legacy_tiny_bn,ckpt_tiny_bn --out {out}",
        {"write_reference_weights.py"}, &log_);
    status_ = dir_.empty() ? 1 : 0;
  }
  void SetUp() override {
    if (testing::reference_python().empty()) GTEST_SKIP() << "no reference python3 with torch";
    ASSERT_EQ(status_, 0) << log_;
  }
  static fs::path file(const std::string& name) { return dir_ / name; }

  static inline fs::path dir_;
  static inline int status_ = -1;
  static inline std::string log_;
};

void expect_same(const StateDict& pth, const StateDict& reference) {
  ASSERT_EQ(pth.size(), reference.size());
  for (size_t i = 0; i < pth.size(); ++i) {
    SCOPED_TRACE(reference[i].first);
    EXPECT_EQ(pth[i].first, reference[i].first);  // file order = state_dict order
    EXPECT_EQ(pth[i].second.scalar_type(), reference[i].second.scalar_type());
    EXPECT_EQ(pth[i].second.sizes(), reference[i].second.sizes());
    EXPECT_TRUE(torch::equal(pth[i].second, reference[i].second));
  }
}

TEST_F(PthFromPython, TorchvisionEfficientNetLoadsWithTheSavedValues) {
  const StateDict pth = read_pth(file("efficientnet_b0.pth"));
  std::map<std::string, std::string> metadata;
  const StateDict reference = read_safetensors(file("efficientnet_b0.safetensors"), &metadata);
  EXPECT_EQ(metadata["arch"], "efficientnet_b0");
  EXPECT_GT(pth.size(), 300u);  // every parameter and buffer, num_batches_tracked included
  expect_same(pth, reference);
}

TEST_F(PthFromPython, SharedStoragesOffsetsStridesAndDtypes) {
  const StateDict pth = read_pth(file("tiny_bn.pth"));
  expect_same(pth, read_safetensors(file("tiny_bn.safetensors")));
  std::map<std::string, torch::Tensor> by_name(pth.begin(), pth.end());
  // fc_tied.weight is fc.weight (one storage in the file); fc_view is fc.weight[1:].t().
  EXPECT_EQ(by_name["fc.weight"].data_ptr(), by_name["fc_tied.weight"].data_ptr());
  const torch::Tensor view = by_name["fc_view"];
  EXPECT_FALSE(view.is_contiguous());
  EXPECT_EQ(view.storage_offset(), 4);
  EXPECT_TRUE(torch::equal(view, by_name["fc.weight"].slice(0, 1).t()));
  EXPECT_EQ(by_name["bn.num_batches_tracked"].dim(), 0);
  EXPECT_EQ(by_name["bn.num_batches_tracked"].item<int64_t>(), 7);  // set by the script
  EXPECT_EQ(by_name["bf16_buf"].scalar_type(), torch::kBFloat16);
  EXPECT_EQ(by_name["bool_buf"].scalar_type(), torch::kBool);
}

TEST_F(PthFromPython, ReadWeightsTellsTheFormatByContent) {
  const StateDict a = read_weights(file("tiny_bn.pth"));
  const fs::path renamed = testing::scratch_dir("pth_sniff") / "tiny_bn_copy.bin";
  fs::copy_file(file("tiny_bn.safetensors"), renamed, fs::copy_options::overwrite_existing);
  expect_same(a, read_weights(renamed));
  std::ifstream in(file("tiny_bn.pth"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  expect_same(read_pth_bytes(bytes, "memory"), a);
}

TEST_F(PthFromPython, CheckpointWrappingAStateDictIsUnwrapped) {
  expect_same(read_pth(file("ckpt_tiny_bn.pth")), read_pth(file("tiny_bn.pth")));
}

void expect_error(const std::function<void()>& read, const std::vector<std::string>& fragments) {
  const std::string error = testing::error_of(read);
  for (const auto& f : fragments) EXPECT_NE(error.find(f), std::string::npos) << error;
}

TEST_F(PthFromPython, LegacyFormatIsRefusedSayingSo) {
  const fs::path legacy = file("legacy_tiny_bn.pth");
  expect_error([&] { read_pth(legacy); }, {legacy.string(), "legacy"});
  expect_error([&] { read_weights(legacy); }, {legacy.string(), "legacy"});
}

TEST_F(PthFromPython, TruncatedArchiveIsRefusedNamingTheFile) {
  std::ifstream in(file("efficientnet_b0.pth"), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t keep : {bytes.size() / 2, bytes.size() - 30, size_t{100}}) {
    const fs::path cut = testing::scratch_dir("pth_cut") / "cut.pth";
    std::ofstream(cut, std::ios::binary | std::ios::trunc) << bytes.substr(0, keep);
    expect_error([&] { read_pth(cut); }, {cut.string()});
    expect_error([&] { read_pth_bytes(bytes.substr(0, keep), "cut bytes"); }, {"cut bytes"});
  }
}

// A torch.save-style archive around a hand-written pickle, written with LibTorch's own zip writer.
std::string archive(const std::string& pickle) {
  std::string out;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, size_t n) {
    out.append(static_cast<const char*>(data), n);
    return n;
  });
  writer.writeRecord("data.pkl", pickle.data(), pickle.size());
  writer.writeRecord("version", "3\n", 2);
  writer.writeEndOfFile();
  return out;
}

// Every corruption of the pickle is either read or refused with an Error; never a crash, a hang or
// another exception (what a fuzzer of the reader would look for first).
TEST_F(PthFromPython, MutatedPicklesAreReadOrRefusedCleanly) {
  caffe2::serialize::PyTorchStreamReader zip(file("tiny_bn.pth").string());
  std::vector<std::pair<std::string, std::string>> records;
  for (const std::string& name : zip.getAllRecords()) {
    auto [data, size] = zip.getRecord(name);
    records.emplace_back(name, std::string(static_cast<const char*>(data.get()), size));
  }
  auto rebuild = [&](const std::string& pickle) {
    std::string out;
    caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, size_t n) {
      out.append(static_cast<const char*>(data), n);
      return n;
    });
    for (const auto& [name, bytes] : records) {
      const std::string& body = name == "data.pkl" ? pickle : bytes;
      writer.writeRecord(name, body.data(), body.size());
    }
    writer.writeEndOfFile();
    return out;
  };
  std::string pickle;
  for (const auto& [name, bytes] : records)
    if (name == "data.pkl") pickle = bytes;
  ASSERT_FALSE(pickle.empty());
  expect_same(read_pth_bytes(rebuild(pickle), "rebuilt"), read_pth(file("tiny_bn.pth")));
  std::mt19937_64 random(5);
  int refused = 0;
  for (int round = 0; round < 400; ++round) {
    std::string mutated = pickle;
    for (int k = 0; k < 1 + round % 4; ++k) mutated[random() % mutated.size()] = char(random());
    if (round % 7 == 0) mutated.resize(random() % mutated.size());
    try {
      read_pth_bytes(rebuild(mutated), "mutated");
    } catch (const Error& e) {
      ++refused;
      EXPECT_EQ(std::string(e.what()).rfind("mutated: ", 0), 0u) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "round " << round << ": not a deeptirp::Error: " << e.what();
    }
  }
  EXPECT_GT(refused, 100);
}

TEST(PthPickle, ForbiddenGlobalIsRefused) {
  // protocol 2: posix.system('echo pwned') via GLOBAL + REDUCE, what a malicious .pth does
  const std::string evil =
      "\x80\x02"s + "cposix\nsystem\nq\x00X\x0a\x00\x00\x00"s + "echo pwnedq\x01\x85q\x02Rq\x03."s;
  const fs::path path = testing::scratch_dir("pth_evil") / "evil.pth";
  std::ofstream(path, std::ios::binary) << archive(evil);
  expect_error([&] { read_pth(path); }, {path.string(), "refusing to run code", "posix.system"});
  // builtins via the protocol-4 STACK_GLOBAL
  const std::string stack_global =
      "\x80\x04\x8c\x08"s + "builtins" + "\x8c\x04"s + "eval" + "\x93)R."s;
  expect_error([&] { read_pth_bytes(archive(stack_global), "evil2"); }, {"evil2", "builtins.eval"});
}

TEST(PthPickle, OpcodeOutsideTheSubsetIsRefused) {
  // INST ('i'): creates an object of a class named in the stream, without GLOBAL
  const std::string inst = "\x80\x02(iposix\nsystem\n."s;
  expect_error([&] { read_pth_bytes(archive(inst), "inst.pth"); },
               {"inst.pth", "refusing to run code", "opcode 0x69"});
}

TEST(PthPickle, NonStateDictContentsAreRefused) {
  // {'a': 1}: a dict of a non-tensor
  const std::string dict = "\x80\x02}q\x00X\x01\x00\x00\x00"s + "aK\x01s."s;
  expect_error([&] { read_pth_bytes(archive(dict), "d.pth"); }, {"d.pth", "'a'", "not a tensor"});
  expect_error([&] { read_pth_bytes(archive("\x80\x02K\x01."s), "i.pth"); },
               {"i.pth", "not a state dict"});
  expect_error([&] { read_pth_bytes(archive("\x80\x02}(X"s), "t.pth"); }, {"t.pth", "truncated"});
  expect_error([&] { read_pth_bytes("not a zip at all", "z.pth"); }, {"z.pth"});
}

}  // namespace
}  // namespace deeptirp
