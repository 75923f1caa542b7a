// safetensors reading and writing, and load_state_dict's refusal of any partial load.
#include <torch/torch.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "deeptirp/error.h"
#include "deeptirp/models/state_dict.h"
#include "test_support.h"

namespace deeptirp {
namespace {

namespace fs = std::filesystem;

StateDict every_dtype() {
  torch::manual_seed(3);
  StateDict d;
  d.emplace_back("f32", torch::randn({2, 3}));
  d.emplace_back("f16", torch::randn({4}).to(torch::kFloat16));
  d.emplace_back("bf16", torch::randn({3, 1}).to(torch::kBFloat16));
  d.emplace_back("f64", torch::randn({2}, torch::kFloat64));
  d.emplace_back("i64", torch::tensor({-(int64_t{1} << 40), int64_t{7}, int64_t{0}}));
  d.emplace_back("i32", torch::tensor({-5, 1 << 30}, torch::kInt32));
  d.emplace_back("u8", torch::tensor({0, 200, 255}, torch::kUInt8));
  d.emplace_back("bool", torch::tensor({true, false, true}));
  d.emplace_back("scalar_i64", torch::tensor(int64_t{42}));  // 0-d, like num_batches_tracked
  d.emplace_back("empty", torch::zeros({0, 5}));
  d.emplace_back("transposed", torch::arange(6.0).reshape({2, 3}).t());  // not contiguous
  return d;
}

TEST(Safetensors, RoundTripKeepsEveryDtypeOrderAndMetadata) {
  const fs::path file = testing::scratch_dir("st_roundtrip") / "all.safetensors";
  const StateDict written = every_dtype();
  write_safetensors(file, written, {{"arch", "tiny"}, {"classes", "tumour,infection"}});
  std::map<std::string, std::string> metadata;
  const StateDict read = read_safetensors(file, &metadata);
  ASSERT_EQ(read.size(), written.size());
  for (size_t i = 0; i < read.size(); ++i) {
    SCOPED_TRACE(written[i].first);
    EXPECT_EQ(read[i].first, written[i].first);
    EXPECT_EQ(read[i].second.scalar_type(), written[i].second.scalar_type());
    EXPECT_EQ(read[i].second.sizes(), written[i].second.sizes());
    EXPECT_TRUE(torch::equal(read[i].second, written[i].second));
  }
  EXPECT_EQ(metadata.at("arch"), "tiny");
  EXPECT_EQ(metadata.at("classes"), "tumour,infection");
  for (const auto& entry : fs::directory_iterator(file.parent_path()))
    EXPECT_EQ(entry.path(), file) << "left behind: " << entry.path();  // atomic: no temporaries
}

TEST(Safetensors, FileWrittenHereReadsTheSameInPython) {
  const std::string python = testing::reference_python();
  if (python.empty()) GTEST_SKIP() << "no reference python3 with torch";
  const fs::path file = testing::scratch_dir("st_python") / "all.safetensors";
  const StateDict written = every_dtype();
  write_safetensors(file, written);
  std::string out;
  ASSERT_EQ(testing::run_command(
                python + " " DEEPTIRP_SOURCE_DIR "/tools/write_reference_weights.py --describe " +
                    file.string(),
                &out),
            0)
      << out;
  const auto described = nlohmann::json::parse(out.substr(out.rfind('\n') + 1));
  const std::map<std::string, std::string> dtype_names = {
      {"f32", "F32"},        {"f16", "F16"},   {"bf16", "BF16"},     {"f64", "F64"},
      {"i64", "I64"},        {"i32", "I32"},   {"u8", "U8"},         {"bool", "BOOL"},
      {"scalar_i64", "I64"}, {"empty", "F32"}, {"transposed", "F32"}};
  ASSERT_EQ(described.size(), written.size());
  for (const auto& [name, tensor] : written) {
    SCOPED_TRACE(name);
    const auto& d = described.at(name);
    EXPECT_EQ(d.at("dtype"), dtype_names.at(name));
    EXPECT_EQ(d.at("shape").get<std::vector<int64_t>>(), tensor.sizes().vec());
    const torch::Tensor flat = tensor.contiguous().reshape({-1}).to(torch::kFloat64);
    const auto values = d.at("values").get<std::vector<double>>();
    ASSERT_EQ(int64_t(values.size()), flat.numel());
    for (int64_t i = 0; i < flat.numel(); ++i) EXPECT_EQ(values[i], flat[i].item<double>());
  }
}

// header JSON + data bytes, with a correct or a given length prefix
std::string safetensors_bytes(const std::string& header, const std::string& data,
                              int64_t length = -1) {
  const uint64_t n = length < 0 ? header.size() : uint64_t(length);
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = char((n >> (8 * i)) & 0xff);
  return out + header + data;
}

void expect_refused(const std::string& bytes, const std::string& fragment) {
  const fs::path file = testing::scratch_dir("st_corrupt") / "bad.safetensors";
  std::ofstream(file, std::ios::binary) << bytes;
  for (int by_path = 0; by_path < 2; ++by_path) {
    try {
      if (by_path)
        read_safetensors(file);
      else
        read_safetensors_bytes(bytes, file.string());
      ADD_FAILURE() << "accepted a corrupt file; expected: " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  }
}

TEST(Safetensors, CorruptFilesAreRefusedNamingTheFile) {
  const std::string ok = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string data(8, '\0');
  EXPECT_NO_THROW(read_safetensors_bytes(safetensors_bytes(ok, data), "ok"));
  expect_refused("abc", "too short");
  expect_refused(safetensors_bytes(ok, data, 1 << 20), "runs past the end");
  expect_refused(safetensors_bytes(ok, data, -2 + (int64_t{1} << 62)), "runs past the end");
  expect_refused(safetensors_bytes("{\"w\": [", data), "not valid JSON");
  expect_refused(safetensors_bytes(ok, data.substr(0, 4)), "beyond the 4 data bytes");
  expect_refused(
      safetensors_bytes(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", data),
      "'w' has 8 data bytes for its shape's 12");
  expect_refused(
      safetensors_bytes(R"({"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}})", data),
      "unsupported dtype");
  expect_refused(
      safetensors_bytes(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}})", data),
      "negative");
  expect_refused(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                   R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                   data),
                 "overlap");
  expect_refused(safetensors_bytes(R"({"__metadata__":{"k":1}})", ""), "not a string");
  expect_refused(safetensors_bytes(R"({"w":{"dtype":"F32"}})", data), "lacks");
}

TEST(Safetensors, UnsupportedDtypeWritesNothing) {
  const fs::path file = testing::scratch_dir("st_complex") / "c.safetensors";
  EXPECT_THROW(write_safetensors(file, {{"c", torch::zeros({2}, torch::kComplexFloat)}}), Error);
  EXPECT_THROW(write_safetensors(file, {{"a", torch::zeros({1})}, {"a", torch::zeros({1})}}),
               Error);
  EXPECT_FALSE(fs::exists(file));
}

// conv (stem) + batch norm + linear head: parameters and buffers, like the image models.
struct Net : torch::nn::Module {
  Net(int64_t in_channels, int64_t classes)
      : conv(register_module(
            "conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(in_channels, 4, 3).bias(false)))),
        bn(register_module("bn", torch::nn::BatchNorm2d(4))),
        head(register_module("head", torch::nn::Linear(4, classes))) {}
  torch::nn::Conv2d conv;
  torch::nn::BatchNorm2d bn;
  torch::nn::Linear head;
};

// The state dict of a Net with every tensor (buffers too) set to distinct values.
StateDict weights_of(int64_t in_channels, int64_t classes) {
  torch::manual_seed(11);
  Net net(in_channels, classes);
  StateDict d;
  for (const auto& p : net.named_parameters()) d.emplace_back(p.key(), p.value().detach().clone());
  for (const auto& b : net.named_buffers())
    d.emplace_back(b.key(), b.key() == "bn.num_batches_tracked"
                                ? torch::tensor(int64_t{9})
                                : torch::rand(b.value().sizes()) + 0.5);
  return d;
}

torch::Tensor value_of(const StateDict& d, const std::string& name) {
  for (const auto& [n, t] : d)
    if (n == name) return t;
  throw std::runtime_error("no " + name);
}

LoadOptions options() {
  LoadOptions o;
  o.head_prefix = "head.";
  o.stem_weight = "conv.weight";
  return o;
}

void expect_throw_naming(Net& net, const StateDict& weights, const LoadOptions& o,
                         const std::vector<std::string>& fragments) {
  const torch::Tensor before = net.bn.get()->weight.clone();
  try {
    load_state_dict(net, weights, o, "weights.pth");
    ADD_FAILURE() << "a partial load was accepted";
  } catch (const Error& e) {
    for (const auto& f : fragments)
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << e.what() << "\nlacks " << f;
  }
  EXPECT_TRUE(torch::equal(before, net.bn.get()->weight)) << "the model was changed";
}

TEST(LoadStateDict, CopiesEveryParameterAndBuffer) {
  Net net(3, 5);
  const StateDict w = weights_of(3, 5);
  const LoadReport report = load_state_dict(net, w, options(), "weights.pth");
  EXPECT_EQ(report.loaded, 8u);
  EXPECT_FALSE(report.head_replaced);
  EXPECT_FALSE(report.stem_summed);
  for (const auto& p : net.named_parameters()) {
    EXPECT_TRUE(torch::equal(p.value(), value_of(w, p.key()))) << p.key();
    EXPECT_TRUE(p.value().requires_grad()) << p.key();
  }
  for (const auto& b : net.named_buffers())
    EXPECT_TRUE(torch::equal(b.value(), value_of(w, b.key()))) << b.key();
}

TEST(LoadStateDict, MissingKeyThrowsNamingIt) {
  Net net(3, 5);
  StateDict w = weights_of(3, 5);
  w.erase(
      std::find_if(w.begin(), w.end(), [](const auto& e) { return e.first == "bn.running_var"; }));
  expect_throw_naming(net, w, options(), {"weights.pth", "missing", "bn.running_var"});
}

TEST(LoadStateDict, UnexpectedKeyThrowsNamingIt) {
  Net net(3, 5);
  StateDict w = weights_of(3, 5);
  w.emplace_back("fc_extra.weight", torch::zeros({2}));
  expect_throw_naming(net, w, options(), {"weights.pth", "not in the model", "fc_extra.weight"});
}

TEST(LoadStateDict, WrongShapeThrowsNamingKeyAndShapes) {
  Net net(3, 5);
  StateDict w = weights_of(3, 5);
  for (auto& [name, t] : w)
    if (name == "bn.running_mean") t = torch::zeros({6});
  expect_throw_naming(net, w, options(), {"bn.running_mean", "model [4]", "file [6]"});
}

TEST(LoadStateDict, RepeatedKeyThrows) {
  Net net(3, 5);
  StateDict w = weights_of(3, 5);
  w.push_back(w.front());
  expect_throw_naming(net, w, options(), {w.front().first, "repeated"});
}

TEST(LoadStateDict, HeadOfAnotherClassCountStaysFresh) {
  Net net(3, 2);
  const torch::Tensor fresh_weight = net.head->weight.clone();
  const torch::Tensor fresh_bias = net.head->bias.clone();
  const StateDict w = weights_of(3, 5);
  const LoadReport report = load_state_dict(net, w, options(), "weights.pth");
  EXPECT_TRUE(report.head_replaced);
  EXPECT_EQ(report.loaded, 6u);
  EXPECT_NE(report.describe().find("head"), std::string::npos);
  EXPECT_TRUE(torch::equal(net.head->weight, fresh_weight));
  EXPECT_TRUE(torch::equal(net.head->bias, fresh_bias));
  EXPECT_TRUE(torch::equal(net.conv->weight, value_of(w, "conv.weight")));
  EXPECT_TRUE(torch::equal(net.bn->running_var, value_of(w, "bn.running_var")));
}

TEST(LoadStateDict, HeadMismatchThrowsWhenNotAllowed) {
  Net net(3, 2);
  LoadOptions no_replace = options();
  no_replace.replace_head = false;
  expect_throw_naming(net, weights_of(3, 5), no_replace, {"head.weight", "head.bias"});
  LoadOptions no_prefix = options();
  no_prefix.head_prefix.clear();
  expect_throw_naming(net, weights_of(3, 5), no_prefix, {"head.weight"});
}

TEST(LoadStateDict, RgbStemIntoOneChannelModelSumsFilters) {
  Net net(1, 5);
  const StateDict w = weights_of(3, 5);
  const LoadReport report = load_state_dict(net, w, options(), "weights.pth");
  EXPECT_TRUE(report.stem_summed);
  EXPECT_FALSE(report.head_replaced);
  const torch::Tensor rgb = value_of(w, "conv.weight");
  const torch::Tensor expected = rgb.select(1, 0) + rgb.select(1, 1) + rgb.select(1, 2);
  EXPECT_TRUE(torch::allclose(net.conv->weight.squeeze(1), expected, 1e-6, 1e-7));
  LoadOptions no_stem = options();
  no_stem.stem_weight.clear();
  Net other(1, 5);
  expect_throw_naming(other, w, no_stem,
                      {"conv.weight", "model [4, 1, 3, 3]", "file [4, 3, 3, 3]"});
}

}  // namespace
}  // namespace deeptirp
