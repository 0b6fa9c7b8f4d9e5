// Functions of temperature on the device (issue 10 item 8): ORegan2022 cells whose
// positive electrode conductivity and layer heat capacities are user functions of T,
// isothermal at several ambient temperatures and with the lumped thermal model. The
// device must see every FunctionRef re-pointed at its copy (for_each_function) and give
// the CPU's voltages and temperatures (bound 1e-7 relative, as the other CUDA-vs-CPU
// tests, at rtol = atol = 1e-10).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "solver/problem/batch.hpp"
#include "tests/equivalence/batch_cases.hpp"
#include "tests/equivalence/compare_chunks.hpp"

using namespace ionflux;

TEST(Gpu, CudaEqualsCpuWithFunctionsOfTemperature) {
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  const ParameterSet base = ParameterSet::load("ORegan2022");
  BatchInputs in;
  const int n = 9;
  for (int c = 0; c < n; ++c) {
    ParameterSet ps = base;
    const double temp = 263.15 + 7.0 * c;
    ps.set("Ambient temperature [K]", temp);
    ps.set("Initial temperature [K]", temp);
    if (c % 3 == 1) ps.set("Negative electrode porosity", 0.2 + 0.02 * c);  // the heat capacity reads it
    CellParams cell = ps.cell_params(5.0 + 2.0 * c);
    if (c % 2 == 0) enable_lumped_thermal(cell, ps);
    in.cells.push_back(cell);
    in.pre_status.push_back(CellStatus::running);
    in.pre_message.emplace_back();
  }
  in.run.solver.rtol = 1e-10;
  in.run.solver.atol = 1e-10;
  in.run.t_end = 4000.0;
  in.run.period = 20.0;
  ionflux::testing::CollectSink cpu, gpu;
  BatchOptions o;
  o.device = Device::cpu;
  run_batch(in, o, &cpu);
  o.device = Device::cuda;
  run_batch(in, o, &gpu);
  ASSERT_EQ(cpu.all.n, static_cast<std::size_t>(n));
  ASSERT_EQ(gpu.all.n, static_cast<std::size_t>(n));
  for (int c = 0; c < n; ++c)
    EXPECT_EQ(cpu.all.status[c], static_cast<int>(CellStatus::cutoff_lower)) << "cell " << c;
  const double worst = ionflux::testing::compare_chunks(cpu.all, gpu.all);
  std::printf("ORegan2022, functions of T: largest relative voltage difference CUDA vs CPU %.3e\n", worst);
}
