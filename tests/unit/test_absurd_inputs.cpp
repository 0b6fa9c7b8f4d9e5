// Absurd but well-formed inputs (issue 15 item 5, docs/reliability.md): each gives one clear
// error that says what was wrong and what was expected, never a hang, an abort or an
// allocation sized by the input. The limits asserted here are the documented ones:
// mesh sizes 2..1000 (docs/sweep_config.md, `ionflux simulate --mesh`), at most 10^8 samples
// or grid cells (docs/sweep_config.md), porosities in (0, 1) (docs/parameter_files.md),
// tables with at least 2 finite points (docs/parameter_files.md), expressions nested at most
// 200 levels (solver/inputs/expression.cpp).
#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "../test_util.hpp"
#include "solver/inputs/bpx.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/inputs/expression.hpp"
#include "solver/inputs/parameter_file.hpp"
#include "solver/inputs/sweep.hpp"
#include "solver/inputs/table.hpp"
#include "solver/inputs/user_function.hpp"
#include "solver/problem/simulation.hpp"
#include "solver/util/errors.hpp"
#include "solver/util/text.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

using testing::expect_throw_with;

const ParameterSet& chen() {
  static const ParameterSet p = ParameterSet::load("Chen2020");
  return p;
}

// --- zero or negative porosity ----------------------------------------------------------

TEST(AbsurdInputs, ZeroOrNegativePorosityIsRejectedEverywhere) {
  for (double eps : {0.0, -0.3}) {
    SCOPED_TRACE(eps);
    ParameterSet p = chen();
    expect_throw_with<InvalidParameter>([&] { p.set("Negative electrode porosity", eps); },
                                        {"Negative electrode porosity", "must be in (0, 1)", "got"});
    expect_throw_with<InvalidParameter>([&] { p.set("Separator porosity", eps); },
                                        {"Separator porosity", "must be in (0, 1]"});
    const std::string num = eps == 0.0 ? "0" : "-0.3";
    expect_throw_with<InputError>(
        [&] {
          (void)parse_parameter_file(R"({"ionflux parameter file": 1, "base": "Chen2020",
            "parameters": {"Positive electrode porosity": )" + num + "}}",
                                     "absurd.json");
        },
        {"Positive electrode porosity", "must be in (0, 1)"});
    expect_throw_with<InputError>(
        [&] { (void)parse_sweep_config(R"({"set": {"Negative electrode porosity": )" + num + "}}", "absurd.json"); },
        {"Negative electrode porosity", "(0, 1)"});
    expect_throw_with<InputError>(
        [&] {
          (void)parse_sweep_config(R"({"vary": {"Negative electrode porosity": [0.25, )" + num + "]}}", "absurd.json");
        },
        {"Negative electrode porosity", "(0, 1)"});
  }
}

// --- huge meshes --------------------------------------------------------------------------

TEST(AbsurdInputs, MillionPointMeshIsRejectedInSweepConfigs) {
  expect_throw_with<InputError>(
      [] { (void)parse_sweep_config(R"({"mesh": {"x_n": 1000000}})", "absurd.json"); },
      {"mesh.x_n", "1000000", "2", "1000"});
  expect_throw_with<InputError>(
      [] { (void)parse_sweep_config(R"({"mesh": {"r_p": 1e6}})", "absurd.json"); }, {"mesh.r_p", "1000"});
}

// The library entry (Python's Problem/simulate, sweeps' plans) shares validate_run_options:
// it used to check only the lower bound, so a 10^6-point mesh went on to allocate its
// state vectors and Jacobian (gigabytes) instead of giving an error.
TEST(AbsurdInputs, MillionPointMeshIsRejectedByTheRunOptions) {
  for (int which = 0; which < 5; ++which) {
    RunOptions o;
    int* sizes[] = {&o.mesh.x_n, &o.mesh.x_s, &o.mesh.x_p, &o.mesh.r_n, &o.mesh.r_p};
    const char* names[] = {"x_n", "x_s", "x_p", "r_n", "r_p"};
    *sizes[which] = 1000000;
    expect_throw_with<InputError>([&] { validate_run_options(o); },
                                  {std::string("mesh size ") + names[which], "at most 1000", "got 1000000"});
  }
  RunOptions ok;
  ok.mesh.x_n = 1000;  // the largest accepted size, as in the CLI and sweep configs
  EXPECT_NO_THROW(validate_run_options(ok));
}

// --- 10^8 samples -------------------------------------------------------------------------

TEST(AbsurdInputs, SampleCountsBeyondTheLimitAreRejectedBeforeAllocating) {
  // 10^8 is the documented maximum; more is refused by the count check, before any value
  // is drawn (this test would otherwise allocate > 1.6 GB and run for tens of seconds).
  for (const char* n : {"100000001", "1e9", "1e300"}) {
    SCOPED_TRACE(n);
    expect_throw_with<InputError>(
        [&] {
          (void)parse_sweep_config(std::string(R"({"vary": {"C-rate": {"uniform": [0.5, 2]}}, "samples": )") + n + "}",
                                   "absurd.json");
        },
        {"samples", "100000000"});
  }
  // a grid whose product exceeds 10^8 is refused from the counts, not by building it
  expect_throw_with<InputError>(
      [] {
        (void)parse_sweep_config(R"({"vary": {"C-rate": {"linspace": [0.5, 2, 100000]},
          "Initial SOC": {"linspace": [0.1, 1, 100000]}}})",
                                 "absurd.json");
      },
      {"too many", "100000000"});
}

// --- NaN / Inf and empty tables -----------------------------------------------------------

TEST(AbsurdInputs, NonFiniteTableValuesAreRejected) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (const char* kind : {"linear", "pchip", "cubic"}) {
    SCOPED_TRACE(kind);
    expect_throw_with<std::invalid_argument>(
        [&] { (void)make_table({0.0, 0.5, 1.0}, {1.0, nan, 0.1}, table_kind(kind), "OCP"); },
        {"OCP", "\"y\"[1] is not a finite number"});
    expect_throw_with<std::invalid_argument>(
        [&] { (void)make_table({0.0, inf, 1.0}, {1.0, 0.5, 0.1}, table_kind(kind), "OCP"); },
        {"\"x\"[1] is not a finite number"});
    expect_throw_with<std::invalid_argument>(
        [&] {
          (void)UserFunctionSource::table("Negative electrode OCP [V]", {0.0, 1.0}, {-inf, 0.1}, kind);
        },
        {"Negative electrode OCP [V]", "not a finite number"});
  }
}

TEST(AbsurdInputs, EmptyTablesAreRejected) {
  expect_throw_with<std::invalid_argument>([] { (void)make_table({}, {}, table::Kind::linear, "OCP"); },
                                           {"OCP", "at least 2 points, got 0"});
  expect_throw_with<InputError>(
      [] {
        (void)parse_parameter_file(R"({"ionflux parameter file": 1, "base": "Chen2020",
          "parameters": {"Negative electrode OCP [V]": {"x": [], "y": []}}})",
                                   "absurd.json");
      },
      {"Negative electrode OCP [V]", "at least 2 points"});
}

TEST(AbsurdInputs, NonFiniteOrEmptyDriveCyclesAreRejected) {
  testing::TempDir dir("ionflux_absurd");
  auto write = [&](const std::string& name, const std::string& text) { std::ofstream(dir / name) << text; };
  write("nan.csv", "0,1\n10,nan\n20,1\n");
  write("inf.csv", "0,1\n10,inf\n");
  write("empty.csv", "time,current\n");
  // 1e306 W is finite, but in kW (x 1000) it is not: the scaled value used to be kept as inf
  write("huge.csv", "0,1\n10,1e306\n");
  const std::string base = dir.path().string();
  auto run = [&](const std::string& step) { (void)parse_experiment(std::vector<std::string>{step}, chen(), base); };
  expect_throw_with<InputError>([&] { run("Run nan.csv (A)"); }, {"line 2", "not two numbers"});
  expect_throw_with<InputError>([&] { run("Run inf.csv (A)"); }, {"line 2", "not two numbers"});
  expect_throw_with<InputError>([&] { run("Run empty.csv (A)"); }, {"is empty (no data rows)"});
  expect_throw_with<InputError>([&] { run("Run huge.csv (kW)"); }, {"line 2", "huge.csv", "not a finite number"});
}

// --- deep nesting -------------------------------------------------------------------------

//! Expression errors are two lines more than others (the text and a caret under the
//! position, docs/parameter_files.md), so only their content is checked.
template <class E, class Fn>
void expect_error_containing(Fn f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no exception thrown";
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& part : parts)
      EXPECT_NE(msg.find(part), std::string::npos) << "'" << part << "' not in: " << msg.substr(0, 300);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << std::string(e.what()).substr(0, 300);
  }
}

TEST(AbsurdInputs, ExpressionNestedAHundredThousandDeep) {
  const int n = 100000;
  const std::string parens = std::string(n, '(') + "sto" + std::string(n, ')');
  expect_error_containing<ExpressionError>([&] { (void)compile_expression(parens); },
                                     {"nests too deeply", "at most 200 levels"});
  const std::string minus = std::string(n, '-') + "sto";
  expect_error_containing<ExpressionError>([&] { (void)compile_expression(minus); }, {"nests too deeply"});
  std::string calls;
  for (int k = 0; k < n; ++k) calls += "exp(";
  calls += "sto" + std::string(n, ')');
  expect_error_containing<ExpressionError>([&] { (void)compile_expression(calls); }, {"nests too deeply"});
  std::string powers = "sto";
  for (int k = 0; k < n; ++k) powers += "^sto";
  expect_error_containing<ExpressionError>([&] { (void)compile_expression(powers); }, {"expression"});
  // the same expression inside a parameter file gives the same error, with the parameter's name
  expect_error_containing<InputError>(
      [&] {
        (void)parse_parameter_file(R"({"ionflux parameter file": 1, "base": "Chen2020",
          "parameters": {"Negative electrode OCP [V]": ")" + parens + "\"}}",
                                   "absurd.json");
      },
      {"Negative electrode OCP [V]", "nests too deeply"});
}

// A sweep config nested 10^5 deep used to overflow the stack (SIGSEGV) when the error
// message dumped the value; sweep configs, parameter files and BPX files share the parser.
TEST(AbsurdInputs, JsonNestedAHundredThousandDeep) {
  const int n = 100000;
  const std::string arrays = std::string(n, '[') + std::string(n, ']');
  std::string objects;
  for (int k = 0; k < n; ++k) objects += "{\"a\": ";
  objects += "1" + std::string(n, '}');
  const std::vector<std::string> parts = {"absurd.json", "nested more than 64 levels deep", "expected at most 64"};
  for (const std::string* deep : std::vector<const std::string*>{&arrays, &objects}) {
    expect_throw_with<InputError>([&] { (void)parse_sweep_config(R"({"vary": )" + *deep + "}", "absurd.json"); },
                                  parts);
    expect_throw_with<InputError>([&] { (void)parse_sweep_config(*deep, "absurd.json"); }, parts);
    expect_throw_with<InputError>([&] { (void)parse_parameter_file(*deep, "absurd.json"); }, parts);
    expect_throw_with<InputError>([&] { (void)parse_bpx(*deep, "absurd.json"); }, parts);
  }
}

// --- huge unknown names -------------------------------------------------------------------

// A parameter file whose unknown key is 60,000 characters long: "did you mean" compared it
// with every known name by edit distance (length x length each), which took 21 s under the
// fuzz build's sanitizers for a 14 KB key (tests/fuzz/corpus/parameter_file/slow-unit-*).
// Words over 256 characters now get the longer length as their distance, at once.
TEST(AbsurdInputs, HugeUnknownKeyIsReportedWithoutSuggestionSearch) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);  // exact below the length cut
  const std::string huge(60000, 'q');
  EXPECT_EQ(edit_distance(huge, "Negative electrode porosity"), huge.size());
  EXPECT_EQ(edit_distance("Negative electrode porosity", huge), huge.size());
  // a name followed by 300 characters: the true distance is 300, the bound 327 (the old code
  // computed the 300, at 327 x 27 operations)
  const std::string name = "Negative electrode porosity";
  EXPECT_EQ(edit_distance(name + std::string(300, 'x'), name), name.size() + 300);
  try {
    (void)parse_parameter_file(R"({"ionflux parameter file": 1, "base": "Chen2020", "parameters": {")" + huge +
                                   "\": 1.0}}",
                               "absurd.json");
    ADD_FAILURE() << "no exception thrown";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("qqqq"), std::string::npos) << msg.substr(0, 300);
    EXPECT_EQ(msg.find("did you mean"), std::string::npos) << msg.substr(0, 300);
  }
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
