// BPX files (solver/inputs/bpx.*): the JSON text through parse_bpx, then the set's validation
// and its cell parameters at 1 A.
#include "solver/inputs/bpx.hpp"
#include "tests/fuzz/fuzz_common.hpp"

IONFLUX_FUZZ_TARGET(bpx) {
  using namespace ionflux_fuzz;
  if (size > kMaxInput) return 0;
  return expect_documented([&] {
    const ionflux::ParameterSet p = ionflux::parse_bpx(text(data, size), "/nonexistent/fuzz.bpx.json");
    p.validate();
    (void)p.cell_params(1.0);
  });
}
