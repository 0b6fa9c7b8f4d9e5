// Results of cells, one type for one cell and for many: ChunkData (batch.hpp) holds the
// time series, per-step records, summaries, status and message of cells [first, first + n).
// This header adds the one reducer of per-step records into per-cycle summaries (used by
// the HDF5 writer, the memory sink and Python's Solution.cycles) and the sinks a sweep's
// chunks are delivered to: MemorySweepSink (gathers every chunk into one ChunkData, for
// Python's in-memory results) and H5SweepWriter (h5_writer.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "solver/output/summary.hpp"
#include "solver/problem/batch.hpp"

namespace ionflux {

//! Per-cycle summaries of n cells, each array (n, n_cycles) row-major; NaN for a cycle
//! none of whose steps a cell reached.
struct CycleSummaries {
  std::size_t n = 0, n_cycles = 0;
  //! true when the steps carried their discharge/charge split (else the discharge and
  //! charge capacities count each step by the sign of its net capacity, and the
  //! discharge/charge energies are NaN)
  bool split = false;
  std::vector<double> start, end, duration, capacity, discharge_capacity, charge_capacity, energy,
      discharge_energy, charge_energy;
  //! What a chemist computes next (docs/hdf5_layout.md, "/cycles"):
  //! coulombic_efficiency = discharge_capacity / charge_capacity of the cycle (NaN when the
  //! cycle charged nothing), energy_efficiency = discharge_energy / charge_energy (NaN when
  //! it charged nothing or without the split); throughput_capacity / throughput_energy: the
  //! charge / energy moved either way from the start of the run to the end of the cycle
  //! (PyBaMM's "Throughput capacity [A.h]" at the cycle's last state; the energy NaN
  //! without the split); max_temperature / mean_temperature [K]: the largest output
  //! temperature and the time average of the temperature (linear between outputs) over
  //! [start, end] (NaN without the per-output series in the StepTable).
  std::vector<double> coulombic_efficiency, energy_efficiency, throughput_capacity, throughput_energy,
      max_temperature, mean_temperature;
  //! PyBaMM's summary variables (summary.hpp), with the steps' inventories; empty
  //! (no columns) without them.
  SummaryVariables variables;
};

//! Per-step records of n cells, each (n, n_steps) row-major, NaN for steps not reached.
//! The split arrays (discharge/charge capacity and energy) may be null together.
struct StepTable {
  std::size_t n = 0, n_steps = 0;
  const double *start = nullptr, *end = nullptr, *capacity = nullptr, *energy = nullptr;
  const double *discharge_capacity = nullptr, *charge_capacity = nullptr, *discharge_energy = nullptr,
               *charge_energy = nullptr;
  //! Optional per-output series for the cycle temperatures: cell k's outputs are
  //! time[offset[k] .. offset[k] + count[k]) (increasing), likewise temperature [K].
  const double *time = nullptr, *temperature = nullptr;
  const std::size_t *offset = nullptr, *count = nullptr;
  //! Optional, together (ChunkData's layouts): the Inventory at each step's end, field f
  //! of (cell k, step s) at inventory[(f * n + k) * n_steps + s]; the eSOH fields at the
  //! cycles' last steps, laid out alike; the cells' summary inputs (k * kCellSummaryFields).
  //! With them the reducer also gives PyBaMM's summary variables.
  const double *inventory = nullptr, *esoh = nullptr, *cell = nullptr;
};

//! The reducer: a cycle's summary from the steps of that cycle (step_cycle[s]) that
//! a cell reached (a non-NaN end time): start of the first, end of the last, duration
//! between them, capacities and energies summed; efficiencies, throughputs and (with the
//! series) temperatures as CycleSummaries says. Cycles: 0 .. n_cycles - 1.
CycleSummaries reduce_cycles(const StepTable& steps, const std::vector<int>& step_cycle, std::size_t n_cycles);

//! The same for the per-step records of a chunk (ChunkData::step_*).
CycleSummaries reduce_cycles(const ChunkData& chunk, const std::vector<int>& step_cycle, std::size_t n_cycles);

//! The cycle of each output from its step (ChunkData::step_index; NaN stays NaN).
std::vector<double> output_cycles(const std::vector<double>& step_index, const std::vector<int>& step_cycle);

//! Number of cycles of a protocol: 1 + the largest step_cycle (0 for none).
std::size_t cycle_count(const std::vector<int>& step_cycle);

//! The status code table as one string: "-1: not_run, 0: running, 1: finished, ...".
std::string status_code_table();

//! A sink that also takes the run's string attributes (device used, status counts, ...).
class ResultSink : public ChunkSink {
 public:
  virtual void set_attribute(const std::string& name, const std::string& value) = 0;
  virtual void close() = 0;
};

//! Delivers every chunk and attribute to two sinks (e.g. an HDF5 file and memory).
class TeeSink : public ResultSink {
 public:
  TeeSink(ResultSink& a, ResultSink& b) : a_(a), b_(b) {}
  void write_chunk(const ChunkData& chunk) override {
    a_.write_chunk(chunk);
    b_.write_chunk(chunk);
  }
  void set_attribute(const std::string& name, const std::string& value) override {
    a_.set_attribute(name, value);
    b_.set_attribute(name, value);
  }
  void close() override {
    a_.close();
    b_.close();
  }

 private:
  ResultSink& a_;
  ResultSink& b_;
};


//! The memory sink: every chunk appended to one ChunkData of all n_cells cells (first =
//! 0), in cell order, with the values a file holds for cells never run (status
//! kStatusNotRun, count 0, offset 0, NaN summaries, empty message, device kRanNowhere),
//! and after close() the cycle summaries from reduce_cycles. The same content as the
//! HDF5 file of the same run (docs/hdf5_layout.md).
class MemorySweepSink : public ResultSink {
 public:
  MemorySweepSink(std::size_t n_cells, int n_steps, std::vector<int> step_cycle, bool temperature);
  void write_chunk(const ChunkData& chunk) override;
  void set_attribute(const std::string& name, const std::string& value) override;
  void close() override;

  const ChunkData& results() const { return all_; }
  //! The results, moved out (for handing the arrays to Python without a copy).
  ChunkData& results_for_move() { return all_; }
  const CycleSummaries& cycles() const { return cycles_; }
  const std::vector<int>& step_cycle() const { return step_cycle_; }
  //! Was cell i in a chunk? (A cancelled sweep's chunk holds cells not run, status -1,
  //! whose "End reason" the file gives as "not_run"; cells in no chunk have none, "".)
  bool written(std::size_t i) const { return written_[i] != 0; }
  bool temperature() const { return temperature_; }
  const std::vector<std::pair<std::string, std::string>>& attributes() const { return attributes_; }

 private:
  ChunkData all_;
  std::vector<int> step_cycle_;
  bool temperature_ = false;
  bool split_ = false;
  CycleSummaries cycles_;
  std::vector<unsigned char> written_;
  std::vector<std::pair<std::string, std::string>> attributes_;
};

}  // namespace ionflux
