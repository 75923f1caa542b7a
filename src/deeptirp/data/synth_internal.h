#pragma once
// Pieces of the synthetic-study generator shared by synth.cpp, synth_image.cpp, synth_dicom.cpp.
#include <cstdint>
#include <filesystem>
#include <opencv2/core.hpp>
#include <random>
#include <string>
#include <vector>

#include "deeptirp/data/manifest.h"

namespace deeptirp::synth {

// What one lesion looks like; drawn once per patient so both views show the same lesion.
struct Lesion {
  bool tumour = true;
  double conspicuity = 1.0;  // scales every lesion sign; some lesions are faint
  double size = 0.7;         // core radius as a fraction of the shaft's half-width
  double elongation = 1.4;   // along the shaft
  bool sclerotic = false;    // dense core instead of a lytic one
  bool sharp = true;         // narrow zone of transition (well defined margin)
  bool expansile = false;    // thinned, bulging cortical shell
  bool moth_eaten = false;   // many small ill-defined holes
  bool sclerosis_ring = false;
  bool layered_periosteal = false;  // onion-skin lines along the shaft
  bool sunburst = false;            // spiculated periosteal reaction
  bool outgrowth = false;           // osteochondroma: a bony stalk off the cortex
  bool calcified = false;           // chondroid "rings and arcs" flecks
  bool swelling = false;            // soft-tissue swelling
};

Lesion draw_lesion(bool tumour, const std::string& subtype, std::mt19937_64& g);

struct Radiograph {
  cv::Mat stored;  // CV_16UC1, 12-bit values 0..4095, bone bright
  RoiBox roi;      // the lesion's box, inside the image
};

// centre 'C' gets another contrast curve, more noise and some blur (the external centre's shift).
Radiograph draw_radiograph(const Lesion& lesion, char centre, std::mt19937_64& g, int width,
                           int height);

struct DicomFields {
  std::string patient_name, patient_id;  // synthetic, must never be printed by our tools
  std::string study_uid, series_uid, instance_uid;
  int series_number = 1;
  int instance_number = 1;
  std::string view_position;  // AP or LL
  std::string body_part;
  bool monochrome1 = false;  // store inverted values (0 = white), as some CR systems do
  bool rle = false;          // RLE Lossless instead of explicit VR little endian
};

// The bytes of a DICOM file holding `stored` (12 bits stored in 16; bone bright).
std::string encode_dicom(const cv::Mat& stored, const DicomFields& fields);

// An image as the simulated readers see it.
struct ReadCase {
  std::string image;  // as clinical.csv names it
  int image_number = 0;
  bool tumour = true;
  double conspicuity = 1.0;
};

// readers.csv (image, reader, group, call, confidence): six readers, two each junior,
// intermediate and senior, call every image; harder (fainter) lesions are missed more often.
void write_reader_calls(const std::filesystem::path& path, const std::vector<ReadCase>& cases,
                        std::uint64_t seed);

}  // namespace deeptirp::synth
