#pragma once
// Printing the result of a `deeptirp stats` verb: JSON with the key
// names (--json), or an aligned table for reading at the terminal. Both come
// from one ordered JSON object.
#include <iosfwd>
#include <nlohmann/json.hpp>

namespace deeptirp::cli {

using StatsResult = nlohmann::ordered_json;

// Scalars print as "key  value" lines; arrays of objects (bins, categories) as
// small tables.
void print_stats(const StatsResult &result, bool as_json, std::ostream &out);

}  // namespace deeptirp::cli
