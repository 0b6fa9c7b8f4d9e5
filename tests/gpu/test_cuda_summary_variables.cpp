// PyBaMM's per-cycle summary variables on the device (label `gpu`; skips cleanly without a
// device): the kernel records the lithium inventory at every step end in the slot arrays
// (kernels/backend/slots.hpp), so a CC-CV sweep on the CUDA engine (one thread per cell
// and a warp per cell alike) gives the summary variables of a CPU-only run within 1e-7
// relative (the two roads' round-off, as test_cuda_handoff). The host emulation of the same
// check runs in CI: tests/integration/test_summary_variables.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <vector>

#include "solver/inputs/experiment.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/output/results.hpp"
#include "solver/problem/batch.hpp"

using namespace ionflux;

TEST(CudaSummaryVariables, CcCvSweepEqualsCpu) {
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex = parse_experiment(
      {{"Discharge at 1C until 3.0 V", "Rest for 5 minutes", "Charge at 1C until 4.1 V", "Hold at 4.1 V until C/5"}}, 2,
      ps);
  BatchInputs in;
  for (double i : {2.5, 5.0, 7.5, 10.0}) {
    in.cells.push_back(ps.cell_params(i));
    in.pre_status.push_back(CellStatus::running);
    in.pre_message.emplace_back();
  }
  in.run.mesh = MeshSpec{6, 4, 6, 6, 6};
  in.run.steps = ex.steps;
  in.run.tables = ex.tables;
  in.run.t_end = 40000.0;
  in.run.period = 60.0;
  std::vector<int> step_cycle;
  for (const StepSpec& s : ex.steps) step_cycle.push_back(s.cycle);
  auto run = [&](Device d) {
    MemorySweepSink sink(in.cells.size(), static_cast<int>(ex.steps.size()), step_cycle, false);
    BatchOptions o;
    o.device = d;
    o.gpu_handoff_cells = 0;  // the device finishes every cell
    run_batch(in, o, &sink);
    sink.close();
    for (signed char dev : sink.results().device) EXPECT_EQ(dev, d == Device::cpu ? kRanOnCpu : kRanOnGpu);
    return sink.cycles().variables;
  };
  const SummaryVariables cpu = run(Device::cpu);
  for (const char* team : {"1", "32"}) {
    SCOPED_TRACE(std::string("IONFLUX_GPU_TEAM=") + team);
    setenv("IONFLUX_GPU_TEAM", team, 1);
    const SummaryVariables gpu = run(Device::cuda);
    ASSERT_EQ(cpu.names, gpu.names);
    for (std::size_t j = 0; j < cpu.names.size(); ++j)
      for (std::size_t i = 0; i < cpu.values[j].size(); ++i) {
        const double a = cpu.values[j][i], b = gpu.values[j][i];
        ASSERT_FALSE(std::isnan(a)) << cpu.names[j];
        EXPECT_LE(std::fabs(a - b), 1e-7 * std::fabs(a) + 1e-12) << cpu.names[j] << " [" << i << "]";
      }
  }
  unsetenv("IONFLUX_GPU_TEAM");
}
