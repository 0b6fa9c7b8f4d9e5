#include "solver/cli/cli.hpp"
#include "solver/inputs/experiment.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <new>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "solver/cli/status_line.hpp"
#include "solver/cli/stop_signals.hpp"
#include "solver/output/csv.hpp"
#include "solver/output/output_path.hpp"
#include "solver/util/errors.hpp"
#include "solver/util/text.hpp"
#include "solver/inputs/model_options.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/inputs/parameter_file.hpp"
#include "solver/inputs/plausibility.hpp"
#include "solver/output/results.hpp"
#include "solver/problem/problem.hpp"
#include "solver/problem/simulation.hpp"

#ifndef IONFLUX_VERSION
#define IONFLUX_VERSION "unknown"
#endif

namespace ionflux {
namespace {

constexpr const char* kDefaultParameters = "Chen2020";
constexpr const char* kDefaultOutput = "ionflux.csv";
constexpr int kMaxMeshSize = 1000;

// ---------------------------------------------------------------------------
// Text helpers

//! The shortest text that reads back as exactly v.
std::string exact(double v) {
  // Whole numbers up to 1e15 in full (200000, not 2e+05).
  const int whole = std::fabs(v) >= 1.0 && std::fabs(v) < 1e15 ? static_cast<int>(std::log10(std::fabs(v))) + 1 : 1;
  for (int digits = whole; digits < 17; ++digits) {
    char f[16];
    std::snprintf(f, sizeof f, "%%.%dg", digits);
    const std::string t = format(f, v);
    if (std::strtod(t.c_str(), nullptr) == v) return t;
  }
  return format("%.17g", v);
}


//! One line: newlines in library messages are folded so that every error is one line.
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

// ---------------------------------------------------------------------------
// Strict number parsing: the whole string must be the number.

double parse_double(const std::string& option, const std::string& text) {
  const char* s = text.c_str();
  char* end = nullptr;
  double v = 0.0;
  bool ok = !text.empty() && !std::isspace(static_cast<unsigned char>(text[0]));
  if (ok) {
    errno = 0;
    v = std::strtod(s, &end);
    ok = end != s && *end == '\0';
  }
  if (!ok) throw InputError(option + ": '" + text + "' is not a number");
  if (!std::isfinite(v)) throw InputError(option + ": must be a finite number, got '" + text + "'");
  return v;
}

long parse_integer(const std::string& what, const std::string& text) {
  const char* s = text.c_str();
  char* end = nullptr;
  long v = 0;
  bool ok = !text.empty() && !std::isspace(static_cast<unsigned char>(text[0]));
  if (ok) {
    errno = 0;
    v = std::strtol(s, &end, 10);
    ok = end != s && *end == '\0' && errno != ERANGE;
  }
  if (!ok) throw InputError(what + ": '" + text + "' is not an integer");
  return v;
}

//! "--mesh x_n=20,r_p=30": any subset of the keys, the others keep their value.
void parse_mesh(const std::string& text, MeshSpec& mesh) {
  const std::string opt = "--mesh";
  if (trim(text).empty()) throw InputError(opt + ": expected KEY=N[,KEY=N...], got an empty value");
  std::size_t start = 0;
  std::vector<std::string> seen;
  while (start <= text.size()) {
    std::size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = trim(text.substr(start, comma - start));
    start = comma + 1;
    const auto eq = item.find('=');
    if (item.empty() || eq == std::string::npos)
      throw InputError(opt + ": expected KEY=N (KEY one of x_n, x_s, x_p, r_n, r_p), got '" + item + "'");
    const std::string key = trim(item.substr(0, eq)), value = trim(item.substr(eq + 1));
    int* target = key == "x_n"   ? &mesh.x_n
                  : key == "x_s" ? &mesh.x_s
                  : key == "x_p" ? &mesh.x_p
                  : key == "r_n" ? &mesh.r_n
                  : key == "r_p" ? &mesh.r_p
                                 : nullptr;
    if (target == nullptr) {
      std::string msg = opt + ": unknown key '" + key + "'";
      if (auto near = closest(key, {"x_n", "x_s", "x_p", "r_n", "r_p"})) msg += " (did you mean '" + *near + "'?)";
      throw InputError(msg + "; keys are x_n, x_s, x_p, r_n, r_p");
    }
    if (std::find(seen.begin(), seen.end(), key) != seen.end())
      throw InputError(opt + ": " + key + " is given twice in '" + text + "'");
    seen.push_back(key);
    const long n = parse_integer(opt + ": " + key, value);
    if (n > kMaxMeshSize)
      throw InputError(opt + ": " + key + " must be at most " + std::to_string(kMaxMeshSize) + ", got " + value);
    // Sizes below 2 (zero, negative) are reported by validate_run_options.
    *target = static_cast<int>(std::max<long>(n, -1));
    if (comma == text.size()) break;
  }
}

// ---------------------------------------------------------------------------
// Help texts

std::string main_help() {
  return std::string("ionflux ") + IONFLUX_VERSION +
         " - Doyle-Fuller-Newman (DFN) lithium-ion cell solver\n"
         "\n"
         "Usage: ionflux <command> [options]\n"
         "       ionflux --help | --version\n"
         "\n"
         "Commands:\n"
         "  simulate    run one constant-current discharge (or charge) of a cell, write the\n"
         "              voltage curve to a CSV file and print a summary\n"
         "  sweep       run many variants of a cell (a JSON config) on the GPU or all CPU\n"
         "              cores, streaming results to an HDF5 file\n"
         "  parameters  list the built-in parameter sets, show a set or a parameter file,\n"
         "              or export one as a JSON parameter file\n"
         "\n"
         "Options:\n"
         "  -h, --help  show this help\n"
         "  --version   print the version\n"
         "\n"
         "Run 'ionflux <command> --help' for the options of a command.\n";
}

std::string simulate_help() {
  return "Usage: ionflux simulate [options]\n"
         "\n"
         "Run one constant-current discharge (or charge, with a negative current) of a\n"
         "DFN cell until a voltage cut-off or the end time, write the outputs to a CSV\n"
         "file and print a summary.\n"
         "\n"
         "Options (values may also be given as --option=VALUE):\n"
         "  --parameters NAME|FILE  parameter set: a shipped set (Chen2020, Marquis2019,\n"
         "                          Ai2020, Ecker2015, Mohtat2020, NCA_Kim2011, OKane2022,\n"
         "                          ORegan2022, Prada2013; 'ionflux parameters list') or a\n"
         "                          JSON parameter file (docs/parameter_files.md)\n"
         "                          [default: Chen2020]\n"
         "  --set \"NAME=VALUE\"      replace one parameter by a constant, NAME as in the set\n"
         "                          (units included), e.g.\n"
         "                          --set \"Negative particle radius [m]=4e-6\"; repeatable\n"
         "  --c-rate X              current as a multiple of the set's \"Nominal cell\n"
         "                          capacity [A.h]\"; positive = discharge, non-zero\n"
         "                          [default: the set's \"Current function [A]\"]\n"
         "  --current A             current [A]; positive = discharge, non-zero; not\n"
         "                          together with --c-rate\n"
         "                          [default: the set's \"Current function [A]\"]\n"
         "  --soc S                 initial state of charge in [0, 1]: 0 and 1 are the set's\n"
         "                          \"Open-circuit voltage at 0% SOC [V]\" and\n"
         "                          \"Open-circuit voltage at 100% SOC [V]\"; or an open-\n"
         "                          circuit voltage, \"3.9 V\": the SOC where the OCV is that\n"
         "                          [default: the set's initial concentrations]\n"
         "  --mesh KEY=N[,KEY=N...] mesh points, keys x_n, x_s, x_p (negative electrode,\n"
         "                          separator, positive electrode) and r_n, r_p (particles),\n"
         "                          each 2 to 1000; keys not given keep their default\n"
         "                          [default: x_n=20,x_s=20,x_p=20,r_n=20,r_p=20]\n"
         "  --rtol X                relative tolerance of the integrator, in (0, 1)\n"
         "                          [default: 1e-6]\n"
         "  --atol X                absolute tolerance of the integrator, > 0\n"
         "                          [default: 1e-8]\n"
         "  --max-steps N           most BDF steps of the cell in each protocol step (the\n"
         "                          whole run: N x the number of protocol steps, at most\n"
         "                          10^9); past it the run ends with status step_limit, its\n"
         "                          outputs so far kept [default: 100000]\n"
         "  --max-wall-time SECONDS most wall-clock time of the cell, > 0; past it the run ends\n"
         "                          with status time_limit, its outputs so far kept\n"
         "                          [default: none]\n"
         "  --period SECONDS        spacing of the output rows; 0 = a row at every accepted\n"
         "                          solver step (dense where the solution changes fast)\n"
         "                          [default: 0]\n"
         "  --t-end SECONDS         stop here if no voltage cut-off comes first\n"
         "                          [default: from the cell's theoretical capacity (its\n"
         "                          electrode loadings): 1.2 x the time in which the current\n"
         "                          moves all the lithium available to it; a run that stops\n"
         "                          here is reported as truncated (end_time_reached)]\n"
         "  --output FILE           CSV file to write (overwritten); checked before solving,\n"
         "                          and refused if it is the parameter file or a drive cycle\n"
         "                          [default: ionflux.csv, in the current directory]\n"
         "  --experiment STEP       a protocol step, PyBaMM's grammar (repeatable, in order), e.g.\n"
         "                          \"Discharge at 1C until 2.5 V\", \"Rest for 1 hour\",\n"
         "                          \"Hold at 4.2 V until C/50\", \"Discharge at 10 W for 5 minutes\",\n"
         "                          \"Discharge with current from US06.csv\" (see docs/experiments.md);\n"
         "                          replaces --c-rate/--current; the CSV gains Step, Cycle and\n"
         "                          Temperature [K] columns [default: one constant-current step]\n"
         "  --cycles N              repeat the --experiment steps N times [default: 1]\n"
         "  --termination TEXT      end the experiment at the end of the first cycle that\n"
         "                          meets it, as PyBaMM's Experiment(termination=...):\n"
         "                          \"80% capacity\" (of the first cycle's eSOH capacity),\n"
         "                          \"4 Ah capacity\", \"2.5 V\" (a cycle's lowest voltage);\n"
         "                          or a time, \"10 hours\", at which the run ends (its end\n"
         "                          time, or an earlier --t-end); repeatable (the first met\n"
         "                          ends it; a later one of a kind replaces an earlier one,\n"
         "                          as PyBaMM) [default: none]\n"
         "  --thermal MODEL         isothermal, or lumped (PyBaMM's lumped thermal model)\n"
         "                          [default: isothermal]\n"
         "  --option \"NAME=VALUE\"   a PyBaMM model option for the degradation submodels, e.g.\n"
         "                          --option \"SEI=solvent-diffusion limited\"; a (negative,\n"
         "                          positive) pair as --option \"lithium plating=(partially\n"
         "                          reversible, none)\"; repeatable (docs/degradation_options.md)\n"
         "                          [default: none, the plain DFN]\n"
         "  --quiet                 print nothing on success (errors still go to stderr)\n"
         "  -h, --help              show this help\n"
         "\n"
         "The CSV has the header\n"
         "  Time [s],Voltage [V],Current [A],Discharge capacity [A.h]\n"
         "and one row per output time (each number in the fewest digits that read back to\n"
         "the same double); the last row is the end of\n"
         "the run (the voltage cut-off or the end time).\n"
         "\n"
         "Exit status: 0 success; 1 the cell could not be solved (the CSV still holds the\n"
         "outputs up to the failure) or another run-time failure; 2 invalid input.\n";
}

// ---------------------------------------------------------------------------
// simulate

struct SimulateArgs {
  std::string parameters = kDefaultParameters;
  std::vector<std::string> sets;
  std::optional<double> c_rate, current, soc, t_end;
  std::optional<double> soc_voltage;  //!< --soc "3.9 V": the SOC of that open-circuit voltage
  MeshSpec mesh;
  double rtol = SolverOptions{}.rtol, atol = SolverOptions{}.atol, period = 0.0;
  int max_steps = SolverOptions{}.max_steps;
  double max_wall_time = 0.0;  //!< none
  std::string output = kDefaultOutput;
  bool quiet = false, help = false;
  std::vector<std::string> experiment;  //!< protocol steps (PyBaMM strings), one cycle
  std::vector<std::string> termination;  //!< --termination: the experiment's own (PyBaMM's)
  int cycles = 1;
  bool lumped_thermal = false;
  OptionList options;  //!< --option NAME=VALUE (PyBaMM's model options), in order
};

const std::vector<std::string>& simulate_options() {
  static const std::vector<std::string> o = {"--parameters", "--set",    "--c-rate", "--current", "--soc",
                                             "--mesh",       "--rtol",   "--atol",   "--period",  "--t-end",
                                             "--output",     "--quiet",  "--help",   "-h",
                                             "--experiment", "--cycles", "--termination", "--thermal",
                                             "--max-steps",  "--max-wall-time", "--option"};
  return o;
}

bool takes_value(const std::string& opt) { return opt != "--quiet" && opt != "--help" && opt != "-h"; }

SimulateArgs parse_simulate(const std::vector<std::string>& args) {
  SimulateArgs a;
  bool thermal_given = false;
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string opt = args[i], value;
    bool has_value = false;
    if (opt.rfind("--", 0) == 0) {
      const auto eq = opt.find('=');
      if (eq != std::string::npos) value = opt.substr(eq + 1), opt = opt.substr(0, eq), has_value = true;
    }
    const auto& known = simulate_options();
    if (std::find(known.begin(), known.end(), opt) == known.end()) {
      if (opt.empty() || opt[0] != '-')
        throw InputError("simulate: unexpected argument '" + args[i] +
                         "' (options start with --; see 'ionflux simulate --help')");
      std::string msg = "simulate: unknown option '" + opt + "'";
      if (auto near = closest(opt, known)) msg += " (did you mean '" + *near + "'?)";
      throw InputError(msg + "; see 'ionflux simulate --help'");
    }
    if (!takes_value(opt)) {
      if (has_value) throw InputError(opt + " takes no value");
      if (opt == "--quiet") a.quiet = true;
      else a.help = true;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) throw InputError(opt + ": missing value; see 'ionflux simulate --help'");
      value = args[++i];
    }
    if (opt != "--set" && opt != "--experiment" && opt != "--option" && opt != "--termination") {
      if (std::find(seen.begin(), seen.end(), opt) != seen.end()) throw InputError(opt + ": given more than once");
      seen.push_back(opt);
    }
    if (opt == "--parameters") {
      if (value.empty()) throw InputError("--parameters: empty name");
      a.parameters = value;
    } else if (opt == "--set") {
      a.sets.push_back(value);
    } else if (opt == "--option") {
      try {
        a.options.push_back(parse_option_assignment(value));
      } catch (const InputError& e) {
        throw InputError(std::string("--option: ") + e.what());
      }
    } else if (opt == "--thermal") {
      if (value != "lumped" && value != "isothermal")
        throw InputError("--thermal: expected 'isothermal' or 'lumped', got '" + value + "'");
      a.lumped_thermal = value == "lumped";
      thermal_given = true;
    } else if (opt == "--experiment") {
      a.experiment.push_back(value);
    } else if (opt == "--termination") {
      a.termination.push_back(value);
    } else if (opt == "--cycles") {
      const double c = parse_double(opt, value);
      if (!(c >= 1 && c == std::floor(c) && c <= 100000)) throw InputError("--cycles: must be a whole number >= 1, got " + value);
      a.cycles = static_cast<int>(c);
    } else if (opt == "--c-rate") {
      a.c_rate = parse_double(opt, value);
      if (*a.c_rate == 0.0) throw InputError("--c-rate: must be non-zero (positive = discharge, negative = charge)");
    } else if (opt == "--current") {
      a.current = parse_double(opt, value);
      if (*a.current == 0.0) throw InputError("--current: must be non-zero (positive = discharge, negative = charge)");
    } else if (opt == "--soc") {
      // a fraction in [0, 1], or (PyBaMM's form) an open-circuit voltage: "3.9 V"
      if (const std::optional<std::string> volts = volts_text(value)) {
        a.soc_voltage = parse_double(opt, *volts);
      } else {
        a.soc = parse_double(opt, value);
        if (!(*a.soc >= 0.0 && *a.soc <= 1.0))
          throw InputError("--soc: must be in [0, 1] (or an open-circuit voltage, e.g. \"3.9 V\"), got " + value);
      }
    } else if (opt == "--mesh") {
      parse_mesh(value, a.mesh);
    } else if (opt == "--rtol") {
      a.rtol = parse_double(opt, value);
      if (!(a.rtol > 0.0 && a.rtol < 1.0)) throw InputError("--rtol: must be in (0, 1), got " + value);
    } else if (opt == "--atol") {
      a.atol = parse_double(opt, value);
      if (!(a.atol > 0.0)) throw InputError("--atol: must be positive, got " + value);
    } else if (opt == "--max-steps") {
      const long n = parse_integer(opt, value);
      if (n < 1 || n > kMaxSolverSteps)
        throw InputError("--max-steps: must be an integer from 1 to " + std::to_string(kMaxSolverSteps) + ", got " +
                         value);
      a.max_steps = static_cast<int>(n);
    } else if (opt == "--max-wall-time") {
      a.max_wall_time = parse_double(opt, value);
      if (!(a.max_wall_time > 0.0 && std::isfinite(a.max_wall_time)))
        throw InputError("--max-wall-time: must be a positive number of seconds, got " + value);
    } else if (opt == "--period") {
      a.period = parse_double(opt, value);
      if (a.period < 0.0) throw InputError("--period: must be positive (or 0 for the default), got " + value);
    } else if (opt == "--t-end") {
      a.t_end = parse_double(opt, value);
      if (!(*a.t_end > 0.0)) throw InputError("--t-end: must be positive, got " + value);
    } else if (opt == "--output") {
      if (value.empty()) throw InputError("--output: empty file name");
      a.output = value;
    }
  }
  if (a.c_rate && a.current) throw InputError("--c-rate and --current cannot be used together; give one of them");
  // PyBaMM's option "thermal" (isothermal / lumped) is --thermal's choice
  if (const std::optional<bool> lumped = take_thermal_option(a.options)) {
    if (thermal_given && *lumped != a.lumped_thermal)
      throw InputError(std::string("--option thermal=") + (*lumped ? "lumped" : "isothermal") + " and --thermal " +
                       (a.lumped_thermal ? "lumped" : "isothermal") + " disagree; give one of them");
    a.lumped_thermal = *lumped;
  }
  return a;
}

//! Fail before the (possibly long) solve if the output file cannot be written.
//! Opens in append mode so that an existing file is not truncated yet; a file that
//! did not exist is removed again.
void check_output_writable(const std::string& path) {
  struct stat st {};
  const bool existed = ::stat(path.c_str(), &st) == 0;
  if (existed && S_ISDIR(st.st_mode))
    throw InputError("cannot write output file '" + path + "': " + std::strerror(EISDIR));
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) {
    const int err = errno;
    throw InputError("cannot write output file '" + path + "': " + (err ? std::strerror(err) : "cannot open"));
  }
  std::fclose(f);
  if (!existed) std::remove(path.c_str());
}

std::string describe_current(double current, double nominal) {
  const double c = current / nominal;
  return num(current) + " A (" + format("%.6g", std::fabs(c)) + "C " + (current > 0 ? "discharge" : "charge") + ")";
}

void print_summary(std::ostream& out, const SimulateArgs& a, const ParameterSet& ps, double current,
                   double nominal, const Solution& sol) {
  auto row = [&](const char* label, const std::string& value) {
    out << "  " << label << std::string(std::max<std::size_t>(1, 21 - std::strlen(label)), ' ') << value << "\n";
  };
  const MeshSpec& m = a.mesh;
  out << "ionflux " << IONFLUX_VERSION << " simulate\n";
  row("Parameter set", ps.name());
  if (a.experiment.empty()) row("Current", describe_current(current, nominal));
  else row("Experiment", std::to_string(a.experiment.size()) + " steps x " + std::to_string(a.cycles) + " cycles");
  row("Initial SOC", a.soc ? num(*a.soc) + (a.soc_voltage ? " (open-circuit voltage " + num(*a.soc_voltage) + " V)"
                                                             : std::string())
                            : std::string("from the parameter set"));
  row("Thermal", a.lumped_thermal ? "lumped" : "isothermal");
  if (!a.options.empty()) {
    const std::string opts = model_options_summary(resolve_model_options(a.options));
    row("Model options", opts.empty() ? std::string("the plain DFN") : opts);
  }
  if (a.lumped_thermal && !sol.temperature.empty())
    row("Temperature", format("%.6g", sol.temperature.front()) + " K -> " + format("%.6g", sol.temperature.back()) + " K");
  row("Mesh", "x_n=" + std::to_string(m.x_n) + ", x_s=" + std::to_string(m.x_s) + ", x_p=" +
                  std::to_string(m.x_p) + ", r_n=" + std::to_string(m.r_n) + ", r_p=" + std::to_string(m.r_p));
  std::string reason = sol.message.empty() ? cell_status_message(sol.status) : sol.message;
  if (!sol.voltage.empty()) reason += "; final voltage " + format("%.6g", sol.voltage.back()) + " V";
  row("End", reason);
  row("End time", format("%.6g", sol.end_time) + " s");
  // charge and energy moved while discharging and while charging (each >= 0)
  row("Discharge capacity", format("%.6g", sol.discharge_capacity) + " A.h");
  if (sol.charge_capacity > 0.0 || !a.experiment.empty()) row("Charge capacity", format("%.6g", sol.charge_capacity) + " A.h");
  row("Energy", format("%.6g", sol.discharge_energy) + " W.h discharged" +
                    (sol.charge_capacity > 0.0 || !a.experiment.empty()
                         ? ", " + format("%.6g", sol.charge_energy) + " W.h charged"
                         : std::string()));
  row("Mean voltage", format("%.6g", sol.mean_voltage) + " V" +
                          (sol.discharge_capacity > 0.0 ? " while discharging"
                                                        : (sol.charge_capacity > 0.0 ? " while charging" : "")));
  row("Solver", std::to_string(sol.stats.steps) + " steps, " + std::to_string(sol.stats.newton_iters) +
                    " Newton iterations, " + std::to_string(sol.stats.jacobian_setups) + " Jacobian setups");
  row("Wall time", format("%.1f", sol.wall_time * 1e3) + " ms");
  row("Output", a.output + " (" + std::to_string(sol.time.size()) + " rows)");
  if (!a.experiment.empty()) {
    for (const StepRecord& r : sol.steps) {
      const std::string& text = a.experiment[static_cast<std::size_t>(r.step) % a.experiment.size()];
      out << "  step " << r.step << " (cycle " << r.step / static_cast<int>(a.experiment.size()) << ") " << text
          << ": " << format("%.6g", r.t_end - r.t_start) << " s, " << format("%.6g", r.capacity) << " A.h, "
          << format("%.6g", r.energy) << " W.h net";
      if (r.discharge_capacity > 0.0 && r.charge_capacity > 0.0)  // a step that went both ways
        out << " (discharged " << format("%.6g", r.discharge_capacity) << " A.h, charged "
            << format("%.6g", r.charge_capacity) << " A.h)";
      if (step_skipped(r)) out << ", skipped: its end condition held when it began\n";
      else out << ", ended by " << step_end_name(r) << "\n";
    }
    // per cycle: discharge and charge capacity (sums over its steps), energy, duration,
    // by the one reducer of step records (results.hpp)
    const int per_cycle = static_cast<int>(a.experiment.size());
    std::vector<double> t0, t1, q, e, dis, chg, dis_e, chg_e;
    std::vector<int> step_cycle;
    for (const StepRecord& r : sol.steps) {
      t0.push_back(r.t_start), t1.push_back(r.t_end), q.push_back(r.capacity), e.push_back(r.energy);
      dis.push_back(r.discharge_capacity), chg.push_back(r.charge_capacity);
      dis_e.push_back(r.discharge_energy), chg_e.push_back(r.charge_energy);
      step_cycle.push_back(r.step / per_cycle);
    }
    const StepTable table{1, sol.steps.size(), t0.data(), t1.data(), q.data(), e.data(),
                          dis.data(), chg.data(), dis_e.data(), chg_e.data()};
    const CycleSummaries cy = reduce_cycles(table, step_cycle, static_cast<std::size_t>(std::max(a.cycles, 0)));
    for (std::size_t cyc = 0; cyc < cy.n_cycles; ++cyc) {
      if (std::isnan(cy.start[cyc])) continue;
      out << "  cycle " << cyc << ": discharge " << format("%.6g", cy.discharge_capacity[cyc]) << " A.h, "
          << format("%.6g", cy.discharge_energy[cyc]) << " W.h; charge " << format("%.6g", cy.charge_capacity[cyc])
          << " A.h, " << format("%.6g", cy.charge_energy[cyc]) << " W.h; " << format("%.6g", cy.duration[cyc])
          << " s\n";
    }
    // PyBaMM's summary variables at each cycle's end (solver/output/summary.hpp)
    const SummaryVariables& sv = sol.summary_variables;
    static const char* const shown[] = {"Capacity [A.h]",
                                        "Loss of lithium inventory [%]",
                                        "Loss of active material in negative electrode [%]",
                                        "Loss of active material in positive electrode [%]",
                                        "Loss of capacity to negative SEI [A.h]",
                                        "Loss of capacity to negative lithium plating [A.h]",
                                        "Loss of capacity to negative SEI on cracks [A.h]",
                                        "X-averaged negative SEI thickness [m]",
                                        "Total lithium [mol]",
                                        "Throughput capacity [A.h]",
                                        "Throughput energy [W.h]"};
    // the cycles that ended (a cycle the run failed in has no state at its end: its
    // lithium inventory is NaN); a run that failed in its first cycle has none: no heading
    const std::vector<double>* ended = sv.find("Total lithium [mol]");
    bool any_ended = false;
    for (std::size_t cyc = 0; ended && cyc < sv.n_cycles; ++cyc) any_ended = any_ended || !std::isnan((*ended)[cyc]);
    if (any_ended) out << "Summary variables (PyBaMM's, at each cycle's end):\n";
    for (std::size_t cyc = 0; cyc < sv.n_cycles; ++cyc) {
      if (!ended || std::isnan((*ended)[cyc])) continue;
      out << "  cycle " << cyc << ":";
      const char* sep = " ";
      for (const char* name : shown)
        if (const std::vector<double>* v = sv.find(name)) {
          out << sep << "\"" << name << "\" " << format("%.8g", (*v)[cyc]);
          sep = ", ";
        }
      out << "\n";
    }
  }
}

//! A --set value that this run does not read changes nothing (an initial temperature in
//! an isothermal run, SEI kinetics without an SEI option): a warning that says why (the
//! sweep's "set" says the same, solver/problem/sweep_plan.cpp).
void warn_unused_sets(const SimulateArgs& a, const ProblemBuilder& pb, std::ostream& err) {
  if (a.sets.empty()) return;
  const ParameterSet original = ParameterSet::load(a.parameters);
  const ParameterSet& now = pb.parameters();
  auto build = [&](const ParameterSet& set, bool lumped) {
    return pb.with_parameters(set).lumped_thermal(lumped).build().cell;
  };
  std::set<std::string> seen;
  for (const std::string& assignment : a.sets) {
    const std::string name = trim(assignment.substr(0, assignment.find('=')));
    if (!seen.insert(name).second || !original.contains(name) || original.is_function(name) || now.is_function(name))
      continue;
    const double value = now.get(name);
    if (value == original.get(name)) continue;
    const UnusedBecause why =
        why_unused(original, name, value, a.lumped_thermal, pb.model_options(), !a.experiment.empty(), build);
    if (why != UnusedBecause::used)
      err << "warning: --set '" << name << "' = " << shortest_num(value) << " changes nothing in this run: "
          << unused_text(why) << (why == UnusedBecause::isothermal ? " (add --thermal lumped)" : "")
          << (why == UnusedBecause::no_degradation ? " (switch its submodel on with --option)" : "") << "\n";
  }
}

int run_simulate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  SimulateArgs a = parse_simulate(args);
  if (a.help) {
    out << simulate_help();
    return 0;
  }
  ParameterSet ps = ParameterSet::load(a.parameters);
  for (const auto& s : a.sets) ps.set_from_string(s);
  for (const std::string& w : implausible_values(ps)) err << "warning: " << w << "\n";
  if (a.soc_voltage) a.soc = soc_at_voltage(ps, *a.soc_voltage);  // the SOC of that OCV (PyBaMM's "3.9 V")

  const double nominal = ps.get("Nominal cell capacity [A.h]");
  // One builder (solver/problem/problem.hpp): current, cell, thermal model, initial SOC, end time.
  ProblemBuilder pb(ps);
  std::vector<std::pair<std::string, std::string>> inputs{{a.parameters, "parameter file"}};
  if (!a.experiment.empty()) {
    if (a.c_rate || a.current)
      throw InputError("--experiment sets the protocol: drop --c-rate/--current (write the current in the steps)");
    Experiment ex = parse_experiment(std::vector<std::vector<std::string>>{a.experiment}, a.cycles, ps, ".");
    for (const std::string& f : ex.files) inputs.emplace_back(f, "drive-cycle file");
    pb.experiment(std::move(ex));
    try {
      pb.termination(parse_experiment_termination(a.termination));
    } catch (const InputError& e) {
      throw InputError(std::string("--termination: ") + e.what());
    }
  } else if (!a.termination.empty()) {
    throw InputError("--termination needs --experiment (it is checked at the end of each cycle)");
  } else if (a.cycles != 1) {
    throw InputError("--cycles needs --experiment");
  } else if (a.c_rate) {
    pb.c_rate(*a.c_rate);
  } else if (a.current) {
    pb.current(*a.current);
  } else {
    const double current = ps.get("Current function [A]");
    if (current == 0.0 || !std::isfinite(current))
      throw InputError("'Current function [A]' is " + num(current) + "; give a non-zero --c-rate or --current");
  }
  try {
    pb.model(resolve_model_options(a.options));
  } catch (const InputError& e) {
    throw OptionError(std::string("--option: ") + e.what());
  }
  pb.lumped_thermal(a.lumped_thermal).initial_soc(a.soc).t_end(a.t_end).mesh(a.mesh).period(a.period);
  SolverOptions so;
  so.rtol = a.rtol;
  so.atol = a.atol;
  so.max_steps = a.max_steps;
  so.max_wall_time = a.max_wall_time;
  pb.solver(so);
  const Problem problem = pb.build();  // validates the whole set and the options
  const RunOptions& ro = problem.run;
  const double current = problem.current;
  warn_unused_sets(a, pb, err);

  check_output_is_not_an_input(a.output, inputs);
  check_output_writable(a.output);
  // Ctrl-C (SIGINT) or SIGTERM: the first stops the solve within a few steps, and the
  // CSV keeps the outputs up to there (status interrupted, exit 128 + signal); a second
  // one ends the process at once (solver/cli/stop_signals.hpp, as for a sweep)
  // A long run (an ageing experiment of many cycles) shows where it is on stderr once it
  // has taken 2 s (the environment variable IONFLUX_PROGRESS_AFTER, seconds, changes
  // that): in place on a terminal (every second), a line every 10 s otherwise.
  CellProgress progress;
  const auto t0 = std::chrono::steady_clock::now();
  const double after = [] {
    const char* env = std::getenv("IONFLUX_PROGRESS_AFTER");
    char* end = nullptr;
    const double v = env && *env ? std::strtod(env, &end) : 2.0;
    return env && *env && (*end != '\0' || !(v >= 0.0)) ? 2.0 : v;  // a malformed value: the default
  }();
  StatusLine status(err, stderr_is_terminal(err), 1.0, 10.0, after);  // solver/cli/status_line.hpp
  if (!a.quiet)
    progress.on_slice = [&](const CellProgress& p) {
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (!status.due(s)) return;
      std::string where = "t = " + format("%.6g", p.t.load()) + " s";
      const int k = p.step.load();
      if (!ro.steps.empty() && k >= 0 && k < static_cast<int>(ro.steps.size()))
        where = "cycle " + std::to_string(ro.steps[static_cast<std::size_t>(k)].cycle + 1) + " of " +
                std::to_string(ro.steps.back().cycle + 1) + ", step " + std::to_string(k + 1) + " of " +
                std::to_string(ro.steps.size()) + ", " + where;
      status.show(s, "simulate: " + where + ", " + format("%.0f", s) + " s elapsed");
    };
  const Solution sol = [&] {
    const StopSignals signals;
    try {
      return simulate(problem, &g_cancel, &progress);
    } catch (...) {
      status.finish();  // the error's line after the progress line, not over it
      throw;
    }
  }();
  status.finish();
  write_csv(a.output, sol);
  if (sol.status == CellStatus::interrupted) {
    const int sig = g_signal.load() ? g_signal.load() : SIGINT;
    status.new_line_after_interrupt();
    err << "interrupted (" << stop_signal_name(sig) << ") at t = " << format("%.6g", sol.end_time)
        << " s: " << a.output << " holds the outputs up to there\n";
    return 128 + sig;
  }

  if (!a.quiet) print_summary(out, a, ps, current, nominal, sol);
  if (sol.protocol_cut_short) err << "warning: " << one_line(sol.message) << "\n";
  const std::string skipped = skipped_steps_warning(sol.steps, ro);
  if (!skipped.empty()) err << "warning: " << skipped << "\n";
  if (sol.status == CellStatus::end_time_reached) {
    // valid outputs, but not the run that was asked for: say so, without failing
    err << "warning: the run stopped at the end time t_end = " << format("%.6g", ro.t_end)
        << " s before any voltage cut-off or step end condition; the results are truncated (give a larger --t-end"
        << (a.t_end ? "" : ", or check the parameters") << ")\n";
    return 0;
  }
  if (!cell_status_ok(sol.status)) {
    std::string reason = sol.message.empty() ? cell_status_message(sol.status) : sol.message;
    err << "error: cell could not be solved: " << one_line(reason) << "\n";
    return 1;
  }
  return 0;
}

// ---------------------------------------------------------------------------
// parameters

std::string parameters_help() {
  return "Usage: ionflux parameters list\n"
         "       ionflux parameters show NAME|FILE\n"
         "       ionflux parameters export NAME|FILE\n"
         "\n"
         "  list    print the names of the built-in parameter sets, one a line\n"
         "  show    print every parameter of a built-in set or a parameter file (.json),\n"
         "          one a line: NAME = VALUE, or NAME = function: FUNCTION\n"
         "  export  write the set as an ionflux JSON parameter file to standard output\n"
         "          (every parameter, no base), e.g.\n"
         "          ionflux parameters export Chen2020 > my_cell.json\n"
         "\n"
         "Parameter files are described in docs/parameter_files.md. A file is checked\n"
         "completely when it is loaded.\n"
         "\n"
         "Exit status: 0 success; 2 invalid input.\n";
}

int run_parameters(const std::vector<std::string>& args, std::ostream& out) {
  static const std::vector<std::string> commands = {"list", "show", "export"};
  if (args.empty())
    throw InputError("parameters: expected 'list', 'show NAME|FILE' or 'export NAME|FILE'; see 'ionflux parameters --help'");
  const std::string& cmd = args[0];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    out << parameters_help();
    return 0;
  }
  if (std::find(commands.begin(), commands.end(), cmd) == commands.end()) {
    std::string msg = "parameters: unknown subcommand '" + cmd + "'";
    if (auto near = closest(cmd, commands)) msg += " (did you mean '" + *near + "'?)";
    throw InputError(msg + "; expected list, show or export");
  }
  for (std::size_t i = 1; i < args.size(); ++i)
    if (args[i] == "--help" || args[i] == "-h") {
      out << parameters_help();
      return 0;
    }
  if (cmd == "list") {
    if (args.size() > 1) throw InputError("parameters list: unexpected argument '" + args[1] + "'");
    for (const auto& n : ParameterSet::builtin_names()) out << n << "\n";
    return 0;
  }
  if (args.size() < 2) throw InputError("parameters " + cmd + ": missing NAME|FILE (a built-in set or a .json file)");
  if (args.size() > 2) throw InputError("parameters " + cmd + ": unexpected argument '" + args[2] + "'");
  const ParameterSet ps = ParameterSet::load(args[1]);
  if (cmd == "export") {
    out << to_json(ps);
    return 0;
  }
  const auto names = ps.names();
  out << "Parameter set " << ps.name() << " (" << names.size() << " parameters)\n";
  for (const auto& n : names) {
    const Entry& e = ps.entry(n);
    out << "  " << n << " = " << (e.is_function() ? "function: " + e.function_name : exact(e.value)) << "\n";
  }
  return 0;
}

int dispatch(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << main_help();
    return 2;
  }
  const std::string& cmd = args[0];
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    out << main_help();
    return 0;
  }
  if (cmd == "--version") {
    out << "ionflux " << IONFLUX_VERSION << "\n";
    return 0;
  }
  if (cmd == "simulate") return run_simulate({args.begin() + 1, args.end()}, out, err);
  if (cmd == "sweep") return run_sweep_command({args.begin() + 1, args.end()}, out, err);
  if (cmd == "parameters") return run_parameters({args.begin() + 1, args.end()}, out);
  std::string msg = (!cmd.empty() && cmd[0] == '-' ? "unknown option '" : "unknown command '") + cmd + "'";
  if (auto near = closest(cmd, {"simulate", "sweep", "parameters", "--help", "--version"}))
    msg += " (did you mean '" + *near + "'?)";
  throw InputError(msg + "; run 'ionflux --help' for the list of commands");
}

}  // namespace

int cli_main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    try {
      return dispatch(args, out, err);
    } catch (const std::invalid_argument& e) {  // InputError and its kinds
      err << "error: " << one_line(e.what()) << "\n";
      return 2;
    } catch (const std::out_of_range& e) {
      err << "error: " << one_line(e.what()) << "\n";
      return 2;
    } catch (const std::bad_alloc&) {
      err << "error: out of memory\n";
      return 1;
    } catch (const std::exception& e) {  // RuntimeError and anything else
      err << "error: " << one_line(e.what()) << "\n";
      return 1;
    } catch (...) {
      err << "error: unexpected failure\n";
      return 1;
    }
  } catch (...) {  // the streams themselves failed
    return 1;
  }
}

int cli_main(int argc, char** argv) {
  std::vector<std::string> args;
  try {
    for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  } catch (...) {
    return 1;
  }
  const int rc = cli_main(args, std::cout, std::cerr);
  std::cout.flush();
  return rc;
}

}  // namespace ionflux
