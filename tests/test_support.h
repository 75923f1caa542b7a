#pragma once
// Helpers shared by the tests: where ../shared is, skipping without it, scratch folders.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace deeptirp::testing {

// ../shared beside the checkout, or empty when this clone has none (a user's clone).
std::filesystem::path shared_dir();

// A fresh, empty folder under the system's temporary directory, removed at exit.
std::filesystem::path scratch_dir(const std::string& name);

// Runs a shell command and returns its exit status; stdout+stderr go to `output`.
int run_command(const std::string& command, std::string* output = nullptr);

// The Debian python3 with torch, sklearn and pydicom, or empty when absent.
std::string reference_python();

// The message of the deeptirp::Error that `f` throws, or "no error".
std::string error_of(const std::function<void()>& f);

// The "Error" lines dicom3tools' dciodvfy reports for a DICOM file (its check against the file's
// IOD), or none at all when dciodvfy is not installed (Debian dicom3tools).
std::optional<std::vector<std::string>> iod_errors(const std::filesystem::path& file);

}  // namespace deeptirp::testing

// Skips the current test with a message when ../shared is absent.
#define DEEPTIRP_REQUIRE_SHARED()                                                    \
  do {                                                                               \
    if (::deeptirp::testing::shared_dir().empty())                                   \
      GTEST_SKIP() << "../shared is absent in this clone; this test needs its data"; \
  } while (0)
