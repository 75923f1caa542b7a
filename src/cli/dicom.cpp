// `deeptirp dicom info|convert|deidentify`: look inside a DICOM radiograph, turn it into a PNG,
// or de-identify a folder of them. Prints technical header facts only, never patient identifiers.
#include "deeptirp/io/dicom.h"

#include <gdcmTrace.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "cli/command.h"
#include "deeptirp/error.h"
#include "deeptirp/io/atomic_file.h"
#include "deeptirp/io/byte_source.h"
#include "deeptirp/io/dicom_deidentify.h"

namespace deeptirp::cli {
namespace {

nlohmann::json header_json(const DicomHeader& h) {
  nlohmann::json j = {{"modality", h.modality},
                      {"rows", h.rows},
                      {"columns", h.columns},
                      {"samples_per_pixel", h.samples_per_pixel},
                      {"bits_allocated", h.bits_allocated},
                      {"bits_stored", h.bits_stored},
                      {"high_bit", h.high_bit},
                      {"pixel_representation", h.pixel_representation},
                      {"photometric_interpretation", h.photometric_interpretation},
                      {"transfer_syntax_uid", h.transfer_syntax_uid},
                      {"transfer_syntax_name", h.transfer_syntax_name},
                      {"rescale_slope", h.rescale_slope},
                      {"rescale_intercept", h.rescale_intercept},
                      {"window_center", nullptr},
                      {"window_width", nullptr},
                      {"voi_lut_function", h.voi_lut_function},
                      {"number_of_frames", h.number_of_frames},
                      {"has_modality_lut", h.has_modality_lut},
                      {"has_voi_lut", h.has_voi_lut},
                      {"has_pixel_data", h.has_pixel_data},
                      {"pixel_data_problem", h.pixel_data_problem}};
  if (h.window_center) j["window_center"] = *h.window_center;
  if (h.window_width) j["window_width"] = *h.window_width;
  return j;
}

void print_header(const DicomHeader& h, std::ostream& out) {
  out << "modality: " << (h.modality.empty() ? "(none)" : h.modality) << "\n"
      << "size: " << h.columns << " x " << h.rows << " (columns x rows), " << h.number_of_frames
      << " frame(s), " << h.samples_per_pixel << " sample(s)/pixel\n"
      << "bits: " << h.bits_stored << " stored / " << h.bits_allocated << " allocated, "
      << (h.pixel_representation == 1 ? "signed" : "unsigned") << "\n"
      << "photometric interpretation: " << h.photometric_interpretation << "\n"
      << "transfer syntax: " << h.transfer_syntax_uid << " (" << h.transfer_syntax_name << ")\n"
      << "rescale: slope " << h.rescale_slope << ", intercept " << h.rescale_intercept
      << (h.has_modality_lut ? " (overridden by a Modality LUT Sequence)" : "") << "\n"
      << "window: ";
  if (h.window_center && h.window_width)
    out << "center " << *h.window_center << ", width " << *h.window_width << ", function "
        << h.voi_lut_function;
  else
    out << "(none)";
  out << (h.has_voi_lut ? "; VOI LUT Sequence present" : "") << "\n"
      << "pixel data: "
      << (!h.has_pixel_data              ? "absent"
          : h.pixel_data_problem.empty() ? "present"
                                         : "present but unusable: " + h.pixel_data_problem)
      << "\n";
}

struct ConvertOptions {
  std::string input;
  std::string output;
  bool stored = false;
  bool eight_bit = false;
};

void convert(const ConvertOptions& options) {
  const DicomImage image = read_dicom(options.input);
  cv::Mat out;
  if (options.stored) {
    if (image.stored.depth() != CV_16U)
      throw Error(options.input +
                  ": --stored needs unsigned stored values; this file holds "
                  "signed ones (Pixel Representation 1), which PNG cannot keep");
    out = image.stored;
  } else {
    out = display_image(image);
  }
  if (options.eight_bit) out.convertTo(out, CV_8U, 1.0 / 257.0);
  std::vector<uchar> png;
  if (!cv::imencode(".png", out, png)) throw Error(options.output + ": PNG encoding failed");
  write_file_atomically(options.output,
                        std::string_view(reinterpret_cast<const char*>(png.data()), png.size()));
}

void add_deidentify(CLI::App& dicom) {
  auto run = std::make_shared<DeidentifyRun>();
  auto inputs = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>(), key_file = std::make_shared<std::string>();
  CLI::App* cmd = dicom.add_subcommand(
      "deidentify",
      "De-identify DICOM files (PS3.15 basic profile): UIDs remapped consistently, dates shifted "
      "or removed, pixel data unchanged; written as <new SOP Instance UID>.dcm");
  cmd->add_option("IN", *inputs, "DICOM files or folders (searched recursively)")->required();
  cmd->add_option("--out", *out, "Folder for the de-identified files")->required();
  cmd->add_option("--dates", run->options.dates,
                  "shift (by whole days per patient, intervals kept) | remove")
      ->capture_default_str()
      ->check(CLI::IsMember({"shift", "remove"}));
  cmd->add_option("--key-file", *key_file,
                  "Secret key: the same key gives the same UIDs, pseudonyms and shifts on a rerun "
                  "(default: a random key, forgotten after the run)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--progress", run->progress, "auto | bar | plain | quiet")->capture_default_str();
  cmd->callback([run, inputs, out, key_file] {
    for (const auto& input : *inputs) run->inputs.emplace_back(input);
    run->out = *out;
    if (!key_file->empty()) {
      run->options.secret = read_file_bytes(*key_file);
      if (run->options.secret.size() < 16)
        throw Error(*key_file + ": a key needs at least 16 bytes");
    }
    const DeidentifyReport report = deidentify_files(*run);
    for (const auto& warning : report.warnings)
      std::cerr << "deeptirp: warning: " << warning << "\n";
    for (const auto& failure : report.failures) std::cerr << "deeptirp: error: " << failure << "\n";
    std::cout << "wrote " << report.written << " de-identified files to " << *out;
    if (report.skipped) std::cout << " (skipped " << report.skipped << " files that are not DICOM)";
    std::cout << "\n";
    if (!report.failures.empty())
      throw Error(std::to_string(report.failures.size()) + " files could not be de-identified");
  });
}

void add_dicom(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("dicom", "Inspect and convert DICOM radiographs");
  cmd->require_subcommand(1);
  // GDCM's own warnings (unknown SOP classes, JFIF density...) would bury our one-line errors.
  cmd->preparse_callback([](size_t) {
    gdcm::Trace::WarningOff();
    gdcm::Trace::ErrorOff();
  });

  auto info_file = std::make_shared<std::string>();
  auto as_json = std::make_shared<bool>(false);
  CLI::App* info = cmd->add_subcommand("info",
                                       "Print the image facts of a DICOM file "
                                       "(never patient identifiers)");
  info->add_option("FILE", *info_file, "DICOM file")->required();
  info->add_flag("--json", *as_json, "Print JSON instead of text");
  info->callback([info_file, as_json] {
    const DicomHeader header = read_dicom_header(*info_file);
    if (*as_json)
      std::cout << header_json(header).dump(2) << "\n";
    else
      print_header(header, std::cout);
  });

  auto options = std::make_shared<ConvertOptions>();
  CLI::App* conv = cmd->add_subcommand(
      "convert",
      "Write a DICOM radiograph as a 16-bit PNG, display-ready (bone bright) by default");
  conv->add_option("FILE", options->input, "DICOM file")->required();
  conv->add_option("--out", options->output, "PNG to write (atomically)")->required();
  conv->add_flag("--stored", options->stored,
                 "Write the raw stored values instead of the display image");
  conv->add_flag("--8bit", options->eight_bit, "Write an 8-bit PNG (values / 257)");
  conv->callback([options] { convert(*options); });
  add_deidentify(*cmd);
}

const bool registered = register_command(50, add_dicom);

}  // namespace
}  // namespace deeptirp::cli
