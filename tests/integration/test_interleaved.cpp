// The GPU's code path on the CPU: the per-cell solver on interleaved per-cell arrays
// (DView, stride = number of cells, as the CUDA launcher lays them out), advanced in
// bounded slices of steps as the launcher does, on a workspace filled with NaN (device
// memory is not zeroed), gives the contiguous CPU path's answer. This exercises every
// generic (non-contiguous) branch the device runs; it found a 0 * garbage read of the
// Newton correction that only uninitialised memory exposes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <vector>

#include "kernels/model/cell_solver.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/problem/simulation.hpp"

namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)

using namespace ionflux;

TEST(Interleaved, StridedSlicedRunEqualsContiguousRun) {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const std::vector<double> c_rates = {0.5, 1.0, 2.5};
  const index_t n = static_cast<index_t>(c_rates.size());
  std::vector<CellParams> cells;
  for (double c : c_rates) cells.push_back(ps.cell_params(c * 5.0));
  RunOptions ro;
  ro.mesh = MeshSpec{8, 5, 7, 6, 9};
  ro.t_end = 3.0 * 3600.0 / 0.5;
  ro.period = 50.0;
  ro.solver.rtol = ro.solver.atol = 1e-10;  // see the bound below
  const Layout l = Layout::make(ro.mesh);
  OutputSpec out;
  out.period = ro.period;
  out.t_end = ro.t_end;
  const int cap = static_cast<int>(ro.t_end / ro.period) + 2;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> ws(static_cast<std::size_t>(cell_workspace_size(l) * n), nan);
  std::vector<double> t(cap * n, nan), v(cap * n, nan), i(cap * n, nan), q(cap * n, nan);
  std::vector<CellRun> runs(n);
  // init every cell, then advance all in slices of 7 steps, cell by cell, as launches do
  auto solver = [&](index_t c, GridSink& sink) {
    return CellSolver<GridSink, DView>{cells[c], l, ro.solver, out, DView{ws.data() + c, n}, runs[c], sink};
  };
  for (index_t c = 0; c < n; ++c) {
    runs[c] = CellRun{};
    GridSink sink{&t[c], &v[c], &i[c], &q[c], n, cap, &runs[c].n_out};
    solver(c, sink).init();
  }
  for (int launch = 0; launch < 100000; ++launch) {
    bool any = false;
    for (index_t c = 0; c < n; ++c) {
      if (runs[c].status != CellStatus::running) continue;
      any = true;
      GridSink sink{&t[c], &v[c], &i[c], &q[c], n, cap, &runs[c].n_out};
      solver(c, sink).advance(7);
    }
    if (!any) break;
  }
  for (index_t c = 0; c < n; ++c) {
    const Solution s = simulate(cells[c], ro);
    EXPECT_EQ(runs[c].status, s.status) << "cell " << c;
    ASSERT_EQ(runs[c].n_out, static_cast<int>(s.voltage.size())) << "cell " << c;
    // Not bitwise: the contiguous path's vectorised loops contract to FMAs differently
    // from the generic loops. Last-bit differences move where each modified-Newton
    // iteration stops, within its tolerance (about 0.33 rtol), so the two runs differ
    // by up to ~1e-10 relative at rtol = 1e-10; 1e-8 bounds that with margin and is
    // far below any real discrepancy (a wrong index or stride gives O(1e-3) or worse).
    double worst = 0.0;
    for (std::size_t k = 0; k < s.voltage.size(); ++k) {
      EXPECT_NEAR(t[k * n + c], s.time[k], 1e-8 * std::fabs(s.time[k])) << "cell " << c << " output " << k;
      EXPECT_NEAR(v[k * n + c], s.voltage[k], 1e-8 * s.voltage[k]) << "cell " << c << " output " << k;
      worst = std::max(worst, std::fabs(v[k * n + c] - s.voltage[k]) / s.voltage[k]);
    }
    EXPECT_NEAR(runs[c].energy_wh, s.energy, 1e-8 * s.energy);
    std::cout << "  cell " << c << ": largest relative voltage difference strided vs contiguous " << worst << "\n";
  }
}

}  // namespace IONFLUX_TEST_FILE_ID
