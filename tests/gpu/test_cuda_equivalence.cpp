// CUDA equals CPU on the same batch (label `gpu`; skips cleanly without a device).
// Tight tolerances (rtol = atol = 1e-10) keep any step-size decision that a last-bit
// difference in a math function could flip far below the 1e-7 bound.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <utility>

#include "solver/problem/batch.hpp"
#include "tests/equivalence/batch_cases.hpp"
#include "tests/equivalence/compare_chunks.hpp"

using namespace ionflux;

namespace {
//! The batch on the CPU and on the device.
std::pair<ionflux::testing::CollectSink, ionflux::testing::CollectSink> run_both(const BatchInputs& in) {
  std::pair<ionflux::testing::CollectSink, ionflux::testing::CollectSink> r;
  BatchOptions o;
  o.device = Device::cpu;
  run_batch(in, o, &r.first);
  o.device = Device::cuda;
  run_batch(in, o, &r.second);
  return r;
}
}  // namespace

TEST(Gpu, CudaEqualsCpuOnTheSameBatch) {
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  const BatchInputs in = ionflux::testing::equivalence_batch(1e-10, 1e-10);
  std::printf("device: %s, %zu bytes per cell\n", cuda_device_description().c_str(), bytes_per_cell(in));
  const auto [cpu, gpu] = run_both(in);
  const double worst = ionflux::testing::compare_chunks(cpu.all, gpu.all);
  std::printf("largest relative voltage difference CUDA vs CPU: %.3e\n", worst);
  RecordProperty("max_rel_voltage_diff", std::to_string(worst));
}

TEST(Gpu, CudaEqualsCpuOnASweepWithProtocols) {
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  const BatchInputs in =
      ionflux::testing::protocol_batch(1e-10, 1e-10, IONFLUX_SHARED_DIR "/reference-data/drive_cycles/US06.csv");
  const auto [cpu, gpu] = run_both(in);
  const double worst = ionflux::testing::compare_chunks(cpu.all, gpu.all);
  ASSERT_EQ(cpu.all.temperature.size(), gpu.all.temperature.size());
  for (std::size_t i = 0; i < cpu.all.temperature.size(); ++i)
    EXPECT_NEAR(cpu.all.temperature[i], gpu.all.temperature[i], 1e-7 * cpu.all.temperature[i]) << i;
  // the discharged / charged split per step and per cell (accumulated in the shared
  // per-cell code, copied back by the launcher)
  ASSERT_EQ(cpu.all.step_discharge_capacity.size(), gpu.all.step_discharge_capacity.size());
  const std::pair<const std::vector<double>*, const std::vector<double>*> split[] = {
      {&cpu.all.step_discharge_capacity, &gpu.all.step_discharge_capacity},
      {&cpu.all.step_charge_capacity, &gpu.all.step_charge_capacity},
      {&cpu.all.step_discharge_energy, &gpu.all.step_discharge_energy},
      {&cpu.all.step_charge_energy, &gpu.all.step_charge_energy},
      {&cpu.all.step_end_code, &gpu.all.step_end_code},
      {&cpu.all.discharge_capacity, &gpu.all.discharge_capacity},
      {&cpu.all.charge_capacity, &gpu.all.charge_capacity},
      {&cpu.all.discharge_energy, &gpu.all.discharge_energy},
      {&cpu.all.charge_energy, &gpu.all.charge_energy}};
  for (const auto& pr : split)
    for (std::size_t i = 0; i < pr.first->size(); ++i) {
      const double a = (*pr.first)[i], b = (*pr.second)[i];
      EXPECT_EQ(std::isnan(a), std::isnan(b)) << i;
      if (!std::isnan(a)) EXPECT_NEAR(a, b, 1e-6 * std::fabs(a) + 1e-12) << i;
    }
  EXPECT_GT(cpu.all.charge_capacity[2], 0.0) << "the CC-rest-CC-CV cells charge";
  std::printf("largest relative voltage difference CUDA vs CPU (protocols): %.3e\n", worst);
}

TEST(Gpu, CudaEqualsCpuWithTableAndExpressionFunctions) {
  // The check: user functions (tables, expressions) give the same results on
  // the device, whose copies of the records the launcher uploads and re-points.
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  const BatchInputs in = ionflux::testing::user_function_batch(1e-10, 1e-10, IONFLUX_SHARED_DIR);
  const auto [cpu, gpu] = run_both(in);
  const double worst = ionflux::testing::compare_chunks(cpu.all, gpu.all);
  std::printf("largest relative voltage difference CUDA vs CPU (user functions): %.3e\n", worst);
}

TEST(Gpu, CudaEqualsCpuWithEveryStepOutputsAndPerCellEnds) {
  // The default output (every accepted step, drained from the device between launches)
  // and per-cell end times: the same outputs as the CPU, cell by cell. Some ends are
  // short enough to cut cells off at t_end, so that end is per cell too.
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  BatchInputs in = ionflux::testing::equivalence_batch(1e-10, 1e-10);
  in.run.period = 0.0;
  in.t_end.resize(in.cells.size());
  for (std::size_t c = 0; c < in.cells.size(); ++c) in.t_end[c] = (c % 3 == 0 ? 900.0 : in.run.t_end);
  const auto [cpu, gpu] = run_both(in);
  std::size_t points = 0;
  for (std::size_t c = 0; c < cpu.all.n; ++c) {
    points += cpu.all.count[c];
    if (cpu.all.count[c] > 0 && c % 3 == 0)
      EXPECT_LE(cpu.all.time[cpu.all.offset[c] + cpu.all.count[c] - 1], 900.0) << "cell " << c;
  }
  EXPECT_GT(points, 100 * cpu.all.n / 2) << "every-step outputs: hundreds per cell";
  const double worst = ionflux::testing::compare_chunks(cpu.all, gpu.all);
  std::printf("largest relative voltage difference CUDA vs CPU (every-step outputs, %zu points): %.3e\n", points,
              worst);
}
