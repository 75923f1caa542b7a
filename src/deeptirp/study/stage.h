#pragma once
// The study's stages and their cache. Each stage has a fingerprint: a hash of the config sections
// and input files it reads and of the fingerprints of the stages it uses. A finished stage leaves
// <out>/stages/<name>.json with its fingerprint; a rerun skips a stage whose record matches, and a
// changed section changes the fingerprints of its stage and of everything downstream.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace deeptirp::study {

// FNV-1a, 64 bits, as 16 hex digits: stable across runs and platforms (std::hash is not).
class Fingerprint {
 public:
  Fingerprint& add(const std::string& text);
  Fingerprint& add_yaml(const YAML::Node& root, const std::string& key);  // "" when absent
  Fingerprint& add_file(const std::filesystem::path& file);               // its bytes
  std::string hex() const;

 private:
  std::uint64_t h_ = 14695981039346656037ull;
};

class StageRunner {
 public:
  StageRunner(std::filesystem::path out, std::vector<std::string> rerun, bool quiet);

  // Runs `work` unless the stage's record holds `fingerprint`; returns whether it ran. The record
  // is written after `work` returns, so an interrupted stage runs again.
  bool run(const std::string& name, const std::string& fingerprint,
           const std::function<void()>& work);

 private:
  std::filesystem::path records_;
  std::vector<std::string> rerun_;  // stage names (or "all") to run whatever their records say
  bool quiet_;
  int index_ = 0;
};

}  // namespace deeptirp::study
