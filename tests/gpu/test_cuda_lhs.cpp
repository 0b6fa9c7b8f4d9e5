// The Latin-hypercube sweep of examples/sweep_lhs_chen2020.json (issue 11's heterogeneous
// case: L_n 60-100 um, L_p 50-90 um, R_n 3-9 um, 0.5-3C, so cells differ several-fold in
// cost) on the device equals the CPU-only run within 1e-7 relative (compare_chunks):
// with a warp per cell (the default) and with one thread per cell (IONFLUX_GPU_TEAM=1),
// through few slots (a small memory budget: many refills) and through many (every cell
// resident), with the CPU threads finishing the last cells (hand-off), plus one cell
// whose inputs are invalid and one that fails numerically. Label `gpu`; skips cleanly
// without a device. Sized to stay a few seconds on an H200: 40 cells, a coarse mesh.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>

#include "solver/problem/batch.hpp"
#include "solver/inputs/sweep.hpp"
#include "solver/problem/sweep_plan.hpp"
#include "tests/equivalence/batch_cases.hpp"
#include "tests/equivalence/compare_chunks.hpp"

using namespace ionflux;

namespace {

BatchInputs lhs_batch() {
  std::ifstream f(IONFLUX_SOURCE_DIR "/examples/sweep_lhs_chen2020.json");
  std::stringstream text;
  if (f) {
    text << f.rdbuf();
  } else {  // (a packed build run elsewhere, e.g. on a lent GPU machine) the same sweep
    text << R"({"parameters": "Chen2020", "solver": {"rtol": 1e-6, "atol": 1e-8},
      "vary": {"Negative electrode thickness [m]": {"uniform": [6.0e-5, 1.0e-4]},
               "Positive electrode thickness [m]": {"uniform": [5.0e-5, 9.0e-5]},
               "Negative particle radius [m]": {"uniform": [3.0e-6, 9.0e-6]},
               "C-rate": {"uniform": [0.5, 3.0]}},
      "samples": 4000, "sampling": "latin_hypercube", "seed": 1})";
  }
  // the example's 4,000 samples drawn as 40 (the same ranges, a smaller hypercube)
  const std::string config = std::regex_replace(text.str(), std::regex("\"samples\": *[0-9]+"), "\"samples\": 40");
  const SweepPlan plan = plan_sweep(parse_sweep_config(config, "sweep_lhs_chen2020.json"));
  BatchInputs in = plan.inputs;
  in.run.mesh = MeshSpec{10, 6, 12, 8, 9};
  in.run.solver.rtol = in.run.solver.atol = 1e-10;  // see compare_chunks: keeps round-off from moving steps
  in.run.period = 30.0;
  // one invalid cell and one that fails numerically (a NaN conductivity past validation)
  in.pre_status[7] = CellStatus::invalid_input;
  in.pre_message[7] = "invalid value for this cell (test)";
  in.cells[13].pos.conductivity = std::numeric_limits<double>::quiet_NaN();
  derive(in.cells[13]);
  return in;
}

ChunkData collect(const BatchInputs& in, Device dev, std::size_t slots, int handoff) {
  BatchOptions o;
  o.device = dev;
  o.threads = 2;
  if (dev == Device::cuda) o.memory_budget = slots * bytes_per_cell(in);
  o.gpu_handoff_cells = handoff;
  ionflux::testing::CollectSink sink;
  run_batch(in, o, &sink);
  return sink.all;
}

}  // namespace

TEST(Gpu, LatinHypercubeSweepEqualsCpuForBothTeamWidthsAndBudgets) {
  if (!cuda_available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_device_description();
  const BatchInputs in = lhs_batch();
  const ChunkData cpu = collect(in, Device::cpu, 0, 0);
  for (const char* team : {"32", "1"}) {
    setenv("IONFLUX_GPU_TEAM", team, 1);
    for (std::size_t slots : {std::size_t(6), in.cells.size()}) {
      for (int handoff : {0, 4}) {
        SCOPED_TRACE(std::string("IONFLUX_GPU_TEAM=") + team + ", slots " + std::to_string(slots) + ", hand-off " +
                     std::to_string(handoff));
        const ChunkData gpu = collect(in, Device::cuda, slots, handoff);
        const double worst = ionflux::testing::compare_chunks(cpu, gpu);
        std::printf("  team %s, %zu slots, hand-off %d: largest relative voltage difference %.3g\n", team, slots,
                    handoff, worst);
      }
    }
  }
  unsetenv("IONFLUX_GPU_TEAM");
}
