// Small helpers shared by the test files: a scratch directory and the check that an
// error has the expected type and message.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>  // mkdtemp

#include <exception>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace ionflux {
namespace testing {

//! A fresh directory under the system temp dir, removed with everything in it at the end.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "ionflux_test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "_XXXXXX")).string();
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

//! Runs f and expects exception E (that type or a subclass) whose message contains every
//! string in `parts` and is one line (the CLI prints messages as single lines).
template <class E, class Fn>
void expect_throw_with(Fn f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no exception thrown";
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& part : parts) EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << "message is not one line: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

}  // namespace testing
}  // namespace ionflux
