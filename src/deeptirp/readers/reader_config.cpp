// The study YAML's `readers` section: where the readers' calls are and what their columns are
// called.
#include <yaml-cpp/yaml.h>

#include "deeptirp/data/yaml_reader.h"
#include "deeptirp/readers/reader_study.h"

namespace deeptirp::readers {

ReaderConfig parse_reader_config(const YamlDocument& study) {
  ReaderConfig config;
  const YamlReader& r = study.reader;
  const std::filesystem::path& path = study.file();
  const YAML::Node section = study.section("readers");
  if (!section || section.IsNull()) return config;
  r.only_keys(section, "readers", {"calls", "columns"});
  std::string calls;
  r.get(section, "calls", "readers.calls", calls);
  if (calls.empty()) r.fail("readers.calls", "names no file of readers' calls");
  config.calls = calls;
  if (config.calls.is_relative()) config.calls = path.parent_path() / config.calls;

  const YAML::Node columns = section["columns"];
  r.only_keys(columns, "readers.columns", {"case", "reader", "group", "call", "confidence"});
  ReaderColumns& c = config.columns;
  r.get(columns, "case", "readers.columns.case", c.case_id);
  r.get(columns, "reader", "readers.columns.reader", c.reader);
  r.get(columns, "group", "readers.columns.group", c.group);
  r.get(columns, "call", "readers.columns.call", c.call);
  r.get(columns, "confidence", "readers.columns.confidence", c.confidence);
  for (const std::string* name : {&c.case_id, &c.reader, &c.call})
    if (name->empty()) r.fail("readers.columns", "a required column name is empty");
  return config;
}

}  // namespace deeptirp::readers
