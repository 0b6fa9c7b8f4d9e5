// The expression compiler (solver/inputs/expression.cpp) and evaluator
// (kernels/model/expression.hpp).
//
// Expected values: tests/fixtures/expressions.json, written by
// tests/fixtures/generate_expression_fixture.py, which evaluates the same expression
// text with Python's own parser and math module (`^` -> `**`) on a grid. Both sides
// do the same IEEE operations in the same order with the same libm (except exp, tanh and
// 10^x, within 1-2 ulp of libm's: VectorisableExpIsWithinOneUlpOfLibm), so the issue's
// 1e-14 relative bound has room for a different libm on another machine (~1 ulp per
// call) but not for a wrong precedence, associativity or function.
#include <gtest/gtest.h>

#include <algorithm>
#include <clocale>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../expression_points.hpp"
#include "../test_support.hpp"
#include "kernels/model/user_function.hpp"
#include "solver/inputs/expression.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

using testing::json;
using testing::load_fixture;

TEST(Expression, AgreesWithPythonOnAGrid) {
  const json& cases = load_fixture("expressions.json")["cases"];
  ASSERT_GE(cases.size(), 20u);
  for (const auto& c : cases) {
    const std::string text = c["expression"];
    SCOPED_TRACE(text);
    const expr::Program p = compile_expression(text);
    double worst = 0.0;
    for (const auto& row : c["points"]) {
      const double expected = row[5];
      const double got = evaluate_expression(p, row[0], row[1], row[2], row[3], row[4]);
      const double rel = std::fabs(got - expected) / std::max(std::fabs(expected), 1e-300);
      worst = std::max(worst, rel);
    }
    EXPECT_LE(worst, 1e-14);
  }
}

//! The Dual evaluation gives the value of the double one and derivatives that agree
//! with central differences (a check of every derivative rule, including x^y in y).
TEST(Expression, DualDerivativesMatchFiniteDifferences) {
  const json& cases = load_fixture("expressions.json")["cases"];
  for (const auto& c : cases) {
    const std::string text = c["expression"];
    SCOPED_TRACE(text);
    const expr::Program p = compile_expression(text);
    const double base[] = {0.37, 1234.0, 0.37 * 51765.0, 51765.0, 301.0};
    Dual<5> vars[5];
    for (int k = 0; k < 5; ++k) vars[k] = Dual<5>::variable(base[k], k);
    const Dual<5> d = expr::evaluate(p, vars);
    // Dual division multiplies by the reciprocal: equal to within rounding.
    const double value = expr::evaluate(p, base);
    EXPECT_NEAR(d.v, value, 4e-16 * std::fabs(value));
    for (int k = 0; k < 5; ++k) {
      const double h = 1e-6 * std::fabs(base[k]);
      double up[5], dn[5];
      for (int m = 0; m < 5; ++m) up[m] = dn[m] = base[m];
      up[k] += h;
      dn[k] -= h;
      const double fd = (expr::evaluate(p, up) - expr::evaluate(p, dn)) / (2 * h);
      // Central differences are accurate to ~1e-8 relative of the value's scale here;
      // the bound scales with the value so that small functions (diffusivities ~1e-14)
      // are checked as strictly as large ones.
      EXPECT_NEAR(d.d[k], fd, 1e-6 * (std::fabs(fd) + std::fabs(d.v) / std::fabs(base[k])))
          << "argument " << variable_name(static_cast<expr::Var>(k));
    }
  }
}

TEST(Expression, PowerInBothOperandsHasBothDerivatives) {
  // d/dx x^y = y x^(y-1), d/dy x^y = x^y log x, at x = 2, y = 3.
  const expr::Program p = compile_expression("sto ^ T");
  Dual<2> v[5] = {Dual<2>::variable(2.0, 0), 0.0, 0.0, 0.0, Dual<2>::variable(3.0, 1)};
  const Dual<2> r = expr::evaluate(p, v);
  EXPECT_DOUBLE_EQ(r.v, 8.0);
  EXPECT_DOUBLE_EQ(r.d[0], 12.0);
  EXPECT_DOUBLE_EQ(r.d[1], 8.0 * std::log(2.0));
}

TEST(Expression, DerivativesStayFiniteWhereAnOperandDoesNotVary) {
  // At c_s_surf = c_s_max, (c_s_max - c_s_surf)^0.5 has an infinite slope, but it
  // multiplies zero derivative directions only: the others must stay finite.
  const expr::Program p = compile_expression("c_e ^ 0.5 * (c_s_max - c_s_surf) ^ 0.5 + sto");
  Dual<2> v[5] = {Dual<2>::variable(0.5, 0), Dual<2>::variable(1000.0, 1), 100.0, 100.0, 298.15};
  const Dual<2> r = expr::evaluate(p, v);
  EXPECT_EQ(r.v, 0.5);
  EXPECT_EQ(r.d[0], 1.0);
  EXPECT_EQ(r.d[1], 0.0);
  // |x| has derivative sign(x): 0 at 0, as PyBaMM's AbsoluteValue.
  Dual<1> w[5] = {Dual<1>::variable(0.5, 0), 0.0, 0.0, 0.0, 0.0};
  EXPECT_EQ(expr::evaluate(compile_expression("abs(sto - 0.5)"), w).d[0], 0.0);
}

TEST(Expression, MinAndMaxFollowPython) {
  // Python's min/max keep the first argument unless the second compares smaller/larger,
  // so a NaN first argument wins and a NaN second one loses.
  const double nan_first[] = {NAN, 0.0, 0.0, 0.0, 0.0};
  EXPECT_TRUE(std::isnan(expr::evaluate(compile_expression("min(sto, 1)"), nan_first)));
  EXPECT_EQ(expr::evaluate(compile_expression("min(1, sto)"), nan_first), 1.0);
  EXPECT_TRUE(std::isnan(expr::evaluate(compile_expression("max(sto, 1)"), nan_first)));
  EXPECT_EQ(expr::evaluate(compile_expression("max(1, sto)"), nan_first), 1.0);
}

//! The error's position (0-based) and a phrase of its message.
void expect_error(const std::string& text, std::size_t position, const std::string& phrase,
                  unsigned allowed = kAllVariables) {
  SCOPED_TRACE(text);
  try {
    compile_expression(text, allowed);
    FAIL() << "no error";
  } catch (const ExpressionError& e) {
    EXPECT_EQ(e.position, position) << e.what();
    EXPECT_NE(std::string(e.what()).find(phrase), std::string::npos) << e.what();
    // The message shows the text and a caret under the position.
    EXPECT_NE(std::string(e.what()).find("\n  " + std::string(position, ' ') + "^"), std::string::npos) << e.what();
  }
}

TEST(Expression, ErrorsNameTheProblemAndPosition) {
  expect_error("", 0, "empty");
  expect_error("   ", 3, "empty");
  expect_error("1 +", 3, "ends early");
  expect_error("2 * (sto + 1", 12, "missing ')'");
  expect_error("sto + 1)", 7, "unmatched ')'");
  expect_error("sto 2", 4, "unexpected '2'");
  expect_error("sto + # 2", 6, "unexpected '#'");
  expect_error("1.2.3", 3, "unexpected '.'");
  expect_error("1e+ * sto", 0, "exponent without digits");
  expect_error("2 * stoo", 4, "did you mean 'sto'");
  expect_error("exq(sto)", 0, "unknown function 'exq' (did you mean 'exp'");
  expect_error("exp sto", 0, "needs its arguments in parentheses");
  expect_error("max(sto)", 7, "takes 2 arguments");
  expect_error("exp(sto, 2)", 7, "takes 1 argument");
  expect_error("exp(sto", 7, "missing ')' after the arguments of exp");
  // A variable the parameter does not take: electrolyte functions see c_e and T only.
  const unsigned electrolyte = (1u << static_cast<int>(expr::Var::c_e)) | (1u << static_cast<int>(expr::Var::T));
  expect_error("1 + sto", 4, "uses 'sto' at position 5, but this function's arguments are (c_e, T)", electrolyte);
  EXPECT_NO_THROW(compile_expression("c_e * T", electrolyte));
}

TEST(Expression, LimitsAreReportedNotOverrun) {
  std::string deep;
  for (int k = 0; k < 40; ++k) deep += "(1 + ";
  deep += "sto";
  for (int k = 0; k < 40; ++k) deep += ")";
  // Each "(1 + " leaves a pending 1; the (kMaxStack+1)-th is the '1' of group kMaxStack.
  expect_error(deep, 5 * expr::kMaxStack + 1, "nests too deeply");
  // Exactly kMaxStack pending values is accepted (and evaluates); one more is not.
  std::string at_limit;
  for (int k = 0; k < expr::kMaxStack - 1; ++k) at_limit += "(1 + ";
  at_limit += "sto" + std::string(expr::kMaxStack - 1, ')');
  const double vars[] = {0.5, 0, 0, 0, 0};
  EXPECT_EQ(expr::evaluate(compile_expression(at_limit), vars), expr::kMaxStack - 0.5);
  // Operations: "sto" then pairs (sto, +): kMaxOps is accepted, kMaxOps + 1 is not.
  std::string ops = "sto";
  for (int k = 0; k < (expr::kMaxOps - 1) / 2; ++k) ops += "+sto";
  EXPECT_EQ(compile_expression(ops).n_ops, expr::kMaxOps - 1);
  EXPECT_EQ(compile_expression("-" + ops).n_ops, expr::kMaxOps);
  expect_error("--" + ops, ("--" + ops).size() - 4, "too long");  // the last '+' is op kMaxOps + 1
  // Constants: kMaxConstants distinct numbers, then one more.
  std::string many = "sto";
  for (int k = 0; k < expr::kMaxConstants; ++k) many += "+" + std::to_string(k) + ".5";
  EXPECT_NO_THROW(compile_expression(many));
  expect_error(many + "+99.25", many.size() + 1, "too many distinct numbers");
  // Deep nesting without operations (parentheses, signs) is an error, not a crash.
  // (A parenthesis is two levels, its group and the term inside; a sign is one.)
  expect_error(std::string(1000, '(') + "1" + std::string(1000, ')'), 100, "levels");
  expect_error(std::string(1000, '-') + "1", 200, "levels");
  // Repeated numbers share one constant slot.
  std::string repeated = "sto";
  for (int k = 0; k < 60; ++k) repeated += " + 0.5";
  EXPECT_NO_THROW(compile_expression(repeated));
}

TEST(Expression, ConstantSubexpressionsAreFoldedWithTheEvaluatorsOwnArithmetic) {
  // Folded at compile time: the value is exactly what evaluating the unfolded operations
  // gives (same double operations), and the program is shorter.
  const expr::Program p = compile_expression("exp(3.03e4 / (8.31446261815324 * 296)) * sto");
  EXPECT_EQ(p.n_ops, 3);  // constant, sto, *
  EXPECT_EQ(p.n_constants, 1);
  const double vars[expr::kSlots] = {0.25, 0, 0, 0, 0, 0, 1};
  EXPECT_EQ(expr::evaluate(p, vars), std::exp(3.03e4 / (8.31446261815324 * 296)) * 0.25);
  EXPECT_EQ(compile_expression("-2^2").n_ops, 1);
  EXPECT_EQ(expr::evaluate(compile_expression("-2^2"), vars), -4.0);
  EXPECT_EQ(expr::evaluate(compile_expression("min(3, 2) + max(-1, -0.5) * sto"), vars), 2.0 - 0.125);
  EXPECT_TRUE(std::isnan(expr::evaluate(compile_expression("log(-1) + sto"), vars)));
  // unused constants are dropped: 40 folded products leave 40 slots, not 81
  std::string many = "sto";
  for (int k = 0; k < 40; ++k) many += " + " + std::to_string(k) + ".5 * 2";
  EXPECT_NO_THROW(compile_expression(many));
}

TEST(Expression, FoldingNeverTurnsAValidExpressionIntoALimitError) {
  // 48 distinct numbers as written; folding (0.1 + 0.2) would make a 49th: kept unfolded.
  std::string text = "c_e";
  for (int k = 1; k <= 46; ++k) text += " + " + std::to_string(k);
  text += " + 0.1 + 0.2 + (0.1 + 0.2)";
  const expr::Program p = compile_expression(text);
  EXPECT_EQ(p.n_constants, expr::kMaxConstants);
  const double vars[expr::kSlots] = {0, 1000.0, 0, 0, 0, 0, 1};
  double expected = 1000.0;  // Python: left to right
  for (int k = 1; k <= 46; ++k) expected += k;
  expected = expected + 0.1 + 0.2 + (0.1 + 0.2);
  EXPECT_EQ(expr::evaluate(p, vars), expected);
}

TEST(Expression, SpecialisingAVariableFoldsWhatDependsOnlyOnIt) {
  const std::string text = "3.3e-14 * exp(30000 / 8.314462618 * (1 / 298.15 - 1 / T)) * (1 + sto)";
  const expr::Program g = compile_expression(text);
  const expr::Program s = specialize(g, expr::Var::T, 318.15);
  EXPECT_LT(s.n_ops, g.n_ops);
  EXPECT_EQ(s.uses, 1u << static_cast<int>(expr::Var::sto));
  for (double sto : {0.0, 0.3, 0.9}) {
    const double vars[expr::kSlots] = {sto, 0, 0, 0, 318.15, 0, 1};
    EXPECT_EQ(expr::evaluate(s, vars), expr::evaluate(g, vars));
  }
}

TEST(Expression, NumbersDoNotDependOnTheLocale) {
  // strtod reads "0.5" as 0 under a comma-decimal LC_NUMERIC (e.g. a notebook that called
  // locale.setlocale); the parser must not.
  const char* comma_locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
  std::string old = std::setlocale(LC_NUMERIC, nullptr);
  const char* used = nullptr;
  for (const char* l : comma_locales)
    if (std::setlocale(LC_NUMERIC, l)) {
      used = l;
      break;
    }
  const double vars[expr::kSlots] = {0.25, 0, 0, 0, 0, 0, 1};
  const double v = expr::evaluate(compile_expression("0.5 + 1.5e-1 * sto"), vars);
  std::setlocale(LC_NUMERIC, old.c_str());
  EXPECT_EQ(v, 0.5 + 1.5e-1 * 0.25);
  if (!used) GTEST_SKIP() << "no comma-decimal locale installed here; checked in the C locale only";
}


//! The batched evaluator (expr::evaluate_points, which the CPU residual and Jacobian use
//! for D_s(sto) at a node's shells and the electrolyte functions at a batch of nodes)
//! against the pointwise interpreter (expr::evaluate): every fixture expression, each of
//! its variables varying over the fixture's grid values while the others stay at the
//! first point's, in doubles and with the derivative along the varying variable
//! (Dual<1>). Expected values: expr::evaluate at each point (itself checked against
//! Python above); bound: the 1e-14 relative (the batch does the same operations
//! per point, so equality is expected). Batches of 32 (the CPU's), 7 (points split
//! over several batches, the last one partial) and 1 (the GPU's). `bitwise`: equal bit
//! for bit instead (NaN for NaN). Returns the number of points checked.
template <int B>
int expect_points_match_pointwise(const expr::Program& p, const double* first, int var,
                                  const std::vector<double>& xs, bool bitwise = false) {
  const double rel = 1e-14;
  auto close = [&](double got, double want) {
    if (std::isnan(got) && std::isnan(want)) return true;
    if (bitwise) return std::memcmp(&got, &want, sizeof got) == 0;
    return got == want || std::fabs(got - want) <= rel * std::fabs(want);
  };
  int checked = 0;
  double vars[expr::kSlots];
  Dual<1> dvars[expr::kSlots];
  for (int k = 0; k < expr::kSlots; ++k) {
    vars[k] = first[k];
    dvars[k] = Dual<1>(first[k]);
  }
  for (std::size_t j0 = 0; j0 < xs.size(); j0 += B) {
    const int n = static_cast<int>(std::min<std::size_t>(B, xs.size() - j0));
    double x[B], out[B];
    Dual<1> dx[B], dout[B];
    for (int j = 0; j < n; ++j) {
      x[j] = xs[j0 + j];
      dx[j] = Dual<1>::variable(x[j], 0);
    }
    expr::evaluate_points<B>(p, vars, var, x, n, nullptr, out);
    expr::evaluate_points<B>(p, dvars, var, dx, n, nullptr, dout);
    for (int j = 0; j < n; ++j) {
      double v[expr::kSlots];
      Dual<1> dv[expr::kSlots];
      for (int k = 0; k < expr::kSlots; ++k) {
        v[k] = vars[k];
        dv[k] = dvars[k];
      }
      v[var] = x[j];
      dv[var] = dx[j];
      const double want = expr::evaluate(p, v);
      const Dual<1> dwant = expr::evaluate(p, dv);
      EXPECT_TRUE(close(out[j], want)) << "B " << B << " point " << j0 + j << ": " << out[j] << " vs " << want;
      EXPECT_TRUE(close(dout[j].v, dwant.v)) << "B " << B << " point " << j0 + j;
      EXPECT_TRUE(close(dout[j].d[0], dwant.d[0]))
          << "B " << B << " point " << j0 + j << ": d " << dout[j].d[0] << " vs " << dwant.d[0];
      ++checked;
    }
  }
  return checked;
}

TEST(Expression, PointsEvaluatorEqualsThePointwiseInterpreter) {
  const json& cases = load_fixture("expressions.json")["cases"];
  int checked = 0;
  for (int regularise = 0; regularise < 2; ++regularise) {
    for (const auto& c : cases) {
      const std::string text = c["expression"];
      SCOPED_TRACE(text + (regularise ? " (regularised powers)" : ""));
      CompileOptions options;
      options.regularise_powers = regularise != 0;
      const expr::Program p = compile_expression(text, kAllVariables, options);
      const auto& pts = c["points"];
      double first[expr::kSlots] = {};
      for (int k = 0; k < 5; ++k) first[k] = pts[0][k];
      first[expr::kCeScaleSlot] = 1000.0;  // the c_e scale of regularised powers
      for (int var = 0; var < 5; ++var) {
        std::vector<double> xs;
        for (const auto& row : pts) xs.push_back(row[var]);
        expect_points_match_pointwise<32>(p, first, var, xs);
        expect_points_match_pointwise<7>(p, first, var, xs);
        expect_points_match_pointwise<1>(p, first, var, xs);
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 200);
}


//! The general form of expr::evaluate_points (several arguments varying at once, as the
//! exchange current's c_e and c_s_surf in the residual): every fixture expression at the
//! fixture's grid points, all five arguments varying together, against expr::evaluate
//! at each point (values and, seeded in c_e and c_s_surf, Dual<2> derivatives); bound:
//! 1e-14 relative.
TEST(Expression, PointsEvaluatorWithSeveralVaryingArguments) {
  const json& cases = load_fixture("expressions.json")["cases"];
  for (int regularise = 0; regularise < 2; ++regularise) {
    for (const auto& c : cases) {
      const std::string text = c["expression"];
      SCOPED_TRACE(text + (regularise ? " (regularised powers)" : ""));
      CompileOptions options;
      options.regularise_powers = regularise != 0;
      const expr::Program p = compile_expression(text, kAllVariables, options);
      const auto& pts = c["points"];
      const int n = static_cast<int>(pts.size());
      std::vector<double> cols[5];
      std::vector<Dual<2>> dcols[5];
      for (int k = 0; k < 5; ++k)
        for (int j = 0; j < n; ++j) {
          cols[k].push_back(pts[j][k]);
          dcols[k].push_back(k == 1 ? Dual<2>::variable(cols[k][j], 0)
                                    : k == 2 ? Dual<2>::variable(cols[k][j], 1) : Dual<2>(cols[k][j]));
        }
      double vars[expr::kSlots] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1000.0};
      Dual<2> dvars[expr::kSlots];
      for (int k = 0; k < expr::kSlots; ++k) dvars[k] = Dual<2>(vars[k]);
      const double* xs[expr::kSlots] = {cols[0].data(), cols[1].data(), cols[2].data(), cols[3].data(), cols[4].data()};
      const Dual<2>* dxs[expr::kSlots] = {dcols[0].data(), dcols[1].data(), dcols[2].data(), dcols[3].data(),
                                          dcols[4].data()};
      std::vector<double> out(n), want(n);
      std::vector<Dual<2>> dout(n), dwant(n);
      testing::batch_and_pointwise<32>(p, vars, xs, n, out.data(), want.data());
      testing::batch_and_pointwise<32>(p, dvars, dxs, n, dout.data(), dwant.data());
      auto close = [](double got, double w) {
        return got == w || std::fabs(got - w) <= 1e-14 * std::fabs(w) || (std::isnan(got) && std::isnan(w));
      };
      for (int j = 0; j < n; ++j) {
        EXPECT_TRUE(close(out[j], want[j])) << "point " << j;
        EXPECT_TRUE(close(dout[j].v, dwant[j].v)) << "point " << j;
        EXPECT_TRUE(close(dout[j].d[0], dwant[j].d[0])) << "point " << j;
        EXPECT_TRUE(close(dout[j].d[1], dwant[j].d[1])) << "point " << j;
      }
    }
  }
}


//! The interpreter's exp, 10^x and tanh on the CPU (expr::exp_core, exp10_core,
//! tanh_core: polynomial forms that vectorise) against libm's exp, pow and tanh, which
//! Python's math module uses (the fixtures' reference): within 1 ulp (tanh: 2) on a dense
//! sample of their range, and libm's values exactly outside it (infinite and subnormal
//! results, 0, NaN; tanh near 0).
TEST(Expression, VectorisableExpIsWithinOneUlpOfLibm) {
  auto ulps = [](double got, double want) { return std::fabs(got - want) / (std::nextafter(want, INFINITY) - want); };
  double worst = 0.0, worst10 = 0.0;
  const int n = 400000;
  for (int i = 0; i <= n; ++i) {
    const double x = -707.9 + 1415.8 * i / n + 1e-7 * (i % 7);  // not only round numbers
    const double s = -3.0 + 6.0 * i / n;                         // arguments near 0, where r = x
    for (double v : {x, s}) {
      worst = std::max(worst, ulps(expr::e_exp(v), std::exp(v)));
      worst10 = std::max(worst10, ulps(expr::e_pow(10.0, v / 2.31), std::pow(10.0, v / 2.31)));
    }
  }
  EXPECT_LE(worst, 1.0);
  EXPECT_LE(worst10, 1.0);
  // tanh from exp for |x| >= 0.55 (within 2 ulp there), libm's nearer 0
  double worst_tanh = 0.0;
  for (int i = -n; i <= n; ++i) {
    const double x = 40.0 * i / n;
    worst_tanh = std::max(worst_tanh, ulps(std::fabs(expr::e_tanh(x)), std::fabs(std::tanh(x))));
  }
  EXPECT_LE(worst_tanh, 2.0);
  EXPECT_EQ(expr::e_tanh(0.3), std::tanh(0.3));
  EXPECT_EQ(expr::e_tanh(800.0), 1.0);
  EXPECT_EQ(expr::e_tanh(-INFINITY), -1.0);
  for (double v : {708.5, 709.7, 710.0, -708.5, -720.0, -745.0, -745.2, -746.0, -1000.0, 1e300, -1e300, double(INFINITY),
                   -double(INFINITY)})
    EXPECT_EQ(expr::e_exp(v), std::exp(v)) << v;
  EXPECT_TRUE(std::isnan(expr::e_exp(NAN)));
  EXPECT_EQ(expr::e_pow(10.0, 2.0), 100.0);
  EXPECT_EQ(expr::e_pow(10.0, 400.0), std::pow(10.0, 400.0));
  EXPECT_EQ(expr::e_pow(10.0, -400.0), std::pow(10.0, -400.0));
}

//! exp_core_group at G points (vector registers on the CPU where G is a multiple of their
//! width: 4 with AVX2, 8 with AVX-512) equals exp_core point by point, bit for bit, with
//! and without the argument's low part (exp10's): the packs' and the interpreter's exp
//! are the scalar exp's values, whichever width ran them.
template <int G>
void expect_group_equals_scalar_exp() {
  unsigned long long state = 777 + G;
  auto uniform = [&state]() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  int differ = 0;
  for (int it = 0; it < 20000; ++it) {
    double a[G], b[G], lo[G], want[G], want_lo[G];
    for (int l = 0; l < G; ++l) {
      a[l] = it % 2 ? -707.9 + 1415.8 * uniform() : -3.0 + 6.0 * uniform();  // the range, and near 0
      if (it == 0) a[l] = l % 2 ? 0.0 : -0.0;
      lo[l] = 1e-17 * (uniform() - 0.5);
      b[l] = a[l];
      want[l] = expr::exp_core(a[l]);
      want_lo[l] = expr::exp_core(a[l], lo[l]);
    }
    expr::exp_core_group<G>(a, nullptr);
    expr::exp_core_group<G>(b, lo);
    for (int l = 0; l < G; ++l)
      differ += std::memcmp(&a[l], &want[l], sizeof(double)) != 0 || std::memcmp(&b[l], &want_lo[l], sizeof(double)) != 0;
  }
  EXPECT_EQ(differ, 0) << "G = " << G;
}
TEST(Expression, ExpGroupsEqualTheScalarExpBitForBit) {
#ifdef IONFLUX_EXP_LANES
  RecordProperty("lanes", expr::kExpLanesWide);  // which vector path this build compared
#else
  RecordProperty("lanes", 1);  // no vector path in this build: the scalar loop against itself
#endif
  expect_group_equals_scalar_exp<4>();
  expect_group_equals_scalar_exp<8>();
  expect_group_equals_scalar_exp<16>();
  expect_group_equals_scalar_exp<32>();
  expect_group_equals_scalar_exp<12>();
  expect_group_equals_scalar_exp<3>();
}

//! evaluate_points where a batch mixes exp arguments in and out of exp_core's range (a
//! narrow Gaussian of sto, as ORegan2022's diffusivities: exp(-1050) is 0, arguments in
//! [-746, -708] give subnormals) and parts that do not depend on the varying argument
//! (computed once per batch): each point equal to expr::evaluate, in doubles and Dual<1>.
TEST(Expression, PointsEvaluatorOverExpRangesAndUniformParts) {
  const char* texts[] = {
      "10 ^ (11.17 * sto + -15.11 + -1.553 * exp(-((sto - 0.2031) ^ 2) / 0.0006091)) * 3.0321 * exp(2092 * (1 / 298.15 - 1 / T))",
      "exp(-((sto - 0.5) ^ 2) / 0.00033)",  // -708 .. -746 for sto near 0.016 and 0.984
      "exp(1000 / T) * c_s_max + sto",
      "exp(sto * 800) - 10 ^ (sto * 400)",  // overflow at the top
      "tanh(30 * (sto - 0.5)) + tanh(sto)"};  // |x| < 0.55 (libm's tanh) and above in one batch
  for (const char* text : texts) {
    SCOPED_TRACE(text);
    const expr::Program p = compile_expression(text, kAllVariables, CompileOptions{});
    const double first[expr::kSlots] = {0.0, 1000.0, 100.0, 51765.0, 298.15, 0.0, 1000.0};
    std::vector<double> xs;
    for (int i = 0; i <= 400; ++i) xs.push_back(i / 400.0);
    expect_points_match_pointwise<32>(p, first, static_cast<int>(expr::Var::sto), xs);
    expect_points_match_pointwise<7>(p, first, static_cast<int>(expr::Var::sto), xs);
  }
}

//! The powers that pow_value computes without libm's pow (squares, cubes, 1/x, integer
//! powers 4..kMaxPowi by binary powering, the roots 1/2, 3/2, -1/2, -1/4), and
//! pow_points, their vectorised form over a batch with one exponent: at random points
//! and at pow's special cases, pow_points equals pow_value exactly (the same operations
//! per point), and both are within 1e-14 relative of std::pow (Python's `**`, the
//! fixtures' reference) wherever the result is a normal number; a wrong rewrite (an
//! exponent off by one, a root for the wrong exponent, 10^y for a root) fails here. An
//! exponent without a rewrite (0.792) is left to the caller.
TEST(Expression, PowerRewritesEqualPow) {
  std::vector<double> xs = {0.0, -0.0, 1.0, -1.0, 10.0, -10.0, 1e-300, 1e300, 1.7e308, -2.5, INFINITY, -INFINITY, NAN};
  unsigned long long state = 12345;
  auto uniform = [&state]() {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  for (int i = 0; i < 2000; ++i) {
    const double mag = std::pow(10.0, -6.0 + 12.0 * uniform());
    xs.push_back(i % 5 == 0 ? -mag : mag);
  }
  std::vector<double> exponents = {1.0, 2.0, 3.0, -1.0, 0.5, 1.5, -0.5, -0.25};
  for (int k = 4; k <= expr::kMaxPowi; ++k) exponents.push_back(k);
  int rewritten = 0;
  for (double y : exponents) {
    SCOPED_TRACE("exponent " + std::to_string(y));
    constexpr int B = 32;
    for (std::size_t j0 = 0; j0 < xs.size(); j0 += B) {
      const int n = static_cast<int>(std::min<std::size_t>(B, xs.size() - j0));
      double x[B];
      for (int j = 0; j < n; ++j) x[j] = xs[j0 + j];
      ASSERT_TRUE(expr::pow_points<B>(x, n, y));
      for (int j = 0; j < n; ++j) {
        const double base = xs[j0 + j], want = std::pow(base, y), got = expr::pow_value(base, y);
        EXPECT_TRUE(x[j] == got || (std::isnan(x[j]) && std::isnan(got))) << base << ": " << x[j] << " vs " << got;
        if (std::isnormal(want))
          EXPECT_LE(std::fabs(got - want), 1e-14 * std::fabs(want)) << base << ": " << got << " vs " << want;
        else if (std::isnan(want))
          EXPECT_TRUE(std::isnan(got)) << base;
        else if (std::isinf(want) || want == 0.0)
          EXPECT_EQ(got, want) << base;
        ++rewritten;
      }
    }
  }
  EXPECT_GT(rewritten, 30000);
  double x[1] = {0.3};
  EXPECT_FALSE(expr::pow_points<1>(x, 1, 0.792));
  EXPECT_EQ(x[0], 0.3);
  EXPECT_EQ(expr::pow_value(0.3, 0.792), std::pow(0.3, 0.792));
  EXPECT_EQ(expr::pow_value(0.3, 17.0), std::pow(0.3, 17.0));  // above kMaxPowi: libm's pow
}

//! evaluate_points over expressions with those powers (as in NCA_Kim2011's polynomial
//! OCP, ORegan2022's conductivity and Gaussians, Ecker2015's regularised square roots of
//! the exchange current), against expr::evaluate at each point, values and Dual<1>
//! derivatives (bound 1e-14 relative; the batch rewrites a uniform exponent once, the
//! interpreter point by point).
TEST(Expression, PointsEvaluatorOverRewrittenPowers) {
  const char* texts[] = {
      "1.638 * sto^10 - 2.222 * sto^9 + 15.056 * sto^8 - 23.488 * sto^7 + 81.246 * sto^6 - 344.566 * sto^5 + "
      "621.3475 * sto^4 - 554.774 * sto^3 + 264.427 * sto^2 - 66.3691 * sto + 11.8058 - 0.61386 * exp(5.8201 * sto^136.4)",
      "(sto - 0.5) ^ 16 + (sto - 0.1) ^ 11 - sto ^ -1 + (sto + 9.5) ^ 0.5 + (sto + 9) ^ 1.5 + sto ^ -0.5 + sto ^ -0.25",
      "-1.553 * exp(-((sto - 0.2031) ^ 2) / 0.0006091) + (sto / 0.5) ^ 4 * (1.48e-3 * exp(1000 / T))",
      "c_e^0.5 * c_s_surf^0.5 * (c_s_max - c_s_surf)^0.5 + sto^0.5 * (1 - sto)^1.5",
      "(c_e / 1000.0) ^ (1 - 0.792) * (c_s_surf / c_s_max) ^ 0.792 + (sto * 20) ^ 0.5"};  // 10^0.5 at sto = 0.5
  for (const char* text : texts) {
    SCOPED_TRACE(text);
    for (int regularise = 0; regularise < 2; ++regularise) {
      CompileOptions options;
      options.regularise_powers = regularise != 0;
      const expr::Program p = compile_expression(text, kAllVariables, options);
      const double first[expr::kSlots] = {0.4, 1000.0, 20000.0, 51765.0, 298.15, 0.0, 1000.0};
      std::vector<double> xs;
      for (int i = 0; i <= 400; ++i) xs.push_back(i / 400.0);
      for (int var : {static_cast<int>(expr::Var::sto), static_cast<int>(expr::Var::c_s_surf)}) {
        std::vector<double> v = xs;
        if (var != static_cast<int>(expr::Var::sto))
          for (double& x : v) x *= first[static_cast<int>(expr::Var::c_s_max)];
        expect_points_match_pointwise<32>(p, first, var, v);
        expect_points_match_pointwise<7>(p, first, var, v);
      }
    }
  }
}

//! evaluate_points' shortcuts (an argument combined at once with a constant or a uniform
//! value read where it is; -(a) * c and -(a) / c as a * (-c) and a / (-c); squares in
//! place) do the operations of the pointwise interpreter on the same operands, so the
//! batch equals expr::evaluate bit for bit, values and Dual<1> derivatives: expressions
//! with each pattern in both operand orders (signed zeros, infinities and NaN among the
//! points), and ORegan2022's particle diffusivity (four Gaussians and 10^y). The same for
//! exp, 10^y and tanh over a batch (their cores run in groups of 16 points with the stages
//! interleaved, and duals take the values' loop and then the chain rule): in and out of the
//! cores' ranges, 309 points in batches of 128 (the last one partial, with a partial group).
//! And (x op c)^2 with a scale after it in one loop (a Gaussian's argument) in each form,
//! and a product added to or subtracted from the value below it in one loop (a fitted sum
//! of terms), where an fma would round differently. 10^y in range over whole batches,
//! at the exponents pow_value computes otherwise (10^-1 = 0.1 exactly, 10^2, 10^1).
TEST(Expression, PointsEvaluatorShortcutsAreBitwiseThePointwiseInterpreter) {
  const char* texts[] = {
      "sto - 0.2031", "0.5 - sto", "11.17 * sto", "sto / 3", "3 / sto", "T * sto", "T - sto", "sto * T",
      "-((sto - 0.2) ^ 2) / 0.06", "-(sto) * 3", "-(sto) / -3", "-(T) / 2 * sto", "(sto - 0.5) ^ 2 + sto ^ 2",
      "exp(-((sto - 0.5953) ^ 2) / 0.001356) * -1.553",
      "10 ^ (11.17 * sto + -15.11 + -1.553 * exp(-((sto - 0.2031) ^ 2) / 0.0006091) + -6.136 * exp(-((sto - 0.5375) ^ "
      "2) / 0.06438) + -9.725 * exp(-((sto - 0.9144) ^ 2) / 0.0578) + 1.85 * exp(-((sto - 0.5953) ^ 2) / 0.001356)) * "
      "3.0321 * exp(2092 * (1 / 298.15 - 1 / T))",
      "tanh(30 * (sto - 0.5)) + tanh(sto)", "exp(sto * 800) - 10 ^ (sto * 400)", "exp(-((sto - 0.5) ^ 2) / 0.00033)",
      "(sto + 1) ^ 2", "(sto * 3) ^ 2 * 0.7", "-((sto / 3) ^ 2) * 0.7", "(sto - 0.4) ^ 2 / -0.02 + sto",
      "exp(sto) - tanh(sto) * 0.3", "exp(sto) - 0.3 * tanh(sto)", "sto + (sto + 1) * (sto - 0.3)",
      "0.1 / sto - exp(sto) * sto", "10 ^ -sto", "10 ^ (sto * 300) + 10 ^ (2 - sto * 3)",
      // square roots in vectors (expr::sqrt_points), NaN below 0; 309 points: a tail of 1
      "sqrt(sto)", "sqrt(sto - 0.5) * 2"};
  std::vector<double> xs = {0.0, -0.0, 1.0, -1.0, 1e-300, INFINITY, -INFINITY, NAN};
  for (int i = 0; i <= 300; ++i) xs.push_back(i / 300.0);
  const double first[expr::kSlots] = {0.4, 1000.0, 20000.0, 51765.0, 298.15, 0.0, 1000.0};
  int checked = 0;
  for (const char* text : texts) {
    SCOPED_TRACE(text);
    const expr::Program p = compile_expression(text);
    checked += expect_points_match_pointwise<128>(p, first, static_cast<int>(expr::Var::sto), xs, true);
  }
  EXPECT_EQ(checked, 30 * 309);
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
