#include "deeptirp/bundle/bundle_files.h"

#include <cmath>
#include <fstream>

#include "deeptirp/error.h"
#include "deeptirp/io/sha256.h"

namespace deeptirp::bundle {
namespace {

namespace fs = std::filesystem;

template <typename T>
T field(const nlohmann::json& j, const char* key, const fs::path& path) {
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(path.string() + ": key '" + key + "': " + e.what());
  }
}

std::vector<std::string> read_image_names(const nlohmann::json& metadata, const fs::path& path) {
  const auto parts = field<nlohmann::json>(metadata, "parts", path);
  const auto names = field<std::vector<std::string>>(parts, "image_models", path);
  if (names.empty()) throw Error(path.string() + ": key 'parts': no image model");
  for (const auto& name : names)  // names are folder names: nothing that leaves the bundle
    if (name.empty() || name[0] == '.' || name.find('/') != std::string::npos)
      throw Error(path.string() + ": key 'parts': bad image model name '" + name + "'");
  return names;
}

std::string negative_class(const std::vector<std::string>& classes, const std::string& positive) {
  for (const auto& c : classes)
    if (c != positive) return c;
  return "not " + positive;
}

// An older bundle has no `calibration`, and a part may have no fit (a fixed or Youden threshold).
std::vector<double> ensemble_platt(const nlohmann::json& metadata, const fs::path& path) {
  const auto calibration = metadata.find("calibration");
  if (calibration == metadata.end() || !calibration->is_object()) return {};
  const auto fit = calibration->find("ensemble");
  if (fit == calibration->end() || fit->is_null()) return {};
  const auto ab = field<std::vector<double>>(*fit, "platt", path);
  if (ab.size() != 2 || !std::isfinite(ab[0]) || !std::isfinite(ab[1]))
    throw Error(path.string() + ": key 'calibration.ensemble.platt' must be two finite numbers");
  return ab;
}

}  // namespace

BundleMetadata parse_metadata(std::string_view text, const fs::path& path) {
  BundleMetadata m;
  m.json = nlohmann::json::parse(text, nullptr, false);
  if (m.json.is_discarded()) throw Error(path.string() + ": not valid JSON");
  const nlohmann::json& j = m.json;
  if (!j.is_object() || !j.contains("format") || j["format"] != kFormat)
    throw Error(path.string() + ": not a deeptirp bundle (key 'format' is not '" + kFormat + "')");
  const auto version = j.find("format_version");
  if (version == j.end() || !version->is_number_integer() || *version != kFormatVersion)
    throw Error(path.string() + ": bundle format_version " +
                (version == j.end() ? std::string("(none)") : version->dump()) +
                " is not one this deeptirp reads (" + std::to_string(kFormatVersion) + ")");
  if (!field<nlohmann::json>(j, "files", path).is_object())
    throw Error(path.string() + ": key 'files' must be an object");
  m.image_names = read_image_names(j, path);
  m.positive = field<std::string>(j, "positive", path);
  m.negative = negative_class(field<std::vector<std::string>>(j, "classes", path), m.positive);
  m.threshold = field<double>(field<nlohmann::json>(j, "thresholds", path), "ensemble", path);
  m.ensemble_platt = ensemble_platt(j, path);
  return m;
}

std::vector<std::string> required_files(const std::vector<std::string>& image_names,
                                        const std::string& clinical_model_file) {
  std::vector<std::string> files = {kStudyFile};
  for (const auto& name : image_names) {
    files.push_back(image_model_folder(name) + "/" + kWeightsFile);
    files.push_back(image_model_folder(name) + "/" + kCardFile);
  }
  files.push_back(std::string(kClinicalFolder) + "/" + kClinicalFile);
  files.push_back(std::string(kClinicalFolder) + "/" + clinical_model_file);
  files.push_back(std::string(kEnsembleFolder) + "/" + kEnsembleFile);
  return files;
}

nlohmann::json describe_files(const std::filesystem::path& folder,
                              const std::vector<std::string>& files) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& file : files) {
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(folder / file, ec);
    if (ec) throw Error((folder / file).string() + ": " + ec.message());
    out[file] = {{"bytes", bytes}, {"sha256", sha256_file(folder / file)}};
  }
  return out;
}

void check_files(const std::filesystem::path& folder, const nlohmann::json& files) {
  if (!files.is_object())
    throw Error((folder / kMetadataFile).string() + ": key 'files' must be an object");
  for (const auto& [file, about] : files.items()) {
    const auto path = folder / file;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
      throw Error(path.string() + ": missing from the bundle (metadata.json lists it)");
    const auto bytes = std::filesystem::file_size(path, ec);
    if (ec) throw Error(path.string() + ": " + ec.message());
    const nlohmann::json recorded =
        about.is_object() ? about.value("bytes", nlohmann::json()) : nlohmann::json();
    if (recorded != bytes)
      throw Error(path.string() + ": " + std::to_string(bytes) + " bytes, but metadata.json " +
                  "records " + recorded.dump() + " (changed after the export?)");
    const nlohmann::json digest =
        about.is_object() ? about.value("sha256", nlohmann::json()) : nlohmann::json();
    if (!digest.is_string())
      throw Error((folder / kMetadataFile).string() + ": no SHA-256 recorded for '" + file + "'");
    if (digest != sha256_file(path))
      throw Error(path.string() + ": its SHA-256 differs from the one metadata.json records: " +
                  "the file was changed or corrupted after the export");
  }
}

}  // namespace deeptirp::bundle
