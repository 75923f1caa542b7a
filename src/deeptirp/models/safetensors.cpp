// safetensors (https://github.com/huggingface/safetensors): u64 little-endian header size N, N
// bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}},
// then the raw little-endian tensor bytes; offsets are relative to the end of the header. Nothing
// in it can run code, which is why our own model files use it.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>

#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/models/state_dict.h"

namespace deeptirp {
namespace {

constexpr uint64_t kMaxHeader = 100u << 20;  // the reference implementation's limit

const std::vector<std::pair<std::string, torch::Dtype>>& dtypes() {
  static const std::vector<std::pair<std::string, torch::Dtype>> table = {
      {"F32", torch::kFloat32}, {"F16", torch::kFloat16}, {"BF16", torch::kBFloat16},
      {"F64", torch::kFloat64}, {"I64", torch::kInt64},   {"I32", torch::kInt32},
      {"I16", torch::kInt16},   {"I8", torch::kInt8},     {"U8", torch::kUInt8},
      {"BOOL", torch::kBool}};
  return table;
}

struct Entry {
  std::string name;
  torch::Dtype dtype;
  std::vector<int64_t> shape;
  uint64_t begin, end;
};

std::vector<Entry> parse_header(std::string_view text, uint64_t data_size,
                                const std::string& source,
                                std::map<std::string, std::string>* metadata) {
  auto fail = [&](const std::string& what) -> void {
    throw Error(source + ": corrupt safetensors header: " + what);
  };
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    fail(std::string("not valid JSON (") + e.what() + ")");
  }
  if (!header.is_object()) fail("not a JSON object");
  std::vector<Entry> entries;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) fail("__metadata__ is not an object");
      for (const auto& [key, value] : info.items()) {
        if (!value.is_string()) fail("__metadata__ '" + key + "' is not a string");
        if (metadata) (*metadata)[key] = value.get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "' ";
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") ||
        !info.contains("data_offsets"))
      fail(where + "lacks dtype, shape or data_offsets");
    const auto& dtype = info["dtype"];
    auto found = std::find_if(dtypes().begin(), dtypes().end(), [&](const auto& d) {
      return dtype.is_string() && d.first == dtype.get<std::string>();
    });
    if (found == dtypes().end()) fail(where + "has an unsupported dtype " + dtype.dump());
    Entry e{name, found->second, {}, 0, 0};
    uint64_t bytes = c10::elementSize(e.dtype);
    if (!info["shape"].is_array()) fail(where + "has a shape that is not a list");
    for (const auto& d : info["shape"]) {
      if (!d.is_number_unsigned()) fail(where + "has a negative or non-integer dimension");
      const uint64_t n = d.get<uint64_t>();
      if (n && bytes > UINT64_MAX / n) fail(where + "is impossibly large");
      bytes *= n;
      e.shape.push_back(static_cast<int64_t>(n));
    }
    const auto& off = info["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned())
      fail(where + "has malformed data_offsets");
    e.begin = off[0].get<uint64_t>();
    e.end = off[1].get<uint64_t>();
    if (e.begin > e.end || e.end > data_size)
      fail(where + "has data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
           "] beyond the " + std::to_string(data_size) + " data bytes in the file");
    if (e.end - e.begin != bytes)
      fail(where + "has " + std::to_string(e.end - e.begin) + " data bytes for its shape's " +
           std::to_string(bytes));
    entries.push_back(std::move(e));
  }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
  for (size_t i = 1; i < entries.size(); ++i)
    if (entries[i].begin < entries[i - 1].end)
      fail("tensors '" + entries[i - 1].name + "' and '" + entries[i].name + "' overlap");
  return entries;
}

uint64_t header_size(std::string_view first8, uint64_t file_size, const std::string& source) {
  if (first8.size() < 8 || file_size < 8)
    throw Error(source + ": too short for a safetensors file (" + std::to_string(file_size) +
                " bytes)");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(first8[i]);
  if (n > kMaxHeader || n > file_size - 8)
    throw Error(source + ": corrupt safetensors header: its length " + std::to_string(n) +
                " runs past the end of the file (" + std::to_string(file_size) + " bytes)");
  return n;
}

// `fill(entry, destination)` copies the entry's bytes from wherever the data is.
StateDict make_tensors(const std::vector<Entry>& entries,
                       const std::function<void(const Entry&, void*)>& fill) {
  StateDict out;
  for (const Entry& e : entries) {
    torch::Tensor t = torch::empty(e.shape, torch::TensorOptions().dtype(e.dtype));
    if (e.end > e.begin) fill(e, t.data_ptr());
    out.emplace_back(e.name, std::move(t));
  }
  return out;
}

}  // namespace

StateDict read_safetensors_bytes(std::string_view bytes, const std::string& source,
                                 std::map<std::string, std::string>* metadata) {
  const uint64_t n = header_size(bytes.substr(0, 8), bytes.size(), source);
  const std::string_view data = bytes.substr(8 + n);
  const auto entries = parse_header(bytes.substr(8, n), data.size(), source, metadata);
  return make_tensors(entries, [&](const Entry& e, void* to) {
    std::memcpy(to, data.data() + e.begin, e.end - e.begin);
  });
}

StateDict read_safetensors(const std::filesystem::path& path,
                           std::map<std::string, std::string>* metadata) {
  const std::string source = path.string();
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw Error(source + ": cannot open the weights file");
  const uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  std::string first8(8, '\0');
  in.read(first8.data(), 8);
  first8.resize(static_cast<size_t>(in.gcount()));
  const uint64_t n = header_size(first8, file_size, source);
  std::string header(n, '\0');
  in.read(header.data(), static_cast<std::streamsize>(n));
  const auto entries = parse_header(header, file_size - 8 - n, source, metadata);
  // Read straight into the tensors: no second copy of a 300 MB file in memory.
  return make_tensors(entries, [&](const Entry& e, void* to) {
    in.seekg(static_cast<std::streamoff>(8 + n + e.begin));
    in.read(static_cast<char*>(to), static_cast<std::streamsize>(e.end - e.begin));
    if (!in) throw Error(source + ": read error in tensor '" + e.name + "'");
  });
}

void write_safetensors(const std::filesystem::path& path, const StateDict& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header;
  std::vector<torch::Tensor> data;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__" || !names.insert(name).second)
      throw Error(path.string() + ": tensor name '" + name + "' is reserved or repeated");
    const auto type = tensor.scalar_type();  // a lambda cannot capture a structured binding
    auto found = std::find_if(dtypes().begin(), dtypes().end(),
                              [type](const auto& d) { return d.second == type; });
    if (found == dtypes().end())
      throw Error(path.string() + ": tensor '" + name + "' has a dtype safetensors cannot hold (" +
                  std::string(c10::toString(tensor.scalar_type())) + ")");
    torch::Tensor t = tensor.detach().to(torch::kCPU).contiguous();
    const uint64_t bytes = t.numel() * t.element_size();
    header[name] = {{"dtype", found->first},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    data.push_back(std::move(t));
  }
  header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
  char size[8];
  for (int i = 0; i < 8; ++i)
    size[i] = static_cast<char>((uint64_t(text.size()) >> (8 * i)) & 0xff);
  AtomicFile file(path);
  file.stream().write(size, 8);
  file.stream().write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const torch::Tensor& t : data)
    file.stream().write(static_cast<const char*>(t.data_ptr()),
                        static_cast<std::streamsize>(t.numel() * t.element_size()));
  file.commit();
}

}  // namespace deeptirp
