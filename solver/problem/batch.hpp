// Running many cells: the per-cell inputs of a sweep, the CPU (OpenMP) and CUDA
// launchers of the one per-cell solver, chunking by a memory budget, progress, and the
// sink interface the writers implement. CUDA and HDF5 types stay out of this header.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernels/common.hpp"
#include "kernels/model/cell_params.hpp"
#include "solver/problem/simulation.hpp"

namespace ionflux {

//! Status code written for cells that were never run (e.g. a sweep that stopped early).
constexpr int kStatusNotRun = -1;

//! Everything the launchers need: one CellParams per cell (cells whose own values are
//! invalid carry pre_status = invalid_input and a message and are not integrated), the
//! shared run options, and the output grid.
struct BatchInputs {
  //! One record per cell, for the whole batch; or, when `pack` is set (a Batch built by
  //! plan_sweep, docs/problem.md), empty: the records are made on demand.
  std::vector<CellParams> cells;
  //! Writes the records of cells [first, first + n) to out[0 .. n) (cells that do not run
  //! may get any record). Called per chunk on the CPU and per load on the GPU, so that
  //! host memory holds a chunk's records, not the whole batch's; it may be called from
  //! several threads at once.
  std::function<void(std::size_t first, std::size_t n, CellParams* out)> pack;
  std::size_t n_packed = 0;  //!< cells of a packed batch
  bool packed_thermal = false;  //!< a packed batch's cells use the lumped thermal model
  std::vector<CellStatus> pre_status;   //!< running = to be integrated
  std::vector<std::string> pre_message;
  RunOptions run;                       //!< mesh, solver, period, t_end; run.steps/tables: a
                                        //!< protocol shared by every cell (empty: constant current)
  //! Per-cell integration limit [s] (empty: run.t_end for every cell). plan_sweep fills it
  //! with each cell's default end when the user gave no t_end.
  std::vector<double> t_end;
  int n_times = 0;                      //!< outputs per cell of a fixed grid + step ends (0 for every-step output): sizes the file's chunks
  //! Per-cell protocols, overriding run.steps when not empty: cell c runs
  //! protocol_steps[protocol_first[c] .. + protocol_count[c]), whose drive-cycle steps
  //! refer to protocol_tables. Cells may share a range.
  std::vector<StepSpec> protocol_steps;
  std::vector<int> protocol_first, protocol_count;
  std::vector<double> protocol_tables;
  //! The text of each step (optional, for end messages): parallel to protocol_steps, or
  //! to run.steps (run.step_text) for a shared protocol.
  std::vector<std::string> protocol_text;
  //! Owners of the user functions (tables, expressions) the cells' FunctionRefs point to.
  std::vector<std::shared_ptr<const void>> keep_alive;
  //! The single-cell road (simulate() is a batch of one with this set): also record each
  //! output's temperature and step without a protocol or thermal model, each finished
  //! step as it ended (ChunkData::step_records), the state at each output when
  //! run.store_states (ChunkData::states), and stop recording outputs at the output limit
  //! (max_output_bytes: status output_overflow). Runs on the CPU threads (Device::cuda
  //! refuses it).
  bool detail = false;

  //! Cells in the batch.
  std::size_t size() const { return pack ? n_packed : cells.size(); }
  //! The records of cells [first, first + n): a view of `cells`, or packed into `buffer`.
  const CellParams* records(std::size_t first, std::size_t n, std::vector<CellParams>& buffer) const;
  //! Cell c's record (packed on demand).
  CellParams record(std::size_t c) const;
  bool has_protocol() const { return !protocol_first.empty() || !run.steps.empty(); }
  //! Most protocol steps of any cell (0 without a protocol).
  int max_protocol_steps() const;
  //! Does any cell use the lumped thermal model?
  bool any_thermal() const;
  //! Cell c's integration limit [s].
  double t_end_of(std::size_t c) const { return t_end.empty() ? run.t_end : t_end[c]; }
};

//! One chunk of finished cells [first, first + n). The per-output arrays are ragged:
//! each cell's series one after the other, cell k's at [offset[k], offset[k] + count[k])
//! (no padding; a cell that never ran has count 0).
struct ChunkData {
  std::size_t first = 0, n = 0;
  std::vector<std::size_t> offset, count;  //!< per cell
  std::vector<double> time, voltage, current, capacity;
  std::vector<int> status;
  std::vector<std::string> message;
  //! discharge_capacity, charge_capacity, discharge_energy, charge_energy: moved while
  //! discharging / charging, each >= 0; energy: net (discharge - charge); mean_voltage:
  //! CellRun::mean_voltage
  std::vector<double> end_time, discharge_capacity, energy, mean_voltage;
  std::vector<double> charge_capacity, discharge_energy, charge_energy;
  std::vector<int> steps;
  // with a protocol or a thermal model: temperature [K] and protocol step index of each
  // output (ragged, like time); with a protocol: (cell, step) summaries, NaN for steps
  // not reached
  std::vector<double> temperature, step_index;
  int n_steps = 0;
  std::vector<double> step_start, step_end, step_capacity, step_energy;
  //! Outputs in the chunk (the length of the ragged arrays).
  std::size_t points() const { return time.size(); }
  std::vector<double> step_discharge_capacity, step_charge_capacity, step_discharge_energy, step_charge_energy;
  //! Per (cell, step): how the step ended, StepEnd's code (cell_solver.hpp: 0 duration, 1
  //! end condition, 2 cut-off, 3 failure, 4 end time) as a double, NaN where not reached;
  //! a step that ended by its condition with no time passing was skipped (step_skipped).
  std::vector<double> step_end_code;
  //! With a protocol, for PyBaMM's summary variables (solver/output/summary.hpp): the
  //! lithium inventory at each step's end (kernels/model/inventory.hpp), field f of (cell
  //! k, step s) at step_inventory[(f * n + k) * n_steps + s], NaN for steps not reached;
  //! the eSOH at the last reached step of each cycle, laid out alike with kEsohFields
  //! (NaN at the other steps); per cell, the inputs from its parameters
  //! (cell_summary[k * kCellSummaryFields + f]; NaN for cells not run).
  std::vector<double> step_inventory, step_esoh, cell_summary;
  //! Per cell, where it was integrated: kRanOnCpu, kRanOnGpu, kRanOnGpuThenCpu (started on
  //! the GPU, handed to the CPU threads to finish), kRanNowhere (invalid input, not run).
  std::vector<signed char> device;
  //! Per cell: the integrator's counters (zero for a cell not run).
  std::vector<SolverStats> stats;
  // Only with BatchInputs::detail (empty otherwise): per (cell, step), each finished step
  // as it ended, n_records per cell (step = -1: not reached; a failed cell keeps the
  // records of the steps it completed; step_* above leave its failed step NaN); with
  // run.store_states, the state at each output (ragged like time, n_state per output).
  int n_records = 0;
  std::vector<StepRecord> step_records;
  std::vector<double> states;
};

constexpr signed char kRanNowhere = -1;
constexpr signed char kRanOnCpu = 0;
constexpr signed char kRanOnGpu = 1;
constexpr signed char kRanOnGpuThenCpu = 2;

//! Receives chunks as they finish (in increasing `first` order).
class ChunkSink {
 public:
  virtual ~ChunkSink() = default;
  virtual void write_chunk(const ChunkData& chunk) = 0;
  //! The chunk handed over (run_batch no longer needs it); by default write_chunk.
  virtual void take_chunk(ChunkData&& chunk) { write_chunk(chunk); }
};

enum class Device { automatic, cpu, cuda };
Device parse_device(const std::string& name);  //!< "auto", "cpu", "cuda"; throws InputError
const char* device_name(Device d);

struct Progress {
  std::size_t done = 0, total = 0;
  double elapsed_s = 0.0;
  std::size_t already = 0;  //!< of `done`, cells finished before this run (a resumed file)
};

//! Where one simulation has got to while it runs (BatchOptions::cell_progress): its
//! cell's time [s] and protocol step, published by the CPU thread that runs it between
//! slices of solver steps, for a progress display on long runs (ionflux simulate,
//! Simulation.solve).
struct CellProgress {
  std::atomic<double> t{0.0};
  std::atomic<int> step{0};
  //! Called by the running thread after each publication (null: none): keep it cheap.
  std::function<void(const CellProgress&)> on_slice;
};

//! Automatic GPU hand-off threshold, cells per CPU thread. From the rates measured on an
//! H200 (issue 11): a GPU launch advances every active cell by one step in ~10 ms
//! whatever their number (latency-bound), a CPU core takes ~0.16 ms per step, so below
//! about 60 cells per core the CPU threads finish a tail faster. To be re-measured.
constexpr int kHandoffCellsPerThread = 64;

struct BatchOptions {
  Device device = Device::automatic;
  int threads = 0;                   //!< CPU threads; 0 = all
  std::size_t memory_budget = 0;     //!< bytes for per-cell state (GPU: sizes the device's slots); 0 = automatic
  std::size_t max_chunk_cells = 0;   //!< cap on cells per chunk; 0 = from the budget
  int steps_per_launch = 64;         //!< GPU: steps per cell between host check-ins
  //! GPU + CPU: when every cell has entered the device and no more than this many are
  //! still running, the GPU hands them to the CPU threads, which finish them with the
  //! same per-cell code (docs/gpu.md). -1: automatic, kHandoffCellsPerThread per CPU
  //! thread but at most a quarter of the device's slots; 0: the GPU finishes every cell.
  int gpu_handoff_cells = -1;
  //! GPU + CPU: CPU threads that take cells from the queue, in order, while the GPU
  //! works (docs/gpu.md). -1: automatic, all CPU threads but one (which drives the GPU)
  //! with Device::automatic, none with Device::cuda; 0: none.
  int gpu_cpu_threads = -1;
  std::function<void(const Progress&)> progress;  //!< called between chunks/launches
  //! Set to true (from any thread) to stop: cells not yet started are left not run
  //! (kStatusNotRun), the chunk in progress is written with what finished, and no
  //! further chunk starts. On the GPU the check is between launches.
  const std::atomic<bool>* cancel = nullptr;
  //! Set to true to stop the cells that are running too, within a few BDF steps, each
  //! ending with status interrupted and its outputs so far (one simulation's Ctrl-C:
  //! simulate's `stop`). The CPU threads only; null: never.
  const std::atomic<bool>* stop_cells = nullptr;
  //! Published between slices of steps by the CPU threads (for one simulation); null: not.
  CellProgress* cell_progress = nullptr;
};

//! Slots in BatchSummary::count_by_status: more than any CellStatus code, so that readers
//! may look a code up without growing the vector (every summary starts with them).
constexpr std::size_t kStatusCodeSlots = 64;
#define IONFLUX_X(name, code, msg) static_assert(code < kStatusCodeSlots, "CellStatus code beyond kStatusCodeSlots");
IONFLUX_CELL_STATUS_LIST(IONFLUX_X)
#undef IONFLUX_X

struct BatchSummary {
  Device device_used = Device::cpu;
  std::string device_description;
  std::size_t bytes_per_cell = 0;
  std::size_t chunks = 0;
  double wall_time = 0.0;
  std::vector<std::size_t> count_by_status = std::vector<std::size_t>(kStatusCodeSlots, 0);  //!< by CellStatus code
  std::size_t not_run = 0;                   //!< cells left unrun by a cancellation
  std::size_t handed_to_cpu = 0;             //!< cells the GPU handed to the CPU threads to finish
  std::size_t taken_by_cpu = 0;              //!< cells the CPU threads took from the GPU's queue
  // GPU streaming (docs/gpu.md): device slots (cells resident at once); cells put
  // into a slot another cell had freed; cells put into a slot while a cell of an
  // earlier chunk was still running (the device did not wait for that chunk's last
  // cells); launches.
  std::size_t device_slots = 0;
  std::size_t slot_refills = 0;
  std::size_t cells_loaded_ahead = 0;
  std::size_t launches = 0;
  std::size_t protocol_cut_short = 0;        //!< experiments a voltage cut-off stopped early
  //! cells that skipped a step because its end condition held when it began (step_skipped)
  std::size_t cells_with_skipped_steps = 0;
  std::size_t first_skipping_cell = 0;       //!< the first of them (its index in the batch)
  bool cancelled = false;
};

//! Counts one cell that has a status into `s` the way run_batch counts each cell of its
//! chunks: its status (kStatusNotRun: not_run), whether a voltage cut-off of the set cut
//! its experiment short (kCutShortMark in its message), and whether it skipped a step
//! (step_skipped of any of its `ns` steps, from their end codes, NaN where none, and
//! start and end times; null with ns 0). `cell` is its index, for first_skipping_cell.
void count_cell(BatchSummary& s, std::size_t cell, int status, const std::string& message, const double* end_code,
                const double* t_start, const double* t_end, std::size_t ns);

//! The cells an interrupted sweep's file already holds, as H5SweepWriter reads them
//! when it reopens the file: each cell's status (kStatusNotRun: still to run) and those
//! cells counted as a run counts them (count_cell), so that a resumed run reports the
//! whole sweep, not only the cells it ran.
struct KeptCells {
  std::vector<int> status;
  BatchSummary counts;
};

//! Output columns per cell on a fixed grid up to run.t_end (the period or t_eval grid
//! plus the end point); 0 for every-step output (its count is known only after the run).
int output_columns(const RunOptions& run);

//! Refuses (InputError) a batch whose fixed-grid output (period or t_eval) would put more
//! than the output limit (max_output_bytes) into one cell; reports the rows and bytes.
void check_batch_output_size(const BatchInputs& in);

//! Bytes of device/host memory one cell needs while it runs (workspace, outputs, scalars).
std::size_t bytes_per_cell(const BatchInputs& in);

//! Is a CUDA device usable? (false when built without CUDA)
bool cuda_available();
std::string cuda_device_description();

//! Run every cell, streaming finished chunks to `sink` (may be null). Cells never abort
//! the batch; their status and message go to the chunk. Throws InputError for a device
//! that is not available when asked for explicitly ("cuda" without a GPU or CUDA build).
BatchSummary run_batch(const BatchInputs& in, const BatchOptions& opt, ChunkSink* sink);

//! Cell k of a chunk of `in` as a Solution (the one-cell view of the results): its
//! series, summaries, status, message and statistics; with BatchInputs::detail its step
//! records, states, and the step and cycle of each output. Takes the chunk's arrays
//! when the chunk holds that cell alone. (params and wall_time are left to the caller.)
Solution cell_solution(ChunkData&& chunk, std::size_t k, const BatchInputs& in);

}  // namespace ionflux
