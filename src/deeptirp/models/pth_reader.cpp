// torch.save's zip archive: NAME/data.pkl (the pickle), NAME/data/<key> (one record per storage),
// NAME/version. Read with LibTorch's zip reader and our restricted unpickler, because
// torch::pickle_load cannot read what torch.save(model.state_dict()) writes (an OrderedDict with a
// `_metadata` attribute) and a general unpickler would run code named by the file.
#include "deeptirp/models/pth_reader.h"

#include <caffe2/serialize/file_adapter.h>
#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>

#include "deeptirp/error.h"
#include "deeptirp/models/pickle.h"
#include "deeptirp/models/state_dict.h"

namespace deeptirp {
namespace {

using pickle::Value;
using pickle::ValuePtr;

const std::map<std::string, torch::Dtype>& storage_types() {
  static const std::map<std::string, torch::Dtype> types = {
      {"torch.FloatStorage", torch::kFloat32}, {"torch.DoubleStorage", torch::kFloat64},
      {"torch.HalfStorage", torch::kFloat16},  {"torch.BFloat16Storage", torch::kBFloat16},
      {"torch.LongStorage", torch::kInt64},    {"torch.IntStorage", torch::kInt32},
      {"torch.ShortStorage", torch::kInt16},   {"torch.CharStorage", torch::kInt8},
      {"torch.ByteStorage", torch::kUInt8},    {"torch.BoolStorage", torch::kBool}};
  return types;
}

class StringAdapter : public caffe2::serialize::ReadAdapterInterface {
 public:
  explicit StringAdapter(std::string_view bytes) : bytes_(bytes) {}
  size_t size() const override { return bytes_.size(); }
  size_t read(uint64_t pos, void* buf, size_t n, const char*) const override {
    if (pos >= bytes_.size()) return 0;
    n = std::min<size_t>(n, bytes_.size() - pos);
    std::memcpy(buf, bytes_.data() + pos, n);
    return n;
  }

 private:
  std::string_view bytes_;
};

class PthReader {
 public:
  PthReader(std::shared_ptr<caffe2::serialize::ReadAdapterInterface> adapter, std::string source)
      : source_(std::move(source)) {
    try {
      zip_ = std::make_unique<caffe2::serialize::PyTorchStreamReader>(std::move(adapter));
    } catch (const c10::Error& e) {
      fail(std::string("not a readable torch.save archive: ") + e.what_without_backtrace());
    }
  }

  StateDict read() {
    if (!zip_->hasRecord("data.pkl")) fail("the archive has no data.pkl");
    if (zip_->hasRecord("byteorder") && record_text("byteorder") != "little")
      fail("tensors saved on a big-endian machine are not supported");
    const std::string pkl = record_text("data.pkl");
    pickle::Hooks hooks;
    hooks.globals = {"collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                     "torch._utils._rebuild_parameter"};
    for (const auto& [name, dtype] : storage_types()) hooks.globals.insert(name);
    hooks.call = [this](const std::string& global, const std::vector<ValuePtr>& args) {
      return call(global, args);
    };
    hooks.persistent_load = [this](const ValuePtr& pid) { return storage(pid); };
    return to_state_dict(pickle::unpickle(pkl, source_, hooks));
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { throw Error(source_ + ": " + what); }

  std::string record_text(const std::string& name) {
    try {
      auto [data, size] = zip_->getRecord(name);
      return std::string(static_cast<const char*>(data.get()), size);
    } catch (const c10::Error& e) {
      fail("cannot read '" + name + "' from the archive: " + e.what_without_backtrace());
    }
  }

  // pid = ('storage', torch.XStorage, key, location, numel)
  ValuePtr storage(const ValuePtr& pid) {
    const auto& t = pid->items;
    if (pid->kind != Value::Kind::Tuple || t.size() != 5 || t[0]->text != "storage" ||
        t[1]->kind != Value::Kind::Global || t[2]->kind != Value::Kind::String ||
        t[4]->kind != Value::Kind::Int)
      fail("unexpected persistent id in data.pkl (not a torch storage)");
    auto cached = storages_.find(t[2]->text);
    if (cached != storages_.end()) return cached->second;  // shared between tensors
    const auto type = storage_types().find(t[1]->text);
    if (type == storage_types().end()) fail("unsupported storage type " + t[1]->text);
    const std::string record = "data/" + t[2]->text;
    if (!zip_->hasRecord(record)) fail("the archive has no record '" + record + "'");
    at::DataPtr data;
    size_t size = 0;
    try {
      std::tie(data, size) = zip_->getRecord(record);
    } catch (const c10::Error& e) {
      fail("cannot read '" + record + "': " + e.what_without_backtrace());
    }
    const int64_t numel = t[4]->integer;
    const size_t element = c10::elementSize(type->second);
    if (numel < 0 || size != size_t(numel) * element)
      fail("record '" + record + "' holds " + std::to_string(size) + " bytes, not " +
           std::to_string(numel) + " elements of " + t[1]->text);
    ValuePtr value = pickle::make_value(Value::Kind::Tensor);
    value->tensor = torch::empty({numel}, torch::TensorOptions().dtype(type->second));
    if (size) std::memcpy(value->tensor.data_ptr(), data.get(), size);
    storages_[t[2]->text] = value;
    return value;
  }

  std::vector<int64_t> ints(const ValuePtr& tuple, const char* what) const {
    if (tuple->kind != Value::Kind::Tuple) fail(std::string("tensor ") + what + " is not a tuple");
    std::vector<int64_t> out;
    for (const ValuePtr& v : tuple->items) {
      if (v->kind != Value::Kind::Int || v->integer < 0)
        fail(std::string("tensor ") + what + " holds a non-integer or negative entry");
      out.push_back(v->integer);
    }
    return out;
  }

  // _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])
  ValuePtr rebuild_tensor(const std::vector<ValuePtr>& args) const {
    if (args.size() < 4 || args[0]->kind != Value::Kind::Tensor ||
        args[1]->kind != Value::Kind::Int)
      fail("malformed _rebuild_tensor_v2 call in data.pkl");
    const torch::Tensor& storage = args[0]->tensor;
    const int64_t offset = args[1]->integer;
    const std::vector<int64_t> size = ints(args[2], "size");
    const std::vector<int64_t> stride = ints(args[3], "stride");
    if (size.size() != stride.size()) fail("tensor size and stride differ in length");
    int64_t last = offset;  // the last element the view touches
    bool empty = false, overflow = offset < 0;
    for (size_t i = 0; i < size.size(); ++i) {
      int64_t step = 0;
      if (size[i] == 0)
        empty = true;
      else
        overflow |= __builtin_mul_overflow(size[i] - 1, stride[i], &step) ||
                    __builtin_add_overflow(last, step, &last);
    }
    if (overflow || (!empty && last >= storage.numel()))
      fail("a tensor reaches past the end of its storage");
    ValuePtr value = pickle::make_value(Value::Kind::Tensor);
    value->tensor = storage.as_strided(size, stride, offset);
    return value;
  }

  ValuePtr call(const std::string& global, const std::vector<ValuePtr>& args) const {
    if (global == "collections.OrderedDict") {
      if (!args.empty()) fail("OrderedDict built from arguments is not supported");
      return pickle::make_value(Value::Kind::Dict);
    }
    if (global == "torch._utils._rebuild_tensor_v2") return rebuild_tensor(args);
    if (global == "torch._utils._rebuild_parameter") {
      if (args.empty() || args[0]->kind != Value::Kind::Tensor)
        fail("malformed _rebuild_parameter call in data.pkl");
      return args[0];
    }
    return nullptr;  // storage classes are only named, never called
  }

  // A state dict, or a checkpoint wrapping one under "state_dict" or "model".
  StateDict to_state_dict(const ValuePtr& root) const {
    if (root->kind != Value::Kind::Dict)
      fail(std::string("holds a ") + pickle::kind_name(root->kind) + ", not a state dict");
    StateDict out;
    for (const auto& [key, value] : root->entries) {
      if (key->kind == Value::Kind::String && value->kind == Value::Kind::Tensor) {
        out.emplace_back(key->text, value->tensor);
        continue;
      }
      for (const char* wrapper : {"state_dict", "model"})
        for (const auto& [k, v] : root->entries)
          if (k->kind == Value::Kind::String && k->text == wrapper && v->kind == Value::Kind::Dict)
            return to_state_dict(v);
      const std::string name = key->kind == Value::Kind::String ? key->text : "(non-string key)";
      fail("entry '" + name + "' is a " + pickle::kind_name(value->kind) +
           ", not a tensor: not a state dict");
    }
    return out;
  }

  std::string source_;
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> zip_;
  std::map<std::string, ValuePtr> storages_;
};

}  // namespace

// torch.save before 1.6 (or with _use_new_zipfile_serialization=False) wrote a bare pickle.
bool is_legacy_pth(std::string_view head) {
  return head.size() >= 3 && static_cast<unsigned char>(head[0]) == 0x80 && head[1] == 2 &&
         static_cast<unsigned char>(head[2]) == 0x8a;
}

namespace {

void refuse_legacy(std::string_view head, const std::string& source) {
  if (is_legacy_pth(head))
    throw Error(source +
                ": the legacy (pre-1.6, non-zip) torch.save format is not supported; "
                "re-save it with torch.save(state_dict, path) from torch >= 1.6");
}

}  // namespace

StateDict read_pth_bytes(std::string_view bytes, const std::string& source) {
  refuse_legacy(bytes.substr(0, 4), source);
  return PthReader(std::make_shared<StringAdapter>(bytes), source).read();
}

StateDict read_pth(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open the weights file");
  char head[4] = {};
  in.read(head, sizeof head);
  refuse_legacy(std::string_view(head, in.gcount()), path.string());
  in.close();
  std::shared_ptr<caffe2::serialize::ReadAdapterInterface> adapter;
  try {
    adapter = std::make_shared<caffe2::serialize::FileAdapter>(path.string());
  } catch (const c10::Error& e) {
    throw Error(path.string() + ": cannot open the weights file");
  }
  return PthReader(std::move(adapter), path.string()).read();
}

}  // namespace deeptirp
