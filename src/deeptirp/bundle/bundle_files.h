#pragma once
// Where a bundle keeps its files, and the checks of them that the export and the loader share.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "deeptirp/io/json_file.h"

namespace deeptirp::bundle {

inline constexpr const char* kFormat = "deeptirp-bundle";
// Bump when an older reader would misread a bundle. 2: every file's SHA-256 is recorded and
// checked (version 1 recorded sizes only).
inline constexpr int kFormatVersion = 2;

inline constexpr const char* kMetadataFile = "metadata.json";
inline constexpr const char* kStudyFile = "study.yaml";
inline constexpr const char* kClinicalFolder = "clinical";
inline constexpr const char* kEnsembleFolder = "ensemble";
inline constexpr const char* kWeightsFile = "model.safetensors";
inline constexpr const char* kCardFile = "model.json";
inline constexpr const char* kClinicalFile = "clinical_model.json";
inline constexpr const char* kEnsembleFile = "ensemble.json";

inline std::string image_model_folder(const std::string& name) { return "models/" + name; }

// metadata.json as the loader uses it, checked: format and version, the image models' names (folder
// names, none that leaves the bundle), the classes, the positive class, the ensemble's threshold
// and a `files` object; the ensemble's Platt fit where `calibration` has one. Every Error names
// `path` and the key.
struct BundleMetadata {
  nlohmann::json json;
  std::vector<std::string> image_names;
  std::string positive, negative;
  double threshold = 0.5;
  std::vector<double> ensemble_platt;  // {A, B}, or empty
};
BundleMetadata parse_metadata(std::string_view text, const std::filesystem::path& path);

// The files a bundle with these parts must hold, relative to its folder; `clinical_model_file`
// is the clinical classifier's own file (named in clinical_model.json).
std::vector<std::string> required_files(const std::vector<std::string>& image_names,
                                        const std::string& clinical_model_file);

// {"relative/path": {"bytes": N, "sha256": "..."}} for metadata.json, from the files as they are
// in `folder`.
nlohmann::json describe_files(const std::filesystem::path& folder,
                              const std::vector<std::string>& files);

// Every file metadata.json lists is there with its recorded size and SHA-256; an Error names the
// first that is not.
void check_files(const std::filesystem::path& folder, const nlohmann::json& files);

}  // namespace deeptirp::bundle
