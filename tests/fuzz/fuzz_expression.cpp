// Expressions (solver/inputs/expression.*): the first byte chooses the allowed variables and
// the compile options; the rest is compiled, specialised at T = 298.15 K and evaluated.
#include "solver/inputs/expression.hpp"
#include "tests/fuzz/fuzz_common.hpp"

IONFLUX_FUZZ_TARGET(expression) {
  using namespace ionflux_fuzz;
  if (size < 1 || size > kMaxInput) return 0;
  const unsigned allowed = data[0] & ionflux::kAllVariables;
  ionflux::CompileOptions opt;
  opt.table = (data[0] & 0x40) != 0;
  opt.regularise_powers = (data[0] & 0x80) != 0;
  const std::string s = text(data + 1, size - 1);
  return expect_documented([&] {
    const ionflux::expr::Program p = ionflux::compile_expression(s, allowed, opt);
    (void)ionflux::evaluate_expression(p, 0.5, 1000.0, 20000.0, 50000.0, 298.15, 0.3);
    const ionflux::expr::Program q = ionflux::specialize(p, ionflux::expr::Var::T, 298.15);
    (void)ionflux::evaluate_expression(q, 0.1, 0.0, 0.0, 1.0, 250.0, 0.0);
  });
}
