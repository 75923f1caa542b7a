#pragma once
// Strict reading of the study YAML, shared by every section's parser: a typo or a value of the
// wrong type is an error naming the file and the key, never a silent default.
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "deeptirp/error.h"

namespace deeptirp {

class YamlReader {
 public:
  YamlReader() = default;
  explicit YamlReader(std::filesystem::path file) : file_(std::move(file)) {}

  // Parses `text`; a syntax error names the file.
  YAML::Node load(const std::string& text) const {
    YAML::Node root;
    try {
      root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
      throw Error(file_.string() + ": not valid YAML: " + e.what());
    }
    check_unique_keys(root, 0);
    return root;
  }

  // yaml-cpp keeps the first of two equal keys and drops the second without a word.
  void check_unique_keys(const YAML::Node& node, int depth) const {
    if (depth > 64) throw Error(file_.string() + ": nested deeper than 64 levels");
    if (node.IsSequence())
      for (const auto& child : node) check_unique_keys(child, depth + 1);
    if (!node.IsMap()) return;
    std::set<std::string> seen;
    for (const auto& item : node) {
      if (item.first.IsScalar() && !seen.insert(item.first.Scalar()).second)
        throw Error(file_.string() + " line " + std::to_string(item.first.Mark().line + 1) +
                    ": key '" + item.first.Scalar() + "' appears twice in one mapping");
      check_unique_keys(item.second, depth + 1);
    }
  }

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw Error(file_.string() + ": key '" + key + "': " + what);
  }

  // Rejects keys nobody reads.
  void only_keys(const YAML::Node& node, const std::string& prefix,
                 const std::set<std::string>& allowed) const {
    if (!node || node.IsNull()) return;
    if (!node.IsMap()) fail(prefix.empty() ? "(top level)" : prefix, "expected a mapping");
    for (const auto& item : node) {
      const auto key = as<std::string>(item.first, prefix.empty() ? "(top level)" : prefix);
      if (allowed.count(key)) continue;
      std::string known;
      for (const auto& k : allowed) known += (known.empty() ? "" : ", ") + k;
      fail(prefix.empty() ? key : prefix + "." + key, "unknown key (known: " + known + ")");
    }
  }

  template <typename T>
  T as(const YAML::Node& value, const std::string& name) const {
    try {
      return value.as<T>();
    } catch (const YAML::Exception&) {
      fail(name, "cannot read '" + YAML::Dump(value) + "' as the expected type");
    }
  }

  // Sets `out` from node[key] when present.
  template <typename T>
  void get(const YAML::Node& node, const std::string& key, const std::string& name, T& out) const {
    if (node && node[key]) out = as<T>(node[key], name);
  }

  // A list of strings; a single scalar counts as a list of one.
  void get_list(const YAML::Node& node, const std::string& key, const std::string& name,
                std::vector<std::string>& out) const {
    if (!node || !node[key]) return;
    const YAML::Node list = node[key];
    if (list.IsScalar()) {
      out = {as<std::string>(list, name)};
      return;
    }
    if (!list.IsSequence()) fail(name, "expected a list");
    out.clear();
    for (const auto& item : list) out.push_back(as<std::string>(item, name));
  }

  const std::filesystem::path& file() const { return file_; }

 private:
  std::filesystem::path file_;
};

// The whole study config file, as the results record it.
inline std::string read_config_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw Error(path.string() + ": cannot open the study config");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The study YAML parsed once; every section's parser reads its part of it, so a study run and
// each verb alone parse the file one time.
struct YamlDocument {
  YamlReader reader;
  YAML::Node root;

  static YamlDocument parse(const std::string& text, const std::filesystem::path& path) {
    YamlReader reader(path);
    YAML::Node root = reader.load(text);
    return {std::move(reader), std::move(root)};
  }
  static YamlDocument load(const std::filesystem::path& path) {
    return parse(read_config_text(path), path);
  }
  // One section; null when absent.
  YAML::Node section(const std::string& key) const {
    return root && root.IsMap() ? root[key] : YAML::Node();
  }
  const std::filesystem::path& file() const { return reader.file(); }
};

}  // namespace deeptirp
