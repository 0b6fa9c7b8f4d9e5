// HDF5 output of a sweep, written chunk by chunk while the sweep runs (each chunk is
// flushed, so a sweep that dies keeps every finished chunk). Layout (README.md):
//   /cells/<variable> (n_points,) float64, ragged: every cell's outputs one after another,
//          cell i's at [offset[i], offset[i] + count[i]): "Time [s]", "Voltage [V]",
//          "Current [A]", "Discharge capacity [A.h]"
//   /cells/offset, /cells/count (n_cells,) int64
//   /cells/status (n_cells,) int32, attribute "codes" (the code table); fill -1 = not run
//   /cells/message (n_cells,) variable-length UTF-8 strings
//   /inputs/<varied parameter name> (n_cells,) float64
//   /cells/initial_soc (n_cells,) float64 where the sweep starts at a voltage
//   /summary/"End time [s]", "End reason" (strings), "Discharge capacity [A.h]",
//          "Energy [W.h]", "Mean voltage [V]", "Steps" (n_cells,), and what was moved while
//          discharging / charging: "Charge capacity [A.h]", "Discharge energy [W.h]",
//          "Charge energy [W.h]" ("Discharge capacity [A.h]" is the discharged part too)
//   with a thermal model or a protocol: /cells/"Temperature [K]", /cells/"Step" (the
//          protocol step of each output); with a protocol: /steps/... per-step summaries
//   root attributes: strings (ionflux version, creation time, parameters as JSON, mesh,
//          solver options, protocol, device used, ...)
// HDF5 types stay inside solver/output/h5_writer.cpp.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "solver/problem/batch.hpp"
#include "solver/output/results.hpp"

namespace ionflux {

struct SweepFileInfo {
  std::size_t n_cells = 0;
  int n_times = 0;  //!< expected outputs per cell (sizes the series' HDF5 chunks); 0 = unknown (every-step output); >= 0
  std::vector<std::string> varied;                           //!< /inputs dataset names
  std::vector<std::vector<double>> inputs;                   //!< inputs[v][cell]
  //! Each cell's initial SOC where the sweep starts at a voltage (SweepPlan::initial_soc):
  //! /cells/initial_soc (n_cells,) float64; empty: no such dataset.
  std::vector<double> initial_soc;
  std::vector<std::pair<std::string, std::string>> attributes;  //!< root attributes
  //! With a thermal model or a protocol: /cells/"Temperature [K]" and /cells/"Step".
  bool temperature = false;
  //! With a protocol: /steps/"Start time [s]", "End time [s]", "Duration [s]",
  //! "Capacity [A.h]", "Energy [W.h]", "Discharge capacity [A.h]", "Charge capacity
  //! [A.h]", "Discharge energy [W.h]", "Charge energy [W.h]" shaped (n_cells, n_steps)
  //! (/cycles likewise per cycle), and /steps/"Cycle"
  //! (n_steps,) the cycle of each step index.
  int n_steps = 0;
  std::vector<int> step_cycle;
  //! A cell range of a larger sweep (solver/problem/cell_range.hpp) when sweep_cells > 0: the
  //! file's n_cells rows are the sweep's cells [first_cell, first_cell + n_cells), and
  //! the file gains /cells/index (int64, each row's cell number in the sweep) and the
  //! root attribute "cells" ("A:B of N").
  std::size_t first_cell = 0;
  std::size_t sweep_cells = 0;
};

//! True when ionflux was built with HDF5.
bool hdf5_available();

//! Where `path` is an ionflux sweep file that a run did not finish (its "status" is not
//! "complete": interrupted, failed, or none at all, from a run that was killed), that
//! status ("interrupted: 15 of 64 cells finished; ...", or "not finished: the run that
//! wrote it stopped before closing it"); else "" (no such file, not HDF5, another
//! program's file, a complete sweep, or a file another process has open).
std::string unfinished_sweep_status(const std::string& path);

//! The "inputs fingerprint" root attribute (sweep_file_info adds it for the whole sweep;
//! a cell range keeps the whole sweep's): a hash of everything that decides the sweep's
//! cells (cell count, varied names and values, protocol steps and cycles, output grid,
//! and every root attribute but "created" and "config", the config's path). A resumed
//! run continues a file only when it matches, and a range file only for the same range
//! (docs/hdf5_layout.md, "Interrupting and resuming").
std::string sweep_fingerprint(const SweepFileInfo& info);

class H5SweepWriter : public ResultSink {
 public:
  enum class Open {
    create,  //!< create (truncate) the file
    resume,  //!< reopen an interrupted file of the same sweep (`ionflux sweep --resume`)
  };
  //! Open::create: creates (truncates) the file and every dataset. Open::resume: opens
  //! an existing file written for the same sweep (same "ionflux version" and "inputs
  //! fingerprint", else InputError saying which differs), keeps every cell whose status
  //! was written, and drops outputs appended after the last such cell (a chunk cut off
  //! by the interruption); kept() then says which cells remain. Throws
  //! RuntimeError when the file cannot be created or opened, or when built without HDF5.
  H5SweepWriter(const std::string& path, const SweepFileInfo& info, Open mode = Open::create);
  //! Per cell, the status the file held when it was opened (kStatusNotRun: still to run;
  //! all kStatusNotRun for a created file), and, Open::resume, those cells counted as a
  //! run counts its own (statuses, experiments cut short, cells that skipped a step).
  const KeptCells& kept() const;
  ~H5SweepWriter() override;
  H5SweepWriter(const H5SweepWriter&) = delete;
  H5SweepWriter& operator=(const H5SweepWriter&) = delete;

  void write_chunk(const ChunkData& chunk) override;
  //! The same for a chunk whose per-cycle summaries are already reduced (reduce_cycles
  //! of the chunk's steps; the chunk's step_inventory, step_esoh and cell_summary are
  //! then not read): a Dask partition's results, which come back from a worker as the
  //! memory sink's datasets (python/src/core.cpp, SweepFile.write), go into the file
  //! by this road, the one a single process's chunks take.
  void write_chunk(const ChunkData& chunk, const CycleSummaries& cycles);
  //! Adds or replaces a string root attribute (e.g. the device used, status counts).
  void set_attribute(const std::string& name, const std::string& value) override;
  //! Flushes and closes; further writes throw.
  void close() override;
  //! False once closed, by close() or by a write that failed in the file (which marks
  //! and closes it, or leaves it as it was flushed).
  bool is_open() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  void write(const ChunkData& chunk, const CycleSummaries* cycles);
};

}  // namespace ionflux
