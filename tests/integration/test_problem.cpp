// Issue 12 items 1 and 2: the Problem builder is the set-up recipe that the CLI, Python
// and sweep planning each wrote out before (same records, same end time, same numbers),
// and a Batch whose per-cell records are packed per chunk runs bit for bit as the same
// batch with one stored record per cell (the road before), on the CPU and through the
// (emulated) GPU streaming executor.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "solver/backends/backend_cuda.hpp"
#include "solver/problem/batch.hpp"
#include "solver/util/errors.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/inputs/parameter_file.hpp"
#include "solver/problem/problem.hpp"
#include "solver/problem/simulation.hpp"
#include "solver/inputs/sweep.hpp"
#include "solver/problem/sweep_plan.hpp"
#include "tests/equivalence/batch_cases.hpp"

namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)

using namespace ionflux;

namespace {

bool same_bytes(const CellParams& a, const CellParams& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

//! Equal element by element, bit for bit (NaN where the other is NaN).
template <class T>
void expect_same(const std::vector<T>& a, const std::vector<T>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t k = 0; k < a.size(); ++k) {
    if constexpr (std::is_floating_point<T>::value) {
      if (std::isnan(a[k]) && std::isnan(b[k])) continue;
    }
    ASSERT_EQ(a[k], b[k]) << what << " [" << k << "]";
  }
}

void expect_same_solution(const Solution& a, const Solution& b) {
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.message, b.message);
  expect_same(a.time, b.time, "time");
  expect_same(a.voltage, b.voltage, "voltage");
  expect_same(a.current, b.current, "current");
  expect_same(a.capacity, b.capacity, "capacity");
  expect_same(a.temperature, b.temperature, "temperature");
  expect_same(a.step, b.step, "step");
  EXPECT_EQ(a.energy, b.energy);
  EXPECT_EQ(a.discharge_capacity, b.discharge_capacity);
}

void expect_same_chunks(const ChunkData& a, const ChunkData& b) {
  ASSERT_EQ(a.n, b.n);
  expect_same(a.offset, b.offset, "offset");
  expect_same(a.count, b.count, "count");
  expect_same(a.status, b.status, "status");
  expect_same(a.message, b.message, "message");
  expect_same(a.time, b.time, "time");
  expect_same(a.voltage, b.voltage, "voltage");
  expect_same(a.current, b.current, "current");
  expect_same(a.capacity, b.capacity, "capacity");
  expect_same(a.temperature, b.temperature, "temperature");
  expect_same(a.step_index, b.step_index, "step index");
  expect_same(a.end_time, b.end_time, "end time");
  expect_same(a.energy, b.energy, "energy");
  expect_same(a.discharge_capacity, b.discharge_capacity, "discharge capacity");
  expect_same(a.charge_capacity, b.charge_capacity, "charge capacity");
  expect_same(a.mean_voltage, b.mean_voltage, "mean voltage");
  expect_same(a.steps, b.steps, "steps");
  expect_same(a.step_end, b.step_end, "step end");
  expect_same(a.step_capacity, b.step_capacity, "step capacity");
  expect_same(a.device, b.device, "device");
}

MeshSpec coarse() {
  MeshSpec m;
  m.x_n = m.x_s = m.x_p = 6;
  m.r_n = m.r_p = 6;
  return m;
}

// Chen2020 with two of its functions as user expressions (PyBaMM's Chen2020.py formulas).
const char* const kExpressions = R"j({"ionflux parameter file": 1, "base": "Chen2020", "name": "Chen2020 expr",
  "parameters": {
    "Electrolyte conductivity [S.m-1]": "0.1297 * (c_e / 1000) ^ 3 - 2.51 * (c_e / 1000) ^ 1.5 + 3.329 * (c_e / 1000)",
    "Negative electrode exchange-current density [A.m-2]": "6.48e-7 * exp(35000 / 8.31446261815324 * (1 / 298.15 - 1 / T)) * c_e ^ 0.5 * c_s_surf ^ 0.5 * (c_s_max - c_s_surf) ^ 0.5"
  }})j";

struct Case {
  const char* name;
  bool expressions;
  std::optional<double> c_rate, current, soc;
  bool thermal;
  std::vector<std::string> experiment;
};

}  // namespace

// The builder's cell, end time and run are what the recipe, written out here as
// solver/cli/cli.cpp and python/src/core.cpp wrote it before issue 12, gives: the same
// record byte for byte, the same default end, the same solution bit for bit.
TEST(Problem, BuilderIsTheOneRecipe) {
  const std::vector<Case> cases = {
      {"1C", false, 1.0, std::nullopt, std::nullopt, false, {}},
      {"3 A, lumped, SOC 0.8", false, std::nullopt, 3.0, 0.8, true, {}},
      {"protocol", false, std::nullopt, std::nullopt, 0.9, false,
       {"Discharge at 1C for 10 minutes", "Rest for 5 minutes", "Charge at C/2 until 4.1 V"}},
      {"user functions, lumped", true, 2.0, std::nullopt, std::nullopt, true, {}},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    std::optional<Problem> problem;
    Solution before;
    {
      // the set goes out of scope before the Problem runs: the Problem owns its functions
      const ParameterSet ps =
          k.expressions ? parse_parameter_file(kExpressions, "expr.json") : ParameterSet::load("Chen2020");
      Experiment ex;
      if (!k.experiment.empty()) ex = parse_experiment(k.experiment, ps);
      // before: the recipe as the CLI wrote it
      double current = k.c_rate ? *k.c_rate * ps.get("Nominal cell capacity [A.h]")
                       : k.current ? *k.current
                                   : ps.get("Current function [A]");
      if (!ex.steps.empty()) current = ex.steps.front().value;  // a current step
      CellParams cell = ps.cell_params(current);
      if (k.thermal) enable_lumped_thermal(cell, ps);
      if (k.soc)
        apply_initial_soc(cell, *k.soc, ps.get("Open-circuit voltage at 0% SOC [V]"),
                          ps.get("Open-circuit voltage at 100% SOC [V]"));
      RunOptions ro;
      ro.mesh = coarse();
      ro.period = 60.0;
      ro.steps = ex.steps;
      ro.tables = ex.tables;
      ro.step_text = ex.text;
      ro.t_end = default_end_time(cell, ex.steps);
      before = simulate(cell, ro);

      ProblemBuilder b(ps);
      b.c_rate(k.c_rate).current(k.current).initial_soc(k.soc).lumped_thermal(k.thermal).mesh(coarse()).period(60.0);
      if (!ex.steps.empty()) b.experiment(ex);
      problem = b.build();
      EXPECT_TRUE(same_bytes(problem->cell, cell));
      EXPECT_EQ(problem->run.t_end, ro.t_end);
      EXPECT_EQ(problem->current, current);
      EXPECT_TRUE(problem->default_t_end);
    }
    ASSERT_TRUE(cell_status_ok(before.status) || before.status == CellStatus::end_time_reached) << before.message;
    expect_same_solution(simulate(*problem), before);
  }
}

TEST(Problem, ValidatedOnce) {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  EXPECT_THROW(ProblemBuilder(ps).c_rate(0.0).build(), InvalidParameter);
  EXPECT_THROW(ProblemBuilder(ps).c_rate(1.0).current(2.0).build(), InputError);
  EXPECT_THROW(ProblemBuilder(ps).initial_soc(1.5).build(), InvalidParameter);
  EXPECT_THROW(ProblemBuilder(ps).experiment(parse_experiment({"Rest for 1 hour"}, ps)).current(1.0).build(),
               InputError);
  MeshSpec bad;
  bad.x_n = 1;
  EXPECT_THROW(ProblemBuilder(ps).mesh(bad).build(), InputError);
  const Problem p = ProblemBuilder(ps).t_end(100.0).build();
  EXPECT_EQ(p.run.t_end, 100.0);
  EXPECT_FALSE(p.default_t_end);
}

namespace {

//! The same batch with every record stored up front (the road before issue 12).
BatchInputs stored(const BatchInputs& packed) {
  BatchInputs in = packed;
  in.cells.resize(packed.size());
  packed.pack(0, packed.size(), in.cells.data());
  in.pack = nullptr;
  in.n_packed = 0;
  return in;
}

ionflux::testing::CollectSink run(const BatchInputs& in, Device device, std::size_t chunk) {
  BatchOptions o;
  o.device = device;
  o.threads = 2;
  o.max_chunk_cells = chunk;
  o.gpu_cpu_threads = 0;
  ionflux::testing::CollectSink sink;
  run_batch(in, o, &sink);
  return sink;
}

}  // namespace

// Sweeps (parameters, C-rates, SOC, thermal, protocols with placeholders, user
// functions, an invalid cell): the packed Batch gives the stored batch's numbers bit for
// bit, and its records are those of the stored road.
TEST(Batch, PackedRecordsRunAsStoredRecords) {
  const std::string mesh = R"("mesh": {"x_n": 5, "x_s": 4, "x_p": 5, "r_n": 5, "r_p": 5}, "period": 120)";
  const std::vector<std::string> configs = {
      // parameters x C-rates; the third thickness is invalid with that porosity
      "{" + mesh + R"(, "vary": {"Negative electrode thickness [m]": [7e-5, 8.52e-5, 1e-4],
          "Negative electrode porosity": [0.25, 0.3], "C-rate": [1, 2]},
          "set": {"Negative electrode active material volume fraction": 0.72}})",
      // only the current and the SOC vary (the records share the base cell), lumped
      "{" + mesh + R"(, "thermal": "lumped", "vary": {"C-rate": [0.5, 1, 2], "Initial SOC": [0.3, 0.6, 0.9]}})",
      // per-cell protocols from a placeholder and a varied cut-off
      "{" + mesh + R"(, "experiment": ["Discharge at {I} A until 3.2 V", "Rest for 2 minutes"],
          "vary": {"I": [2, 4], "Lower voltage cut-off [V]": [2.6, 2.8]}})",
      // user functions (expressions) with the lumped model, and a given t_end
      std::string("{") + mesh + R"(, "t_end": 1800, "thermal": "lumped", "parameters": )" + kExpressions +
          R"(, "vary": {"Positive electrode thickness [m]": [6e-5, 7.56e-5], "C-rate": [1, 3]}})",
  };
  for (const std::string& config : configs) {
    SCOPED_TRACE(config);
    const SweepPlan plan = plan_sweep(parse_sweep_config(config, "test"));
    ASSERT_TRUE(static_cast<bool>(plan.inputs.pack)) << "a sweep is a packed Batch";
    EXPECT_TRUE(plan.inputs.cells.empty()) << "no record per cell is kept";
    const BatchInputs old = stored(plan.inputs);
    for (std::size_t c = 0; c < plan.inputs.size(); ++c)
      EXPECT_TRUE(same_bytes(plan.inputs.record(c), old.cells[c])) << "cell " << c;
    EXPECT_EQ(plan.inputs.any_thermal(), old.any_thermal());
    for (std::size_t chunk : {std::size_t(1), std::size_t(5)}) {
      // the CPU packs a chunk's records at a time
      BatchInputs counted = plan.inputs;
      auto largest = std::make_shared<std::size_t>(0);
      counted.pack = [largest, pack = plan.inputs.pack](std::size_t first, std::size_t m, CellParams* out) {
        *largest = std::max(*largest, m);
        pack(first, m, out);
      };
      expect_same_chunks(run(counted, Device::cpu, chunk).all, run(old, Device::cpu, chunk).all);
      EXPECT_EQ(*largest, std::min(chunk, plan.inputs.size()));
      // the GPU road (emulated device: solver/backends/gpu_emulated.cpp)
      cuda_backend::emulate_device_for_testing(true);
      const ionflux::testing::CollectSink a = run(plan.inputs, Device::cuda, chunk), b = run(old, Device::cuda, chunk);
      cuda_backend::emulate_device_for_testing(false);
      expect_same_chunks(a.all, b.all);
    }
  }
}

}  // namespace IONFLUX_TEST_FILE_ID
