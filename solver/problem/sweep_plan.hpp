// From a sweep specification to the batch: one CellParams per cell (a cell whose own
// combination of values is invalid is marked invalid_input with the reason, and does
// not stop the sweep), the shared run options, and the metadata written to the file.
#pragma once

#include <functional>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "solver/problem/batch.hpp"
#include "solver/output/h5_writer.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/inputs/sweep.hpp"

namespace ionflux {

struct SweepPlan {
  BatchInputs inputs;
  ParameterSet base;               //!< the set with the shared overrides
  std::vector<double> currents;    //!< per cell [A]
  std::string protocol;            //!< human-readable protocol description
  //! Warnings for the whole sweep, one line each, to show before it runs: values far
  //! outside the usual range of their unit (once per parameter, not per cell).
  std::vector<std::string> warnings;
  //! The drive-cycle files the protocols read (absolute paths, each once; every planned
  //! cell's, where a placeholder in a file name gives cells their own): inputs that an
  //! output file must not overwrite.
  std::vector<std::string> drive_files;
  //! Cells planned (each cell's values set and its record built once to check it): the
  //! batch's cells, plus the sweep's cell 0 once more when a range's protocol is
  //! checked. Planning a range of a sweep touches no other cell.
  std::size_t planned_cells = 0;
  //! Cells (of this plan, ascending) whose values were valid but whose own protocol, or
  //! own default end time, is not (invalid_input from those stages): what
  //! planned_cells_of needs to tell the stages apart.
  std::vector<std::size_t> protocol_invalid{}, end_time_invalid{};
  //! With the sweep's initial voltage (`initial_soc: "3.9 V"`): each cell's initial SOC,
  //! found from its own parameters (soc_at_voltage; NaN for a cell that has none: invalid
  //! values, or a window that does not hold the voltage); else empty. The file's
  //! /cells/initial_soc.
  std::vector<double> initial_soc{};
};

//! What the whole sweep's plan found for each cell of a range, so that planning the range
//! again (a Dask worker's partition, python/ionflux/distributed.py) builds no cell record
//! and evaluates no default end time: the driver cuts it from its plan (planned_cells_of)
//! and sends it with the partition. Cells are counted from the range's first.
struct PlannedCells {
  //! Cells invalid from their values (their record or current): (cell, message).
  std::vector<std::pair<std::size_t, std::string>> invalid;
  //! Cells whose default end time is not usable: (cell, message).
  std::vector<std::pair<std::size_t, std::string>> end_invalid;
  std::vector<double> currents;  //!< each cell's current [A]
  std::vector<double> t_end;     //!< each cell's default end [s]; empty when the sweep gives t_end
  std::vector<double> initial_soc;  //!< SweepPlan::initial_soc of the range; empty when it is
};

//! The PlannedCells of cells [r.first, r.last) of `plan` (in `plan`'s cell numbers).
//! Throws InputError for a range outside the plan.
PlannedCells planned_cells_of(const SweepPlan& plan, const CellRange& r);

//! Build the batch. Throws InputError for problems that concern the whole sweep
//! (unknown set, bad shared overrides); per-cell problems become invalid_input cells.
//! A range spec (parse_sweep_config with `cells`) gives the batch of that range only,
//! its cell k the sweep's cell first_cell + k with exactly the inputs, protocol and end
//! time it has in the whole sweep; what concerns the whole sweep is checked from the
//! range's values and the sweep's cell 0. Differences from the whole plan: `warnings`
//! cover the range's values, and without a given t_end the shared limit run.t_end (the
//! file's "t_end [s]") is the largest of the range's own ends.
//! With `planned` (planned_cells_of the whole sweep's plan, for the range of `spec`), the
//! cells' validity, currents and default ends are taken from it instead of being found
//! again: the same plan, with no cell record built (planned_cells counts only the
//! sweep's cell 0 of a per-cell protocol check). A `planned` that does not fit the range
//! (its size, t_end given or not, cells outside it) is an InputError.
//! `poll`, when given, is called every few thousand cells of each per-cell pass; it may
//! throw to abandon the plan (Python's Sweep: Ctrl-C while a large sweep is planned).
SweepPlan plan_sweep(const SweepSpec& spec, const PlannedCells* planned = nullptr,
                     const std::function<void()>& poll = {});

//! The file description: inputs and root attributes (version, creation time, the full
//! base parameter set as JSON, mesh, solver options, protocol, sweep definition).
SweepFileInfo sweep_file_info(const SweepSpec& spec, const SweepPlan& plan);

//! The files a planned sweep reads, as (path, what it is): its parameter file (a set's
//! name where there is none) and every cell's drive-cycle files. An output must be none
//! of them (check_output_is_not_an_input, solver/output/output_path.hpp).
std::vector<std::pair<std::string, std::string>> sweep_input_files(const SweepSpec& spec, const SweepPlan& plan);

//! Refuses (InputError) to replace `path` where it holds a sweep a run did not finish
//! (unfinished_sweep_status: interrupted, failed or killed), whose finished cells a resume
//! would keep: `resume` and `overwrite` name the ways on (the front end's words, e.g.
//! "--resume" and "--overwrite").
void check_not_unfinished(const std::string& path, const std::string& resume, const std::string& overwrite);

//! Create the output file for a planned sweep (before any work). An output that cannot
//! be created, or that is one of the sweep's input files, is bad input: throws
//! InputError naming the path.
std::unique_ptr<H5SweepWriter> open_sweep_file(const SweepSpec& spec, const SweepPlan& plan,
                                               const std::string& path);
//! The same for a file description made beforehand (e.g. narrowed to a cell range,
//! solver/problem/cell_range.hpp).
std::unique_ptr<H5SweepWriter> open_sweep_file(const SweepFileInfo& info, const std::string& path);
//! Reopen an interrupted file of the same sweep to continue it (H5SweepWriter::Open::resume);
//! a file that cannot be resumed (missing, another sweep or version) is bad input.
std::unique_ptr<H5SweepWriter> open_sweep_file_to_resume(const SweepFileInfo& info, const std::string& path);

//! "cutoff_lower 998, invalid_input 2" (and "not_run N" after a cancellation).
std::string status_counts(const BatchSummary& s);

//! Final attributes (device, bytes per cell, status counts, wall time, and "status":
//! "complete" or "interrupted: ...") and close.
void finish_sweep_file(ResultSink& writer, const BatchSummary& s, std::size_t n_cells);

//! The base parameter set as an ionflux parameter file (numbers, built-in functions by
//! name, expressions and tables in full): the file's "parameters" attribute, loadable.
std::string parameters_json(const ParameterSet& ps);

}  // namespace ionflux
