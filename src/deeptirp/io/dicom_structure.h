#pragma once
// A walk over the element structure of a DICOM file before GDCM parses it (internal to the DICOM
// reader). Debian's GDCM is built with assertions on, and it aborts the process on a stream that
// ends inside an element header or value (a file cut in its meta group, or anywhere before the
// pixel data). An abort cannot be caught, so every element of the file is checked to lie inside
// the bytes first: tag, VR, length, nested sequences and items, encapsulated fragments. A file
// that passes is one GDCM reads to the end; one that fails gets an Error naming the file, the
// element and the byte offset.
#include <cstdint>
#include <string>
#include <string_view>

namespace deeptirp {

// What the walk saw of the top-level Pixel Data (7FE0,0010).
struct PixelDataExtent {
  bool present = false;
  bool encapsulated = false;  // undefined length: compressed fragments
  uint64_t length = 0;        // native: the element's length; encapsulated: bytes of all fragments
  int fragments = 0;          // encapsulated: items after the Basic Offset Table
  bool ends_with_eoi =
      false;  // encapsulated: the last fragment ends with FF D9 (JPEG family EOI/EOC)
  std::string_view first_fragment;  // encapsulated: the first fragment's bytes (in the input)
};

struct DicomStructure {
  std::string transfer_syntax_uid;  // from the meta group; empty without one
  bool deflated = false;
  PixelDataExtent pixel_data;
  // The top-level Icon Image Sequence (0088,0200), tag to end of value, in the input; empty when
  // absent or deflated. GDCM's image reader decodes icons too, and asserts on a malformed palette
  // in one; deeptirp never shows an icon, so the image is decoded without it.
  std::string_view icon_sequence;
};

// A preamble and "DICM", or a data set without meta group whose first element is of group 0002 or
// 0008 (every real file starts so). Says nothing of the rest.
bool starts_like_dicom(std::string_view bytes);

// Throws Error naming `name` when an element does not fit in the bytes, a VR or item is malformed,
// nesting is deeper than any real file's, or a deflated data set does not inflate.
DicomStructure check_dicom_structure(std::string_view bytes, const std::string& name);

}  // namespace deeptirp
