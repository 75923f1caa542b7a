#include "deeptirp/models/pickle.h"

#include <cstring>
#include <map>
#include <sstream>

#include "deeptirp/error.h"

namespace deeptirp::pickle {

ValuePtr make_value(Value::Kind kind) {
  auto value = std::make_shared<Value>();
  value->kind = kind;
  return value;
}

const char* kind_name(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::None:
      return "None";
    case Value::Kind::Bool:
      return "bool";
    case Value::Kind::Int:
      return "int";
    case Value::Kind::Float:
      return "float";
    case Value::Kind::String:
      return "str";
    case Value::Kind::Tuple:
      return "tuple";
    case Value::Kind::List:
      return "list";
    case Value::Kind::Dict:
      return "dict";
    case Value::Kind::Global:
      return "global";
    case Value::Kind::Tensor:
      return "tensor";
  }
  return "?";
}

namespace {

// The opcodes of pickletools' table that torch.save uses (protocol 2, plus 4's framing).
enum Op : unsigned char {
  kMark = '(',
  kStop = '.',
  kBinFloat = 'G',
  kBinInt = 'J',
  kBinInt1 = 'K',
  kBinInt2 = 'M',
  kNone = 'N',
  kBinPersId = 'Q',
  kReduce = 'R',
  kBinUnicode = 'X',
  kAppend = 'a',
  kBuild = 'b',
  kGlobal = 'c',
  kAppends = 'e',
  kBinGet = 'h',
  kLongBinGet = 'j',
  kBinPut = 'q',
  kLongBinPut = 'r',
  kSetItem = 's',
  kTuple = 't',
  kSetItems = 'u',
  kEmptyDict = '}',
  kEmptyList = ']',
  kEmptyTuple = ')',
  kProto = 0x80,
  kTuple1 = 0x85,
  kTuple2 = 0x86,
  kTuple3 = 0x87,
  kNewTrue = 0x88,
  kNewFalse = 0x89,
  kLong1 = 0x8a,
  kShortBinUnicode = 0x8c,
  kStackGlobal = 0x93,
  kMemoize = 0x94,
  kFrame = 0x95,
};

class Machine {
 public:
  Machine(std::string_view bytes, const std::string& source, const Hooks& hooks)
      : bytes_(bytes), source_(source), hooks_(hooks) {}

  ValuePtr run() {
    while (true) {
      op_at_ = pos_;
      const unsigned char op = read_u8();
      if (op == kStop) return pop();
      step(op);
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    std::ostringstream message;
    message << source_ << ": " << what << " (pickle byte " << op_at_ << ")";
    throw Error(message.str());
  }

  std::string_view take(size_t n) {
    if (n > bytes_.size() - pos_) fail("the pickle is truncated");
    std::string_view part = bytes_.substr(pos_, n);
    pos_ += n;
    return part;
  }
  uint64_t read_le(size_t n) {
    const std::string_view part = take(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t(static_cast<unsigned char>(part[i])) << (8 * i);
    return v;
  }
  unsigned char read_u8() { return static_cast<unsigned char>(read_le(1)); }
  std::string read_line() {
    const size_t end = bytes_.find('\n', pos_);
    if (end == std::string_view::npos) fail("the pickle is truncated");
    std::string line(bytes_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return line;
  }

  void push(ValuePtr v) { stack_.push_back(std::move(v)); }
  ValuePtr pop() {
    if (stack_.size() <= floor()) fail("the pickle's stack is empty");
    ValuePtr v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  std::vector<ValuePtr> pop_to_mark() {
    if (marks_.empty()) fail("the pickle has no MARK to pop to");
    std::vector<ValuePtr> items(stack_.begin() + marks_.back(), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  ValuePtr& top() {
    if (stack_.size() <= floor()) fail("the pickle's stack is empty");
    return stack_.back();
  }

  ValuePtr tuple(std::vector<ValuePtr> items) {
    ValuePtr t = make_value(Value::Kind::Tuple);
    t->items = std::move(items);
    return t;
  }
  ValuePtr integer(int64_t i) {
    ValuePtr v = make_value(Value::Kind::Int);
    v->integer = i;
    return v;
  }
  ValuePtr string(std::string_view s) {
    ValuePtr v = make_value(Value::Kind::String);
    v->text = std::string(s);
    return v;
  }

  void global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    if (!hooks_.globals.count(full))
      fail("refusing to run code from a pickle: global '" + full + "' is not allowed");
    ValuePtr g = make_value(Value::Kind::Global);
    g->text = full;
    push(g);
  }

  void memo_put(uint64_t index) { memo_[index] = top(); }
  void memo_get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) fail("the pickle refers to an unknown memo entry");
    push(it->second);
  }

  void set_items(const ValuePtr& dict, const std::vector<ValuePtr>& kv) {
    if (dict->kind != Value::Kind::Dict)
      fail("SETITEM(S) on a " + std::string(kind_name(dict->kind)));
    if (kv.size() % 2) fail("SETITEMS with an odd number of items");
    for (size_t i = 0; i < kv.size(); i += 2) dict->entries.emplace_back(kv[i], kv[i + 1]);
  }
  void append(const ValuePtr& list, const std::vector<ValuePtr>& items) {
    if (list->kind != Value::Kind::List)
      fail("APPEND(S) on a " + std::string(kind_name(list->kind)));
    list->items.insert(list->items.end(), items.begin(), items.end());
  }

  void reduce() {
    ValuePtr args = pop();
    ValuePtr callable = pop();
    if (callable->kind != Value::Kind::Global || args->kind != Value::Kind::Tuple)
      fail("REDUCE needs an allowed global and an argument tuple");
    ValuePtr result = hooks_.call(callable->text, args->items);
    if (!result)
      fail("refusing to run code from a pickle: '" + callable->text + "' cannot be called");
    push(result);
  }

  void build() {
    pop();  // the state: an OrderedDict's `_metadata`, which says nothing about the tensors
    if (top()->kind != Value::Kind::Dict) fail("BUILD on a " + std::string(kind_name(top()->kind)));
  }

  void step(unsigned char op) {
    switch (op) {
      case kProto:
        read_u8();
        break;
      case kFrame:
        read_le(8);
        break;
      case kMark:
        marks_.push_back(stack_.size());
        break;
      case kNone:
        push(make_value(Value::Kind::None));
        break;
      case kNewTrue:
      case kNewFalse: {
        ValuePtr b = make_value(Value::Kind::Bool);
        b->boolean = op == kNewTrue;
        push(b);
        break;
      }
      case kBinInt:
        push(integer(static_cast<int32_t>(read_le(4))));
        break;
      case kBinInt1:
        push(integer(read_le(1)));
        break;
      case kBinInt2:
        push(integer(read_le(2)));
        break;
      case kLong1: {
        const size_t n = read_u8();
        if (n > 8) fail("an integer wider than 64 bits");
        uint64_t v = n ? read_le(n) : 0;
        if (n && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t(0) << (8 * n);  // sign-extend
        push(integer(static_cast<int64_t>(v)));
        break;
      }
      case kBinFloat: {
        const std::string_view be = take(8);
        uint64_t bits = 0;
        for (char c : be) bits = (bits << 8) | static_cast<unsigned char>(c);
        ValuePtr f = make_value(Value::Kind::Float);
        std::memcpy(&f->real, &bits, sizeof bits);
        push(f);
        break;
      }
      case kBinUnicode:
        push(string(take(read_le(4))));
        break;
      case kShortBinUnicode:
        push(string(take(read_u8())));
        break;
      case kEmptyTuple:
        push(tuple({}));
        break;
      case kEmptyList:
        push(make_value(Value::Kind::List));
        break;
      case kEmptyDict:
        push(make_value(Value::Kind::Dict));
        break;
      case kTuple:
        push(tuple(pop_to_mark()));
        break;
      case kTuple1:
      case kTuple2:
      case kTuple3: {
        std::vector<ValuePtr> items(op - kTuple1 + 1);
        for (auto it = items.rbegin(); it != items.rend(); ++it) *it = pop();
        push(tuple(std::move(items)));
        break;
      }
      case kBinPut:
        memo_put(read_le(1));
        break;
      case kLongBinPut:
        memo_put(read_le(4));
        break;
      case kMemoize:
        memo_put(memo_.size());
        break;
      case kBinGet:
        memo_get(read_le(1));
        break;
      case kLongBinGet:
        memo_get(read_le(4));
        break;
      case kGlobal: {
        const std::string module = read_line();
        global(module, read_line());
        break;
      }
      case kStackGlobal: {
        ValuePtr name = pop();
        ValuePtr module = pop();
        if (name->kind != Value::Kind::String || module->kind != Value::Kind::String)
          fail("STACK_GLOBAL needs two strings");
        global(module->text, name->text);
        break;
      }
      case kReduce:
        reduce();
        break;
      case kBuild:
        build();
        break;
      case kBinPersId: {
        ValuePtr pid = pop();
        push(hooks_.persistent_load(pid));
        break;
      }
      case kSetItem: {
        ValuePtr value = pop();
        ValuePtr key = pop();
        set_items(top(), {key, value});
        break;
      }
      case kSetItems: {
        std::vector<ValuePtr> kv = pop_to_mark();
        set_items(top(), kv);
        break;
      }
      case kAppend: {
        ValuePtr item = pop();
        append(top(), {item});
        break;
      }
      case kAppends: {
        std::vector<ValuePtr> items = pop_to_mark();
        append(top(), items);
        break;
      }
      default: {
        std::ostringstream what;
        what << "refusing to run code from a pickle: opcode 0x" << std::hex << int(op)
             << " is outside the subset torch.save writes";
        fail(what.str());
      }
    }
  }

  std::string_view bytes_;
  const std::string& source_;
  const Hooks& hooks_;
  size_t pos_ = 0;
  size_t op_at_ = 0;
  std::vector<ValuePtr> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, ValuePtr> memo_;
};

}  // namespace

ValuePtr unpickle(std::string_view bytes, const std::string& source, const Hooks& hooks) {
  return Machine(bytes, source, hooks).run();
}

}  // namespace deeptirp::pickle
