#pragma once
// RLE Lossless (DICOM PS3.5 Annex G) for single-sample frames. GDCM 3.0 decodes RLE one run at a
// time through a std::ostream, about 20x slower than this loop (bench/bench_decode.cpp); GDCM
// still handles every other case (colour, multi-frame), and the tests hold both to the reference.
#include <opencv2/core.hpp>
#include <string>
#include <string_view>

namespace deeptirp {

// Decodes one frame (all its fragments joined) into `out`, which must already have the frame's
// size and type (CV_8UC1, CV_16UC1 or CV_16SC1). Throws Error naming `name` on corrupt data.
void decode_rle_frame(std::string_view frame, cv::Mat& out, const std::string& name);

}  // namespace deeptirp
