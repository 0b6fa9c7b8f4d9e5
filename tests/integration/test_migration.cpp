// Migration of a half-finished cell from the GPU's interleaved layout to the CPU's
// contiguous one (kernels/model/migrate.hpp): the hand-off the CUDA launcher makes when
// a chunk is down to its last slow cells (DESIGN.md decision 7, issue 11 item 1).
//
// Each case integrates three cells on one interleaved workspace (DView, stride 3, as
// the CUDA launcher lays them out, filled with NaN as device memory is not zeroed) in
// slices of 7 steps as launches do. The middle cell is migrated mid-run (after several
// BDF steps, for the protocols in the middle of the step sequence): its workspace
// column is gathered into a contiguous buffer, the column is poisoned with NaN, and the
// cell resumes
//   (a) on the gathered buffer viewed with stride 1 (DView{buf, 1}): the same
//       arithmetic as the uninterrupted run, so every output, the summary scalars and
//       the final state must be bitwise equal;
//   (b) scattered back into a different interleaved workspace (5 cells, slot 3):
//       bitwise equal likewise (the way back, to the device);
//   (c) on the buffer as the CPU runs it (CView): the contiguous path's vectorised
//       loops round differently from the generic ones (see test_interleaved.cpp), so
//       this is compared at rtol = atol = 1e-10 with the bound 1e-8 derived there, and
//       also against a CPU-only run of the cell (simulate) with the same bound.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "kernels/model/migrate.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/problem/simulation.hpp"

namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)

using namespace ionflux;

namespace {

const double kNan = std::numeric_limits<double>::quiet_NaN();

struct Case {
  std::string name;
  std::vector<CellParams> cells;  // three cells; cell 1 is migrated
  RunOptions ro;
  //! When to migrate cell 1 (checked after every slice).
  std::function<bool(const CellRun&)> migrate_now;
};

//! The interleaved (slot, cell) output grid of the three cells, with temperatures,
//! step indices and per-step summaries.
struct Grid {
  index_t n = 3;
  int cap = 0, n_steps = 0;
  std::vector<double> t, v, i, q, temp, sidx, s0, s1, s2, s3;
  Grid(int cap_, int n_steps_) : cap(cap_), n_steps(n_steps_) {
    for (auto* a : {&t, &v, &i, &q, &temp, &sidx}) a->assign(static_cast<std::size_t>(cap) * n, kNan);
    for (auto* a : {&s0, &s1, &s2, &s3}) a->assign(static_cast<std::size_t>(n_steps > 0 ? n_steps : 1) * n, kNan);
  }
  GridSink sink(index_t c, const int* written) {
    GridSink s{&t[c], &v[c], &i[c], &q[c], n, cap, written};
    s.temp = &temp[c];
    s.step_index = &sidx[c];
    if (n_steps > 0) {
      s.step_start = &s0[c];
      s.step_end = &s1[c];
      s.step_capacity = &s2[c];
      s.step_energy = &s3[c];
      s.step_capacity_max = n_steps;
    }
    return s;
  }
};

enum class Resume { none, strided_buffer, reinterleaved, contiguous };

struct Outcome {
  Grid grid;
  std::vector<CellRun> runs;
  std::vector<double> final_state;  //!< cell 1's phi_0 at the end (n_state doubles)
  CellRun at_migration{};
  bool migrated = false;
};

Outcome run_case(const Case& cs, Resume mode) {
  const index_t n = 3;
  const Layout l = Layout::make(cs.ro.mesh);
  const index_t wsz = cell_workspace_size(l);
  OutputSpec out = output_spec(cs.ro);
  const int n_steps = static_cast<int>(cs.ro.steps.size());
  const int cap = static_cast<int>(cs.ro.t_end / cs.ro.period) + 2 * n_steps + 4;
  Outcome o{Grid(cap, n_steps), std::vector<CellRun>(n), {}, {}, false};
  std::vector<double> ws(static_cast<std::size_t>(wsz * n), kNan);
  std::vector<double> buf(static_cast<std::size_t>(wsz), kNan);
  const index_t n2 = 5, slot2 = 3;
  std::vector<double> ws2(static_cast<std::size_t>(wsz * n2), kNan);
  const ProtocolView proto{cs.ro.steps.empty() ? nullptr : cs.ro.steps.data(), n_steps,
                           cs.ro.tables.empty() ? nullptr : cs.ro.tables.data()};
  // one slice of cell c on the view it lives on now
  auto step_cell = [&](index_t c, bool init) {
    GridSink sink = o.grid.sink(c, &o.runs[c].n_out);
    auto go = [&](auto view) {
      CellSolver<GridSink, decltype(view)> s{cs.cells[c], l, cs.ro.solver, out, view, o.runs[c], sink};
      s.proto = proto;
      if (init) s.init();
      else s.advance(7);
    };
    if (c != 1 || !o.migrated) go(DView{ws.data() + c, n});
    else if (mode == Resume::strided_buffer) go(DView{buf.data(), 1});
    else if (mode == Resume::reinterleaved) go(DView{ws2.data() + slot2, n2});
    else go(CView{buf.data()});
  };
  for (index_t c = 0; c < n; ++c) {
    o.runs[c] = CellRun{};
    step_cell(c, true);
  }
  for (int launch = 0; launch < 1000000; ++launch) {
    bool any = false;
    for (index_t c = 0; c < n; ++c) {
      if (o.runs[c].status != CellStatus::running) continue;
      any = true;
      step_cell(c, false);
    }
    if (!any) break;
    if (mode != Resume::none && !o.migrated && o.runs[1].status == CellStatus::running &&
        cs.migrate_now(o.runs[1])) {
      gather_cell_workspace(ws.data(), n, 1, wsz, buf.data());
      for (index_t k = 0; k < wsz; ++k) ws[static_cast<std::size_t>(1 + k * n)] = kNan;  // nothing may read it now
      if (mode == Resume::reinterleaved) scatter_cell_workspace(buf.data(), wsz, ws2.data(), n2, slot2);
      o.at_migration = o.runs[1];
      o.migrated = true;
    }
  }
  o.final_state.resize(static_cast<std::size_t>(l.n_state));
  for (int k = 0; k < l.n_state; ++k) {
    if (mode == Resume::none) o.final_state[k] = ws[static_cast<std::size_t>(1 + k * n)];
    else if (mode == Resume::reinterleaved) o.final_state[k] = ws2[static_cast<std::size_t>(slot2 + k * n2)];
    else o.final_state[k] = buf[static_cast<std::size_t>(k)];
  }
  return o;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

void expect_bitwise(const Outcome& ref, const Outcome& m, const std::string& what) {
  for (index_t c = 0; c < 3; ++c) {
    EXPECT_EQ(m.runs[c].status, ref.runs[c].status) << what << " cell " << c;
    EXPECT_EQ(m.runs[c].n_out, ref.runs[c].n_out) << what << " cell " << c;
    EXPECT_EQ(m.runs[c].total_steps(), ref.runs[c].total_steps()) << what << " cell " << c;
    EXPECT_EQ(m.runs[c].step, ref.runs[c].step) << what << " cell " << c;
    for (auto f : {&CellRun::t_final, &CellRun::v, &CellRun::capacity_ah, &CellRun::energy_wh, &CellRun::dis_q,
                   &CellRun::chg_q, &CellRun::dis_e, &CellRun::chg_e})
      EXPECT_EQ(std::memcmp(&(m.runs[c].*f), &(ref.runs[c].*f), sizeof(double)), 0) << what << " cell " << c;
  }
  EXPECT_EQ(m.runs[1].bdf.nni, ref.runs[1].bdf.nni) << what;
  EXPECT_EQ(m.runs[1].bdf.nsetups, ref.runs[1].bdf.nsetups) << what;
  EXPECT_TRUE(same_bits(m.grid.t, ref.grid.t)) << what << ": output times";
  EXPECT_TRUE(same_bits(m.grid.v, ref.grid.v)) << what << ": voltages";
  EXPECT_TRUE(same_bits(m.grid.i, ref.grid.i)) << what << ": currents";
  EXPECT_TRUE(same_bits(m.grid.q, ref.grid.q)) << what << ": capacities";
  EXPECT_TRUE(same_bits(m.grid.temp, ref.grid.temp)) << what << ": temperatures";
  EXPECT_TRUE(same_bits(m.grid.sidx, ref.grid.sidx)) << what << ": step indices";
  for (auto a : {&Grid::s0, &Grid::s1, &Grid::s2, &Grid::s3})
    EXPECT_TRUE(same_bits(m.grid.*a, ref.grid.*a)) << what << ": step summaries";
  EXPECT_TRUE(same_bits(m.final_state, ref.final_state)) << what << ": final state";
}

void check_case(const Case& cs) {
  SCOPED_TRACE(cs.name);
  const Outcome ref = run_case(cs, Resume::none);
  for (index_t c = 0; c < 3; ++c) ASSERT_NE(ref.runs[c].status, CellStatus::running);
  const Outcome a = run_case(cs, Resume::strided_buffer);
  ASSERT_TRUE(a.migrated) << "the migration point was never reached";
  // migrated mid-run: the cell had taken steps and had steps left to take
  EXPECT_GT(a.at_migration.bdf.nst, 2);
  EXPECT_GT(ref.runs[1].total_steps(), a.at_migration.total_steps() + 10);
  if (!cs.ro.steps.empty()) {
    EXPECT_GE(a.at_migration.step, 1) << "migrated in the middle of the step sequence";
    EXPECT_GT(ref.runs[1].step, a.at_migration.step) << "protocol steps left after the migration";
  }
  expect_bitwise(ref, a, "stride-1 buffer");
  const Outcome b = run_case(cs, Resume::reinterleaved);
  ASSERT_TRUE(b.migrated);
  expect_bitwise(ref, b, "re-interleaved");
  // (c) the CPU's contiguous path after the migration
  const Outcome cpu = run_case(cs, Resume::contiguous);
  ASSERT_TRUE(cpu.migrated);
  const Solution s = simulate(cs.cells[1], cs.ro);  // the CPU-only run of the cell
  EXPECT_EQ(cpu.runs[1].status, ref.runs[1].status);
  EXPECT_EQ(cpu.runs[1].status, s.status);
  ASSERT_EQ(cpu.runs[1].n_out, ref.runs[1].n_out);
  ASSERT_EQ(cpu.runs[1].n_out, static_cast<int>(s.voltage.size()));
  const index_t n = 3;
  double worst = 0.0;
  for (int k = 0; k < cpu.runs[1].n_out; ++k) {
    const std::size_t at = static_cast<std::size_t>(k * n + 1);
    const double v = cpu.grid.v[at];
    EXPECT_NEAR(v, ref.grid.v[at], 1e-8 * ref.grid.v[at]) << "output " << k;
    EXPECT_NEAR(v, s.voltage[k], 1e-8 * s.voltage[k]) << "output " << k;
    EXPECT_NEAR(cpu.grid.t[at], s.time[k], 1e-8 * std::fabs(s.time[k]) + 1e-12) << "output " << k;
    EXPECT_NEAR(cpu.grid.temp[at], s.temperature[k], 1e-8 * s.temperature[k]) << "output " << k;
    worst = std::max(worst, std::fabs(v - s.voltage[k]) / s.voltage[k]);
  }
  EXPECT_NEAR(cpu.runs[1].energy_wh, s.energy, 1e-8 * std::fabs(s.energy) + 1e-15);
  EXPECT_NEAR(cpu.runs[1].dis_q, s.discharge_capacity, 1e-8 * s.discharge_capacity + 1e-15);
  std::cout << "  [" << cs.name << "] migrated at step " << a.at_migration.total_steps() << " of "
            << ref.runs[1].total_steps() << " (protocol step " << a.at_migration.step << "); resumed on CView: "
            << "largest relative voltage difference to the CPU-only run " << worst << "\n";
}

RunOptions fine_options(double t_end) {
  RunOptions ro;
  ro.mesh = MeshSpec{8, 5, 7, 6, 9};
  ro.t_end = t_end;
  ro.period = 30.0;
  ro.solver.rtol = ro.solver.atol = 1e-10;  // the CView comparison's bound is derived at this tolerance
  return ro;
}

}  // namespace

TEST(Migration, ConstantCurrentCellResumesIdentically) {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  Case cs{"Chen2020 constant current", {}, fine_options(3.0 * 3600.0 / 0.5), nullptr};
  for (double c : {0.5, 1.0, 2.5}) cs.cells.push_back(ps.cell_params(c * 5.0));
  cs.migrate_now = [](const CellRun& r) { return r.total_steps() >= 40; };
  check_case(cs);
}

TEST(Migration, ProtocolCellResumesIdenticallyMidSequence) {
  const ParameterSet ps = ParameterSet::load("Chen2020");
  const Experiment ex = parse_experiment({"Discharge at 1C for 20 minutes", "Rest for 10 minutes",
                                          "Charge at 0.5C until 4.1 V", "Hold at 4.1 V until C/20"},
                                         ps);
  Case cs{"Chen2020 protocol", {}, fine_options(0.0), nullptr};
  cs.ro.steps = ex.steps;
  cs.ro.tables = ex.tables;
  for (double c : {0.8, 1.0, 1.2}) {  // three different cells under the same protocol
    ParameterSet p = ps;
    p.set("Negative electrode thickness [m]", c * ps.get("Negative electrode thickness [m]"));
    cs.cells.push_back(p.cell_params(5.0));
  }
  cs.ro.t_end = default_end_time(cs.cells[1], cs.ro.steps);
  // in the charge step (the third), a few BDF steps after its restart
  cs.migrate_now = [](const CellRun& r) { return r.step >= 2 && r.bdf.nst >= 5; };
  check_case(cs);
}

TEST(Migration, LumpedThermalProtocolCellResumesIdenticallyMidSequence) {
  const ParameterSet ps = ParameterSet::load("Marquis2019");
  const Experiment ex =
      parse_experiment({"Discharge at 2C for 10 minutes", "Rest for 5 minutes", "Discharge at 1C until 3.3 V"}, ps);
  Case cs{"Marquis2019 lumped thermal protocol", {}, fine_options(0.0), nullptr};
  cs.ro.steps = ex.steps;
  cs.ro.tables = ex.tables;
  for (double c : {0.9, 1.0, 1.1}) {
    ParameterSet p = ps;
    p.set("Positive electrode thickness [m]", c * ps.get("Positive electrode thickness [m]"));
    CellParams cell = p.cell_params(0.680616);
    enable_lumped_thermal(cell, p);
    cs.cells.push_back(cell);
  }
  cs.ro.t_end = default_end_time(cs.cells[1], cs.ro.steps);
  // in the rest, where the cell cools: a few BDF steps after its restart
  cs.migrate_now = [](const CellRun& r) { return r.step >= 1 && r.bdf.nst >= 5; };
  check_case(cs);
  // the thermal cell's temperature moved (so the comparison above covered T)
  const Outcome ref = run_case(cs, Resume::none);
  EXPECT_GT(ref.grid.temp[static_cast<std::size_t>(3 * 10 + 1)], ref.grid.temp[1] + 0.1);
}

}  // namespace IONFLUX_TEST_FILE_ID
