// Sweep configs (solver/inputs/sweep.*): the JSON text through parse_sweep_config. The fuzz
// build lowers the sweep's cell limit (IONFLUX_SWEEP_MAX_CELLS, tests/fuzz/CMakeLists.txt) so
// that a valid config cannot legitimately allocate gigabytes of sampled values.
#include "solver/inputs/sweep.hpp"
#include "tests/fuzz/fuzz_common.hpp"

IONFLUX_FUZZ_TARGET(sweep) {
  using namespace ionflux_fuzz;
  if (size > kMaxInput) return 0;
  return expect_documented([&] {
    const ionflux::SweepSpec spec = ionflux::parse_sweep_config(text(data, size), "fuzz");
    (void)spec;
  });
}
