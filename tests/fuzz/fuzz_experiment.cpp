// Experiment strings (solver/inputs/experiment.*): one step per line, a line "--" starts the
// next cycle group; the first byte chooses the repeat count (1-3). Parsed against Chen2020.
#include <vector>

#include "solver/inputs/experiment.hpp"
#include "tests/fuzz/fuzz_common.hpp"

IONFLUX_FUZZ_TARGET(experiment) {
  using namespace ionflux_fuzz;
  if (size < 1 || size > kMaxInput) return 0;
  static const ionflux::ParameterSet params = ionflux::ParameterSet::load("Chen2020");
  const int repeat = 1 + data[0] % 3;
  const std::string s = text(data + 1, size - 1);
  std::vector<std::vector<std::string>> groups(1);
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    const std::string line = s.substr(start, end - start);
    if (line == "--") groups.emplace_back();
    else groups.back().push_back(line);
    start = end + 1;
  }
  // drive-cycle files are looked up relative to a directory that does not exist
  return expect_documented([&] {
    const ionflux::Experiment e = ionflux::parse_experiment(groups, repeat, params, "/nonexistent/ionflux-fuzz");
    (void)e;
  });
}
