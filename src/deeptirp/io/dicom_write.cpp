#include "deeptirp/io/dicom_write.h"

#include <gdcmSequenceOfItems.h>

#include "deeptirp/error.h"
#include "deeptirp/io/sha256.h"

namespace deeptirp {

void put_element(gdcm::DataSet& ds, const gdcm::Tag& tag, gdcm::VR vr, std::string value) {
  if (value.size() % 2) value.push_back(vr == gdcm::VR::UI ? '\0' : ' ');
  gdcm::DataElement de(tag);
  de.SetVR(vr);
  de.SetByteValue(value.data(), static_cast<gdcm::VL::Type>(value.size()));
  ds.Replace(de);
}

void put_sequence(gdcm::DataSet& ds, const gdcm::Tag& tag, const std::vector<gdcm::Item>& items) {
  gdcm::SmartPointer<gdcm::SequenceOfItems> sq = new gdcm::SequenceOfItems;
  sq->SetLengthToUndefined();
  for (const auto& item : items) sq->AddItem(item);
  gdcm::DataElement de(tag);
  de.SetVR(gdcm::VR::SQ);
  de.SetValue(*sq);
  de.SetVLToUndefined();
  ds.Replace(de);
}

gdcm::Item code_item(const std::string& value, const std::string& scheme,
                     const std::string& meaning) {
  gdcm::Item item;
  item.SetVLToUndefined();
  gdcm::DataSet& ds = item.GetNestedDataSet();
  put_element(ds, gdcm::Tag(0x0008, 0x0100), gdcm::VR::SH, value);
  put_element(ds, gdcm::Tag(0x0008, 0x0102), gdcm::VR::SH, scheme);
  put_element(ds, gdcm::Tag(0x0008, 0x0104), gdcm::VR::LO, meaning);
  return item;
}

std::string uid_from_bytes(std::string_view bytes) {
  if (bytes.size() < 16) throw Error("uid_from_bytes needs 16 bytes");
  unsigned __int128 n = 0;
  for (int i = 0; i < 16; ++i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(n % 10)));
    n /= 10;
  } while (n > 0);
  return "2.25." + digits;
}

std::string derived_uid(std::string_view text) { return uid_from_bytes(sha256_digest(text)); }

}  // namespace deeptirp
