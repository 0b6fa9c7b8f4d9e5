// The one reducer of per-step records into per-cycle summaries, and the memory sink.
#include "solver/output/results.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "solver/util/errors.hpp"

namespace ionflux {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

//! The series value at time t, linear between outputs, held at the first / last output
//! outside them (t: n increasing times).
double value_at(const double* t, const double* v, std::size_t n, double at) {
  if (at <= t[0]) return v[0];
  if (at >= t[n - 1]) return v[n - 1];
  const std::size_t k = static_cast<std::size_t>(std::upper_bound(t, t + n, at) - t);  // t[k-1] <= at < t[k]
  const double w = (at - t[k - 1]) / (t[k] - t[k - 1]);
  return v[k - 1] + w * (v[k] - v[k - 1]);
}

//! Largest value and time average of a series over [a, b] (linear between outputs).
void max_and_mean(const double* t, const double* v, std::size_t n, double a, double b, double& mx, double& mean) {
  mx = mean = kNaN;
  if (n == 0 || !(b >= a)) return;
  double ta = a, va = value_at(t, v, n, a), integral = 0.0, top = va;
  for (std::size_t k = static_cast<std::size_t>(std::upper_bound(t, t + n, a) - t); k < n && t[k] < b; ++k) {
    integral += 0.5 * (va + v[k]) * (t[k] - ta);
    ta = t[k];
    va = v[k];
    top = std::max(top, va);
  }
  const double vb = value_at(t, v, n, b);
  integral += 0.5 * (va + vb) * (b - ta);
  mx = std::max(top, vb);
  mean = b > a ? integral / (b - a) : value_at(t, v, n, a);
  if (std::isnan(integral)) mx = mean = kNaN;
}
}  // namespace

std::string status_code_table() {
  std::string s = std::to_string(kStatusNotRun) + ": not_run";
#define IONFLUX_X(name, code, msg) \
  s += ", " + std::to_string(code) + ": " + cell_status_name(CellStatus::name);
  IONFLUX_CELL_STATUS_LIST(IONFLUX_X)
#undef IONFLUX_X
  return s;
}

std::size_t cycle_count(const std::vector<int>& step_cycle) {
  if (step_cycle.empty()) return 0;
  return static_cast<std::size_t>(1 + std::max(0, *std::max_element(step_cycle.begin(), step_cycle.end())));
}

CycleSummaries reduce_cycles(const StepTable& s, const std::vector<int>& step_cycle, std::size_t nc) {
  CycleSummaries out;
  out.n = s.n;
  out.n_cycles = nc;
  out.split = s.discharge_capacity && s.charge_capacity && s.discharge_energy && s.charge_energy;
  const std::size_t size = s.n * nc, ns = s.n_steps;
  for (std::vector<double>* v : {&out.start, &out.end, &out.duration, &out.capacity, &out.discharge_capacity,
                                 &out.charge_capacity, &out.energy, &out.discharge_energy, &out.charge_energy,
                                 &out.coulombic_efficiency, &out.energy_efficiency, &out.throughput_capacity,
                                 &out.throughput_energy, &out.max_temperature, &out.mean_temperature})
    v->assign(size, kNaN);
  for (std::size_t k = 0; k < s.n; ++k)
    for (std::size_t st = 0; st < ns && st < step_cycle.size(); ++st) {
      const std::size_t i = k * ns + st;
      if (std::isnan(s.end[i]) || step_cycle[st] < 0 || static_cast<std::size_t>(step_cycle[st]) >= nc) continue;
      const std::size_t j = k * nc + static_cast<std::size_t>(step_cycle[st]);
      if (std::isnan(out.start[j])) {
        out.start[j] = s.start[i];
        out.capacity[j] = out.discharge_capacity[j] = out.charge_capacity[j] = out.energy[j] = 0.0;
        if (out.split) out.discharge_energy[j] = out.charge_energy[j] = 0.0;
      }
      out.end[j] = s.end[i];
      out.duration[j] = out.end[j] - out.start[j];
      out.capacity[j] += s.capacity[i];
      out.energy[j] += s.energy[i];
      if (out.split) {  // moved while discharging / charging, split inside each step
        out.discharge_capacity[j] += s.discharge_capacity[i];
        out.charge_capacity[j] += s.charge_capacity[i];
        out.discharge_energy[j] += s.discharge_energy[i];
        out.charge_energy[j] += s.charge_energy[i];
      } else if (s.capacity[i] > 0) {  // records without the split: by the sign of the net capacity
        out.discharge_capacity[j] += s.capacity[i];
      } else {
        out.charge_capacity[j] -= s.capacity[i];
      }
    }
  const bool series = s.time && s.temperature && s.offset && s.count;
  for (std::size_t k = 0; k < s.n; ++k) {
    double q_moved = 0.0, e_moved = 0.0;  // from the start of the run
    for (std::size_t c = 0; c < nc; ++c) {
      const std::size_t j = k * nc + c;
      if (std::isnan(out.start[j])) continue;
      q_moved += out.discharge_capacity[j] + out.charge_capacity[j];
      e_moved += out.discharge_energy[j] + out.charge_energy[j];
      out.throughput_capacity[j] = q_moved;
      out.throughput_energy[j] = e_moved;  // NaN without the split
      if (out.charge_capacity[j] > 0.0)
        out.coulombic_efficiency[j] = out.discharge_capacity[j] / out.charge_capacity[j];
      if (out.charge_energy[j] > 0.0) out.energy_efficiency[j] = out.discharge_energy[j] / out.charge_energy[j];
      if (series)
        max_and_mean(s.time + s.offset[k], s.temperature + s.offset[k], s.count[k], out.start[j], out.end[j],
                     out.max_temperature[j], out.mean_temperature[j]);
    }
  }
  if (s.inventory && s.esoh && s.cell && s.n > 0 && nc > 0) {  // PyBaMM's summary variables
    CycleStates cs;
    cs.n = s.n;
    cs.n_cycles = nc;
    for (int f = 0; f < kInventoryFields; ++f) cs.end_inv[f].assign(size, kNaN), cs.start_inv[f].assign(size, kNaN);
    for (int f = 0; f < kEsohFields; ++f) cs.esoh[f].assign(size, kNaN);
    const std::size_t plane = s.n * ns;
    for (std::size_t k = 0; k < s.n; ++k) {
      double prev[kInventoryFields];  // the state before the next step: the run start, then each step's end
      for (int f = 0; f < kInventoryFields; ++f) prev[f] = s.cell[k * kCellSummaryFields + kCellStartInventory + f];
      std::vector<unsigned char> begun(nc, 0);
      for (std::size_t st = 0; st < ns && st < step_cycle.size(); ++st) {
        const std::size_t i = k * ns + st;
        if (std::isnan(s.end[i]) || step_cycle[st] < 0 || static_cast<std::size_t>(step_cycle[st]) >= nc) continue;
        const std::size_t c = static_cast<std::size_t>(step_cycle[st]), j = k * nc + c;
        if (!begun[c]) {  // the cycle's first state: the state before its first step
          begun[c] = 1;
          for (int f = 0; f < kInventoryFields; ++f) cs.start_inv[f][j] = prev[f];
        }
        for (int f = 0; f < kInventoryFields; ++f) cs.end_inv[f][j] = prev[f] = s.inventory[f * plane + i];
        for (int f = 0; f < kEsohFields; ++f) cs.esoh[f][j] = s.esoh[f * plane + i];  // the last step's stays
      }
    }
    cs.t_end = out.end;
    cs.t_start = out.start;
    cs.throughput_capacity = out.throughput_capacity;
    cs.throughput_energy = out.throughput_energy;
    cs.moved_capacity.assign(size, kNaN);
    cs.moved_energy.assign(size, kNaN);
    for (std::size_t j = 0; j < size; ++j) {
      cs.moved_capacity[j] = out.discharge_capacity[j] + out.charge_capacity[j];
      cs.moved_energy[j] = out.discharge_energy[j] + out.charge_energy[j];
    }
    cs.cell.assign(s.cell, s.cell + s.n * kCellSummaryFields);
    out.variables = summary_variables(cs);
  }
  return out;
}

CycleSummaries reduce_cycles(const ChunkData& c, const std::vector<int>& step_cycle, std::size_t n_cycles) {
  StepTable t;
  const std::size_t ns = c.n_steps > 0 ? static_cast<std::size_t>(c.n_steps) : 0;
  t.n = ns > 0 && c.step_start.size() == c.n * ns ? c.n : 0;
  t.n_steps = ns;
  t.start = c.step_start.data();
  t.end = c.step_end.data();
  t.capacity = c.step_capacity.data();
  t.energy = c.step_energy.data();
  if (c.step_discharge_capacity.size() == c.step_start.size() && c.step_charge_capacity.size() == c.step_start.size() &&
      c.step_discharge_energy.size() == c.step_start.size() && c.step_charge_energy.size() == c.step_start.size()) {
    t.discharge_capacity = c.step_discharge_capacity.data();
    t.charge_capacity = c.step_charge_capacity.data();
    t.discharge_energy = c.step_discharge_energy.data();
    t.charge_energy = c.step_charge_energy.data();
  }
  if (c.temperature.size() == c.time.size() && c.offset.size() == c.n && c.count.size() == c.n) {
    t.time = c.time.data();
    t.temperature = c.temperature.data();
    t.offset = c.offset.data();
    t.count = c.count.data();
  }
  if (t.n == c.n && c.step_inventory.size() == c.step_start.size() * kInventoryFields &&
      c.step_esoh.size() == c.step_start.size() * kEsohFields && c.cell_summary.size() == c.n * kCellSummaryFields) {
    t.inventory = c.step_inventory.data();
    t.esoh = c.step_esoh.data();
    t.cell = c.cell_summary.data();
  }
  CycleSummaries out = reduce_cycles(t, step_cycle, n_cycles);
  if (t.n != c.n) {  // no step records: every cycle not reached
    out.n = c.n;
    for (std::vector<double>* v : {&out.start, &out.end, &out.duration, &out.capacity, &out.discharge_capacity,
                                   &out.charge_capacity, &out.energy, &out.discharge_energy, &out.charge_energy,
                                   &out.coulombic_efficiency, &out.energy_efficiency, &out.throughput_capacity,
                                   &out.throughput_energy, &out.max_temperature, &out.mean_temperature})
      v->assign(c.n * n_cycles, kNaN);
  }
  return out;
}

std::vector<double> output_cycles(const std::vector<double>& step_index, const std::vector<int>& step_cycle) {
  std::vector<double> cyc(step_index.size(), kNaN);
  for (std::size_t i = 0; i < cyc.size(); ++i) {
    const double s = step_index[i];
    if (s == s && s >= 0 && static_cast<std::size_t>(s) < step_cycle.size())
      cyc[i] = step_cycle[static_cast<std::size_t>(s)];
  }
  return cyc;
}

MemorySweepSink::MemorySweepSink(std::size_t n_cells, int n_steps, std::vector<int> step_cycle, bool temperature)
    : step_cycle_(std::move(step_cycle)), temperature_(temperature || n_steps > 0) {
  ChunkData& a = all_;
  a.first = 0;
  a.n = n_cells;
  a.offset.assign(n_cells, 0);
  a.count.assign(n_cells, 0);
  a.status.assign(n_cells, kStatusNotRun);
  a.message.assign(n_cells, std::string());
  for (std::vector<double>* v : {&a.end_time, &a.discharge_capacity, &a.energy, &a.mean_voltage, &a.charge_capacity,
                                 &a.discharge_energy, &a.charge_energy})
    v->assign(n_cells, kNaN);
  a.steps.assign(n_cells, 0);
  a.device.assign(n_cells, kRanNowhere);
  a.stats.assign(n_cells, SolverStats{});
  written_.assign(n_cells, 0);
  a.n_steps = std::max(0, n_steps);
  const std::size_t ns = static_cast<std::size_t>(a.n_steps);
  if (ns > 0)
    for (std::vector<double>* v : {&a.step_start, &a.step_end, &a.step_capacity, &a.step_energy,
                                   &a.step_discharge_capacity, &a.step_charge_capacity, &a.step_discharge_energy,
                                   &a.step_charge_energy, &a.step_end_code})
      v->assign(n_cells * ns, kNaN);
  if (ns > 0) {
    a.step_inventory.assign(n_cells * ns * kInventoryFields, kNaN);
    a.step_esoh.assign(n_cells * ns * kEsohFields, kNaN);
    a.cell_summary.assign(n_cells * kCellSummaryFields, kNaN);
  }
}

void MemorySweepSink::write_chunk(const ChunkData& c) {
  ChunkData& a = all_;
  if (c.first > a.n || c.n > a.n - c.first)
    throw RuntimeError("chunk of cells [" + std::to_string(c.first) + ", " + std::to_string(c.first + c.n) +
                       ") for a sweep of " + std::to_string(a.n) + " cells");
  const bool temperature = temperature_ && c.temperature.size() == c.points() && c.step_index.size() == c.points();
  for (std::size_t k = 0; k < c.n; ++k) {
    const std::size_t cell = c.first + k, from = c.offset[k], n = c.count[k];
    written_[cell] = 1;
    a.offset[cell] = a.time.size();
    a.count[cell] = n;
    auto append = [&](std::vector<double>& dst, const std::vector<double>& src) {
      dst.insert(dst.end(), src.begin() + static_cast<std::ptrdiff_t>(from),
                 src.begin() + static_cast<std::ptrdiff_t>(from + n));
    };
    append(a.time, c.time);
    append(a.voltage, c.voltage);
    append(a.current, c.current);
    append(a.capacity, c.capacity);
    if (temperature) {
      append(a.temperature, c.temperature);
      append(a.step_index, c.step_index);
    } else if (temperature_) {
      a.temperature.insert(a.temperature.end(), n, kNaN);
      a.step_index.insert(a.step_index.end(), n, kNaN);
    }
    a.status[cell] = c.status[k];
    a.message[cell] = c.message[k];
    a.end_time[cell] = c.end_time[k];
    a.discharge_capacity[cell] = c.discharge_capacity[k];
    a.energy[cell] = c.energy[k];
    a.mean_voltage[cell] = c.mean_voltage[k];
    a.steps[cell] = c.steps[k];
    if (c.charge_capacity.size() == c.n && c.discharge_energy.size() == c.n && c.charge_energy.size() == c.n) {
      a.charge_capacity[cell] = c.charge_capacity[k];
      a.discharge_energy[cell] = c.discharge_energy[k];
      a.charge_energy[cell] = c.charge_energy[k];
    }
    if (c.device.size() == c.n) a.device[cell] = c.device[k];
    if (c.stats.size() == c.n) a.stats[cell] = c.stats[k];
    const std::size_t ns = static_cast<std::size_t>(a.n_steps);
    if (ns > 0 && c.n_steps == a.n_steps && c.step_start.size() == c.n * ns) {
      auto row = [&](std::vector<double>& dst, const std::vector<double>& src) {
        std::copy(src.begin() + static_cast<std::ptrdiff_t>(k * ns), src.begin() + static_cast<std::ptrdiff_t>((k + 1) * ns),
                  dst.begin() + static_cast<std::ptrdiff_t>(cell * ns));
      };
      row(a.step_start, c.step_start);
      row(a.step_end, c.step_end);
      row(a.step_capacity, c.step_capacity);
      row(a.step_energy, c.step_energy);
      if (c.step_end_code.size() == c.step_start.size()) row(a.step_end_code, c.step_end_code);
      // the inventory planes: field f of the chunk's (k, step) to the sink's (cell, step)
      auto planes = [&](std::vector<double>& dst, const std::vector<double>& src, int fields) {
        if (src.size() != c.n * ns * static_cast<std::size_t>(fields) || dst.size() != a.n * ns * static_cast<std::size_t>(fields)) return;
        for (int f = 0; f < fields; ++f)
          std::copy(src.begin() + static_cast<std::ptrdiff_t>((f * c.n + k) * ns),
                    src.begin() + static_cast<std::ptrdiff_t>((f * c.n + k + 1) * ns),
                    dst.begin() + static_cast<std::ptrdiff_t>((f * a.n + cell) * ns));
      };
      planes(a.step_inventory, c.step_inventory, kInventoryFields);
      planes(a.step_esoh, c.step_esoh, kEsohFields);
      if (c.cell_summary.size() == c.n * kCellSummaryFields && a.cell_summary.size() == a.n * kCellSummaryFields)
        std::copy(c.cell_summary.begin() + static_cast<std::ptrdiff_t>(k * kCellSummaryFields),
                  c.cell_summary.begin() + static_cast<std::ptrdiff_t>((k + 1) * kCellSummaryFields),
                  a.cell_summary.begin() + static_cast<std::ptrdiff_t>(cell * kCellSummaryFields));
      if (c.step_discharge_capacity.size() == c.step_start.size()) {
        split_ = true;
        row(a.step_discharge_capacity, c.step_discharge_capacity);
        row(a.step_charge_capacity, c.step_charge_capacity);
        row(a.step_discharge_energy, c.step_discharge_energy);
        row(a.step_charge_energy, c.step_charge_energy);
      }
    }
  }
}

void MemorySweepSink::set_attribute(const std::string& name, const std::string& value) {
  for (auto& [k, v] : attributes_)
    if (k == name) {
      v = value;
      return;
    }
  attributes_.emplace_back(name, value);
}

void MemorySweepSink::close() {
  if (all_.n_steps > 0 && !split_) {  // as a file without the split datasets
    for (std::vector<double>* v : {&all_.step_discharge_capacity, &all_.step_charge_capacity,
                                   &all_.step_discharge_energy, &all_.step_charge_energy})
      v->clear();
  }
  cycles_ = reduce_cycles(all_, step_cycle_, cycle_count(step_cycle_));
}

}  // namespace ionflux
