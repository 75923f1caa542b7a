#include <map>
#include <set>
#include <tuple>

#include "deeptirp/evaluate/evaluate.h"

namespace deeptirp::evaluate {

nlohmann::json data_summary(const Manifest& manifest) {
  using Key = std::tuple<std::size_t, std::string, std::string>;  // split order, class, centre
  std::map<Key, std::pair<std::size_t, std::set<std::string>>> cells;
  for (const Case& c : manifest.cases) {
    const auto split = std::find(kSplitNames.begin(), kSplitNames.end(), c.split);
    auto& cell = cells[{static_cast<std::size_t>(split - kSplitNames.begin()), c.label, c.centre}];
    ++cell.first;
    cell.second.insert(c.patient_id);
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [key, cell] : cells) {
    const std::size_t split = std::get<0>(key);
    rows.push_back({{"split", split < kSplitNames.size() ? kSplitNames[split] : "(none)"},
                    {"class", std::get<1>(key)},
                    {"centre", std::get<2>(key)},
                    {"images", cell.first},
                    {"patients", cell.second.size()}});
  }
  return rows;
}

}  // namespace deeptirp::evaluate
