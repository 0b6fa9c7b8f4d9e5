// Sweep config parser (solver/inputs/sweep.cpp): combination order, ranges, seeded sampling
// (the documented algorithm, recomputed here from std::mt19937_64), special names and
// every input error. The format is documented in docs/sweep_config.md; the examples
// there are parsed by SweepDocs.ExamplesParse.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "../test_util.hpp"
#include "solver/util/errors.hpp"
#include "solver/inputs/sweep.hpp"
#include "solver/problem/problem.hpp"
#include "solver/problem/sweep_plan.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

//! Runs f, expects exception E (or a subclass) with a one-line message containing `parts`.
template <class E, class Fn>
void expect_error(Fn f, const std::vector<std::string>& parts) {
  testing::expect_throw_with<E>(f, parts);
}

//! Parse errors: the exact type matters (UnknownParameter / InvalidParameter / plain InputError).
template <class E>
void expect_config_error(const std::string& json, const std::vector<std::string>& parts) {
  expect_error<E>([&] { (void)parse_sweep_config(json, "test.json"); }, parts);
}

std::size_t index_of(const SweepSpec& s, const std::string& name) {
  const auto it = std::find(s.varied.begin(), s.varied.end(), name);
  EXPECT_NE(it, s.varied.end()) << name;
  return static_cast<std::size_t>(it - s.varied.begin());
}

double unit_draw(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// ---------------------------------------------------------------------------

TEST(SweepDefaults, EmptyConfigIsOneCell) {
  const SweepSpec s = parse_sweep_config("{}");
  EXPECT_EQ(s.parameters, "Chen2020");
  EXPECT_EQ(s.n_cells(), 1u);
  EXPECT_TRUE(s.varied.empty());
  EXPECT_TRUE(s.values.empty());
  EXPECT_EQ(s.combine, "grid");
  EXPECT_EQ(s.seed, 0u);
  EXPECT_EQ(s.period, 0.0);
  EXPECT_EQ(s.t_end, 0.0);
  EXPECT_FALSE(s.c_rate || s.current || s.initial_soc);
  EXPECT_EQ(s.mesh.x_n, 20);
  EXPECT_EQ(s.mesh.r_p, 20);
  EXPECT_EQ(s.solver.rtol, SolverOptions{}.rtol);
  EXPECT_EQ(s.solver.atol, SolverOptions{}.atol);
  EXPECT_EQ(s.source, "config");
}

TEST(SweepDefaults, SharedSettingsAreRead) {
  const SweepSpec s = parse_sweep_config(R"({
    "parameters": "Marquis2019",
    "set": {"Separator porosity": 0.5, "Negative electrode porosity": 0.3},
    "mesh": {"x_n": 10, "r_p": 30},
    "solver": {"rtol": 1e-5, "atol": 1e-7},
    "period": 5, "t_end": 3600, "current": -2.5, "initial_soc": 0.25, "seed": 18446744073709551615
  })", "mine.json");
  EXPECT_EQ(s.parameters, "Marquis2019");
  ASSERT_EQ(s.set.size(), 2u);  // file order, not sorted
  EXPECT_EQ(s.set[0].first, "Separator porosity");
  EXPECT_EQ(s.set[0].second, 0.5);
  EXPECT_EQ(s.set[1].first, "Negative electrode porosity");
  EXPECT_EQ(s.mesh.x_n, 10);
  EXPECT_EQ(s.mesh.x_s, 20);
  EXPECT_EQ(s.mesh.r_p, 30);
  EXPECT_EQ(s.solver.rtol, 1e-5);
  EXPECT_EQ(s.solver.atol, 1e-7);
  EXPECT_EQ(s.period, 5.0);
  EXPECT_EQ(s.t_end, 3600.0);
  EXPECT_FALSE(s.c_rate);
  ASSERT_TRUE(s.current);
  EXPECT_EQ(*s.current, -2.5);
  ASSERT_TRUE(s.initial_soc);
  EXPECT_EQ(*s.initial_soc, 0.25);
  EXPECT_EQ(s.seed, 18446744073709551615ull);
  EXPECT_EQ(s.source, "mine.json");
}

// A "set" value that the sweep does not read is a warning of the plan (the CLI and
// Python show it before the run); one it reads is not.
TEST(SweepDefaults, SetValuesTheSweepDoesNotReadAreWarnings) {
  const SweepPlan plan = plan_sweep(parse_sweep_config(R"({"mesh": {"x_n": 5, "x_s": 5, "x_p": 5, "r_n": 5, "r_p": 5},
    "set": {"Initial temperature [K]": 330, "Negative electrode thickness [m]": 8e-5}, "vary": {"C-rate": [1, 2]}})"));
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_EQ(plan.warnings[0], "set 'Initial temperature [K]' = 330 changes nothing in this sweep: only the lumped "
                              "thermal model uses it and this run is isothermal");
  const SweepPlan lumped = plan_sweep(parse_sweep_config(R"({"mesh": {"x_n": 5, "x_s": 5, "x_p": 5, "r_n": 5, "r_p": 5},
    "thermal": "lumped", "set": {"Initial temperature [K]": 330}, "vary": {"C-rate": [1, 2]}})"));
  EXPECT_TRUE(lumped.warnings.empty());
}

// PyBaMM's option "thermal" in a config's options is the config's "thermal" (it had been
// refused, with a message that named the lumped model as the alternative).
TEST(SweepDefaults, ThermalOptionChoosesTheThermalModel) {
  EXPECT_TRUE(parse_sweep_config(R"({"options": {"thermal": "lumped"}})").lumped_thermal);
  EXPECT_FALSE(parse_sweep_config(R"({"options": {"thermal": "isothermal"}})").lumped_thermal);
  const SweepSpec both = parse_sweep_config(R"({"thermal": "lumped", "options": {"thermal": "lumped", "SEI": "none"}})");
  EXPECT_TRUE(both.lumped_thermal);
  ASSERT_EQ(both.options.size(), 1u);  // "thermal" is not a model option to resolve
  EXPECT_EQ(both.options[0].first, "SEI");
  expect_config_error<InputError>(R"({"thermal": "isothermal", "options": {"thermal": "lumped"}})",
                                  {"test.json", "options: 'thermal': 'lumped' and \"thermal\": \"isothermal\" disagree"});
}

TEST(SweepDefaults, CommentsAreAllowed) {
  const SweepSpec s = parse_sweep_config("{\n  // a comment\n  \"c_rate\": 2 /* and another */\n}");
  ASSERT_TRUE(s.c_rate);
  EXPECT_EQ(*s.c_rate, 2.0);
}

// ---------------------------------------------------------------------------
// Combination

TEST(SweepGrid, CartesianProductFirstNameSlowest) {
  // Not in alphabetical order: config order must be kept.
  const SweepSpec s = parse_sweep_config(R"({"vary": {
    "Separator porosity": [0.3, 0.4],
    "Negative electrode thickness [m]": [6e-5, 8e-5, 1e-4],
    "C-rate": [0.5, 1]
  }})");
  ASSERT_EQ(s.varied, (std::vector<std::string>{"Separator porosity", "Negative electrode thickness [m]", "C-rate"}));
  ASSERT_EQ(s.n_cells(), 12u);
  ASSERT_EQ(s.values.size(), 3u);
  for (const auto& row : s.values) EXPECT_EQ(row.size(), 12u);
  const std::vector<double> eps = {0.3, 0.4}, L = {6e-5, 8e-5, 1e-4}, C = {0.5, 1};
  std::size_t c = 0;
  for (double e : eps)
    for (double l : L)
      for (double cr : C) {
        EXPECT_EQ(s.values[0][c], e) << c;
        EXPECT_EQ(s.values[1][c], l) << c;
        EXPECT_EQ(s.values[2][c], cr) << c;
        ++c;
      }
}

TEST(SweepGrid, SampledBlockIsOneAxisAtTheFirstRandomEntry) {
  const std::string block = R"("samples": 4, "seed": 7)";
  const SweepSpec s = parse_sweep_config(R"({"vary": {
    "Negative electrode thickness [m]": [6e-5, 8e-5],
    "Separator porosity": {"uniform": [0.3, 0.6]},
    "Positive electrode thickness [m]": {"linspace": [5e-5, 7e-5, 3]},
    "Negative particle diffusivity [m2.s-1]": {"loguniform": [1e-15, 1e-13]}
  }, )" + block + "}");
  // The same random entries alone: the block does not depend on the lists.
  const SweepSpec only = parse_sweep_config(R"({"vary": {
    "Separator porosity": {"uniform": [0.3, 0.6]},
    "Negative particle diffusivity [m2.s-1]": {"loguniform": [1e-15, 1e-13]}
  }, )" + block + "}");
  ASSERT_EQ(only.n_cells(), 4u);
  ASSERT_EQ(s.n_cells(), 2u * 4u * 3u);
  std::size_t c = 0;
  for (std::size_t a = 0; a < 2; ++a)
    for (std::size_t k = 0; k < 4; ++k)  // the sampled axis: both random entries move together
      for (std::size_t b = 0; b < 3; ++b) {
        EXPECT_EQ(s.values[0][c], a == 0 ? 6e-5 : 8e-5);
        EXPECT_EQ(s.values[1][c], only.values[0][k]);
        EXPECT_DOUBLE_EQ(s.values[2][c], (std::vector<double>{5e-5, 6e-5, 7e-5})[b]);
        EXPECT_EQ(s.values[3][c], only.values[1][k]);
        ++c;
      }
}

TEST(SweepZip, PairsElementWise) {
  const SweepSpec s = parse_sweep_config(R"({"combine": "zip", "vary": {
    "C-rate": [0.5, 1, 2],
    "Separator porosity": {"linspace": [0.3, 0.5, 3]},
    "Negative electrode porosity": {"uniform": [0.2, 0.3]}
  }, "samples": 3})");
  ASSERT_EQ(s.n_cells(), 3u);
  EXPECT_EQ(s.values[0], (std::vector<double>{0.5, 1, 2}));
  EXPECT_EQ(s.values[1][0], 0.3);
  EXPECT_DOUBLE_EQ(s.values[1][1], 0.4);
  EXPECT_EQ(s.values[1][2], 0.5);
  for (double v : s.values[2]) EXPECT_TRUE(v >= 0.2 && v <= 0.3) << v;

  const SweepSpec r = parse_sweep_config(
      R"({"combine": "zip", "vary": {"Separator porosity": {"uniform": [0.3, 0.6]}}, "samples": 5})");
  EXPECT_EQ(r.n_cells(), 5u);
}

TEST(SweepZip, SingleVariedNameIsTheSameUnderGridAndZip) {
  const char* vary = R"("vary": {"Separator porosity": [0.3, 0.4, 0.5]})";
  const SweepSpec g = parse_sweep_config(std::string("{") + vary + "}");
  const SweepSpec z = parse_sweep_config(std::string("{\"combine\": \"zip\", ") + vary + "}");
  EXPECT_EQ(g.values, z.values);
  EXPECT_EQ(z.combine, "zip");
}

// ---------------------------------------------------------------------------
// Ranges

TEST(SweepRanges, LinspaceEndpointsAndSpacing) {
  const SweepSpec s =
      parse_sweep_config(R"({"vary": {"Negative particle radius [m]": {"linspace": [2e-6, 1e-5, 5]}}})");
  const auto& v = s.values[0];
  ASSERT_EQ(v.size(), 5u);
  EXPECT_EQ(v.front(), 2e-6);
  EXPECT_EQ(v.back(), 1e-5);
  for (std::size_t i = 0; i + 1 < v.size(); ++i) EXPECT_NEAR(v[i + 1] - v[i], 2e-6, 1e-20);
  // Decreasing, and a single point.
  const SweepSpec d = parse_sweep_config(R"({"vary": {"Separator porosity": {"linspace": [0.6, 0.3, 4]}}})");
  EXPECT_EQ(d.values[0].front(), 0.6);
  EXPECT_EQ(d.values[0].back(), 0.3);
  EXPECT_NEAR(d.values[0][1], 0.5, 1e-15);
  const SweepSpec one = parse_sweep_config(R"({"vary": {"Separator porosity": {"linspace": [0.4, 0.5, 1]}}})");
  EXPECT_EQ(one.values[0], std::vector<double>{0.4});
}

TEST(SweepRanges, LogspaceEndpointsAreValuesWithGeometricSpacing) {
  const SweepSpec s =
      parse_sweep_config(R"({"vary": {"Positive particle diffusivity [m2.s-1]": {"logspace": [1e-15, 1e-13, 3]}}})");
  const auto& v = s.values[0];
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0], 1e-15);
  EXPECT_NEAR(v[1], 1e-14, 1e-14 * 1e-14);
  EXPECT_EQ(v[2], 1e-13);
  const SweepSpec t = parse_sweep_config(R"({"vary": {"Separator thickness [m]": {"logspace": [1e-6, 2e-5, 7]}}})");
  const auto& w = t.values[0];
  EXPECT_EQ(w.front(), 1e-6);
  EXPECT_EQ(w.back(), 2e-5);
  const double ratio = std::pow(20.0, 1.0 / 6.0);
  for (std::size_t i = 0; i + 1 < w.size(); ++i) EXPECT_NEAR(w[i + 1] / w[i], ratio, 1e-13);
}

// ---------------------------------------------------------------------------
// Sampling

TEST(SweepRandom, UniformAndLogUniformWithinBounds) {
  for (const char* sampling : {"random", "latin_hypercube"}) {
    const SweepSpec s = parse_sweep_config(std::string(R"({"vary": {
      "Separator porosity": {"uniform": [0.3, 0.6]},
      "Negative particle diffusivity [m2.s-1]": {"loguniform": [1e-15, 1e-13]}
    }, "samples": 2000, "seed": 3, "sampling": ")") + sampling + "\"}");
    ASSERT_EQ(s.n_cells(), 2000u);
    double lo_count = 0;
    for (std::size_t c = 0; c < s.n_cells(); ++c) {
      EXPECT_TRUE(s.values[0][c] >= 0.3 && s.values[0][c] <= 0.6) << s.values[0][c];
      EXPECT_TRUE(s.values[1][c] >= 1e-15 && s.values[1][c] <= 1e-13) << s.values[1][c];
      if (s.values[1][c] < 1e-14) ++lo_count;  // log-uniform: half below the geometric mean
    }
    EXPECT_NEAR(lo_count / 2000.0, 0.5, 0.05) << sampling;
  }
}

TEST(SweepRandom, LatinHypercubeHasOneSamplePerStratum) {
  const std::size_t n = 64;
  const SweepSpec s = parse_sweep_config(R"({"vary": {
    "Initial SOC": {"uniform": [0, 1]},
    "Separator porosity": {"uniform": [0.2, 0.7]},
    "Negative particle diffusivity [m2.s-1]": {"loguniform": [1e-15, 1e-13]}
  }, "samples": 64, "seed": 11, "sampling": "latin_hypercube"})");
  ASSERT_EQ(s.n_cells(), n);
  auto unit = [&](std::size_t d, double v) {
    if (d == 0) return v;
    if (d == 1) return (v - 0.2) / 0.5;
    return (std::log(v) - std::log(1e-15)) / (std::log(1e-13) - std::log(1e-15));
  };
  for (std::size_t d = 0; d < 3; ++d) {
    std::vector<int> hits(n, 0);
    for (std::size_t c = 0; c < n; ++c) {
      const double u = unit(d, s.values[d][c]);
      const auto k = static_cast<std::size_t>(std::min<double>(std::floor(u * n), n - 1.0));
      ++hits[k];
    }
    for (std::size_t k = 0; k < n; ++k) EXPECT_EQ(hits[k], 1) << "dimension " << d << ", stratum " << k;
  }
}

TEST(SweepRandom, SameSeedSameCellsOtherSeedOtherCells) {
  auto config = [](const std::string& seed, const std::string& sampling) {
    return R"({"vary": {"Separator porosity": {"uniform": [0.3, 0.6]}, "C-rate": [1, 2],
               "Negative particle radius [m]": {"loguniform": [2e-6, 1e-5]}},
               "samples": 20, "sampling": ")" + sampling + R"(", "seed": )" + seed + "}";
  };
  for (const std::string sampling : {"random", "latin_hypercube"}) {
    const SweepSpec a = parse_sweep_config(config("42", sampling));
    const SweepSpec b = parse_sweep_config(config("42", sampling));
    const SweepSpec c = parse_sweep_config(config("43", sampling));
    EXPECT_EQ(a.values, b.values) << sampling;
    EXPECT_NE(a.values[0], c.values[0]) << sampling;
    EXPECT_NE(a.values[2], c.values[2]) << sampling;
    EXPECT_EQ(a.values[1], c.values[1]) << sampling;  // the list does not depend on the seed
  }
  // Default seed is 0.
  const std::string no_seed = R"({"vary": {"Separator porosity": {"uniform": [0.3, 0.6]}}, "samples": 5})";
  EXPECT_EQ(parse_sweep_config(no_seed).values,
            parse_sweep_config(R"({"vary": {"Separator porosity": {"uniform": [0.3, 0.6]}}, "samples": 5, "seed": 0})")
                .values);
}

TEST(SweepRandom, EngineIsTheStandardMt19937_64) {
  // The C++ standard fixes this value ([rand.predef]): the engine is portable.
  std::mt19937_64 rng;
  rng.discard(9999);
  EXPECT_EQ(rng(), 9981545732273789042ull);
}

TEST(SweepRandom, IndependentDrawsFollowTheDocumentedFormula) {
  // Sample-major: for each sample, one draw per random entry in config order;
  // u = (x >> 11) * 2^-53; uniform lo + u (hi - lo); loguniform exp(log lo + u (log hi - log lo)).
  const SweepSpec s = parse_sweep_config(R"({"vary": {
    "Initial SOC": {"uniform": [0, 1]},
    "Negative particle radius [m]": {"loguniform": [2e-6, 1e-5]},
    "Separator porosity": {"uniform": [0.3, 0.6]}
  }, "samples": 4, "seed": 42})");
  std::mt19937_64 rng(42);
  for (std::size_t c = 0; c < 4; ++c) {
    const double u0 = unit_draw(rng), u1 = unit_draw(rng), u2 = unit_draw(rng);
    EXPECT_EQ(s.values[0][c], u0) << c;
    EXPECT_EQ(s.values[1][c], std::exp(std::log(2e-6) + u1 * (std::log(1e-5) - std::log(2e-6)))) << c;
    EXPECT_EQ(s.values[2][c], 0.3 + u2 * (0.6 - 0.3)) << c;
  }
  // The first draws by hand from the raw engine output.
  std::mt19937_64 raw(42);
  const std::uint64_t x0 = raw();
  EXPECT_EQ(s.values[0][0], std::ldexp(static_cast<double>(x0 >> 11), -53));
}

TEST(SweepRandom, LatinHypercubeFollowsTheDocumentedAlgorithm) {
  // Per random entry in config order: Fisher-Yates shuffle of 0..n-1 (i from n-1 down to
  // 1, j = unbiased draw in [0, i]), then one draw per sample: u = (perm[s] + u01) / n.
  const std::size_t n = 6;
  const SweepSpec s = parse_sweep_config(R"({"vary": {
    "Initial SOC": {"uniform": [0, 1]},
    "Separator porosity": {"uniform": [0.3, 0.6]}
  }, "samples": 6, "seed": 2024, "sampling": "latin_hypercube"})");
  std::mt19937_64 rng(2024);
  auto bounded = [&](std::uint64_t m) {
    const std::uint64_t threshold = (0 - m) % m;
    for (;;) {
      const std::uint64_t x = rng();
      if (x >= threshold) return x % m;
    }
  };
  for (std::size_t d = 0; d < 2; ++d) {
    std::vector<std::size_t> perm(n);
    for (std::size_t i = 0; i < n; ++i) perm[i] = i;
    for (std::size_t i = n - 1; i >= 1; --i) std::swap(perm[i], perm[bounded(i + 1)]);
    for (std::size_t c = 0; c < n; ++c) {
      const double u = (static_cast<double>(perm[c]) + unit_draw(rng)) * (1.0 / n);
      const double expected = d == 0 ? u : 0.3 + u * (0.6 - 0.3);
      EXPECT_EQ(s.values[d][c], expected) << d << " " << c;
    }
  }
}

// ---------------------------------------------------------------------------
// Special and function-valued names

TEST(SweepSpecialNames, CRateCurrentAndInitialSoc) {
  const SweepSpec a = parse_sweep_config(R"({"c_rate": 1, "vary": {"C-rate": [0.5, -1], "Initial SOC": [0, 0.5, 1]}})");
  EXPECT_EQ(a.n_cells(), 6u);
  EXPECT_EQ(a.varied[index_of(a, sweep_names::kCRate)], "C-rate");
  ASSERT_TRUE(a.c_rate);  // kept; the varied C-rate overrides it per cell
  const SweepSpec b = parse_sweep_config(R"({"vary": {"Current [A]": [5, -2.5]}})");
  EXPECT_EQ(b.values[0], (std::vector<double>{5, -2.5}));
  // Both protocol names together: not allowed.
  expect_config_error<InputError>(R"({"vary": {"C-rate": [1], "Current [A]": [5]}})",
                                  {"'C-rate'", "'Current [A]'", "both"});
  // Values out of range.
  expect_config_error<InvalidParameter>(R"({"vary": {"C-rate": [1, 0]}})", {"'C-rate'", "non-zero", "got 0"});
  expect_config_error<InvalidParameter>(R"({"vary": {"Current [A]": {"linspace": [-1, 1, 3]}}})",
                                        {"'Current [A]'", "non-zero"});
  expect_config_error<InvalidParameter>(R"({"vary": {"C-rate": {"uniform": [-1, 1]}}, "samples": 3})",
                                        {"'C-rate'", "contains 0"});
  expect_config_error<InvalidParameter>(R"({"vary": {"Initial SOC": [0.5, 1.5]}})",
                                        {"'Initial SOC'", "[0, 1]", "1.5"});
  // In "set" they are not parameters: point to the top-level key.
  expect_config_error<InputError>(R"({"set": {"C-rate": 2}})", {"set", "'C-rate'", "'c_rate'"});
  expect_config_error<InputError>(R"({"set": {"Initial SOC": 0.5}})", {"'initial_soc'"});
  // Misspelt: the special names are candidates too.
  expect_config_error<UnknownParameter>(R"({"vary": {"C rate": [1, 2]}})", {"'C rate'", "did you mean", "'C-rate'"});
  expect_config_error<UnknownParameter>(R"({"vary": {"initial soc": [1]}})", {"'Initial SOC'"});
}

// PyBaMM's initial_soc="3.9 V" where the parameters vary: each cell starts at the SOC of
// that open-circuit voltage from its own parameters. The expected records are built here
// from each cell's own set (soc_at_voltage, then build_cell: the road of `ionflux simulate
// --soc "3.9 V"`); a cell whose SOC window ends below the voltage fails alone.
TEST(SweepSpecialNames, InitialVoltageGivesEachCellItsOwnSoc) {
  const SweepSpec spec = parse_sweep_config(R"({"initial_soc": "3.9 V", "c_rate": 1, "combine": "zip",
      "vary": {"Negative electrode thickness [m]": [6e-5, 1e-4, 8e-5],
               "Open-circuit voltage at 100% SOC [V]": [4.2, 4.2, 3.8]}})");
  ASSERT_TRUE(spec.initial_voltage);
  EXPECT_EQ(*spec.initial_voltage, 3.9);
  EXPECT_FALSE(spec.initial_soc);
  const SweepPlan plan = plan_sweep(spec);
  ASSERT_EQ(plan.inputs.size(), 3u);
  std::vector<double> socs;
  for (std::size_t c = 0; c < 2; ++c) {
    ASSERT_EQ(plan.inputs.pre_status[c], CellStatus::running) << plan.inputs.pre_message[c];
    ParameterSet own = ParameterSet::load("Chen2020");
    own.set("Negative electrode thickness [m]", spec.values[0][c]);
    socs.push_back(soc_at_voltage(own, 3.9));
    const CellParams want = build_cell(own, own.get("Nominal cell capacity [A.h]"), false, socs.back(), spec.model);
    const CellParams got = plan.inputs.record(c);
    EXPECT_EQ(got.neg.c_init, want.neg.c_init) << "cell " << c;
    EXPECT_EQ(got.pos.c_init, want.pos.c_init) << "cell " << c;
    EXPECT_EQ(std::memcmp(&got, &want, sizeof got), 0) << "cell " << c;
  }
  EXPECT_GT(std::abs(socs[0] - socs[1]), 0.01) << "the thickness moves the SOC of 3.9 V";
  EXPECT_EQ(plan.inputs.pre_status[2], CellStatus::invalid_input);
  EXPECT_NE(plan.inputs.pre_message[2].find("outside the set's open-circuit voltages"), std::string::npos)
      << plan.inputs.pre_message[2];
  // the SOCs are kept for the results (the file's /cells/initial_soc), NaN for the cell
  // that has none, and travel with a Dask partition's range (planned_cells_of)
  ASSERT_EQ(plan.initial_soc.size(), 3u);
  EXPECT_EQ(plan.initial_soc[0], socs[0]);
  EXPECT_EQ(plan.initial_soc[1], socs[1]);
  EXPECT_TRUE(std::isnan(plan.initial_soc[2]));
  EXPECT_EQ(sweep_file_info(spec, plan).initial_soc.size(), 3u);
  const PlannedCells part = planned_cells_of(plan, CellRange{1, 3});
  ASSERT_EQ(part.initial_soc.size(), 2u);
  EXPECT_EQ(part.initial_soc[0], socs[1]);
  // only the current varies: one SOC for every cell, found once
  const SweepSpec same = parse_sweep_config(R"({"initial_soc": "3.9 V", "vary": {"C-rate": [0.5, 1]}})");
  ASSERT_TRUE(same.initial_soc);
  EXPECT_FALSE(same.initial_voltage);
  EXPECT_EQ(*same.initial_soc, soc_at_voltage(ParameterSet::load("Chen2020"), 3.9));
  EXPECT_TRUE(plan_sweep(same).initial_soc.empty()) << "one SOC: the settings' initial_soc";
  // refused before any work: a voltage outside the set's window, or a varied SOC as well
  expect_config_error<InvalidParameter>(
      R"({"initial_soc": "4.5 V", "vary": {"Negative electrode thickness [m]": [6e-5, 1e-4]}})",
      {"initial_soc: \"4.5 V\" is outside", "[2.5, 4.2] V"});
  expect_config_error<InputError>(R"({"initial_soc": "3.9 V", "vary": {"Initial SOC": [0.2, 0.5]}})",
                                  {"'Initial SOC'", "give one of them"});
  // one end of the window varies: the other is still checked
  expect_config_error<InvalidParameter>(
      R"({"initial_soc": "2.0 V", "vary": {"Open-circuit voltage at 100% SOC [V]": [4.2, 4.3]}})",
      {"initial_soc: \"2 V\" is outside", "[2.5, 4.2] V"});
  // a parameter's name as a step's placeholder fills the step, not the cell: one SOC
  const SweepSpec placeholder = parse_sweep_config(R"({"initial_soc": "3.9 V",
      "experiment": [["Charge at 0.5C until {Upper voltage cut-off [V]} V"]],
      "vary": {"Upper voltage cut-off [V]": [4.0, 4.1]}})");
  ASSERT_TRUE(placeholder.initial_soc);
  EXPECT_FALSE(placeholder.initial_voltage);
  EXPECT_EQ(*placeholder.initial_soc, *same.initial_soc);
}

TEST(SweepSpecialNames, FunctionValuedParameterCanBeVariedAndSet) {
  // A function of concentration and temperature in Chen2020: a constant per cell.
  const SweepSpec s = parse_sweep_config(R"({
    "set": {"Electrolyte conductivity [S.m-1]": 1.0},
    "vary": {"Electrolyte diffusivity [m2.s-1]": [1e-10, 3e-10]}})");
  EXPECT_EQ(s.varied, std::vector<std::string>{"Electrolyte diffusivity [m2.s-1]"});
  EXPECT_EQ(s.values[0], (std::vector<double>{1e-10, 3e-10}));
  ASSERT_EQ(s.set.size(), 1u);
  expect_config_error<InvalidParameter>(R"({"vary": {"Electrolyte diffusivity [m2.s-1]": [-1e-10]}})",
                                        {"Electrolyte diffusivity", "positive"});
}

// ---------------------------------------------------------------------------
// Errors

TEST(SweepErrors, InvalidJsonGivesLineAndColumn) {
  expect_config_error<InputError>("{\n  \"c_rate\": 1,\n  \"t_end\": tru\n}", {"test.json", "invalid JSON", "line 3",
                                                                              "column"});
  expect_config_error<InputError>("{\n  \"c_rate\": 1\n", {"invalid JSON", "line 3, column 1", "end of input"});
  expect_config_error<InputError>("", {"invalid JSON", "line 1, column 1"});
  expect_config_error<InputError>(R"({"t_end": 1e400})", {"invalid JSON", "1e400"});
  expect_config_error<InputError>("[1, 2]", {"must be a JSON object"});
  expect_config_error<InputError>(R"({"mesh": {"x_n": 10, "x_n": 12}})", {"duplicate key 'x_n'", "'mesh'"});
  expect_config_error<InputError>(R"({"seed": 1, "seed": 2})", {"duplicate key 'seed'", "top level"});
}

TEST(SweepErrors, UnknownKeysSuggestTheClosest) {
  expect_config_error<InputError>(R"({"seeed": 1})", {"unknown key 'seeed'", "did you mean 'seed'"});
  expect_config_error<InputError>(R"({"sampels": 1})", {"unknown key 'sampels'", "'samples'", "known keys are"});
  expect_config_error<InputError>(R"({"varry": {}})", {"unknown key 'varry'", "'vary'"});
  expect_config_error<InputError>(R"({"mesh": {"xn": 10}})", {"unknown key 'xn'", "in mesh", "'x_n'"});
  expect_config_error<InputError>(R"({"solver": {"max_step": 10}})", {"unknown key 'max_step'", "solver", "'max_steps'"});
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": {"linspapce": [0.3, 0.5, 2]}}})",
                                  {"unknown distribution 'linspapce'", "'linspace'"});
  expect_config_error<InputError>(R"({"combine": "gird"})", {"combine", "\"grid\" or \"zip\"", "'grid'"});
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": {"uniform": [0.3, 0.4]}}, "samples": 2,
                                      "sampling": "latin-hypercube"})",
                                  {"sampling", "'latin_hypercube'"});
}

TEST(SweepErrors, UnknownParameterNames) {
  expect_config_error<UnknownParameter>(R"({"vary": {"Negative electrode porosty": [0.3]}})",
                                        {"vary", "'Negative electrode porosty'", "did you mean",
                                         "'Negative electrode porosity'"});
  expect_config_error<UnknownParameter>(R"({"set": {"Separator porositty": 0.3}})",
                                        {"set", "'Separator porositty'", "'Separator porosity'"});
  expect_config_error<InputError>(R"({"parameters": "Chen2021"})", {"parameters", "Chen2021", "Chen2020"});
}

TEST(SweepErrors, WrongTypes) {
  expect_config_error<InputError>(R"({"parameters": 3})", {"parameters must be a string"});
  expect_config_error<InputError>(R"({"set": [1]})", {"set must be an object"});
  expect_config_error<InputError>(R"({"set": {"Separator porosity": "0.3"}})",
                                  {"set 'Separator porosity' must be a number", "string"});
  expect_config_error<InputError>(R"({"mesh": {"x_n": 10.0}})", {"mesh.x_n must be an integer"});
  expect_config_error<InputError>(R"({"mesh": {"x_n": "10"}})", {"mesh.x_n must be an integer"});
  expect_config_error<InputError>(R"({"solver": {"rtol": true}})", {"solver.rtol must be a number", "boolean"});
  expect_config_error<InputError>(R"({"period": null})", {"period must be a number", "null"});
  expect_config_error<InputError>(R"({"vary": [1, 2]})", {"vary must be an object"});
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": 0.3}})",
                                  {"vary 'Separator porosity' must be a list"});
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": [0.3, "x"]}})",
                                  {"vary 'Separator porosity' element 2 must be a number"});
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": {"linspace": [0.3, 0.5]}}})",
                                  {"linspace must be [start, stop, count]"});
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": {"linspace": [0.3, 0.5, 2.5]}}})",
                                  {"linspace count must be an integer"});
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": {"uniform": [0.3, 0.5, 1]}}, "samples": 2})",
                                  {"uniform must be [low, high]"});
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": {"uniform": [0.3], "linspace": [0, 1, 2]}}})",
                                  {"exactly one key"});
  expect_config_error<InputError>(R"({"seed": -1})", {"seed must be a non-negative integer"});
  expect_config_error<InputError>(R"({"seed": 1.5})", {"seed must be a non-negative integer"});
  expect_config_error<InputError>(R"({"combine": 1})", {"combine must be a string"});
}

TEST(SweepErrors, EmptyListsAndBadRanges) {
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": []}})", {"'Separator porosity'", "empty list"});
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": {"linspace": [0.3, 0.5, 0]}}})",
                                  {"linspace count", "from 1"});
  expect_config_error<InputError>(R"({"vary": {"Separator thickness [m]": {"logspace": [1e-6, 1e-5, -2]}}})",
                                  {"logspace count"});
  expect_config_error<InputError>(R"({"vary": {"Separator thickness [m]": {"logspace": [0, 1e-5, 3]}}})",
                                  {"logspace", "positive", "not exponents"});
  expect_config_error<InputError>(R"({"vary": {"Separator thickness [m]": {"logspace": [-6, -5, 3]}}})",
                                  {"logspace", "positive"});
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": {"uniform": [0.5, 0.5]}}, "samples": 2})",
                                  {"uniform", "low must be below high", "[0.5, 0.5]"});
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": {"uniform": [0.6, 0.3]}}, "samples": 2})",
                                  {"uniform", "low must be below high"});
  expect_config_error<InputError>(R"({"vary": {"Separator thickness [m]": {"loguniform": [0, 1e-5]}}, "samples": 2})",
                                  {"loguniform", "low must be positive"});
}

TEST(SweepErrors, SamplesAndSampling) {
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": {"uniform": [0.3, 0.5]}}})",
                                  {"samples is required"});
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": [0.3]}, "samples": 10})",
                                  {"samples is given", "no vary entry is random"});
  expect_config_error<InputError>(R"({"samples": 10})", {"samples is given"});
  expect_config_error<InputError>(R"({"sampling": "random"})", {"sampling is given"});
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": {"uniform": [0.3, 0.5]}}, "samples": 0})",
                                  {"samples must be an integer from 1"});
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": {"uniform": [0.3, 0.5]}}, "samples": 2,
                                      "sampling": "sobol"})",
                                  {"sampling must be \"random\" or \"latin_hypercube\"", "sobol"});
}

TEST(SweepErrors, ZipLengthsAndGridSize) {
  expect_config_error<InputError>(R"({"combine": "zip", "vary": {"Separator porosity": [0.3, 0.4, 0.5],
                                      "C-rate": [1, 2]}})",
                                  {"zip", "'Separator porosity' has 3", "'C-rate' has 2"});
  expect_config_error<InputError>(R"({"combine": "zip", "vary": {"C-rate": [1, 2, 3],
                                      "Separator porosity": {"uniform": [0.3, 0.5]}}, "samples": 4})",
                                  {"zip", "samples is 4", "3 values"});
  expect_config_error<InputError>(R"({"vary": {
      "Separator porosity": {"linspace": [0.3, 0.5, 1000]},
      "C-rate": {"linspace": [1, 2, 1000]},
      "Initial SOC": {"linspace": [0, 1, 1000]}}})",
                                  {"grid", "1000 x 1000 x 1000", "too many", "100000000"});
  expect_config_error<InputError>(R"({"vary": {"Separator porosity": {"linspace": [0.3, 0.5, 100000001]}}})",
                                  {"count must be an integer from 1 to 100000000"});
}

TEST(SweepErrors, NonPhysicalValues) {
  expect_config_error<InvalidParameter>(R"({"set": {"Negative electrode porosity": 1.2}})",
                                        {"set", "'Negative electrode porosity'", "(0, 1)", "1.2"});
  expect_config_error<InvalidParameter>(R"({"vary": {"Negative electrode thickness [m]": [6e-5, -1e-5]}})",
                                        {"vary", "'Negative electrode thickness [m]'", "positive", "-1e-05"});
  expect_config_error<InvalidParameter>(R"({"vary": {"Separator porosity": {"linspace": [0.5, 1.5, 3]}}})",
                                        {"'Separator porosity'", "(0, 1]", "1.5"});
  expect_config_error<InvalidParameter>(R"({"vary": {"Negative electrode porosity": {"uniform": [0.0, 0.5]}},
                                            "samples": 3})",
                                        {"'Negative electrode porosity'", "got 0"});
  expect_config_error<InvalidParameter>(R"({"c_rate": 0})", {"c_rate must be non-zero"});
  expect_config_error<InvalidParameter>(R"({"current": 0})", {"current must be non-zero"});
  expect_config_error<InputError>(R"({"c_rate": 1, "current": 5})", {"c_rate and current", "one of them"});
  expect_config_error<InvalidParameter>(R"({"initial_soc": 1.01})", {"initial_soc", "[0, 1]"});
  expect_config_error<InvalidParameter>(R"({"initial_soc": -0.1})", {"initial_soc", "[0, 1]"});
  expect_config_error<InputError>(R"({"mesh": {"r_n": 1}})", {"mesh.r_n", "from 2 to 1000", "got 1"});
  expect_config_error<InputError>(R"({"mesh": {"x_s": 1001}})", {"mesh.x_s", "from 2 to 1000", "1001"});
  expect_config_error<InputError>(R"({"solver": {"rtol": 1}})", {"solver.rtol", "(0, 1)"});
  expect_config_error<InputError>(R"({"solver": {"rtol": 0}})", {"solver.rtol", "(0, 1)"});
  expect_config_error<InputError>(R"({"solver": {"atol": 0}})", {"solver.atol", "positive"});
  expect_config_error<InputError>(R"({"period": 0})", {"period must be positive"});
  expect_config_error<InputError>(R"({"t_end": -5})", {"t_end must be positive"});
}

// ---------------------------------------------------------------------------
// Files

class SweepFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ionflux_sweep_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const auto& f : files_) std::remove(f.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    files_.push_back(path);
    return path;
  }
  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(SweepFiles, LoadSetsSourceAndReadsTheFile) {
  const std::string path = write("sweep.json", R"({"vary": {"C-rate": [1, 2]}})");
  const SweepSpec s = load_sweep_config(path);
  EXPECT_EQ(s.source, path);
  EXPECT_EQ(s.n_cells(), 2u);
  const std::string bad = write("bad.json", "{\n\n  \"c_rate\": ,\n}");
  expect_error<InputError>([&] { (void)load_sweep_config(bad); }, {bad, "invalid JSON", "line 3, column 13"});
}

TEST_F(SweepFiles, UnreadableFile) {
  expect_error<InputError>([&] { (void)load_sweep_config(dir_ + "/missing.json"); },
                           {"cannot read sweep config '" + dir_ + "/missing.json'", "No such file"});
  expect_error<InputError>([&] { (void)load_sweep_config(dir_); }, {"cannot read sweep config", "directory"});
}

TEST_F(SweepFiles, RelativeParameterFileResolvesAgainstTheConfigDirectory) {
  write("params.json", "{}");
  const std::string path = write("sweep.json", R"({"parameters": "params.json"})");
  // ParameterSet::load finds the file next to the config (and reports that "{}" is not a
  // parameter file), instead of "cannot open".
  expect_error<InputError>([&] { (void)load_sweep_config(path); },
                           {"parameters", "'" + dir_ + "/params.json'", "not an ionflux parameter file"});
  const std::string missing = write("sweep2.json", R"({"parameters": "sub/none.json"})");
  expect_error<InputError>([&] { (void)load_sweep_config(missing); },
                           {"cannot open parameter file '" + dir_ + "/sub/none.json'"});
  // A built-in name is not a path.
  const std::string builtin = write("sweep3.json", R"({"parameters": "Marquis2019"})");
  EXPECT_EQ(load_sweep_config(builtin).parameters, "Marquis2019");
}

// ---------------------------------------------------------------------------
// The documentation's examples parse, and each plans to a sweep with cells that can run
// (the complete example once set a porosity that made every cell invalid).

TEST(SweepDocs, ExamplesParse) {
  const std::string path = std::string(IONFLUX_FIXTURES_DIR) + "/../../docs/sweep_config.md";
  std::ifstream f(path);
  ASSERT_TRUE(f) << "cannot open " << path;
  std::string line, block;
  bool in_json = false;
  int parsed = 0;
  while (std::getline(f, line)) {
    if (!in_json && line.rfind("```json", 0) == 0) {
      in_json = true, block.clear();
    } else if (in_json && line.rfind("```", 0) == 0) {
      in_json = false;
      SweepSpec s;
      EXPECT_NO_THROW(s = parse_sweep_config(block, "docs example")) << block;
      EXPECT_GE(s.n_cells(), 1u);
      if (s.n_cells() >= 1) {
        const SweepPlan plan = plan_sweep(s);
        const auto& st = plan.inputs.pre_status;
        EXPECT_TRUE(std::any_of(st.begin(), st.end(), [](CellStatus c) { return c == CellStatus::running; }))
            << "no cell of this example can run; the first: " << plan.inputs.pre_message.at(0) << "\n" << block;
      }
      ++parsed;
    } else if (in_json) {
      block += line + "\n";
    }
  }
  EXPECT_GE(parsed, 1);
}

}  // namespace
// A budget per cell (issue 15): "solver": {"max_steps": N, "max_wall_time": S}. Before
// it, both keys were unknown (the old code rejected them).
TEST(SweepConfig, SolverBudget) {
  const SweepSpec d = parse_sweep_config("{}");
  EXPECT_EQ(d.solver.max_steps, 100000);      // SolverOptions' default: no normal cell is cut
  EXPECT_EQ(d.solver.max_wall_time, 0.0);     // none
  const SweepSpec s = parse_sweep_config(R"({"solver": {"max_steps": 250, "max_wall_time": 1.5, "rtol": 1e-5}})");
  EXPECT_EQ(s.solver.max_steps, 250);
  EXPECT_EQ(s.solver.max_wall_time, 1.5);
  EXPECT_EQ(s.solver.rtol, 1e-5);
}

TEST(SweepErrors, SolverBudgetIsChecked) {
  expect_config_error<InputError>(R"({"solver": {"max_steps": 0}})", {"solver.max_steps", "an integer from 1 to"});
  expect_config_error<InputError>(R"({"solver": {"max_steps": -5}})", {"solver.max_steps", "got -5"});
  expect_config_error<InputError>(R"({"solver": {"max_steps": 10.5}})", {"solver.max_steps", "an integer"});
  expect_config_error<InputError>(R"({"solver": {"max_steps": 2000000000}})", {"solver.max_steps", "1000000000"});
  expect_config_error<InputError>(R"({"solver": {"max_steps": "many"}})", {"solver.max_steps", "an integer"});
  expect_config_error<InputError>(R"({"solver": {"max_wall_time": 0}})",
                                  {"solver.max_wall_time", "positive number of seconds", "got 0"});
  expect_config_error<InputError>(R"({"solver": {"max_wall_time": -1}})", {"solver.max_wall_time", "positive"});
  expect_config_error<InputError>(R"({"solver": {"max_wall_time": "1 h"}})", {"solver.max_wall_time", "a number"});
}

}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
