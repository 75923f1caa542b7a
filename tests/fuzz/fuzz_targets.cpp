#include "fuzz_targets.h"

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "deeptirp/bundle/bundle_files.h"
#include "deeptirp/data/manifest.h"
#include "deeptirp/data/study_config.h"
#include "deeptirp/data/yaml_reader.h"
#include "deeptirp/error.h"
#include "deeptirp/io/csv.h"
#include "deeptirp/io/dicom.h"
#include "deeptirp/io/dicom_deidentify.h"
#include "deeptirp/io/radiograph.h"
#include "deeptirp/models/pickle.h"
#include "deeptirp/models/state_dict.h"

namespace deeptirp::fuzz {
namespace {

void dicom(std::string_view bytes) {
  const DicomHeader header = parse_dicom_header(bytes, "fuzz.dcm");
  if (!header.has_pixel_data || !header.pixel_data_problem.empty()) return;
  display_image(decode_dicom(bytes, "fuzz.dcm"));
}

// GDCM's writer, too, meets whatever a parsed data set holds.
void deidentify(std::string_view bytes) {
  static const Deidentifier deidentifier({"shift", "a fixed key for the fuzzer"});
  deidentifier.apply(bytes, "fuzz.dcm");
}

void radiograph(std::string_view bytes) { decode_radiograph(bytes, "fuzz-image"); }

const char* kStudy =
    "target: diagnosis\npositive: tumour\nclasses: [infection, tumour]\n"
    "clinical: {numeric: [age], categorical: [sex, site]}\n";

void csv(std::string_view bytes) {
  const CsvTable table = parse_csv(bytes, "fuzz.csv");
  const StudyConfig study = parse_study_config(YamlDocument::parse(kStudy, "study.yaml"));
  manifest_from_table(table, "fuzz.csv", study, {true}, nullptr);
}

void study_yaml(std::string_view bytes) {
  const YamlDocument yaml = YamlDocument::parse(std::string(bytes), "fuzz.yaml");
  parse_study_config(yaml);
}

void safetensors(std::string_view bytes) { read_safetensors_bytes(bytes, "fuzz.safetensors"); }

void pth(std::string_view bytes) { read_pth_bytes(bytes, "fuzz.pth"); }

// data.pkl alone: a mutated zip rarely stays a zip, so the unpickler gets its own target, with the
// globals a state dict needs allowed and the hooks answering with placeholders.
void pickle_bytes(std::string_view bytes) {
  pickle::Hooks hooks;
  hooks.globals = {"collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
                   "torch._utils._rebuild_parameter", "torch.FloatStorage"};
  hooks.call = [](const std::string&, const std::vector<pickle::ValuePtr>&) {
    return pickle::make_value(pickle::Value::Kind::Dict);
  };
  hooks.persistent_load = [](const pickle::ValuePtr&) {
    return pickle::make_value(pickle::Value::Kind::None);
  };
  pickle::unpickle(bytes, "fuzz.pkl", hooks);
}

void bundle_metadata(std::string_view bytes) {
  bundle::parse_metadata(bytes, "fuzz/metadata.json");
}

}  // namespace

const std::vector<Target>& targets() {
  static const std::vector<Target> all = {
      {"dicom", dicom},           {"radiograph", radiograph},           {"csv", csv},
      {"study_yaml", study_yaml}, {"safetensors", safetensors},         {"pth", pth},
      {"pickle", pickle_bytes},   {"bundle_metadata", bundle_metadata}, {"deidentify", deidentify}};
  return all;
}

const Target& target(const std::string& name) {
  for (const auto& t : targets())
    if (t.name == name) return t;
  std::fprintf(stderr, "no fuzz target '%s'\n", name.c_str());
  std::abort();
}

void run_one(const Target& target, const uint8_t* data, size_t size) {
  try {
    target.run(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const Error&) {
    // The expected answer to bad bytes.
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: an exception other than deeptirp::Error escaped: %s\n",
                 target.name.c_str(), e.what());
    std::abort();
  }
}

}  // namespace deeptirp::fuzz
