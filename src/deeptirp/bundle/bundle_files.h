#pragma once
// Where a bundle keeps its files, and the checks of them that the export and the loader share.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "deeptirp/io/json_file.h"

namespace deeptirp::bundle {

inline constexpr const char* kFormat = "deeptirp-bundle";
inline constexpr int kFormatVersion = 1;  // bump when a reader of version 1 would misread a bundle

inline constexpr const char* kMetadataFile = "metadata.json";
inline constexpr const char* kStudyFile = "study.yaml";
inline constexpr const char* kClinicalFolder = "clinical";
inline constexpr const char* kEnsembleFolder = "ensemble";
inline constexpr const char* kWeightsFile = "model.safetensors";
inline constexpr const char* kCardFile = "model.json";
inline constexpr const char* kClinicalFile = "clinical_model.json";
inline constexpr const char* kEnsembleFile = "ensemble.json";

inline std::string image_model_folder(const std::string& name) { return "models/" + name; }

// The files a bundle with these parts must hold, relative to its folder; `clinical_model_file`
// is the clinical classifier's own file (named in clinical_model.json).
std::vector<std::string> required_files(const std::vector<std::string>& image_names,
                                        const std::string& clinical_model_file);

// {"relative/path": {"bytes": N}} for metadata.json, from the files as they are in `folder`.
nlohmann::json describe_files(const std::filesystem::path& folder,
                              const std::vector<std::string>& files);

// Every file metadata.json lists is there with its recorded size; an Error names the first
// that is not.
void check_files(const std::filesystem::path& folder, const nlohmann::json& files);

}  // namespace deeptirp::bundle
