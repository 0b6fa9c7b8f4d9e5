// The host emulation of the CUDA device engine (solver/backends/gpu_stream.hpp), for tests: the
// same slot arrays and addressing (kernels/backend/slots.hpp: interleaved workspaces,
// per-slot output rows, NaN-filled memory as a fresh device allocation may hold
// anything), the same per-cell code (CellSolver over the device's views), and the
// device's rules: cells loaded are initialised and run from the next launch on; a
// launch advances every running slot, then harvests the rows made since the last
// harvest into a staging buffer of slots * harvest_rows rows (at least one slot's
// n_times), deferring the slots that do not fit; reports come back in launch order,
// one launch behind the orchestrator's next. One host thread does it all.
#include <algorithm>
#include <deque>
#include <limits>
#include <stdexcept>
#include <vector>

#include "kernels/backend/slots.hpp"
#include "solver/backends/gpu_stream.hpp"

namespace ionflux {
namespace gpu_stream {
namespace {

class EmulatedEngine : public DeviceEngine {
 public:
  explicit EmulatedEngine(const EngineSetup& es) : es_(es) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::size_t s = es.slots;
    wsz_ = static_cast<std::size_t>(cell_workspace_size(es.layout));
    // the device's allocations, each through the fault hook (check_device_alloc)
    check_device_alloc(s * sizeof(CellParams), "the slots' cell records");
    params_.resize(s);
    check_device_alloc(s * sizeof(double), "the slots' end times");
    t_end_.assign(s, nan);
    first_.assign(s, 0);
    count_.assign(s, 0);
    const int team = team_width();
    check_device_alloc(workspace_doubles(es.layout, s, team) * sizeof(double), "the slots' workspaces");
    ws_.assign(workspace_doubles(es.layout, s, team), nan);
    check_device_alloc(s * sizeof(CellRun), "the slots' run records");
    runs_.resize(s);
    drained_.assign(s, 0);
    check_device_alloc(s * kSlotOutputArrays * static_cast<std::size_t>(es.n_times) * sizeof(double),
                       "the slots' outputs");
    out_.assign(s * kSlotOutputArrays * static_cast<std::size_t>(es.n_times), nan);
    sums_.assign(std::max<std::size_t>(1, s * kSlotSummaryArrays * static_cast<std::size_t>(es.n_sums)), nan);
    capacity_rows_ = staging_rows(es);
    check_device_alloc(capacity_rows_ * kSlotOutputArrays * sizeof(double), "the harvest staging");
    a_ = SlotArrays{params_.data(), t_end_.data(), first_.data(), count_.data(), es.steps, es.tables,
                    ws_.data(), runs_.data(), drained_.data(), out_.data(), sums_.data(),
                    static_cast<index_t>(s), es.n_times, es.n_sums, es.temperature, es.layout, es.solver, es.out};
    a_.team = team;
    a_.ws_stride = slot_workspace_stride(es.layout);
    a_.experiment_end = es.experiment_end;
  }

  //! Run `what` on slot s's cell with the device's per-cell code: a team of 32 lanes
  //! emulated on this thread (EmulatedTeam, the GPU's default), or one thread on the
  //! interleaved layout (IONFLUX_GPU_TEAM=1).
  template <class What>
  void with_cell(index_t s, What what) {
    if (a_.team > 1)
      with_slot_solver<EmulatedTeam<kGpuTeamWidth>>(a_, s, slot_workspace_contiguous(a_, s), runs_[s], what);
    else
      with_slot_solver<SerialTeam>(a_, s, slot_workspace(a_, s), runs_[s], what);
  }

  void load(const std::vector<SlotCell>& cells) override {
    std::vector<CellParams> records(cells.size());
    load_records(es_, cells, records.data());
    for (std::size_t j = 0; j < cells.size(); ++j) {
      const SlotCell& sc = cells[j];
      const index_t s = sc.slot;
      params_[s] = records[j];
      t_end_[s] = es_.t_end[sc.cell];
      if (es_.step_first) first_[s] = es_.step_first[sc.cell], count_[s] = es_.step_count[sc.cell];
      reset_slot(a_, s);
      with_cell(s, [](auto& cs) { cs.init(); });
      active_.push_back(sc.slot);
    }
  }

  void launch(int steps, bool drain_running) override {
    const bool drain = drain_running || es_.out.every_step();
    if (steps > 0)
      for (int s : active_) with_cell(s, [steps](auto& cs) { cs.advance(steps); });
    // the harvest
    Owned o;
    const std::size_t ns = static_cast<std::size_t>(es_.n_sums);
    std::vector<std::size_t> first, fin;
    std::vector<int> next;
    std::size_t used = 0;
    for (int s : active_) {
      const int fresh = runs_[s].n_out - drained_[s];
      if (fresh > es_.n_times) throw std::logic_error("emulated device: a slot overflowed its output rows");
      const bool finished = runs_[s].status != CellStatus::running;
      if ((drain && fresh > 0) || finished) {
        if (used + static_cast<std::size_t>(fresh) > capacity_rows_) {
          ++o.r.deferred;
          next.push_back(s);
          continue;
        }
        SlotReport sr;
        sr.slot = s;
        sr.finished = finished;
        sr.count = static_cast<std::size_t>(fresh);
        first.push_back(used);
        o.rows.resize((used + sr.count) * kSlotOutputArrays);
        for (int a = 0; a < kSlotOutputArrays; ++a) {
          const double* src = slot_output(a_, s, a);
          std::copy(src, src + fresh, o.rows.begin() + static_cast<std::ptrdiff_t>(used * kSlotOutputArrays + a * sr.count));
        }
        used += sr.count;
        drained_[s] = runs_[s].n_out;
        fin.push_back(finished ? o.runs.size() : 0);
        if (finished) {
          o.runs.push_back(runs_[s]);
          for (int a = 0; a < kSlotSummaryArrays; ++a) {
            const double* src = slot_summary(a_, s, a);
            o.sums.insert(o.sums.end(), src, src + ns);
          }
        }
        o.r.slots.push_back(sr);
      }
      if (!finished) next.push_back(s);
    }
    active_.swap(next);
    for (std::size_t j = 0; j < o.r.slots.size(); ++j) {
      SlotReport& sr = o.r.slots[j];
      sr.rows = o.rows.data() + first[j] * kSlotOutputArrays;
      if (sr.finished) {
        sr.run = &o.runs[fin[j]];
        sr.sums = o.sums.data() + fin[j] * kSlotSummaryArrays * ns;
      }
    }
    pending_.push_back(std::move(o));
  }

  void stop(const std::vector<int>& slots, CellStatus status) override {
    for (int s : slots) stop_slot(a_, s, status);
  }

  const Report& collect() override {
    if (pending_.empty()) throw std::logic_error("emulated device: collect() without a launch");
    current_ = std::move(pending_.front());
    pending_.pop_front();
    return current_.r;
  }

  void evict(const std::vector<int>& slots, std::vector<CellRun>& runs, std::vector<double>& ws,
             std::vector<double>& sums) override {
    if (!pending_.empty()) throw std::logic_error("emulated device: evict() with a launch in flight");
    const std::size_t ns = static_cast<std::size_t>(es_.n_sums);
    runs.resize(slots.size());
    ws.assign(slots.size() * wsz_, 0.0);
    sums.assign(slots.size() * kSlotSummaryArrays * ns, 0.0);
    for (std::size_t j = 0; j < slots.size(); ++j) {
      const int s = slots[j];
      if (runs_[s].n_out != drained_[s]) throw std::logic_error("emulated device: evict() before a harvest");
      runs[j] = runs_[s];
      gather_slot_workspace(a_, s, ws.data() + j * wsz_);
      for (int a = 0; a < kSlotSummaryArrays; ++a)
        std::copy(slot_summary(a_, s, a), slot_summary(a_, s, a) + ns, sums.begin() + (j * kSlotSummaryArrays + a) * ns);
      active_.erase(std::remove(active_.begin(), active_.end(), s), active_.end());
    }
  }

 private:
  //! A report and the memory its pointers refer to (moves keep them valid).
  struct Owned {
    Report r;
    std::vector<double> rows, sums;
    std::vector<CellRun> runs;
  };
  EngineSetup es_;
  std::size_t wsz_ = 0, capacity_rows_ = 0;
  std::vector<CellParams> params_;
  std::vector<double> t_end_;
  std::vector<int> first_, count_;
  std::vector<double> ws_, out_, sums_;
  std::vector<CellRun> runs_;
  std::vector<int> drained_;
  SlotArrays a_{};
  std::vector<int> active_;  //!< the device's list of slots to advance and harvest
  std::deque<Owned> pending_;
  Owned current_;
};

}  // namespace

std::unique_ptr<DeviceEngine> make_emulated_engine(const EngineSetup& setup) {
  return std::make_unique<EmulatedEngine>(setup);
}

}  // namespace gpu_stream
}  // namespace ionflux
