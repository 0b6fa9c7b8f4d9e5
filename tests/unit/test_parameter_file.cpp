// ionflux's JSON parameter files (solver/inputs/parameter_file.cpp, docs/parameter_files.md):
// export/load round trips with exactly the same simulation, "base" + overrides, and
// one clear message for each kind of mistake.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../test_util.hpp"
#include "solver/util/errors.hpp"
#include "solver/inputs/parameter_file.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/inputs/shipped_sets.hpp"
#include "solver/problem/simulation.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

using ojson = nlohmann::ordered_json;

using testing::expect_throw_with;

ParameterSet parse(const std::string& text) { return parse_parameter_file(text, "test.json"); }

//! A file on top of Chen2020 with one parameter given as `value` (JSON text).
std::string with_chen(const std::string& key, const std::string& value) {
  return R"({"ionflux parameter file": 1, "base": "Chen2020", "parameters": {")" + key + "\": " + value + "}}";
}

Solution run(const ParameterSet& ps) {
  const double current = ps.get("Current function [A]");
  RunOptions o;
  o.mesh = MeshSpec{10, 5, 10, 10, 10};
  o.t_end = default_end_time(ps.get("Nominal cell capacity [A.h]"), current);
  return simulate(ps.cell_params(current), o);
}

void expect_same_entries(const ParameterSet& a, const ParameterSet& b) {
  ASSERT_EQ(a.names(), b.names());
  for (const auto& n : a.names()) {
    const Entry &x = a.entry(n), &y = b.entry(n);
    EXPECT_EQ(x.function_name, y.function_name) << n;
    if (x.is_function()) {
      EXPECT_EQ(x.function.id, y.function.id) << n;
      EXPECT_EQ(x.function.p[0], y.function.p[0]) << n;
      EXPECT_EQ(x.function.p[1], y.function.p[1]) << n;
    } else {
      EXPECT_EQ(x.value, y.value) << n;
    }
  }
}

class RoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(RoundTrip, ExportedFileGivesTheSameSetAndExactlyTheSameRun) {
  const ParameterSet builtin = ParameterSet::load(GetParam());
  const std::string text = to_json(builtin);
  const ojson j = ojson::parse(text);
  EXPECT_EQ(j.at("ionflux parameter file"), 1);
  EXPECT_EQ(j.at("name"), GetParam());
  EXPECT_FALSE(j.contains("base"));
  EXPECT_EQ(j.at("parameters").size(), builtin.names().size());

  // Through a real file and ParameterSet::load, as `simulate --parameters` does.
  const std::string path =
      (std::filesystem::temp_directory_path() / ("ionflux_pf_" + std::to_string(::getpid()) + ".json")).string();
  {
    std::ofstream f(path);
    f << text;
  }
  const ParameterSet loaded = ParameterSet::load(path);
  std::remove(path.c_str());
  EXPECT_EQ(loaded.name(), GetParam());
  expect_same_entries(builtin, loaded);
  EXPECT_EQ(to_json(loaded), text);

  const Solution a = run(builtin), b = run(loaded);
  ASSERT_GT(a.voltage.size(), 10u);
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.voltage, b.voltage);
  EXPECT_EQ(a.discharge_capacity, b.discharge_capacity);
}

INSTANTIATE_TEST_SUITE_P(BuiltInSets, RoundTrip, ::testing::Values("Chen2020", "Marquis2019"));

TEST(ParameterFile, RequiredNamesAreInEveryBuiltInSetAndSuffice) {
  for (const auto& set : ParameterSet::builtin_names()) {
    const ParameterSet ps = ParameterSet::load(set);
    for (const auto& n : required_parameter_names()) EXPECT_TRUE(ps.contains(n)) << set << ": " << n;
  }
  // A file with only the required names (no base) runs exactly like the full set.
  const ParameterSet chen = ParameterSet::load("Chen2020");
  ojson j = ojson::parse(to_json(chen));
  ojson only = ojson::object();
  for (const auto& n : required_parameter_names()) only[n] = j["parameters"][n];
  j["parameters"] = only;
  const ParameterSet minimal = parse(j.dump());
  EXPECT_EQ(minimal.names().size(), required_parameter_names().size());
  EXPECT_EQ(run(chen).voltage, run(minimal).voltage);
}

TEST(ParameterFile, BaseAndOverrides) {
  const ParameterSet ps = parse(R"({
    "ionflux parameter file": 1,
    "base": "Chen2020",
    // comments are allowed
    "parameters": {
      "Negative electrode thickness [m]": 8.0e-5,
      "Positive particle diffusivity [m2.s-1]": {"function": "lico2_diffusivity_Dualfoil1998"},
      "Negative electrode exchange-current density [A.m-2]": 2e-6,
      "Negative tab width [m]": 0.03
    }
  })");
  const ParameterSet chen = ParameterSet::load("Chen2020");
  EXPECT_EQ(ps.name(), "test.json");  // no "name": the file
  EXPECT_EQ(ps.get("Negative electrode thickness [m]"), 8.0e-5);
  EXPECT_EQ(ps.get("Negative electrode exchange-current density [A.m-2]"), 2e-6);  // function -> constant
  EXPECT_EQ(ps.entry("Negative electrode exchange-current density [A.m-2]").function.id, FunctionId::constant);
  EXPECT_EQ(ps.get("Negative tab width [m]"), 0.03);  // known (Marquis2019), added
  // The function carries the constants of the set that defines it (Marquis2019).
  const Entry& d = ps.entry("Positive particle diffusivity [m2.s-1]");
  const ParameterSet marquis = ParameterSet::load("Marquis2019");
  const Entry& m = marquis.entry("Positive particle diffusivity [m2.s-1]");
  EXPECT_EQ(d.function_name, "lico2_diffusivity_Dualfoil1998");
  EXPECT_EQ(d.function.id, FunctionId::arrhenius);
  EXPECT_EQ(d.function.p[0], m.function.p[0]);
  EXPECT_EQ(d.function.p[1], m.function.p[1]);
  // Everything else is Chen2020's, in Chen2020's order.
  EXPECT_EQ(ps.names().size(), chen.names().size() + 1);
  for (const auto& n : chen.names()) {
    if (n.find("Negative electrode thickness") == 0 || n.find("Positive particle diffusivity") == 0 ||
        n.find("Negative electrode exchange-current") == 0)
      continue;
    EXPECT_EQ(ps.entry(n).value, chen.entry(n).value) << n;
    EXPECT_EQ(ps.entry(n).function_name, chen.entry(n).function_name) << n;
  }
  EXPECT_NO_THROW(ps.cell_params(5.0));

  const ParameterSet named = parse(R"({"ionflux parameter file": 1, "base": "Marquis2019", "name": "My cell",
                                       "parameters": {}})");
  EXPECT_EQ(named.name(), "My cell");
  EXPECT_EQ(run(named).voltage, run(ParameterSet::load("Marquis2019")).voltage);
}

TEST(ParameterFile, ExampleFileIsChen2020WithTwoChanges) {
  const ParameterSet ex = ParameterSet::load(std::string(IONFLUX_FIXTURES_DIR) + "/../../examples/chen2020_custom.json");
  const ParameterSet chen = ParameterSet::load("Chen2020");
  EXPECT_EQ(ex.name(), "Chen2020 (custom)");
  ASSERT_EQ(ex.names(), chen.names());
  for (const auto& n : chen.names()) {
    if (n == "Negative electrode thickness [m]") EXPECT_EQ(ex.get(n), 8.0e-5);
    else if (n == "Positive particle diffusivity [m2.s-1]") EXPECT_EQ(ex.get(n), 5e-15);
    else EXPECT_EQ(ex.entry(n).value, chen.entry(n).value) << n;
  }
}

TEST(ParameterFile, InvalidJsonGivesLineAndColumn) {
  expect_throw_with<InputError>([] { parse("{\"ionflux parameter file\": 1,\n  \"parameters\": {\"a\": 1,}}"); },
                                {"test.json", "invalid JSON at line 2, column 25"});
  expect_throw_with<InputError>([] { parse(""); }, {"invalid JSON at line 1"});
  expect_throw_with<InputError>([] { parse(with_chen("Negative electrode porosity", "1e400")); },
                                {"invalid JSON", "1e400"});
  expect_throw_with<InputError>(
      [] { parse(R"({"ionflux parameter file": 1, "base": "Chen2020", "parameters": {"Separator porosity": 0.4,
                     "Separator porosity": 0.5}})"); },
      {"duplicate key 'Separator porosity' in 'parameters'"});
}

TEST(ParameterFile, TopLevelMistakes) {
  expect_throw_with<InputError>([] { parse("[1, 2]"); }, {"top level", "an array"});
  expect_throw_with<InputError>([] { parse(R"({"ionflux parameter file": 1, "bsae": "Chen2020", "parameters": {}})"); },
                                {"unknown top-level key 'bsae'", "did you mean 'base'"});
  expect_throw_with<InputError>([] { parse(R"({"base": "Chen2020", "parameters": {}})"); },
                                {"not an ionflux parameter file", "\"ionflux parameter file\": 1"});
  expect_throw_with<InputError>([] { parse(R"({"ionflux parameter file": 2, "parameters": {}})"); },
                                {"unsupported", "version 2", "reads version 1"});
  expect_throw_with<InputError>([] { parse(R"({"ionflux parameter file": 1, "base": "Chen2021", "parameters": {}})"); },
                                {"unknown built-in set 'Chen2021'", "did you mean 'Chen2020'"});
  expect_throw_with<InputError>([] { parse(R"({"ionflux parameter file": 1, "base": 3, "parameters": {}})"); },
                                {"\"base\" must be", "a number"});
  expect_throw_with<InputError>([] { parse(R"({"ionflux parameter file": 1, "base": "Chen2020"})"); },
                                {"missing \"parameters\""});
  expect_throw_with<InputError>([] { parse(R"({"ionflux parameter file": 1, "base": "Chen2020", "parameters": [1]})"); },
                                {"\"parameters\" must be an object"});
  // a BPX file goes to the BPX reader (solver/inputs/bpx.cpp; tests/integration/test_bpx.cpp)
  expect_throw_with<InputError>([] { parse(R"({"Header": {"BPX": 0.4}, "Parameterisation": {}})"); },
                                {"BPX file '", "missing 'Header' > 'Model'"});
}

TEST(ParameterFile, UnknownParameterSuggestsClosestNames) {
  expect_throw_with<UnknownParameter>([] { parse(with_chen("Negative electrode thicknes [m]", "1e-4")); },
                                      {"unknown parameter 'Negative electrode thicknes [m]'",
                                       "did you mean 'Negative electrode thickness [m]'"});
}

// is_known_parameter_name looks in the compiled names first and parses the shipped files
// only for a name outside them (issue 14: the CLI's start-up); it must answer exactly as
// a look-up in known_parameter_names() does, the shipped-only names included.
TEST(ParameterFile, KnownNameLookUpAgreesWithTheWholeList) {
  const auto& known = known_parameter_names();
  for (const auto& n : known) EXPECT_TRUE(is_known_parameter_name(n)) << n;
  for (const char* n : {"", "Negative electrode thicknes [m]", "negative electrode thickness [m]", "x", "interpolator"}) {
    EXPECT_EQ(std::find(known.begin(), known.end(), n), known.end()) << n;
    EXPECT_FALSE(is_known_parameter_name(n)) << n;
  }
  // every name a shipped file uses (known_parameter_names takes them from the files)
  for (const auto& s : shipped_set_files()) {
    const ojson file = ojson::parse(s.second);  // kept alive: items() only views it
    for (const auto& item : file.at("parameters").items()) {
      EXPECT_TRUE(is_known_parameter_name(item.key())) << s.first << ": " << item.key();
      EXPECT_NE(std::find(known.begin(), known.end(), item.key()), known.end()) << s.first << ": " << item.key();
    }
  }
}

// A shipped set's keys are not looked up (parse_shipped_parameter_file): the same set as
// parse_parameter_file, which does look them up.
TEST(ParameterFile, ShippedSetsParseAsAnyFile) {
  for (const auto& s : shipped_set_files())
    EXPECT_EQ(to_json(parse_shipped_parameter_file(s.second, s.first)), to_json(parse_parameter_file(s.second, s.first)))
        << s.first;
}

TEST(ParameterFile, MissingRequiredParametersAreAllListed) {
  expect_throw_with<InputError>(
      [] { parse(R"({"ionflux parameter file": 1, "parameters": {"Negative electrode thickness [m]": 1e-4}})"); },
      {"missing 44 required parameters", "\"base\"", "'Negative electrode porosity'", "'Current function [A]'",
       "'Open-circuit voltage at 100% SOC [V]'", "'Positive electrode OCP [V]'"});
  // One missing: the name alone.
  ojson j = ojson::parse(to_json(ParameterSet::load("Chen2020")));
  j["parameters"].erase("Upper voltage cut-off [V]");
  expect_throw_with<InputError>([&] { parse(j.dump()); },
                                {"missing 1 required parameter ", "'Upper voltage cut-off [V]'"});
}

TEST(ParameterFile, OutOfRangeValues) {
  expect_throw_with<InvalidParameter>([] { parse(with_chen("Negative electrode porosity", "1.5")); },
                                      {"'Negative electrode porosity' must be in (0, 1), got 1.5"});
  expect_throw_with<InvalidParameter>([] { parse(with_chen("Negative particle radius [m]", "-1e-6")); },
                                      {"'Negative particle radius [m]' must be positive"});
  // Cross-parameter checks run at load time too.
  expect_throw_with<InvalidParameter>([] { parse(with_chen("Lower voltage cut-off [V]", "5")); },
                                      {"'Lower voltage cut-off [V]'", "must be below"});
  expect_throw_with<InvalidParameter>([] { parse(with_chen("Negative electrode OCP [V]", "0.1")); },
                                      {"'Negative electrode OCP [V]' must be a function"});
}

TEST(ParameterFile, FunctionMistakes) {
  expect_throw_with<InvalidParameter>(
      [] { parse(with_chen("Negative electrode OCP [V]", R"({"function": "graphite_LGM50_ocp_Chen202"})")); },
      {"unknown function 'graphite_LGM50_ocp_Chen202'", "did you mean 'graphite_LGM50_ocp_Chen2020'"});
  expect_throw_with<InvalidParameter>(
      [] { parse(with_chen("Negative electrode OCP [V]", R"({"function": "electrolyte_conductivity_Nyman2008"})")); },
      {"'electrolyte_conductivity_Nyman2008'", "not for this parameter", "graphite_LGM50_ocp_Chen2020"});
  expect_throw_with<InvalidParameter>(
      [] { parse(with_chen("Separator porosity", R"({"function": "electrolyte_conductivity_Nyman2008"})")); },
      {"'Separator porosity' takes a number"});
  expect_throw_with<InvalidParameter>([] { parse(with_chen("Negative electrode OCP [V]", R"({"function": 3})")); },
                                      {"function name must be a string"});
  expect_throw_with<InvalidParameter>([] { parse(with_chen("Negative electrode OCP [V]", R"({"fn": "x"})")); },
                                      {"or {\"function\": NAME}", "'fn'"});
}

TEST(ParameterFile, WrongTypes) {
  for (const char* v : {"true", "null", "[1]", "\"0.4\"", "{\"x\": [0, 1], \"y\": [1, 2]}"})
    expect_throw_with<InvalidParameter>([&] { parse(with_chen("Separator porosity", v)); },
                                        {"'Separator porosity' takes a number", "expected a number"});
  expect_throw_with<InvalidParameter>([] { parse(with_chen("Negative electrode OCP [V]", "[1, 2]")); },
                                      {"an expression string, a table", "got an array"});
}

TEST(ParameterFile, UnreadableFile) {
  expect_throw_with<InputError>([] { ParameterSet::load("/nonexistent/dir/cell.json"); },
                                {"cannot open parameter file '/nonexistent/dir/cell.json'"});
}

TEST(ParameterFile, BuiltInFunctionNames) {
  const auto names = builtin_function_names();
  for (const char* n : {"graphite_LGM50_ocp_Chen2020", "electrolyte_conductivity_Capiglia1999",
                        "lico2_electrolyte_exchange_current_density_Dualfoil1998"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
