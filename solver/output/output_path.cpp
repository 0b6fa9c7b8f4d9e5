#include "solver/output/output_path.hpp"

#include <filesystem>

#include "solver/util/errors.hpp"

namespace ionflux {

void check_output_is_not_an_input(const std::string& output,
                                  const std::vector<std::pair<std::string, std::string>>& inputs,
                                  const std::string& label) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(output, ec)) return;  // a file that does not exist is no input
  for (const auto& [path, what] : inputs) {
    if (path.empty() || !fs::is_regular_file(path, ec)) continue;
    if (fs::equivalent(output, path, ec) && !ec)
      throw InputError(label + " '" + output + "' is the " + what + " '" + path +
                       "': writing the output would destroy it; choose another output file");
  }
}

}  // namespace ionflux
