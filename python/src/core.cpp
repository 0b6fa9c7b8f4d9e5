// ionflux._core: the pybind11 bindings of the C++ library. A thin layer: parameter sets,
// one-cell simulation (with internal fields), and sweeps run to an HDF5 file with
// progress polling and cancellation. The Python package (python/ionflux) builds the
// user-facing API on top.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <thread>
#include <condition_variable>
#include <cmath>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "kernels/model/dfn.hpp"
#include "kernels/model/layout.hpp"
#include "solver/problem/batch.hpp"
#include "solver/problem/cell_range.hpp"
#include "solver/inputs/bpx.hpp"
#include "solver/util/errors.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/inputs/model_options.hpp"
#include "solver/output/h5_writer.hpp"
#include "solver/output/output_path.hpp"
#include "solver/inputs/parameter_file.hpp"
#include "solver/inputs/parameter_function.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/inputs/plausibility.hpp"
#include "solver/problem/problem.hpp"
#include "solver/output/results.hpp"
#include "solver/inputs/user_function.hpp"
#include "solver/problem/simulation.hpp"
#include "solver/inputs/sweep.hpp"
#include "solver/problem/sweep_plan.hpp"
#include "solver/problem/sweep_run.hpp"
#include "solver/util/text.hpp"

namespace py = pybind11;
using namespace ionflux;

namespace {

py::array_t<double> array1(const std::vector<double>& v) { return py::array_t<double>(v.size(), v.data()); }

//! A numpy array that takes over the vector's storage (no copy): a view of the results.
template <typename T>
py::array_t<T> move_array(std::vector<T>&& v, std::vector<py::ssize_t> shape = {}) {
  auto* owner = new std::vector<T>(std::move(v));
  py::capsule free_when_done(owner, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  if (shape.empty()) shape = {static_cast<py::ssize_t>(owner->size())};
  return py::array_t<T>(shape, owner->data(), free_when_done);
}

py::array_t<double> array2(const std::vector<double>& v, std::size_t rows, std::size_t cols) {
  py::array_t<double> a({rows, cols});
  std::copy(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rows * cols), a.mutable_data());
  return a;
}

MeshSpec mesh_from(const py::dict& d) {
  MeshSpec m;
  for (auto item : d) {
    const std::string k = py::str(item.first);
    const int v = item.second.cast<int>();
    if (k == "x_n") m.x_n = v;
    else if (k == "x_s") m.x_s = v;
    else if (k == "x_p") m.x_p = v;
    else if (k == "r_n") m.r_n = v;
    else if (k == "r_p") m.r_p = v;
    else throw InputError("unknown mesh key '" + k + "'; expected x_n, x_s, x_p, r_n, r_p");
  }
  return m;
}

//! PyBaMM's option dict {name: value or (negative, positive)} as an OptionList.
OptionList options_from(const py::dict& options) {
  OptionList r;
  for (const auto& kv : options) {
    if (!py::isinstance<py::str>(kv.first))
      throw InputError("model option names must be strings, got " + std::string(py::str(kv.first)));
    const std::string name = kv.first.cast<std::string>();
    const py::handle v = kv.second;
    if (py::isinstance<py::str>(v)) {
      r.emplace_back(name, OptionValue(v.cast<std::string>()));
    } else if ((py::isinstance<py::tuple>(v) || py::isinstance<py::list>(v)) && py::len(v) == 2 &&
               py::isinstance<py::str>(v[py::int_(0)]) && py::isinstance<py::str>(v[py::int_(1)])) {
      r.emplace_back(name, OptionValue(v[py::int_(0)].cast<std::string>(), v[py::int_(1)].cast<std::string>()));
    } else {
      throw OptionError("model option '" + name + "': a value is a string or a 2-tuple (negative, positive) of "
                        "strings, got " + std::string(py::repr(v)));
    }
  }
  return r;
}

py::dict described(const ModelOptions& m) {
  py::dict d;
  for (const auto& kv : describe_model_options(m)) d[py::str(kv.first)] = kv.second;
  return d;
}

//! One cell: outputs, summary and (with store_states) the internal fields as
//! (n_times, n_nodes) arrays with their x grids.
py::dict simulate_cell(const ParameterSet& ps_in, double current, std::optional<double> soc, const py::dict& mesh,
                       double rtol, double atol, double period, double t_end, std::vector<double> t_eval,
                       bool store_states, std::vector<std::vector<std::string>> experiment, int cycles,
                       const std::string& thermal, const std::string& base_dir, int max_steps, double max_wall_time,
                       const py::dict& options, const std::vector<std::string>& termination,
                       const py::object& progress) {
  if (thermal != "isothermal" && thermal != "lumped")
    throw InputError("thermal must be 'isothermal' or 'lumped', got '" + thermal + "'");
  // One builder (solver/problem/problem.hpp). The Problem owns its copy of the set, and so the
  // user functions its cell points to, while the GIL is released.
  ProblemBuilder pb(ps_in);
  if (!experiment.empty()) pb.experiment(parse_experiment(experiment, cycles, ps_in, base_dir));
  else pb.current(current);
  pb.termination(parse_experiment_termination(termination));  // needs the experiment (pb.build)
  SolverOptions so;
  so.rtol = rtol;
  so.atol = atol;
  so.max_steps = max_steps;  // checked by validate_run_options (pb.build)
  so.max_wall_time = max_wall_time;
  pb.lumped_thermal(thermal == "lumped").initial_soc(soc).t_end(t_end > 0 ? std::optional<double>(t_end) : std::nullopt);
  pb.mesh(mesh_from(mesh)).solver(so).period(period).t_eval(std::move(t_eval)).store_states(store_states);
  pb.model(resolve_model_options(options_from(options)));
  const Problem problem = pb.build();
  const ParameterSet& ps = problem.parameters;
  const Experiment& ex = problem.experiment;
  const RunOptions& ro = problem.run;
  const CellParams& cell = problem.cell;
  Solution s;
  bool interrupted = false;
  {
    // The solve runs in a thread of its own while this one (Python's) waits, waking every
    // 20 ms to look for Ctrl-C (Python runs its signal handler only in the main thread,
    // between bytecodes): KeyboardInterrupt stops the solve within a few steps, and the
    // outputs so far come back (status interrupted; Simulation.solve raises with them).
    // `progress(t, step)`, when given, is called from this thread (with the GIL) every
    // quarter second with where the cell has got to (CellProgress), for Simulation.solve's
    // progress bar.
    std::atomic<bool> stop{false};
    CellProgress where;
    std::mutex mutex;
    std::condition_variable finished;
    bool done = false;
    std::exception_ptr error;
    auto last_report = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    py::gil_scoped_release release;
    std::thread worker([&] {
      try {
        s = simulate(problem, &stop, progress.is_none() ? nullptr : &where);
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex);
      done = true;
      finished.notify_one();
    });
    for (std::unique_lock<std::mutex> lock(mutex); !done;) {
      if (finished.wait_for(lock, std::chrono::milliseconds(20), [&] { return done; })) break;
      lock.unlock();
      {
        py::gil_scoped_acquire acquire;
        if (PyErr_CheckSignals() != 0) {
          PyErr_Clear();  // raised again by Simulation.solve, with the outputs so far
          interrupted = true;
          stop = true;
        }
        const auto now = std::chrono::steady_clock::now();
        if (!progress.is_none() && now - last_report >= std::chrono::milliseconds(250)) {
          last_report = now;
          try {
            progress(where.t.load(), where.step.load());
          } catch (py::error_already_set& e) {
            if (e.matches(PyExc_KeyboardInterrupt)) {  // Ctrl-C while the display ran: stop, as above
              interrupted = true;
              stop = true;
            }  // a display that fails otherwise does not stop the solve
          }
        }
      }
      lock.lock();
    }
    worker.join();
    if (error) std::rethrow_exception(error);
  }
  py::dict out;
  out["interrupted"] = interrupted;
  out["warnings"] = implausible_values(ps);  // values far outside the usual range of their unit
  out["t_end"] = ro.t_end;
  out["model options"] = described(ro.model);
  out["Time [s]"] = array1(s.time);
  out["Voltage [V]"] = array1(s.voltage);
  out["Current [A]"] = array1(s.current);
  out["Discharge capacity [A.h]"] = array1(s.capacity);
  out["Temperature [K]"] = array1(s.temperature);
  {
    std::vector<double> step(s.step.begin(), s.step.end()), cycle(s.cycle.begin(), s.cycle.end());
    out["Step"] = array1(step);
    out["Cycle"] = array1(cycle);
    py::list steps;
    for (const StepRecord& r : s.steps)
      steps.append(py::dict(py::arg("step") = r.step,
                            py::arg("cycle") = ex.steps.empty() ? 0 : ex.steps[static_cast<std::size_t>(r.step)].cycle,
                            py::arg("text") = ex.text.empty() ? std::string() : ex.text[static_cast<std::size_t>(r.step)],
                            py::arg("start time [s]") = r.t_start, py::arg("end time [s]") = r.t_end,
                            py::arg("duration [s]") = r.t_end - r.t_start, py::arg("capacity [A.h]") = r.capacity,
                            py::arg("energy [W.h]") = r.energy, py::arg("ended by") = step_end_name(r),
                            py::arg("discharge capacity [A.h]") = r.discharge_capacity,
                            py::arg("charge capacity [A.h]") = r.charge_capacity,
                            py::arg("discharge energy [W.h]") = r.discharge_energy,
                            py::arg("charge energy [W.h]") = r.charge_energy));
    out["steps"] = steps;
    // PyBaMM's per-cycle summary variables (solver/output/summary.hpp), name -> (n_cycles,)
    py::dict sv;
    // a constant-current run is one cycle: its summary variables from the solver's
    // inventory too (constant_current_summary)
    const SummaryVariables vars = constant_current_summary(cell, s);
    for (std::size_t j = 0; j < vars.names.size(); ++j) sv[py::str(vars.names[j])] = array1(vars.values[j]);
    out["summary_variables"] = sv;
  }
  out["status"] = std::string(cell_status_name(s.status));
  out["message"] = s.message;
  out["end_time"] = s.end_time;
  out["discharge_capacity"] = s.discharge_capacity;
  out["charge_capacity"] = s.charge_capacity;
  out["discharge_energy"] = s.discharge_energy;
  out["charge_energy"] = s.charge_energy;
  out["mean_voltage"] = s.mean_voltage;
  out["protocol_cut_short"] = s.protocol_cut_short;
  out["skipped_steps"] = skipped_steps_warning(s.steps, ro);  // "" when every step ran
  out["energy"] = s.energy;
  out["wall_time"] = s.wall_time;
  out["stats"] = py::dict(py::arg("steps") = s.stats.steps, py::arg("newton_iterations") = s.stats.newton_iters,
                          py::arg("jacobian_setups") = s.stats.jacobian_setups,
                          py::arg("residual_evaluations") = s.stats.residual_evals,
                          py::arg("error_test_failures") = s.stats.error_test_failures,
                          py::arg("convergence_failures") = s.stats.convergence_failures);
  if (!store_states) return out;
  const Layout& l = s.layout;
  const std::size_t nt = s.time.size();
  std::vector<double> x, xn, xp;
  for (int i = 0; i < l.nx; ++i) {
    x.push_back(node_x(cell, l, i));
    if (i < l.nn) xn.push_back(node_x(cell, l, i));
    if (i >= l.nn + l.ns) xp.push_back(node_x(cell, l, i));
  }
  out["x [m]"] = array1(x);
  out["x_n [m]"] = array1(xn);
  out["x_p [m]"] = array1(xp);
  // The fields are written straight into the numpy arrays, one pass over the outputs
  // (issue 16: with an output at every BDF step this loop ran ~30,000 times per cycle).
  const py::ssize_t snt = static_cast<py::ssize_t>(nt);
  auto field = [&](py::ssize_t cols) { return py::array_t<double>({snt, cols}); };
  py::array_t<double> ce = field(l.nx), phie = field(l.nx), phisn = field(l.nn), phisp = field(l.np),
                      csn = field(l.nn), csp = field(l.np), jn = field(l.nn), jp = field(l.np);
  py::array_t<double> cpn({snt, static_cast<py::ssize_t>(l.nn), static_cast<py::ssize_t>(l.rn)});
  py::array_t<double> cpp({snt, static_cast<py::ssize_t>(l.np), static_cast<py::ssize_t>(l.rp)});
  py::array_t<double> energy(snt);
  {
    double *pce = ce.mutable_data(), *pphie = phie.mutable_data(), *psn = phisn.mutable_data(),
           *psp = phisp.mutable_data(), *pcsn = csn.mutable_data(), *pcsp = csp.mutable_data(),
           *pjn = jn.mutable_data(), *pjp = jp.mutable_data(), *pcpn = cpn.mutable_data(),
           *pcpp = cpp.mutable_data(), *pe = energy.mutable_data();
    const int pos0 = l.nn + l.ns;
    for (std::size_t k = 0; k < nt; ++k) {
      const double* y = s.state(k);
      for (int i = 0; i < l.nx; ++i) {
        *pce++ = y[3 * i];
        *pphie++ = y[3 * i + 1];
      }
      for (int i = 0; i < l.nn; ++i) {
        *psn++ = y[3 * i + 2];
        *pcsn++ = dfn::surface_concentration(l, y, i);
        *pjn++ = y[l.j_index(i)];
        for (int r = 0; r < l.rn; ++r) *pcpn++ = y[l.cs_index(i, r)];
      }
      for (int i = pos0; i < pos0 + l.np; ++i) {
        *psp++ = y[3 * i + 2];
        *pcsp++ = dfn::surface_concentration(l, y, i);
        *pjp++ = y[l.j_index(i)];
        for (int r = 0; r < l.rp; ++r) *pcpp++ = y[l.cs_index(i, r)];
      }
      *pe++ = y[l.kE()];
    }
  }
  out["Electrolyte concentration [mol.m-3]"] = ce;
  out["Electrolyte potential [V]"] = phie;
  out["Negative electrode potential [V]"] = phisn;
  out["Positive electrode potential [V]"] = phisp;
  out["Negative particle surface concentration [mol.m-3]"] = csn;
  out["Positive particle surface concentration [mol.m-3]"] = csp;
  out["Negative electrode interfacial current density [A.m-2]"] = jn;
  out["Positive electrode interfacial current density [A.m-2]"] = jp;
  // From the same states (issue 13): the particle concentration over r at every electrode
  // node, (n_times, n_nodes, n_shells), shell k's centre at (k + 1/2) R / n_shells (PyBaMM's
  // uniform r mesh); the net energy E = integral of I V dt / 3600 (PyBaMM's "Discharge
  // energy [W.h]"); the maximum concentrations for the stoichiometries.
  out["Negative particle concentration [mol.m-3]"] = cpn;
  out["Positive particle concentration [mol.m-3]"] = cpp;
  out["Discharge energy [W.h]"] = energy;
  // the degradation time series (issue 16: thickness changes, roughness, SEI on cracks,
  // eps_s, ...), each only where its option is on (summary.hpp, degradation_series)
  if (l.deg && nt > 0) {
    std::vector<std::string> dnames;
    std::vector<double> row;
    degradation_series(cell, l, s.state(0), &dnames, row);
    std::vector<py::array_t<double>> cols;
    std::vector<double*> pc;
    for (std::size_t c = 0; c < dnames.size(); ++c) {
      cols.emplace_back(snt);
      pc.push_back(cols.back().mutable_data());
    }
    for (std::size_t k = 0; k < nt; ++k) {
      degradation_series(cell, l, s.state(k), nullptr, row);
      for (std::size_t c = 0; c < row.size(); ++c) pc[c][k] = row[c];
    }
    for (std::size_t c = 0; c < dnames.size(); ++c) out[py::str(dnames[c])] = cols[c];
  }
  std::vector<double> rn(l.rn), rp(l.rp);
  for (int r = 0; r < l.rn; ++r) rn[r] = (r + 0.5) * cell.neg.particle_radius / l.rn;
  for (int r = 0; r < l.rp; ++r) rp[r] = (r + 0.5) * cell.pos.particle_radius / l.rp;
  out["r_n [m]"] = array1(rn);
  out["r_p [m]"] = array1(rp);
  // the geometry the totals of lithium and the electrode capacities need
  out["cell"] = py::dict(py::arg("area") = cell.area, py::arg("c_max_n") = cell.neg.c_max,
                         py::arg("c_max_p") = cell.pos.c_max, py::arg("eps_s_n") = cell.neg.active_fraction,
                         py::arg("eps_s_p") = cell.pos.active_fraction, py::arg("L_n") = cell.neg.thickness,
                         py::arg("L_s") = cell.sep_thickness, py::arg("L_p") = cell.pos.thickness,
                         py::arg("eps_n") = cell.neg.porosity, py::arg("eps_s") = cell.sep_porosity,
                         py::arg("eps_p") = cell.pos.porosity);
  return out;
}

//! A Python value as the in-memory JSON value make_sweep_spec reads (no text): dicts,
//! lists and tuples, strings, booleans, integers, floats and 1-D float64 numpy arrays (a
//! column of per-cell values, read from its buffer). Anything else is a TypeError naming
//! `where`; a non-finite number a ValueError (a config file cannot hold one either).
nlohmann::ordered_json settings_value(const py::handle& o, const std::string& where) {
  using ojson = nlohmann::ordered_json;
  auto finite = [&](double v) {
    if (!std::isfinite(v))
      throw InputError(where + ": values must be finite numbers, got " + std::string(py::str(py::repr(o))));
    return v;
  };
  if (o.is_none()) return nullptr;
  if (py::isinstance<py::bool_>(o)) return o.cast<bool>();
  if (py::isinstance<py::int_>(o)) {
    const py::int_ i = py::reinterpret_borrow<py::int_>(o);
    if (i >= py::int_(0)) {
      try { return o.cast<std::uint64_t>(); } catch (const py::cast_error&) {}
    } else {
      try { return o.cast<std::int64_t>(); } catch (const py::cast_error&) {}
    }
    return finite(o.cast<double>());  // beyond 64 bits: a number, as a JSON reader makes it
  }
  if (py::isinstance<py::float_>(o)) return finite(o.cast<double>());
  if (py::isinstance<py::str>(o)) return o.cast<std::string>();
  if (py::isinstance<py::array>(o)) {
    const auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(o);
    if (!a || a.ndim() != 1) throw py::type_error(where + ": a per-cell column must be a 1-D array of numbers");
    ojson j = ojson::array();
    const double* d = a.data();
    for (py::ssize_t k = 0; k < a.size(); ++k) j.push_back(finite(d[k]));
    return j;
  }
  if (py::isinstance<py::dict>(o)) {
    ojson j = ojson::object();
    for (auto item : py::reinterpret_borrow<py::dict>(o)) {
      const std::string key = py::str(item.first);
      j[key] = settings_value(item.second, where.empty() ? key : where == "vary" ? "vary '" + key + "'" : where);
    }
    return j;
  }
  if (py::isinstance<py::list>(o) || py::isinstance<py::tuple>(o)) {
    ojson j = ojson::array();
    for (auto item : o) j.push_back(settings_value(item, where));
    return j;
  }
  throw py::type_error(where + ": cannot use a " + std::string(py::str(py::type::of(o).attr("__name__"))) +
                       " in a sweep's settings");
}

//! SweepRunner.planned_range's dict back as PlannedCells (a Dask worker's partition).
std::optional<PlannedCells> planned_cells_from(const std::optional<py::dict>& d) {
  if (!d) return std::nullopt;
  using Array = py::array_t<double, py::array::c_style | py::array::forcecast>;
  auto column = [](py::handle o) {
    const Array a = Array::ensure(o);
    if (!a || a.ndim() != 1) throw InputError("planned: currents and t_end must be 1-D arrays of numbers");
    return std::vector<double>(a.data(), a.data() + a.size());
  };
  PlannedCells p;
  try {
    p.invalid = (*d)["invalid"].cast<std::vector<std::pair<std::size_t, std::string>>>();
    p.end_invalid = (*d)["end_invalid"].cast<std::vector<std::pair<std::size_t, std::string>>>();
    p.currents = column((*d)["currents"]);
    if (!(*d)["t_end"].is_none()) p.t_end = column((*d)["t_end"]);
    if (d->contains("initial_soc") && !(*d)["initial_soc"].is_none()) p.initial_soc = column((*d)["initial_soc"]);
  } catch (const py::error_already_set&) {
    throw InputError("planned: expected the dict of SweepRunner.planned_range (keys invalid, end_invalid, currents, "
                     "t_end, initial_soc)");
  } catch (const py::cast_error&) {
    throw InputError("planned: expected the dict of SweepRunner.planned_range (keys invalid, end_invalid, currents, "
                     "t_end, initial_soc)");
  }
  return p;
}

//! The integrator's counters per cell (SolverStats) and their datasets, the file's /stats.
const std::pair<const char*, int SolverStats::*> kStatsDatasets[] = {
    {"stats/Newton iterations", &SolverStats::newton_iters},
    {"stats/Jacobian setups", &SolverStats::jacobian_setups},
    {"stats/Residual evaluations", &SolverStats::residual_evals},
    {"stats/Error test failures", &SolverStats::error_test_failures},
    {"stats/Convergence failures", &SolverStats::convergence_failures}};
//! The per-cell summary columns of doubles ("summary/..." datasets) and their ChunkData
//! fields: what memory_results hands Python and partition_chunk takes back.
const std::pair<const char*, std::vector<double> ChunkData::*> kSummaryDoubles[] = {
    {"summary/End time [s]", &ChunkData::end_time},
    {"summary/Discharge capacity [A.h]", &ChunkData::discharge_capacity},
    {"summary/Energy [W.h]", &ChunkData::energy},
    {"summary/Mean voltage [V]", &ChunkData::mean_voltage},
    {"summary/Charge capacity [A.h]", &ChunkData::charge_capacity},
    {"summary/Discharge energy [W.h]", &ChunkData::discharge_energy},
    {"summary/Charge energy [W.h]", &ChunkData::charge_energy}};

//! A partition's results as SweepRunner.run gives them in memory (the file's datasets:
//! "cells/Time [s]", ..., "cycles/...") back as the chunk of cells [first, first + n) and
//! its reduced cycle summaries, for H5SweepWriter::write_chunk. The arrays are checked
//! (their lengths against the cells and outputs); "summary/End reason", "steps/Duration
//! [s]" and "cells/Cycle" are not read (the writer derives them, as for any chunk), nor
//! the shared "attrs", "inputs", "status codes" and "steps/Cycle" (in the file already).
ChunkData partition_chunk(std::size_t first, const py::dict& d, CycleSummaries& cy) {
  using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;
  using Ints = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>;
  auto has = [&](const std::string& key) { return d.contains(py::str(key)); };
  auto doubles = [&](const std::string& key, std::size_t rows, std::size_t* cols = nullptr) {
    std::vector<double> v;
    if (!has(key)) return v;
    const Doubles a = Doubles::ensure(d[py::str(key)]);
    if (!a || a.ndim() < 1 || a.ndim() > 2 || (rows != std::size_t(-1) && std::size_t(a.shape(0)) != rows))
      throw InputError("partition: '" + key + "' is not an array of " + std::to_string(rows) + " rows");
    if (cols) *cols = a.ndim() == 2 ? std::size_t(a.shape(1)) : 1;
    v.assign(a.data(), a.data() + a.size());
    return v;
  };
  auto ints = [&](const std::string& key, std::size_t rows) {
    if (!has(key)) throw InputError("partition: no '" + key + "'");
    const Ints a = Ints::ensure(d[py::str(key)]);
    if (!a || a.ndim() != 1 || std::size_t(a.shape(0)) != rows)
      throw InputError("partition: '" + key + "' is not an array of " + std::to_string(rows) + " values");
    return std::vector<std::int64_t>(a.data(), a.data() + a.size());
  };
  ChunkData c;
  c.first = first;
  {
    if (!has("cells/status")) throw InputError("partition: no 'cells/status'");
    const Ints st = Ints::ensure(d["cells/status"]);
    if (!st || st.ndim() != 1) throw InputError("partition: 'cells/status' is not a 1-D array");
    c.n = std::size_t(st.shape(0));
    c.status.assign(st.data(), st.data() + c.n);
  }
  const std::size_t n = c.n;
  for (const std::int64_t v : ints("cells/offset", n)) c.offset.push_back(static_cast<std::size_t>(v));
  for (const std::int64_t v : ints("cells/count", n)) c.count.push_back(static_cast<std::size_t>(v));
  const std::size_t any = std::size_t(-1);  // the per-output series: checked by the writer against the counts
  const std::pair<const char*, std::vector<double> ChunkData::*> columns[] = {
      {"cells/Time [s]", &ChunkData::time},
      {"cells/Voltage [V]", &ChunkData::voltage},
      {"cells/Current [A]", &ChunkData::current},
      {"cells/Discharge capacity [A.h]", &ChunkData::capacity},
      {"cells/Temperature [K]", &ChunkData::temperature},
      {"cells/Step", &ChunkData::step_index}};
  for (const auto& [key, field] : columns) c.*field = doubles(key, any);
  for (const auto& [key, field] : kSummaryDoubles) c.*field = doubles(key, n);
  c.message = d["cells/message"].cast<std::vector<std::string>>();
  for (const std::int64_t v : ints("summary/Steps", n)) c.steps.push_back(static_cast<int>(v));
  if (has("cells/device"))
    for (const std::int64_t v : ints("cells/device", n)) c.device.push_back(static_cast<signed char>(v));
  if (has("stats/Newton iterations")) {  // the integrator's counters per cell
    c.stats.resize(n);
    for (const auto& [name, field] : kStatsDatasets) {
      const std::vector<std::int64_t> column = ints(name, n);
      for (std::size_t k = 0; k < n; ++k) c.stats[k].*field = static_cast<int>(column[k]);
    }
  }
  //! a (n, cols) table ("steps/...": cols steps, "cycles/...": cols cycles); empty when absent
  auto table = [&](const std::string& group, const std::string& name, std::size_t cols) {
    std::size_t got = 0;
    std::vector<double> v = doubles(group + "/" + name, n, &got);
    if (!v.empty() && got != cols)
      throw InputError("partition: '" + group + "/" + name + "' does not have " + std::to_string(cols) + " " + group);
    return v;
  };
  std::size_t ns = 0;
  c.step_start = doubles("steps/Start time [s]", n, &ns);
  if (!c.step_start.empty()) {
    c.n_steps = static_cast<int>(ns);
    auto steps = [&](const char* name) { return table("steps", name, ns); };
    c.step_end = steps("End time [s]");
    c.step_capacity = steps("Capacity [A.h]");
    c.step_energy = steps("Energy [W.h]");
    c.step_discharge_capacity = steps("Discharge capacity [A.h]");
    c.step_charge_capacity = steps("Charge capacity [A.h]");
    c.step_discharge_energy = steps("Discharge energy [W.h]");
    c.step_charge_energy = steps("Charge energy [W.h]");
    c.step_end_code = steps("End code");
    for (const std::vector<double>* v : {&c.step_end, &c.step_capacity, &c.step_energy})
      if (v->size() != n * ns) throw InputError("partition: its /steps arrays differ in shape");
  }
  std::size_t nc = 0;
  cy.start = doubles("cycles/Start time [s]", n, &nc);
  if (!cy.start.empty()) {
    cy.n = n;
    cy.n_cycles = nc;
    auto cycles = [&](const std::string& name) { return table("cycles", name, nc); };
    cy.end = cycles("End time [s]");
    cy.duration = cycles("Duration [s]");
    cy.capacity = cycles("Net capacity [A.h]");
    cy.discharge_capacity = cycles("Discharge capacity [A.h]");
    cy.charge_capacity = cycles("Charge capacity [A.h]");
    cy.energy = cycles("Energy [W.h]");
    cy.discharge_energy = cycles("Discharge energy [W.h]");
    cy.charge_energy = cycles("Charge energy [W.h]");
    cy.split = !cy.discharge_energy.empty();
    cy.coulombic_efficiency = cycles("Coulombic efficiency");
    cy.energy_efficiency = cycles("Energy efficiency");
    cy.throughput_capacity = cycles("Throughput capacity [A.h]");
    cy.throughput_energy = cycles("Throughput energy [W.h]");
    cy.max_temperature = cycles("Maximum temperature [K]");
    cy.mean_temperature = cycles("Mean temperature [K]");
    cy.variables.n = n;
    cy.variables.n_cycles = nc;
    for (const std::string& name : summary_variable_names()) {  // PyBaMM's summary variables
      std::vector<double> v = cycles(name);
      if (v.empty()) continue;
      cy.variables.names.push_back(name);
      cy.variables.values.push_back(std::move(v));
    }
  }
  return c;
}

//! A sweep file held open by the single process's writer (H5SweepWriter, in SWMR mode:
//! readers may open it meanwhile and see each partition once it is written), into which
//! a Dask driver writes the partitions' results as they come
//! (python/ionflux/distributed.py, docs/distributed.md): SweepRunner.open_file.
class SweepFile {
 public:
  explicit SweepFile(std::unique_ptr<H5SweepWriter> writer) : writer_(std::move(writer)) {}
  //! A partition's in-memory results (SweepRunner.run's "memory" for cells [first, first + n)
  //! of the sweep): their outputs after those in the file, their rows to their cells,
  //! /cells/status last, flushed (H5SweepWriter::write_chunk).
  void write(std::size_t first, const py::dict& part) {
    CycleSummaries cycles;
    const ChunkData chunk = partition_chunk(first, part, cycles);
    py::gil_scoped_release release;
    open().write_chunk(chunk, cycles);
  }
  void set_attribute(const std::string& name, const std::string& value) { open().set_attribute(name, value); }
  //! Per cell, the status the file held when it was opened (-1: not in it).
  py::array_t<int> status_in_file() {
    const std::vector<int>& s = open().kept().status;
    return py::array_t<int>(s.size(), s.data());
  }
  //! The cells in the file when it was opened, counted as a run counts its own: cells
  //! that skipped a step and the first of them (for a resumed Dask run's warning, which
  //! the partitions' counts alone miss).
  py::dict kept_counts() {
    const BatchSummary& k = open().kept().counts;
    py::dict d;
    d["cells_with_skipped_steps"] = k.cells_with_skipped_steps;
    d["first_skipping_cell"] = k.first_skipping_cell;
    return d;
  }
  void close() {
    if (writer_) writer_->close();
    writer_.reset();
  }
  //! False once closed, by close() or by a write that failed in the file (the writer
  //! then marked it "failed: ..." where it could, and closed it).
  bool is_open() const { return writer_ && writer_->is_open(); }

 private:
  std::unique_ptr<H5SweepWriter> writer_;
  H5SweepWriter& open() {
    if (!writer_) throw RuntimeError("the sweep file is already closed");
    return *writer_;
  }
};

//! Raises Python's pending signal (KeyboardInterrupt on Ctrl-C) from C++ code that holds
//! the GIL: long loops (a large sweep's plan) call it now and then.
void check_signals() {
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

//! A sweep planned from a config (JSON text), or from a set and its settings, run to an HDF5 file. run() releases the
//! GIL; progress() and cancel() may be called from another Python thread meanwhile.
class SweepRunner {
 public:
  //! `cells`: plan only this range (first, last) of the sweep's cells (a partition of a
  //! distributed sweep: O(range), solver/problem/cell_range.hpp); run() then runs it.
  //! `planned`: with `cells`, what the whole sweep's plan found for them (planned_range
  //! of the driver's runner): the range is then planned without building a cell record.
  SweepRunner(const std::string& config_json, const std::string& source,
              std::optional<std::pair<std::size_t, std::size_t>> cells, const std::optional<py::dict>& planned)
      : spec_(parse_sweep_config(config_json, source,
                                 cells ? std::optional<CellRange>(CellRange{cells->first, cells->second})
                                       : std::nullopt)),
        plan_([&] {
          const std::optional<PlannedCells> p = planned_cells_from(planned);
          return plan_sweep(spec_, p ? &*p : nullptr, check_signals);
        }()) {
    check_batch_output_size(plan_.inputs);
    total_ = n_cells();
  }

  //! The one road of Python's Sweep: the set object itself and the config's other keys
  //! as Python values (settings_value), read by the same checks as a config
  //! (make_sweep_spec); `label` is the file's "parameter set" attribute.
  SweepRunner(const ParameterSet& ps, const std::string& label, const py::dict& settings, const std::string& source,
              std::optional<std::pair<std::size_t, std::size_t>> cells)
      : spec_(make_sweep_spec(ps, label, settings_value(settings, ""), source,
                              cells ? std::optional<CellRange>(CellRange{cells->first, cells->second})
                                    : std::nullopt)),
        plan_(plan_sweep(spec_, nullptr, check_signals)) {
    check_batch_output_size(plan_.inputs);
    total_ = n_cells();
  }

  std::size_t n_cells() const { return plan_.inputs.size(); }  //!< planned: the range's or the sweep's
  std::size_t sweep_cells() const { return spec_.total_cells(); }
  std::size_t first_cell() const { return spec_.first_cell; }
  std::size_t planned_cells() const { return plan_.planned_cells; }
  //! What this plan found for the sweep's cells [first, last) (their numbers in the
  //! sweep), for a worker that plans them again (the `planned` of the constructor):
  //! "invalid" and "end_invalid" ((cell from first, message) of the cells invalid from
  //! their values, or from their default end time), "currents", "t_end" (None when the
  //! sweep gives t_end), "initial_soc" (None unless the sweep starts at a voltage).
  py::dict planned_range(std::size_t first, std::size_t last) const {
    const std::size_t f = spec_.first_cell;
    if (first < f || last < first) throw InputError("planned_range: cells outside this plan");
    const PlannedCells p = planned_cells_of(plan_, CellRange{first - f, last - f});
    py::dict d;
    d["invalid"] = p.invalid;
    d["end_invalid"] = p.end_invalid;
    d["currents"] = array1(p.currents);
    d["t_end"] = p.t_end.empty() ? py::object(py::none()) : py::object(array1(p.t_end));
    d["initial_soc"] = p.initial_soc.empty() ? py::object(py::none()) : py::object(array1(p.initial_soc));
    return d;
  }
  //! The root attributes of this plan's file (for a whole sweep: the sweep's).
  py::dict attributes() const {
    py::dict d;
    for (const auto& [k, v] : sweep_file_info(spec_, plan_).attributes) d[py::str(k)] = v;
    return d;
  }
  std::vector<std::string> varied() const { return spec_.varied; }
  std::vector<std::string> warnings() const { return plan_.warnings; }
  std::size_t bytes_per_cell() const { return ionflux::bytes_per_cell(plan_.inputs); }

  //! `cells`: a range (first, last) of the sweep's cells to run instead of all of them;
  //! the file then holds those rows and /cells/index (solver/problem/cell_range.hpp).
  //! `keep_in_memory`: also keep the results in memory (always without an output).
  py::dict run(const std::string& output, const std::string& device, int threads, std::size_t memory_budget,
               std::optional<std::pair<std::size_t, std::size_t>> cells, bool keep_in_memory, bool resume) {
    if (resume && output.empty())
      throw InputError("resume=True continues an interrupted HDF5 file: give it as output=");
    BatchOptions opt;
    opt.device = parse_device(device);
    opt.threads = threads;
    opt.memory_budget = memory_budget;
    opt.cancel = &cancel_;
    if (opt.device == Device::cuda && !cuda_available())
      throw InputError("device 'cuda' requested but not usable: " + cuda_device_description());
    std::optional<CellRange> range;  // in this plan's cell numbers
    if (cells) {
      const std::size_t first = spec_.first_cell, last = first + n_cells();
      if (!(cells->first < cells->second && cells->first >= first && cells->second <= last))
        throw InputError("cells: (" + std::to_string(cells->first) + ", " + std::to_string(cells->second) +
                         ") is not a non-empty range (first, last) of the " +
                         (spec_.sweep_cells ? "planned cells (" + std::to_string(first) + ", " + std::to_string(last) +
                                                  ") of the sweep's " + std::to_string(spec_.sweep_cells) + " cells"
                                            : "sweep's " + std::to_string(n_cells()) + " cells"));
      range = CellRange{cells->first - first, cells->second - first};
    }
    const BatchInputs ranged = range ? batch_cell_range(plan_.inputs, *range) : BatchInputs{};
    const BatchInputs& inputs = range ? ranged : plan_.inputs;
    SweepFileInfo info =
        range ? file_info_cell_range(sweep_file_info(spec_, plan_), *range) : sweep_file_info(spec_, plan_);
    // output "": the memory sink (no file, no HDF5 needed); else the HDF5 file. Both
    // receive the same chunks and the same attributes (results.hpp).
    // keep_in_memory with an output: both (a tee).
    std::unique_ptr<ResultSink> file, memory_sink, tee;
    MemorySweepSink* memory = nullptr;
    std::unique_ptr<H5SweepWriter> h5;
    if (!output.empty()) {
      check_output_is_not_an_input(output, sweep_input_files(spec_, plan_), "output");
      h5 = resume ? open_sweep_file_to_resume(info, output) : open_sweep_file(info, output);
    }
    const KeptCells* kept = resume ? &h5->kept() : nullptr;
    file = std::move(h5);
    if (output.empty() || (keep_in_memory && !resume)) {  // resumed: the results are the file's
      auto m = std::make_unique<MemorySweepSink>(info.n_cells, info.n_steps, info.step_cycle, info.temperature);
      for (const auto& [k, v] : info.attributes) m->set_attribute(k, v);
      memory = m.get();
      memory_sink = std::move(m);
      memory_inputs_ = std::move(info.inputs);
      memory_initial_soc_ = std::move(info.initial_soc);
    }
    if (file && memory_sink) tee = std::make_unique<TeeSink>(*file, *memory_sink);
    ResultSink* writer = tee ? tee.get() : file ? file.get() : memory_sink.get();
    total_ = inputs.size();
    done_ = 0;  // a runner may run several ranges, one after the other
    opt.progress = [this](const Progress& p) {
      done_ = p.done;
      elapsed_ = p.elapsed_s;
    };
    BatchSummary s;
    {
      py::gil_scoped_release release;
      s = run_sweep_cells(inputs, opt, *writer, kept);  // resumed: only the cells the file lacks
      finish_sweep_file(*writer, s, total_);
    }
    done_ = total_ - s.not_run;
    elapsed_ = s.wall_time;
    py::dict d;
    d["device"] = std::string(device_name(s.device_used));
    d["device_description"] = s.device_description;
    d["bytes_per_cell"] = s.bytes_per_cell;
    d["chunks"] = s.chunks;
    d["wall_time"] = s.wall_time;
    d["cancelled"] = s.cancelled;
    d["not_run"] = s.not_run;
    d["status_counts"] = status_counts(s);
    d["device_slots"] = s.device_slots;  // GPU streaming (docs/gpu.md); 0 on the CPU
    d["slot_refills"] = s.slot_refills;
    d["handed_to_cpu"] = s.handed_to_cpu;
    d["taken_by_cpu"] = s.taken_by_cpu;
    d["cells_with_skipped_steps"] = s.cells_with_skipped_steps;  // a step whose end condition held at once
    d["first_skipping_cell"] = s.first_skipping_cell;
    if (memory) d["memory"] = memory_results(*memory);
    return d;
  }
  //! Prepares `output`, an interrupted file of this sweep, to be continued elsewhere (a
  //! resume on a Dask cluster, python/ionflux/distributed.py): the checks and the
  //! cut-back of Sweep.run(resume=True) (open_sweep_file_to_resume), then the file is
  //! closed again. Returns its status per cell (-1: not in the file).
  py::array_t<int> resume_status(const std::string& output) {
    std::vector<int> status;
    {
      const std::unique_ptr<H5SweepWriter> h5 = open_sweep_file_to_resume(sweep_file_info(spec_, plan_), output);
      status = h5->kept().status;
      h5->close();
    }
    return py::array_t<int>(status.size(), status.data());
  }
  //! Creates `output` as this plan's file, as run(output) creates it before its first
  //! chunk (every dataset, the inputs and the root attributes; every status -1), or,
  //! `resume`, reopens an interrupted file of this sweep as resume_status does, and keeps
  //! it open in SWMR mode (readers may open it meanwhile) for a Dask driver to write the
  //! partitions into (SweepFile.write, python/ionflux/distributed.py): the single
  //! process's writer, so the file has a single process's layout.
  std::unique_ptr<SweepFile> open_file(const std::string& output, bool resume) const {
    return std::make_unique<SweepFile>(resume ? open_sweep_file_to_resume(sweep_file_info(spec_, plan_), output)
                                              : open_sweep_file(spec_, plan_, output));
  }
  //! (cells done, cells of this run: the range's or the sweep's, seconds elapsed)
  py::tuple progress() const { return py::make_tuple(done_.load(), total_.load(), elapsed_.load()); }
  void cancel() { cancel_ = true; }

 private:
  SweepSpec spec_;
  SweepPlan plan_;
  std::atomic<bool> cancel_{false};
  std::atomic<std::size_t> done_{0};
  std::atomic<double> elapsed_{0.0};
  std::atomic<std::size_t> total_{0};
  std::vector<std::vector<double>> memory_inputs_;
  std::vector<double> memory_initial_soc_;  //!< the file's /cells/initial_soc (empty: none)

  //! The memory sink's results as the file's datasets: "group/name" -> numpy array
  //! (the layout of docs/hdf5_layout.md), and "attrs" -> the root attributes.
  py::dict memory_results(MemorySweepSink& sink) const {
    ChunkData& c = sink.results_for_move();  // the big per-output arrays are moved, not copied
    const std::size_t n = c.n, ns = static_cast<std::size_t>(c.n_steps);
    py::dict d;
    auto i64 = [](const std::vector<std::size_t>& v) {
      py::array_t<std::int64_t> a(v.size());
      std::copy(v.begin(), v.end(), a.mutable_data());
      return a;
    };
    d["cells/Time [s]"] = move_array(std::move(c.time));
    d["cells/Voltage [V]"] = move_array(std::move(c.voltage));
    d["cells/Current [A]"] = move_array(std::move(c.current));
    d["cells/Discharge capacity [A.h]"] = move_array(std::move(c.capacity));
    d["cells/offset"] = i64(c.offset);
    d["cells/count"] = i64(c.count);
    d["cells/status"] = py::array_t<int>(c.status.size(), c.status.data());
    const std::vector<int> device(c.device.begin(), c.device.end());
    d["cells/device"] = py::array_t<int>(device.size(), device.data());
    d["cells/message"] = c.message;
    if (!memory_initial_soc_.empty()) d["cells/initial_soc"] = array1(memory_initial_soc_);
    d["status codes"] = status_code_table();
    if (sink.temperature()) d["cells/Temperature [K]"] = move_array(std::move(c.temperature));
    for (const auto& [key, field] : kSummaryDoubles) d[key] = array1(c.*field);
    std::vector<std::string> reasons(n);
    for (std::size_t i = 0; i < n; ++i)
      reasons[i] = !sink.written(i) ? std::string()  // as the file: no string written
                   : c.status[i] == kStatusNotRun ? std::string("not_run")
                                                  : std::string(cell_status_name(static_cast<CellStatus>(c.status[i])));
    d["summary/End reason"] = reasons;
    d["summary/Steps"] = py::array_t<int>(c.steps.size(), c.steps.data());
    {  // the integrator's counters per cell, as the file's /stats
      for (const auto& [name, field] : kStatsDatasets) {
        py::array_t<int> a(static_cast<py::ssize_t>(n));
        for (std::size_t k = 0; k < n; ++k) a.mutable_data()[k] = k < c.stats.size() ? c.stats[k].*field : 0;
        d[name] = a;
      }
    }
    py::dict inputs;
    for (std::size_t v = 0; v < spec_.varied.size() && v < memory_inputs_.size(); ++v)
      inputs[py::str(spec_.varied[v])] = array1(memory_inputs_[v]);
    d["inputs"] = inputs;
    if (ns > 0) {
      std::vector<double> duration(c.step_start.size());
      for (std::size_t i = 0; i < duration.size(); ++i) duration[i] = c.step_end[i] - c.step_start[i];
      d["steps/Start time [s]"] = array2(c.step_start, n, ns);
      d["steps/End time [s]"] = array2(c.step_end, n, ns);
      d["steps/Duration [s]"] = array2(duration, n, ns);
      d["steps/Capacity [A.h]"] = array2(c.step_capacity, n, ns);
      d["steps/Energy [W.h]"] = array2(c.step_energy, n, ns);
      if (c.step_discharge_capacity.size() == c.step_start.size()) {
        d["steps/Discharge capacity [A.h]"] = array2(c.step_discharge_capacity, n, ns);
        d["steps/Charge capacity [A.h]"] = array2(c.step_charge_capacity, n, ns);
        d["steps/Discharge energy [W.h]"] = array2(c.step_discharge_energy, n, ns);
        d["steps/Charge energy [W.h]"] = array2(c.step_charge_energy, n, ns);
      }
      if (c.step_end_code.size() == c.step_start.size()) d["steps/End code"] = array2(c.step_end_code, n, ns);
      d["steps/Cycle"] = py::array_t<int>(sink.step_cycle().size(), sink.step_cycle().data());
      const CycleSummaries& cy = sink.cycles();
      if (cy.n_cycles > 0) {
        d["cells/Cycle"] = move_array(output_cycles(c.step_index, sink.step_cycle()));
        const std::size_t nc = cy.n_cycles;
        d["cycles/Start time [s]"] = array2(cy.start, n, nc);
        d["cycles/End time [s]"] = array2(cy.end, n, nc);
        d["cycles/Duration [s]"] = array2(cy.duration, n, nc);
        d["cycles/Net capacity [A.h]"] = array2(cy.capacity, n, nc);
        d["cycles/Discharge capacity [A.h]"] = array2(cy.discharge_capacity, n, nc);
        d["cycles/Charge capacity [A.h]"] = array2(cy.charge_capacity, n, nc);
        d["cycles/Energy [W.h]"] = array2(cy.energy, n, nc);
        if (cy.split) {
          d["cycles/Discharge energy [W.h]"] = array2(cy.discharge_energy, n, nc);
          d["cycles/Charge energy [W.h]"] = array2(cy.charge_energy, n, nc);
        }
        d["cycles/Coulombic efficiency"] = array2(cy.coulombic_efficiency, n, nc);
        d["cycles/Energy efficiency"] = array2(cy.energy_efficiency, n, nc);
        d["cycles/Throughput capacity [A.h]"] = array2(cy.throughput_capacity, n, nc);
        d["cycles/Throughput energy [W.h]"] = array2(cy.throughput_energy, n, nc);
        d["cycles/Maximum temperature [K]"] = array2(cy.max_temperature, n, nc);
        d["cycles/Mean temperature [K]"] = array2(cy.mean_temperature, n, nc);
        for (std::size_t j = 0; j < cy.variables.names.size(); ++j)  // PyBaMM's summary variables
          if (!d.contains(("cycles/" + cy.variables.names[j]).c_str()))
            d[py::str("cycles/" + cy.variables.names[j])] = array2(cy.variables.values[j], n, nc);
      }
    }
    if (sink.temperature()) d["cells/Step"] = move_array(std::move(c.step_index));
    py::dict attrs;
    for (const auto& [k, v] : sink.attributes()) attrs[py::str(k)] = v;
    d["attrs"] = attrs;
    return d;
  }
};

//! The reducer of per-step records into per-cycle summaries (results.hpp), for Python:
//! steps: name -> (..., n_steps) arrays ("Start time [s]", "End time [s]", "Capacity
//! [A.h]", "Energy [W.h]", optionally the four split quantities); returns name ->
//! (..., n_cycles) arrays.
py::dict cycle_summaries(const py::dict& steps, std::vector<int> step_cycle, std::size_t n_cycles,
                         std::optional<py::array_t<double, py::array::c_style | py::array::forcecast>> time,
                         std::optional<py::array_t<double, py::array::c_style | py::array::forcecast>> temperature) {
  using Arr = py::array_t<double, py::array::c_style | py::array::forcecast>;
  auto get = [&](const char* name) { return Arr(steps[name]); };
  Arr start = get("Start time [s]"), end = get("End time [s]"), cap = get("Capacity [A.h]"), en = get("Energy [W.h]");
  const std::size_t ns = step_cycle.size();
  std::vector<py::ssize_t> shape(start.shape(), start.shape() + start.ndim());
  if (shape.empty() || static_cast<std::size_t>(shape.back()) != ns)
    throw InputError("cycle_summaries: the step arrays' last axis must have one entry per step (" + std::to_string(ns) + ")");
  for (const Arr* a : {&end, &cap, &en})
    if (a->size() != start.size()) throw InputError("cycle_summaries: the step arrays differ in shape");
  StepTable t;
  t.n_steps = ns;
  t.n = ns ? static_cast<std::size_t>(start.size()) / ns : 0;
  t.start = start.data();
  t.end = end.data();
  t.capacity = cap.data();
  t.energy = en.data();
  std::vector<Arr> split;
  const char* split_names[] = {"Discharge capacity [A.h]", "Charge capacity [A.h]", "Discharge energy [W.h]",
                               "Charge energy [W.h]"};
  bool has_split = true;
  for (const char* name : split_names) has_split = has_split && steps.contains(name);
  if (has_split) {
    for (const char* name : split_names) {
      split.push_back(get(name));
      if (split.back().size() != start.size()) throw InputError("cycle_summaries: the step arrays differ in shape");
    }
    t.discharge_capacity = split[0].data();
    t.charge_capacity = split[1].data();
    t.discharge_energy = split[2].data();
    t.charge_energy = split[3].data();
  }
  // one cell's output series (the cycle temperatures)
  std::size_t zero = 0, count = 0;
  if (time && temperature) {
    if (time->size() != temperature->size())
      throw InputError("cycle_summaries: time and temperature differ in length");
    if (t.n != 1) throw InputError("cycle_summaries: the output series are for one cell's steps");
    count = static_cast<std::size_t>(time->size());
    t.time = time->data();
    t.temperature = temperature->data();
    t.offset = &zero;
    t.count = &count;
  }
  CycleSummaries cy;
  {
    py::gil_scoped_release release;
    cy = reduce_cycles(t, step_cycle, n_cycles);
  }
  shape.back() = static_cast<py::ssize_t>(n_cycles);
  auto out = [&](const std::vector<double>& v) {
    py::array_t<double> a(shape);
    std::copy(v.begin(), v.end(), a.mutable_data());
    return a;
  };
  py::dict d;
  d["Start time [s]"] = out(cy.start);
  d["End time [s]"] = out(cy.end);
  d["Duration [s]"] = out(cy.duration);
  d["Net capacity [A.h]"] = out(cy.capacity);
  d["Discharge capacity [A.h]"] = out(cy.discharge_capacity);
  d["Charge capacity [A.h]"] = out(cy.charge_capacity);
  d["Energy [W.h]"] = out(cy.energy);
  d["Discharge energy [W.h]"] = out(cy.discharge_energy);
  d["Charge energy [W.h]"] = out(cy.charge_energy);
  d["Coulombic efficiency"] = out(cy.coulombic_efficiency);
  d["Energy efficiency"] = out(cy.energy_efficiency);
  d["Throughput capacity [A.h]"] = out(cy.throughput_capacity);
  d["Throughput energy [W.h]"] = out(cy.throughput_energy);
  d["Maximum temperature [K]"] = out(cy.max_temperature);
  d["Mean temperature [K]"] = out(cy.mean_temperature);
  return d;
}

py::list devices() {
  py::list l;
  l.append(py::dict(py::arg("name") = "cpu", py::arg("description") = "CPU (OpenMP over cells)"));
  if (cuda_available()) l.append(py::dict(py::arg("name") = "cuda", py::arg("description") = cuda_device_description()));
  return l;
}

//! Parameter functions evaluated by the kernels' code (solver/inputs/parameter_function.hpp),
//! and experiment strings checked when a Simulation is made (issue 13).
void bind_parameter_functions(py::module_& m) {
  m.def("function_arguments", &function_arguments, py::arg("key"),
        "The arguments of a function parameter, in call order (['sto'], ['c_e', 'T'], ...).");
  m.def(
      "evaluate_function",
      [](const ParameterSet& ps, const std::string& key,
         std::vector<py::array_t<double, py::array::c_style | py::array::forcecast>> args) {
        const std::size_t n = args.empty() ? 1 : static_cast<std::size_t>(args[0].size());
        std::vector<const double*> ptrs;
        for (const auto& a : args) {
          if (static_cast<std::size_t>(a.size()) != n)
            throw InputError("evaluate_function: the arguments of '" + key + "' differ in length");
          ptrs.push_back(a.data());
        }
        std::vector<double> out(n);
        {
          py::gil_scoped_release release;
          evaluate_function(ps, key, ptrs, n, out.data());
        }
        return move_array(std::move(out));
      },
      py::arg("params"), py::arg("key"), py::arg("args"),
      "Parameter `key` of `params` at the points `args` (one flat array per argument), as the solver evaluates it.");
  m.def(
      "step_end_name",
      [](double code, double t_start, double t_end) { return std::string(step_end_name(code, t_start, t_end)); },
      py::arg("end_code"), py::arg("t_start"), py::arg("t_end"),
      "How a step ended, from its end code (/steps/End code) and times: 'duration', 'end condition', "
      "'cut-off', 'failure', 'end time', 'skipped'; '' for NaN (not reached).");
  m.def("rate_text", &rate_text, py::arg("cells_per_second"),
        "A rate as the sweep summaries print it (solver/util/text.hpp).");
  m.def("known_parameters", &known_parameter_names, "Every parameter name a parameter file may set.");
  m.def("soc_at_voltage", &soc_at_voltage, py::arg("params"), py::arg("volts"),
        "The initial SOC whose open-circuit voltage is `volts` (PyBaMM's initial_soc='3.9 V').");
  m.def("check_not_unfinished", &check_not_unfinished, py::arg("path"), py::arg("resume"), py::arg("overwrite"),
        "ValueError where `path` holds a sweep a run did not finish (interrupted, failed, killed): "
        "a new run would lose its finished cells; `resume`/`overwrite` name the ways on.");
  m.def("parse_parameter_file", &parse_parameter_file, py::arg("text"), py::arg("source"),
        "A parameter set from a parameter file's text (`source` names it in messages).");
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "ionflux C++ core (DFN solver). Use the `ionflux` package, not this module directly.";
  m.attr("__version__") = IONFLUX_VERSION;
  // UnknownParameter -> KeyError; other input errors (std::invalid_argument) -> ValueError.
  py::register_exception<UnknownParameter>(m, "UnknownParameterError", PyExc_KeyError);
  py::register_exception<RuntimeError>(m, "IonfluxRuntimeError", PyExc_RuntimeError);

#ifdef IONFLUX_HAVE_CUDA
  m.def("has_cuda", []() { return true; }, "True when ionflux was built with the CUDA backend.");
#else
  m.def("has_cuda", []() { return false; }, "True when ionflux was built with the CUDA backend.");
#endif
  m.def("has_hdf5", &hdf5_available, "True when ionflux was built with HDF5 output.");
  m.def("cuda_available", &cuda_available, "True when a CUDA device is usable now.");
  m.def("devices", &devices, "The devices a sweep can run on.");
  m.def("builtin_sets", &ParameterSet::builtin_names, "Names of the built-in parameter sets.");
  m.def("function_parameters", &function_parameter_names,
        "Names of the parameters that may be functions (expressions, tables).");

  py::class_<ParameterSet>(m, "ParameterSet")
      .def(py::init(&ParameterSet::load), py::arg("name_or_file"))
      .def_property_readonly("name", &ParameterSet::name)
      .def("names", &ParameterSet::names)
      .def("contains", &ParameterSet::contains)
      .def("is_function", &ParameterSet::is_function)
      .def("get", &ParameterSet::get)
      .def("function_name", [](const ParameterSet& ps, const std::string& k) { return ps.entry(k).function_name; })
      .def("set", &ParameterSet::set)
      .def("closest_names", &ParameterSet::closest_names, py::arg("key"), py::arg("count") = 3)
      .def("validate", &ParameterSet::validate)
      .def("copy", [](const ParameterSet& ps) { return ParameterSet(ps); })
      .def_property_readonly("description", &ParameterSet::description)
      .def("renamed",  // a copy under another name and description (the entries shared)
           [](const ParameterSet& ps, const std::string& name, const std::string& description) {
             std::vector<Entry> entries;
             for (const auto& n : ps.names()) entries.push_back(ps.entry(n));
             ParameterSet r = ParameterSet::from_entries(name, std::move(entries));
             r.set_description(description);
             return r;
           },
           py::arg("name"), py::arg("description"))
      // user functions (tables, expressions) and parameter files
      .def("set_expression",
           [](ParameterSet& ps, const std::string& k, const std::string& text) {
             (void)ps.entry(k);  // unknown names first
             ps.set_function(k, UserFunctionSource::expression(k, text));
           },
           py::arg("key"), py::arg("text"))
      .def("set_table",
           [](ParameterSet& ps, const std::string& k, std::vector<double> x, std::vector<double> y,
              const std::string& interpolator, const std::string& expression) {
             (void)ps.entry(k);
             ps.set_function(k, UserFunctionSource::table(k, std::move(x), std::move(y), interpolator, expression));
           },
           py::arg("key"), py::arg("x"), py::arg("y"), py::arg("interpolator") = "pchip", py::arg("expression") = "")
      .def("user_function",
           [](const ParameterSet& ps, const std::string& k) -> py::object {
             const auto& u = ps.entry(k).user;
             if (!u) return py::none();
             py::dict d;
             d["expression"] = u->expression_text();
             if (u->has_table()) {
               d["x"] = u->x();
               d["y"] = u->y();
               d["interpolator"] = u->interpolator();
             }
             return std::move(d);
           },
           py::arg("key"))
      .def("to_json", [](const ParameterSet& ps) { return to_json(ps); });

  m.def("load_bpx", &load_bpx, py::arg("path"),
        "A BPX file (0.x or 1.x) as a parameter set, mapped as PyBaMM's create_from_bpx.");
  m.def("check_parameter_range", &check_parameter_range, py::arg("name"), py::arg("value"));
  m.def(
      "default_end_time",
      [](const ParameterSet& ps, double current, std::optional<double> soc, const std::string& thermal) {
        return default_end_time(build_cell(ps, current, thermal == "lumped", soc));
      },
      py::arg("params"), py::arg("current"), py::arg("soc") = py::none(), py::arg("thermal") = "isothermal",
      "The default end [s] of a constant-current run, from the cell's theoretical capacity.");
  m.def("simulate", &simulate_cell, py::arg("params"), py::arg("current"), py::arg("soc") = py::none(),
        py::arg("mesh") = py::dict(), py::arg("rtol") = 1e-6, py::arg("atol") = 1e-8, py::arg("period") = 0.0,
        py::arg("t_end") = 0.0, py::arg("t_eval") = std::vector<double>{}, py::arg("store_states") = true,
        py::arg("experiment") = std::vector<std::vector<std::string>>{}, py::arg("cycles") = 1,
        py::arg("thermal") = "isothermal", py::arg("base_dir") = ".", py::arg("max_steps") = SolverOptions{}.max_steps,
        py::arg("max_wall_time") = 0.0, py::arg("options") = py::dict(),
        py::arg("termination") = std::vector<std::string>{}, py::arg("progress") = py::none());
  m.def(
      "describe_model_options", [](const py::dict& options) { return described(resolve_model_options(options_from(options))); },
      py::arg("options"),
      "PyBaMM's option dict resolved as PyBaMM 26.10 resolves it (defaults derived, refusals raised): "
      "{name: value} for every degradation option, tuples written as PyBaMM prints them.");
  m.def("model_option_names", &model_option_names, "The model option names ionflux accepts.");
  m.def(
      "experiment_termination",
      [](const std::vector<std::string>& terms) { return experiment_termination_text(parse_experiment_termination(terms)); },
      py::arg("terms"),
      "PyBaMM's experiment terminations ('80% capacity', '4 Ah capacity', '2.5 V') checked and written back "
      "(ValueError naming the forms otherwise)");

  m.def("summary_variable_names", &summary_variable_names,
        "PyBaMM's per-cycle summary variable names ionflux gives (solver/output/summary.hpp), in order");
  m.def("solve_esoh", [](const ParameterSet& ps, double q_n, double q_p, double q_li) {
        const CellParams cell = ps.cell_params(ps.get("Current function [A]"));
        const Esoh e = solve_esoh(cell, q_n, q_p, q_li, cell.ocv_soc_0, cell.ocv_soc_100);
        py::dict d;
        d["x_100"] = e.x_100, d["y_100"] = e.y_100, d["x_0"] = e.x_0, d["y_0"] = e.y_0;
        d["Un(x_100)"] = e.un_100, d["Up(y_100)"] = e.up_100, d["Un(x_0)"] = e.un_0, d["Up(y_0)"] = e.up_0;
        d["Capacity [A.h]"] = e.capacity;
        return d;
      }, py::arg("parameters"), py::arg("Q_n"), py::arg("Q_p"), py::arg("Q_Li"),
      "The eSOH solve of the summary variables (PyBaMM's ElectrodeSOHSolver, 'cyclable lithium capacity' known)");
  m.def("cycle_summaries", &cycle_summaries, py::arg("steps"), py::arg("step_cycle"), py::arg("n_cycles"),
        py::arg("time") = py::none(), py::arg("temperature") = py::none(),
        "Per-cycle summaries from per-step records: the one reducer (solver/output/results.hpp).");
  m.def(
      "check_experiment",
      [](const std::vector<std::vector<std::string>>& experiment, const ParameterSet* params, int cycles,
         const std::string& base_dir) {
        if (params) return static_cast<int>(parse_experiment(experiment, cycles, *params, base_dir).steps.size());
        // no set: the grammar only, on Chen2020 with cut-offs wide enough for any voltage condition
        ParameterSet ps = ParameterSet::load("Chen2020");
        ps.set("Lower voltage cut-off [V]", -1.0e9);
        ps.set("Upper voltage cut-off [V]", 1.0e9);
        return static_cast<int>(parse_experiment(experiment, cycles, ps, base_dir).steps.size());
      },
      py::arg("experiment"), py::arg("params") = nullptr, py::arg("cycles") = 1, py::arg("base_dir") = ".",
      "Parse an experiment's step strings (one list per cycle) against `params` (None: the grammar only); "
      "ValueError naming the step and the word. Returns the number of steps.");
  py::class_<SweepFile>(m, "SweepFile")
      .def("write", &SweepFile::write, py::arg("first"), py::arg("part"))
      .def("set_attribute", &SweepFile::set_attribute, py::arg("name"), py::arg("value"))
      .def_property_readonly("status_in_file", &SweepFile::status_in_file)
      .def_property_readonly("kept_counts", &SweepFile::kept_counts)
      .def_property_readonly_static("status_codes", [](py::object) { return status_code_table(); })
      .def_property_readonly("is_open", &SweepFile::is_open)
      .def("close", &SweepFile::close);
  py::class_<SweepRunner>(m, "SweepRunner")
      .def(py::init<const std::string&, const std::string&, std::optional<std::pair<std::size_t, std::size_t>>,
                    const std::optional<py::dict>&>(),
           py::arg("config_json"), py::arg("source") = "python", py::arg("cells") = py::none(),
           py::arg("planned") = py::none())
      .def(py::init<const ParameterSet&, const std::string&, const py::dict&, const std::string&,
                    std::optional<std::pair<std::size_t, std::size_t>>>(),
           py::arg("params"), py::arg("label"), py::arg("settings"), py::arg("source") = "python",
           py::arg("cells") = py::none())
      .def_property_readonly("n_cells", &SweepRunner::n_cells)
      .def_property_readonly("sweep_cells", &SweepRunner::sweep_cells)
      .def_property_readonly("first_cell", &SweepRunner::first_cell)
      .def_property_readonly("planned_cells", &SweepRunner::planned_cells)
      .def("planned_range", &SweepRunner::planned_range, py::arg("first"), py::arg("last"))
      .def_property_readonly("attributes", &SweepRunner::attributes)
      .def_property_readonly("varied", &SweepRunner::varied)
      .def_property_readonly("warnings", &SweepRunner::warnings)
      .def_property_readonly("bytes_per_cell", &SweepRunner::bytes_per_cell)
      .def("run", &SweepRunner::run, py::arg("output"), py::arg("device") = "auto", py::arg("threads") = 0,
           py::arg("memory_budget") = 0, py::arg("cells") = py::none(), py::arg("keep_in_memory") = false,
           py::arg("resume") = false)
      .def("resume_status", &SweepRunner::resume_status, py::arg("output"))
      .def("open_file", &SweepRunner::open_file, py::arg("output"), py::arg("resume") = false)
      .def("progress", &SweepRunner::progress)
      .def("cancel", &SweepRunner::cancel);
  bind_parameter_functions(m);
}
