#pragma once
// The marker segments of a JPEG codestream up to its first scan, checked before GDCM's JPEG codec
// reads them (internal to the DICOM reader): that codec asserts, and so aborts the process, on a
// header that libjpeg only warns about (bytes between two markers, say) or on a component count
// it does not expect.
#include <string>
#include <string_view>

namespace deeptirp {

// "" when `codestream` starts with SOI, its segments follow one another up to a start of scan,
// and its frame header gives 2-16 bits, `rows` x `columns` and `samples` components; else what
// is wrong.
std::string jpeg_header_problem(std::string_view codestream, int rows, int columns, int samples);

}  // namespace deeptirp
