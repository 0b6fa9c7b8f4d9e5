#include "sweep_plan.hpp"

#include "parameter_file.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <sstream>

#include "errors.hpp"
#include "experiment.hpp"

namespace ionflux {
namespace {

//! The shortest decimal that reads back as the same double (5.86e-06, not 5.8600000000000004e-06).
std::string num(double v) {
  for (int digits = 6; digits <= 17; ++digits) {
    std::ostringstream o;
    o.precision(digits);
    o << v;
    if (std::stod(o.str()) == v || !std::isfinite(v)) return o.str();
  }
  return std::to_string(v);
}

std::string json_escape(const std::string& s) {
  std::string r;
  for (char ch : s) {
    if (ch == '"' || ch == '\\') r += '\\';
    r += ch;
  }
  return r;
}

}  // namespace

std::string parameters_json(const ParameterSet& ps) { return to_json(ps); }

SweepPlan plan_sweep(const SweepSpec& spec) {
  SweepPlan plan{BatchInputs{}, load_sweep_parameters(spec), {}, {}};
  for (const auto& kv : spec.set) plan.base.set(kv.first, kv.second);
  const double q_nom = plan.base.get("Nominal cell capacity [A.h]");
  const std::size_t n = spec.n_cells();

  // which varied entry drives the current / SOC, if any
  int v_crate = -1, v_current = -1, v_soc = -1;
  for (std::size_t v = 0; v < spec.varied.size(); ++v) {
    if (spec.varied[v] == sweep_names::kCRate) v_crate = static_cast<int>(v);
    if (spec.varied[v] == sweep_names::kCurrent) v_current = static_cast<int>(v);
    if (spec.varied[v] == sweep_names::kInitialSoc) v_soc = static_cast<int>(v);
  }
  double base_current = plan.base.get("Current function [A]");
  if (spec.c_rate) base_current = *spec.c_rate * q_nom;
  if (spec.current) base_current = *spec.current;
  plan.protocol = "constant current, positive = discharge; ";
  if (v_crate >= 0) plan.protocol += "C-rate varied per cell";
  else if (v_current >= 0) plan.protocol += "current varied per cell";
  else plan.protocol += num(base_current) + " A (" + num(base_current / q_nom) + "C)";
  plan.protocol += "; until the voltage cut-offs or t_end";

  BatchInputs& in = plan.inputs;
  in.cells.resize(n);
  in.pre_status.assign(n, CellStatus::running);
  in.pre_message.assign(n, std::string());
  plan.currents.assign(n, base_current);
  // varied names used as experiment placeholders ("{name}") are not parameters
  std::vector<bool> is_placeholder(spec.varied.size(), false);
  for (std::size_t v = 0; v < spec.varied.size(); ++v)
    for (const auto& cycle : spec.experiment)
      for (const std::string& st : cycle)
        if (st.find("{" + spec.varied[v] + "}") != std::string::npos) is_placeholder[v] = true;
  ParameterSet work = plan.base;  // only the varied entries change from cell to cell
  for (const auto& name : work.names())
    if (work.entry(name).user) in.keep_alive.push_back(work.entry(name).user);
  for (std::size_t c = 0; c < n; ++c) {
    double current = base_current;
    try {
      for (std::size_t v = 0; v < spec.varied.size(); ++v) {
        const int vi = static_cast<int>(v);
        if (vi == v_crate || vi == v_current || vi == v_soc || is_placeholder[v]) continue;
        work.set(spec.varied[v], spec.values[v][c]);
      }
      // a C-rate refers to this cell's nominal capacity (which may itself vary)
      if (spec.c_rate && v_current < 0) current = *spec.c_rate * work.get("Nominal cell capacity [A.h]");
      if (v_crate >= 0) current = spec.values[v_crate][c] * work.get("Nominal cell capacity [A.h]");
      if (v_current >= 0) current = spec.values[v_current][c];
      plan.currents[c] = current;
      if (!(std::isfinite(current) && current != 0.0))
        throw InvalidParameter("the current must be non-zero and finite, got " + num(current) + " A");
      CellParams cell = work.cell_params(current);
      if (spec.lumped_thermal) enable_lumped_thermal(cell, work);  // with this cell's values
      const double soc = v_soc >= 0 ? spec.values[v_soc][c] : (spec.initial_soc ? *spec.initial_soc : -1.0);
      if (soc >= 0.0 || v_soc >= 0)
        apply_initial_soc(cell, soc, work.get("Open-circuit voltage at 0% SOC [V]"),
                          work.get("Open-circuit voltage at 100% SOC [V]"));
      in.cells[c] = cell;
    } catch (const std::invalid_argument& e) {
      in.pre_status[c] = CellStatus::invalid_input;
      in.pre_message[c] = e.what();
      in.cells[c] = CellParams{};
    }
  }
  // Protocol.
  double protocol_t_end = 0.0;
  if (!spec.experiment.empty()) {
    // placeholders "{name}" filled per cell from the varied entry of that name
    std::vector<int> ph_index;
    std::vector<std::string> ph_name;
    for (std::size_t v = 0; v < spec.varied.size(); ++v)
      for (const auto& cycle : spec.experiment)
        for (const std::string& st : cycle)
          if (st.find("{" + spec.varied[v] + "}") != std::string::npos &&
              std::find(ph_index.begin(), ph_index.end(), static_cast<int>(v)) == ph_index.end()) {
            ph_index.push_back(static_cast<int>(v));
            ph_name.push_back(spec.varied[v]);
          }
    auto fill = [&](std::size_t c) {
      std::vector<std::vector<std::string>> groups = spec.experiment;
      for (auto& cycle : groups)
        for (std::string& st : cycle)
          for (std::size_t k = 0; k < ph_index.size(); ++k) {
            const std::string key = "{" + ph_name[k] + "}";
            for (std::size_t pos; (pos = st.find(key)) != std::string::npos;)
              st.replace(pos, key.size(), num(spec.values[ph_index[k]][c]));
          }
      return groups;
    };
    const std::string base_dir = spec.source.find('/') != std::string::npos
                                     ? spec.source.substr(0, spec.source.rfind('/'))
                                     : std::string(".");
    if (ph_index.empty()) {
      // one protocol for every cell; a bad step is an error of the whole sweep
      const Experiment ex = parse_experiment(spec.experiment, spec.cycles, plan.base, base_dir);
      in.run.steps = ex.steps;
      in.run.tables = ex.tables;
      protocol_t_end = default_end_time(q_nom, ex.steps);
    } else {
      // the first cell's protocol is checked here (a bad string fails the sweep before any
      // work); a later cell whose values make a bad step becomes an invalid cell
      parse_experiment(fill(0), spec.cycles, plan.base, base_dir);
      in.protocol_first.assign(n, 0);
      in.protocol_count.assign(n, 0);
      for (std::size_t c = 0; c < n; ++c) {
        if (in.pre_status[c] != CellStatus::running) continue;
        try {
          const Experiment ex = parse_experiment(fill(c), spec.cycles, plan.base, base_dir);
          const int table_shift = static_cast<int>(in.protocol_tables.size() / 2);
          in.protocol_first[c] = static_cast<int>(in.protocol_steps.size());
          in.protocol_count[c] = static_cast<int>(ex.steps.size());
          for (StepSpec st : ex.steps) {
            st.table_offset += table_shift;
            in.protocol_steps.push_back(st);
          }
          in.protocol_tables.insert(in.protocol_tables.end(), ex.tables.begin(), ex.tables.end());
          protocol_t_end = std::max(protocol_t_end, default_end_time(plan.base.get("Nominal cell capacity [A.h]"),
                                                                     ex.steps));
        } catch (const std::invalid_argument& e) {
          in.pre_status[c] = CellStatus::invalid_input;
          in.pre_message[c] = e.what();
        }
      }
    }
    plan.protocol = "experiment: ";
    for (std::size_t g = 0; g < spec.experiment.size(); ++g) {
      plan.protocol += g ? "; (" : "(";
      for (std::size_t k = 0; k < spec.experiment[g].size(); ++k)
        plan.protocol += (k ? ", " : "") + spec.experiment[g][k];
      plan.protocol += ")";
    }
    if (spec.cycles > 1) plan.protocol += " x " + std::to_string(spec.cycles);
  }
  if (spec.lumped_thermal) plan.protocol += "; lumped thermal model";

  in.run.mesh = spec.mesh;
  in.run.solver = spec.solver;
  in.run.period = spec.period;
  in.run.t_end = spec.t_end;
  if (!(in.run.t_end > 0.0) && protocol_t_end > 0.0) in.run.t_end = protocol_t_end;
  if (!(in.run.t_end > 0.0)) {
    double smallest = 0.0;
    for (double i : plan.currents)
      if (std::isfinite(i) && i != 0.0 && (smallest == 0.0 || std::fabs(i) < smallest)) smallest = std::fabs(i);
    if (smallest == 0.0) smallest = std::fabs(base_current);
    in.run.t_end = default_end_time(q_nom, smallest);
  }
  validate_run_options(in.run);
  in.n_times = output_columns(in.run) + in.max_protocol_steps();  // + the off-grid step ends
  return plan;
}

SweepFileInfo sweep_file_info(const SweepSpec& spec, const SweepPlan& plan) {
  SweepFileInfo info;
  info.n_cells = plan.inputs.cells.size();
  info.n_times = plan.inputs.n_times;
  info.varied = spec.varied;
  info.inputs = spec.values;
  info.temperature = plan.inputs.any_thermal() || plan.inputs.has_protocol();
  info.n_steps = plan.inputs.max_protocol_steps();
  const std::vector<StepSpec>& steps = plan.inputs.protocol_first.empty() ? plan.inputs.run.steps
                                                                          : plan.inputs.protocol_steps;
  for (int k = 0; k < info.n_steps && k < static_cast<int>(steps.size()); ++k)
    info.step_cycle.push_back(steps[static_cast<std::size_t>(k)].cycle);
  char when[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  const MeshSpec& m = spec.mesh;
  const RunOptions& r = plan.inputs.run;
  info.attributes = {
      {"ionflux version", IONFLUX_VERSION},
      {"created", when},
      {"model", spec.lumped_thermal ? "DFN with a lumped thermal model (PyBaMM 26.10 options {\"thermal\": \"lumped\"})"
                                    : "isothermal DFN (PyBaMM 26.10 default options)"},
      {"parameter set", spec.parameters},
      {"parameters", parameters_json(plan.base)},
      {"mesh", "x_n=" + std::to_string(m.x_n) + ",x_s=" + std::to_string(m.x_s) + ",x_p=" + std::to_string(m.x_p) +
                   ",r_n=" + std::to_string(m.r_n) + ",r_p=" + std::to_string(m.r_p)},
      {"solver", "BDF orders 1-5, rtol=" + num(r.solver.rtol) + ", atol=" + num(r.solver.atol) +
                     " (on PyBaMM's scaled states)"},
      {"protocol", plan.protocol},
      {"t_end [s]", num(r.t_end)},
      {"output", output_description(r)},
      {"combine", spec.combine},
      {"varied", [&] {  // the varied names in config order, as a JSON array
         std::string a = "[";
         for (std::size_t v = 0; v < spec.varied.size(); ++v) a += (v ? ", \"" : "\"") + json_escape(spec.varied[v]) + "\"";
         return a + "]";
       }()},
      {"seed", std::to_string(spec.seed)},
      {"config", spec.source},
  };
  return info;
}

std::unique_ptr<H5SweepWriter> open_sweep_file(const SweepSpec& spec, const SweepPlan& plan,
                                               const std::string& path) {
  if (!hdf5_available()) throw RuntimeError("ionflux was built without HDF5 (install libhdf5-dev and rebuild)");
  try {
    return std::make_unique<H5SweepWriter>(path, sweep_file_info(spec, plan));
  } catch (const RuntimeError& e) {
    throw InputError(e.what());  // an unwritable output is bad input: nothing ran
  }
}

std::string status_counts(const BatchSummary& s) {
  std::string counts;
  for (std::size_t code = 0; code < s.count_by_status.size(); ++code) {
    if (!s.count_by_status[code]) continue;
    counts += (counts.empty() ? "" : ", ") + std::string(cell_status_name(static_cast<CellStatus>(code))) + " " +
              std::to_string(s.count_by_status[code]);
  }
  if (s.not_run) counts += (counts.empty() ? "" : ", ") + std::string("not_run ") + std::to_string(s.not_run);
  return counts;
}

void finish_sweep_file(H5SweepWriter& writer, const BatchSummary& s, std::size_t n_cells) {
  writer.set_attribute("device", s.device_description);
  writer.set_attribute("bytes per cell", std::to_string(s.bytes_per_cell));
  writer.set_attribute("status counts", status_counts(s));
  writer.set_attribute("wall time [s]", num(s.wall_time));
  writer.set_attribute("status", s.cancelled ? "interrupted: " + std::to_string(n_cells - s.not_run) + " of " +
                                                   std::to_string(n_cells) +
                                                   " cells finished; cells with status -1 were not run"
                                             : std::string("complete"));
  writer.close();
}

}  // namespace ionflux
