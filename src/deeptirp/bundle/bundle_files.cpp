#include "deeptirp/bundle/bundle_files.h"

#include <fstream>

#include "deeptirp/error.h"

namespace deeptirp::bundle {

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
    out[file] = {{"bytes", bytes}};
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
  }
}

}  // namespace deeptirp::bundle
