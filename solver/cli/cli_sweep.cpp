// `ionflux sweep CONFIG.json --output OUT.h5 [--device auto|cpu|cuda] [--threads N]`
// [--cells A:B] (a range of the cells) [--scheduler ADDRESS] (on a Dask cluster, through
// the Python driver python/ionflux/distributed.py)
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <sstream>

#include "solver/problem/batch.hpp"
#include "solver/problem/cell_range.hpp"
#include "solver/cli/cli.hpp"
#include "solver/cli/status_line.hpp"
#include "solver/cli/stop_signals.hpp"
#include "solver/util/errors.hpp"
#include "solver/output/h5_writer.hpp"
#include "solver/output/output_path.hpp"
#include "solver/inputs/sweep.hpp"
#include "solver/problem/sweep_plan.hpp"
#include "solver/problem/sweep_run.hpp"
#include "solver/util/text.hpp"

namespace ionflux {
namespace {

std::string sweep_help() {
  return "Usage: ionflux sweep CONFIG.json [options]\n"
         "\n"
         "Runs every cell of a sweep (the JSON config: base parameters, overrides, mesh,\n"
         "solver, constant-current protocol, and what varies per cell; see README.md) and\n"
         "streams the results to an HDF5 file chunk by chunk.\n"
         "\n"
         "Options:\n"
         "  --output FILE.h5   output file (default: ionflux_sweep.h5); checked before any work,\n"
         "                     and refused if it is the config or another input file\n"
         "  --device D         auto (default: the GPU when one is usable, else the CPU), cpu, cuda\n"
         "  --threads N        CPU threads (default: all cores)\n"
         "  --memory-budget B  bytes of per-cell state resident at once (default: 80% of free\n"
         "                     GPU memory, or 1 GiB of outputs on the CPU); more cells run in chunks\n"
         "  --gpu-handoff N    GPU runs: when no more than N cells of a chunk are still running,\n"
         "                     the GPU hands them to the CPU threads to finish (default: auto,\n"
         "                     64 per CPU thread, at most a quarter of the chunk; 0: never)\n"
         "  --cells A:B        run only cells A to B-1 of the sweep (counted from 0); the file holds\n"
         "                     those rows, with /cells/index their numbers in the sweep (docs/hdf5_layout.md)\n"
         "  --scheduler ADDR   run on the Dask cluster whose scheduler is at ADDR (e.g. tcp://host:8786):\n"
         "                     the cells are split into partitions run by the workers, and one file is\n"
         "                     written here (docs/distributed.md). Needs the Python package with\n"
         "                     dask (pip install 'ionflux[distributed]'); Python is $IONFLUX_PYTHON or python3\n"
         "  --partitions P     with --scheduler: P partitions of equal size (default: guided sizes,\n"
         "                     big first and small last, from the number of workers)\n"
         "  --resume           continue an interrupted run: FILE.h5 must come from the same config and\n"
         "                     ionflux version; its finished cells are kept and the others run\n"
         "                     (with --scheduler: on the cluster's workers)\n"
         "  --overwrite        replace an output file that holds a sweep not finished (interrupted,\n"
         "                     failed or killed), which is otherwise refused; a complete sweep file or\n"
         "                     any other file is replaced without it\n"
         "  --quiet            no progress and no summary (errors still go to stderr)\n"
         "  -h, --help         show this help\n"
         "\n"
         "Ctrl-C (SIGINT) or SIGTERM: the cells running finish, everything finished is in the\n"
         "file, marked interrupted (attribute \"status\"), and the exit status is 130 (SIGINT) or\n"
         "143 (SIGTERM); continue with --resume. A second Ctrl-C stops at once (the file keeps\n"
         "the chunks written so far and can be resumed too).\n"
         "\n"
         "Exit status: 0 when the sweep ran (cells that failed are counted in a warning; their\n"
         "status and message are in the file); 1 when none of its cells could be solved, or a\n"
         "run-time failure; 2 invalid input (nothing run); 130/143 interrupted.\n";
}

std::string duration(double s) {
  if (!std::isfinite(s)) return "?";
  if (s < 60) return format("%.1f s", s);
  if (s < 3600) return format("%.0f", std::floor(s / 60)) + " min " + format("%.0f s", std::fmod(s, 60.0));
  return format("%.0f", std::floor(s / 3600)) + " h " + format("%.0f min", std::fmod(s, 3600.0) / 60);
}

//! The sweep's progress (cells done, rate, time left) on the status line
//! (solver/cli/status_line.hpp): a bar updated in place on a terminal at every report,
//! a "progress:" line every 5 s otherwise; the last (all cells done) always.
class ProgressPrinter {
 public:
  ProgressPrinter(std::ostream& err, bool tty) : line_(err, tty, 0.0, 5.0) {}
  void operator()(const Progress& p) {
    const double rate = p.elapsed_s > 0 ? (p.done - p.already) / p.elapsed_s : 0.0;  // this run's cells
    const double left = rate > 0 ? (p.total - p.done) / rate : NAN;
    const double frac = p.total ? static_cast<double>(p.done) / p.total : 1.0;
    std::ostringstream text;
    text << p.done << "/" << p.total << " cells (" << format("%.0f%%", 100 * frac) << "), "
         << rate_text(rate) << " cells/s, " << duration(p.elapsed_s) << " elapsed, "
         << (p.done == p.total ? std::string("done") : duration(left) + " left");
    const int width = 24, fill = static_cast<int>(frac * width);
    line_.show(p.elapsed_s,
               line_.tty() ? "[" + std::string(fill, '#') + std::string(width - fill, '.') + "] " + text.str()
                           : "progress: " + text.str(),
               p.done == p.total);
  }
  //! End a bar left open (a run stopped before all its cells were done).
  void finish() { line_.finish(); }
  void new_line_after_interrupt() { line_.new_line_after_interrupt(); }

 private:
  StatusLine line_;
};

double parse_number(const std::string& opt, const std::string& v) {
  std::size_t used = 0;
  double x = 0;
  try {
    x = std::stod(v, &used);
  } catch (...) {
    used = 0;
  }
  if (v.empty() || used != v.size() || !std::isfinite(x)) throw InputError(opt + ": '" + v + "' is not a number");
  return x;
}

//! "cutoff_at_start 15, end_time_reached 2": the cells that did not end normally
//! (cell_status_ok), counted per status; `total` gets their number.
std::string abnormal_counts(const BatchSummary& s, std::size_t& total) {
  std::string text;
  total = 0;
  for (std::size_t code = 0; code < s.count_by_status.size(); ++code) {
    if (!s.count_by_status[code] || cell_status_ok(static_cast<CellStatus>(code))) continue;
    text += (text.empty() ? "" : ", ") + std::string(cell_status_name(static_cast<CellStatus>(code))) + " " +
            std::to_string(s.count_by_status[code]);
    total += s.count_by_status[code];
  }
  if (s.not_run) text += (text.empty() ? "" : ", ") + std::string("not_run ") + std::to_string(s.not_run);
  total += s.not_run;
  return text;
}

//! Marks the writes to the file for the handler: a second signal during one takes
//! effect when it is done.
class GuardedSink : public ResultSink {
 public:
  explicit GuardedSink(ResultSink& next) : next_(next) {}
  void write_chunk(const ChunkData& chunk) override {
    for (std::size_t k = 0; k < chunk.n && first_failure.empty(); ++k)
      if (cell_status_failed(static_cast<CellStatus>(chunk.status[k])))
        first_failure = "cell " + std::to_string(chunk.first + k) + ": " + chunk.message[k];
    g_writing = true;
    next_.write_chunk(chunk);
    g_writing = false;
    if (const int sig = g_stop_now.load()) {
      signal(sig, SIG_DFL);
      raise(sig);
    }
  }
  void set_attribute(const std::string& name, const std::string& value) override { next_.set_attribute(name, value); }
  void close() override { next_.close(); }

  std::string first_failure;  //!< "cell i: message" of the first failed cell written, if any

 private:
  ResultSink& next_;
};

//! `ionflux sweep ... --scheduler ADDR`: runs the Python driver (ionflux.distributed.main
//! with the same options) in a child process and returns its exit code.
int run_distributed(const std::vector<std::string>& driver_args, std::ostream& out, std::ostream& err) {
  const char* env = std::getenv("IONFLUX_PYTHON");
  const std::string python = env && *env ? env : "python3";
  // a missing package is one clear line, not a traceback
  const std::string boot =
      "import sys\n"
      "try:\n"
      "    from ionflux import distributed\n"
      "except ImportError as e:\n"
      "    sys.exit('error: --scheduler: the sweep runs through the Python package ionflux, which ' + sys.executable"
      " + ' cannot import (' + str(e) + '); install it with: pip install \"ionflux[distributed]\" (or set "
      "IONFLUX_PYTHON to the Python that has it)')\n"
      "sys.exit(distributed.main(sys.argv[1:]))\n";
  std::vector<std::string> argv_s = {python, "-c", boot};
  argv_s.insert(argv_s.end(), driver_args.begin(), driver_args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  out << std::flush;
  err << std::flush;
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, python.c_str(), nullptr, nullptr, argv.data(), environ);
  if (rc != 0)
    throw RuntimeError("--scheduler: cannot start Python ('" + python + "': " + std::strerror(rc) +
                       "); the distributed driver is the Python package ionflux with dask (pip install "
                       "\"ionflux[distributed]\"); set IONFLUX_PYTHON to its interpreter");
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw RuntimeError(std::string("--scheduler: waiting for Python: ") + std::strerror(errno));
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace

int run_sweep_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string config, output = "ionflux_sweep.h5", cells, scheduler, partitions;
  std::vector<std::string> driver_args;  // --scheduler: the options handed to the Python driver
  BatchOptions opt;
  bool quiet = false, handoff_given = false, resume = false, overwrite = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw InputError("sweep: " + a + ": missing value; see 'ionflux sweep --help'");
      return args[++i];
    };
    if (a == "-h" || a == "--help") {
      out << sweep_help();
      return 0;
    } else if (a == "--output") {
      output = value();
      driver_args.insert(driver_args.end(), {a, output});
    } else if (a == "--cells") {
      cells = value();
    } else if (a == "--scheduler") {
      scheduler = value();
    } else if (a == "--partitions") {
      partitions = value();
      const double p = parse_number("--partitions", partitions);
      if (!(p >= 1 && p == std::floor(p) && p <= 1e9))
        throw InputError("--partitions must be a whole number >= 1, got " + partitions);
    } else if (a == "--device") {
      opt.device = parse_device(value());
      driver_args.insert(driver_args.end(), {a, args[i]});
    } else if (a == "--threads") {
      const double t = parse_number("--threads", value());
      if (!(t >= 1 && t == std::floor(t) && t <= 4096))
        throw InputError("--threads must be a whole number from 1 to 4096, got " + args[i]);
      opt.threads = static_cast<int>(t);
      driver_args.insert(driver_args.end(), {a, args[i]});
    } else if (a == "--memory-budget") {
      const double b = parse_number("--memory-budget", value());
      if (!(b >= 1)) throw InputError("--memory-budget must be at least 1 byte, got " + args[i]);
      opt.memory_budget = static_cast<std::size_t>(b);
      driver_args.insert(driver_args.end(), {a, args[i]});
    } else if (a == "--gpu-handoff") {
      const std::string v = value();
      handoff_given = true;
      if (v == "auto") {
        opt.gpu_handoff_cells = -1;
      } else {
        const double h = parse_number("--gpu-handoff", v);
        if (!(h >= 0 && h == std::floor(h) && h <= 1e9))
          throw InputError("--gpu-handoff must be 'auto' or a whole number of cells >= 0, got " + v);
        opt.gpu_handoff_cells = static_cast<int>(h);
      }
    } else if (a == "--resume") {
      resume = true;
    } else if (a == "--overwrite") {
      overwrite = true;
      driver_args.push_back(a);
    } else if (a == "--quiet") {
      quiet = true;
      driver_args.push_back(a);
    } else if (!a.empty() && a[0] == '-') {
      throw InputError("sweep: unknown option '" + a + "'; see 'ionflux sweep --help'");
    } else if (config.empty()) {
      config = a;
    } else {
      throw InputError("sweep: more than one config file given ('" + config + "', '" + a + "')");
    }
  }
  if (config.empty()) throw InputError("sweep: no config file given; usage: ionflux sweep CONFIG.json --output OUT.h5");
  if (!partitions.empty() && scheduler.empty()) throw InputError("--partitions is for --scheduler runs only");
  if (resume && overwrite)
    throw InputError("--resume continues the file and --overwrite replaces it: give one of them");
  if (!scheduler.empty()) {
    if (!cells.empty()) throw InputError("--cells and --scheduler do not go together (the driver splits the cells)");
    if (handoff_given) throw InputError("--gpu-handoff is not available with --scheduler (the workers use 'auto')");
    if (resume) driver_args.push_back("--resume");  // the driver checks and cuts back the file, the workers run the rest
    load_sweep_config(config);  // a bad config is reported here, before Python and the cluster
    driver_args.insert(driver_args.begin(), {config, "--scheduler", scheduler});
    if (!partitions.empty()) driver_args.insert(driver_args.end(), {"--partitions", partitions});
    return run_distributed(driver_args, out, err);
  }

  // Everything that can be checked is checked before any work.
  // --cells: only the range is planned (its values and records; solver/problem/cell_range.hpp)
  std::optional<CellRange> range = cells.empty() ? std::nullopt : std::optional<CellRange>(parse_cell_range(cells));
  const SweepSpec spec = load_sweep_config(config, range);
  // every error of the config names the file (the plan's: a bad experiment step, say)
  const SweepPlan plan = [&] {
    try {
      return plan_sweep(spec);
    } catch (const InputError& e) {
      const std::string m = e.what();
      if (m.rfind(config + ": ", 0) == 0) throw;
      throw InputError(config + ": " + m);
    }
  }();
  check_batch_output_size(plan.inputs);
  for (const std::string& w : plan.warnings) err << "warning: " << w << "\n";
  if (opt.memory_budget > 0 && !plan.inputs.pre_status.empty() && opt.memory_budget < bytes_per_cell(plan.inputs))
    err << "warning: --memory-budget " << opt.memory_budget << " B is less than one cell's state ("
        << bytes_per_cell(plan.inputs) << " B): the sweep runs one cell at a time\n";
  if (opt.device == Device::cuda && !cuda_available())
    throw InputError("--device cuda: no usable GPU: " + cuda_device_description());
  const std::size_t n_sweep = spec.total_cells();
  if (range) range = CellRange{spec.first_cell, spec.first_cell + spec.n_cells()};
  const BatchInputs& inputs = plan.inputs;
  // A whole sweep none of whose cells can run (a shared "set" value that no cell can pass,
  // say) is a bad config: refused before any file is written. (A range's cells may all be
  // invalid in a sweep that has valid ones elsewhere: its run writes them as such.)
  if (!range && !inputs.pre_status.empty() &&
      std::none_of(inputs.pre_status.begin(), inputs.pre_status.end(),
                   [](CellStatus st) { return st == CellStatus::running; }))
    throw InputError(config + ": " + (inputs.pre_status.size() == 1 ? std::string("the sweep's only cell has")
                                                                      : "every one of the sweep's " +
                                                                            std::to_string(inputs.pre_status.size()) +
                                                                            " cells has") +
                     " invalid values, so none would run; the first cell: " + inputs.pre_message.at(0));
  const SweepFileInfo info = sweep_file_info(spec, plan);
  std::vector<std::pair<std::string, std::string>> input_files = sweep_input_files(spec, plan);
  input_files.emplace_back(config, "sweep config");
  check_output_is_not_an_input(output, input_files);
  if (!resume && !overwrite) check_not_unfinished(output, "--resume", "--overwrite");
  if (resume) {
    struct stat st {};
    if (stat(output.c_str(), &st) != 0)
      throw InputError("--resume: '" + output + "' does not exist; run without --resume to start the sweep");
  }
  const std::unique_ptr<H5SweepWriter> writer =
      resume ? open_sweep_file_to_resume(info, output) : open_sweep_file(info, output);
  std::size_t in_file = 0;
  for (const int st : writer->kept().status) in_file += st != kStatusNotRun;

  const std::size_t n = inputs.size();
  std::size_t invalid = 0;
  for (auto s : inputs.pre_status) invalid += s != CellStatus::running;
  const Device dev = opt.device == Device::automatic ? (cuda_available() ? Device::cuda : Device::cpu) : opt.device;
  if (!quiet) {
    out << "ionflux " << IONFLUX_VERSION << " sweep: " << n << " cells"
        << (range ? " (" + std::to_string(range->first) + ":" + std::to_string(range->last) + " of " +
                        std::to_string(n_sweep) + ")"
                  : std::string())
        << " from " << config << " ("
        << spec.varied.size() << " varied: ";
    for (std::size_t v = 0; v < spec.varied.size(); ++v) out << (v ? ", " : "") << spec.varied[v];
    out << ")\n  device " << (dev == Device::cuda ? "cuda: " + cuda_device_description() : std::string("cpu"))
        << (opt.device == Device::automatic ? " (auto)" : "") << "; " << bytes_per_cell(inputs)
        << " bytes per cell; output " << output << "\n";
    if (invalid) out << "  " << invalid << " cells have invalid values and will not run (see /cells/message)\n";
    if (resume)
      out << "  resuming: " << in_file << " of " << n << " cells are in the file; running the other " << n - in_file
          << "\n";
    out << std::flush;
  }
  ProgressPrinter printer(err, stderr_is_terminal(err));
  if (!quiet) opt.progress = [&](const Progress& p) { printer(p); };
  opt.device = dev;
  BatchSummary s;
  std::string first_failure;
  {
    const StopSignals signals;
    opt.cancel = &g_cancel;
    GuardedSink guarded(*writer);
    try {
      s = run_sweep_cells(inputs, opt, guarded, resume ? &writer->kept() : nullptr);
    } catch (...) {
      printer.finish();  // the error's line after the progress bar, not over it
      throw;
    }
    printer.finish();
    first_failure = guarded.first_failure;
  }
  const int sig = g_signal.load();
  if (sig) {
    const std::string name = stop_signal_name(sig);
    writer->set_attribute("interrupted by", name);
    finish_sweep_file(*writer, s, n);
    printer.new_line_after_interrupt();
    err << "interrupted (" << name << "): " << n - s.not_run << " of " << n << " cells are in " << output
        << "; continue with: ionflux sweep " << config << " --output " << output << " --resume\n";
    return 128 + sig;
  }
  finish_sweep_file(*writer, s, n);
  std::size_t n_abnormal = 0;
  const std::string abnormal = abnormal_counts(s, n_abnormal);  // a warning: on stderr, even with --quiet
  if (n_abnormal) {
    const std::size_t code = static_cast<std::size_t>(CellStatus::end_time_reached);
    const std::size_t truncated = code < s.count_by_status.size() ? s.count_by_status[code] : 0;
    err << "warning: " << n_abnormal << " of " << n << " cells did not end normally (" << abnormal << ")"
        << (n_abnormal > truncated ? "; failed cells have NaN capacity, energy and mean voltage" : "")
        << (truncated ? "; end_time_reached: stopped at t_end, truncated (raise t_end)" : "")
        << "; see /cells/status and /cells/message\n";
  }
  if (!quiet) {
    // This run's cells and rate: a resumed file's finished cells were not run again (a
    // created file has none).
    const std::size_t ran = n - in_file;
    out << "Done: " << ran << " cells in " << duration(s.wall_time) << " on " << s.device_description << " ("
        << rate_text(ran / std::max(s.wall_time, 1e-9)) << " cells/s, " << s.chunks << " chunk"
        << (s.chunks == 1 ? "" : "s") << ")"
        << (resume ? "; " + std::to_string(in_file) + " cells kept from the file, " + std::to_string(n) + " in all"
                   : std::string())
        << "\n"
        << (s.device_slots ? "  streamed through " + std::to_string(s.device_slots) + " device slots (" +
                                  std::to_string(s.slot_refills) + " refills, " + std::to_string(s.launches) +
                                  " launches); " + std::to_string(s.taken_by_cpu) +
                                  " cells taken by the CPU threads alongside\n"
                            : std::string())
        << (s.handed_to_cpu ? "  " + std::to_string(s.handed_to_cpu) +
                                  " cells started on the GPU were finished on the CPU threads\n"
                            : std::string())
        << "  by status: " << status_counts(s) << "\n"
        << "  wrote " << output << "\n";
  }
  if (s.protocol_cut_short)
    err << "warning: " << s.protocol_cut_short << " of " << n
        << " cells: a voltage cut-off of the parameter set stopped the experiment before its end (a step cut short, "
           "later steps not run; ionflux keeps the set's cut-offs where PyBaMM widens them by 1 V); see /cells/message\n";
  if (s.cells_with_skipped_steps)
    err << "warning: " << s.cells_with_skipped_steps << " of " << n
        << " cells skipped a step because its end condition already held when it began (PyBaMM skips such steps "
           "too; first: cell "
        << s.first_skipping_cell << "); such steps have /steps/Duration [s] = 0\n";
  // A sweep none of whose cells gave a result is a failed run for a script or CI, even
  // though the file (statuses and messages) is complete: exit status 1, with the reason.
  std::size_t with_result = 0;
  for (std::size_t code = 0; code < s.count_by_status.size(); ++code)
    if (!cell_status_failed(static_cast<CellStatus>(code))) with_result += s.count_by_status[code];
  if (n > 0 && with_result == 0) {
    err << "error: none of the " << n << " cells could be solved"
        << (first_failure.empty() ? std::string() : "; the first, " + first_failure) << " (" << output
        << " holds every cell's status and message)\n";
    return 1;
  }
  return 0;
}

}  // namespace ionflux
