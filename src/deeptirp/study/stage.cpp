#include "deeptirp/study/stage.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"

namespace deeptirp::study {

Fingerprint& Fingerprint::add(const std::string& text) {
  // The length first, so that ("ab", "c") and ("a", "bc") differ.
  const std::string framed = std::to_string(text.size()) + ":" + text;
  for (unsigned char c : framed) {
    h_ ^= c;
    h_ *= 1099511628211ull;
  }
  return *this;
}

Fingerprint& Fingerprint::add_yaml(const YAML::Node& root, const std::string& key) {
  const YAML::Node node = root[key];
  return add(key + "=" + (node ? YAML::Dump(node) : std::string()));
}

Fingerprint& Fingerprint::add_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot read");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return add(file.string()).add(bytes.str());
}

std::string Fingerprint::hex() const {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h_));
  return text;
}

StageRunner::StageRunner(std::filesystem::path out, std::vector<std::string> rerun, bool quiet)
    : records_(std::move(out) / "stages"), rerun_(std::move(rerun)), quiet_(quiet) {
  std::filesystem::create_directories(records_);
}

bool StageRunner::run(const std::string& name, const std::string& fingerprint,
                      const std::function<void()>& work) {
  ++index_;
  std::string file_name = name;
  std::replace(file_name.begin(), file_name.end(), ':', '-');
  const auto record = records_ / (file_name + ".json");
  const bool forced = std::count(rerun_.begin(), rerun_.end(), name) > 0 ||
                      std::count(rerun_.begin(), rerun_.end(), "all") > 0;
  if (!forced && std::filesystem::exists(record)) {
    std::ifstream in(record);
    const auto j = nlohmann::json::parse(in, nullptr, false);
    if (!j.is_discarded() && j.value("fingerprint", "") == fingerprint) {
      if (!quiet_) std::cout << "[" << index_ << "] " << name << ": up to date\n";
      return false;
    }
  }
  std::filesystem::remove(record);
  if (!quiet_) std::cout << "[" << index_ << "] " << name << "\n" << std::flush;
  const auto start = std::chrono::steady_clock::now();
  work();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_file_atomically(
      record,
      nlohmann::json{{"stage", name}, {"fingerprint", fingerprint}, {"seconds", seconds}}.dump(2) +
          "\n");
  if (!quiet_) {
    char line[96];
    std::snprintf(line, sizeof line, "[%d] %s: done in %.1f s\n", index_, name.c_str(), seconds);
    std::cout << line << std::flush;
  }
  return true;
}

}  // namespace deeptirp::study
