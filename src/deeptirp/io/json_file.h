#pragma once
// JSON files: read with errors that name the file, written atomically.

#include <nlohmann/json.hpp>

#include <filesystem>

namespace deeptirp {

nlohmann::json read_json_file(const std::filesystem::path& path);
void write_json_file(const std::filesystem::path& path, const nlohmann::json& j);

}  // namespace deeptirp
