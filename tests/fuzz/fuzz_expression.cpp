// Expressions (solver/inputs/expression.*): the first byte chooses the allowed variables and
// the compile options; the rest is compiled, specialised at T = 298.15 K and evaluated.
//
// Every program that compiles is also evaluated by the batched interpreter
// (expr::evaluate_points, which the CPU residual and Jacobian run for every user function)
// and compared, point by point, with the pointwise interpreter (expr::evaluate, the
// reference): in doubles and in Dual<2> (derivatives along c_e and c_s_surf), in
// one batch of 64 (the CPU's), split into batches of 7 (a partial last batch) and into
// single points (the GPU's batch size, here compiled for the CPU), with
// every argument varying at once and with one varying and the rest fixed (the form that
// takes evaluate_points' shortcuts). The two do the same operations on the same operands
// per point (kernels/model/expression.hpp), so the values must agree bit for bit (a NaN
// with any NaN); a difference traps, which libFuzzer reports as a crash.
#include <cmath>
#include <cstring>

#include "kernels/model/dual.hpp"
#include "kernels/model/expression.hpp"
#include "solver/inputs/expression.hpp"
#include "tests/expression_points.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {

using ionflux::Dual;
namespace expr = ionflux::expr;

constexpr int kPoints = 37;

bool same(double a, double b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  return std::memcmp(&a, &b, sizeof a) == 0;
}
bool same(const Dual<2>& a, const Dual<2>& b) { return same(a.v, b.v) && same(a.d[0], b.d[0]) && same(a.d[1], b.d[1]); }

//! Argument k of point j: a spread over each argument's physical range, with the values at
//! which functions bend or break (0, negatives, sto beyond [0, 1], c_s_surf = c_s_max).
double argument(int k, int j) {
  const double u = (j * 0.6180339887498949) - std::floor(j * 0.6180339887498949);  // in [0, 1)
  switch (k) {
    case 0: return j % 9 == 0 ? 0.0 : (j % 11 == 0 ? 1.0 : -0.05 + 1.1 * u);  // sto
    case 1: return j % 8 == 0 ? 0.0 : (j % 13 == 0 ? -1.0 : 4000.0 * u);     // c_e
    case 2: return j % 10 == 0 ? 51765.0 : 60000.0 * u;                      // c_s_surf
    case 3: return 51765.0;                                                  // c_s_max
    case 4: return 250.0 + 100.0 * u;                                        // T
    case 5: return 0.05 + 0.9 * u;                                           // eps
    default: return 0.0;
  }
}

//! The points: each argument's values at kPoints points (argument()), and point 0's
//! values as the fixed arguments; the Dual<2> copies seeded in c_e and c_s_surf.
struct Points {
  double vars[expr::kSlots];
  Dual<2> dvars[expr::kSlots];
  double cols[expr::kSlots][kPoints];
  Dual<2> dcols[expr::kSlots][kPoints];
};
const Points& points() {
  static const Points pts = [] {
    Points q{};
    auto dual = [](int k, double x) { return k == 1 || k == 2 ? Dual<2>::variable(x, k - 1) : Dual<2>(x); };
    for (int k = 0; k < expr::kSlots; ++k) {
      q.vars[k] = k == expr::kCeScaleSlot ? 1000.0 : argument(k, 0);
      q.dvars[k] = dual(k, q.vars[k]);
      for (int j = 0; j < kPoints; ++j) {
        q.cols[k][j] = argument(k, j);
        q.dcols[k][j] = dual(k, q.cols[k][j]);
      }
    }
    return q;
  }();
  return pts;
}

//! The batch (batches of B) against the pointwise interpreter over the points, each
//! argument of `varying` (bits 0-5: sto ... eps) at its own values and the others at
//! point 0's.
template <int B>
void compare_points(const expr::Program& p, unsigned varying) {
  const Points& q = points();
  const double* cols[expr::kSlots] = {};
  const Dual<2>* dcols[expr::kSlots] = {};
  for (int k = 0; k < 6; ++k)
    if (varying & (1u << k)) {
      cols[k] = q.cols[k];
      dcols[k] = q.dcols[k];
    }
  double out[kPoints], want[kPoints];
  Dual<2> dout[kPoints], dwant[kPoints];
  ionflux::testing::batch_and_pointwise<B>(p, q.vars, cols, kPoints, out, want);
  ionflux::testing::batch_and_pointwise<B>(p, q.dvars, dcols, kPoints, dout, dwant);
  for (int j = 0; j < kPoints; ++j)
    if (!same(out[j], want[j]) || !same(dout[j], dwant[j])) __builtin_trap();
}

void compare_all(const expr::Program& p) {
  for (unsigned varying : {0x3fu, 0x01u, 0x02u, 0x04u, 0x10u}) {
    compare_points<64>(p, varying);
    compare_points<7>(p, varying);
    compare_points<1>(p, varying);
  }
}

}  // namespace

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
    compare_all(p);
    const ionflux::expr::Program q = ionflux::specialize(p, ionflux::expr::Var::T, 298.15);
    (void)ionflux::evaluate_expression(q, 0.1, 0.0, 0.0, 1.0, 250.0, 0.0);
    compare_all(q);
  });
}
