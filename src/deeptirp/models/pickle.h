#pragma once
// A restricted unpickler for the subset of pickle protocol 2 (and the few protocol-4 opcodes) that
// torch.save writes. It never imports or calls anything by itself: GLOBAL names outside the
// caller's allow-list are refused, and REDUCE / BINPERSID are handed to the caller's hooks, so that
// loading a checkpoint cannot run code from it.
#include <torch/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace deeptirp::pickle {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

struct Value {
  enum class Kind { None, Bool, Int, Float, String, Tuple, List, Dict, Global, Tensor };
  Kind kind = Kind::None;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string text;                                    // String; Global as "module.name"
  std::vector<ValuePtr> items;                         // Tuple, List
  std::vector<std::pair<ValuePtr, ValuePtr>> entries;  // Dict, in insertion order
  torch::Tensor tensor;                                // Tensor (a storage or a rebuilt tensor)
};

ValuePtr make_value(Value::Kind kind);
const char* kind_name(Value::Kind kind);

struct Hooks {
  std::set<std::string> globals;  // "collections.OrderedDict", ...: all that GLOBAL may name
  // REDUCE of an allowed global with its argument tuple.
  std::function<ValuePtr(const std::string& global, const std::vector<ValuePtr>& args)> call;
  // BINPERSID: torch.save's storage references.
  std::function<ValuePtr(const ValuePtr& pid)> persistent_load;
};

// Throws Error naming `source` and the byte offset for a malformed pickle, a forbidden global or an
// opcode outside the subset.
ValuePtr unpickle(std::string_view bytes, const std::string& source, const Hooks& hooks);

}  // namespace deeptirp::pickle
