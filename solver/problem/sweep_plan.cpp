#include "solver/problem/sweep_plan.hpp"

#include "solver/inputs/parameter_file.hpp"
#include "solver/output/output_path.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <set>
#include <sstream>
#include <unordered_set>

#include "solver/util/errors.hpp"
#include "solver/inputs/degradation_params.hpp"
#include "solver/inputs/experiment.hpp"
#include "solver/inputs/model_options.hpp"
#include "solver/inputs/plausibility.hpp"
#include "solver/util/text.hpp"
#include "solver/problem/problem.hpp"

namespace ionflux {
namespace {

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

namespace {

const char* const kNominal = "Nominal cell capacity [A.h]";

//! The Batch's per-cell columns and the recipe that packs a cell's record from them
//! (build_cell of the base set with the cell's varied values). Owns the base set, and so
//! the user functions the packed records point to.
struct SweepCells {
  ParameterSet base;
  bool thermal = false;
  ModelOptions model;                       //!< the degradation submodels (their parameters in .deg)
  std::vector<std::string> names;           //!< varied parameters
  std::vector<std::vector<double>> values;  //!< their columns
  std::vector<double> currents;             //!< per cell [A]
  std::vector<double> soc;                  //!< per cell (a varied SOC, or each cell's SOC at the
                                            //!< sweep's initial voltage: NaN for a cell that has none), else empty
  std::optional<double> soc_all;            //!< the SOC of every cell
  //! No parameter varies: every record is base_cell with its own current and SOC
  //! (cell_params(I) differs from cell_params(I') only in .current).
  bool same_parameters = false;
  CellParams base_cell{};
  double ocv_0 = 0.0, ocv_100 = 0.0;

  std::optional<double> soc_of(std::size_t c) const {
    return soc.empty() ? soc_all : std::optional<double>(soc[c]);
  }
  //! Cell c's record (`work`: the base set, whose varied entries it overwrites). Throws
  //! std::invalid_argument for a cell whose values are invalid.
  CellParams make(ParameterSet& work, std::size_t c) const {
    if (same_parameters) {
      CellParams cell = base_cell;
      cell.current = currents[c];
      if (const std::optional<double> s = soc_of(c)) apply_initial_soc(cell, *s, ocv_0, ocv_100);
      return cell;
    }
    for (std::size_t v = 0; v < names.size(); ++v) work.set(names[v], values[v][c]);
    return build_cell(work, currents[c], thermal, soc_of(c), model);
  }
  void pack(std::size_t first, std::size_t n, CellParams* out) const {
    ParameterSet work = same_parameters ? ParameterSet() : base;
    for (std::size_t k = 0; k < n; ++k) {
      try {
        out[k] = make(work, first + k);
      } catch (const std::invalid_argument&) {
        out[k] = CellParams{};  // an invalid cell (pre_status says so): not run
      }
    }
  }
};

}  // namespace

SweepPlan plan_sweep(const SweepSpec& spec, const PlannedCells* planned, const std::function<void()>& poll) {
  auto poll_at = [&](std::size_t c) {
    if (poll && (c & 4095u) == 0) poll();
  };
  SweepPlan plan{BatchInputs{}, load_sweep_parameters(spec), {}, {}, {}, {}};
  for (const auto& kv : spec.set) plan.base.set(kv.first, kv.second);
  // a set without the lumped model's parameters is the sweep's error, not each cell's
  if (spec.lumped_thermal) check_lumped_thermal(plan.base);
  // ... as is a set without the parameters the model options need
  check_degradation_parameters(plan.base, spec.model);
  // ... and one without the eSOH limits that a capacity termination needs
  check_termination_parameters(spec.experiment_end, plan.base, spec.varied);
  const double q_nom = plan.base.get(kNominal);
  const std::size_t n = spec.n_cells();

  // varied names used as experiment placeholders ("{name}") are not parameters
  std::vector<bool> is_placeholder(spec.varied.size(), false);
  for (std::size_t v = 0; v < spec.varied.size(); ++v)
    for (const auto& cycle : spec.experiment)
      for (const std::string& st : cycle)
        if (st.find("{" + spec.varied[v] + "}") != std::string::npos) is_placeholder[v] = true;
  // which varied entry drives the current / SOC, if any; a varied "Current function [A]"
  // is each cell's current exactly as "Current [A]" (PyBaMM varies the current through it)
  int v_crate = -1, v_current = -1, v_soc = -1;
  bool nominal_varied = false, cutoff_varied = false;
  for (std::size_t v = 0; v < spec.varied.size(); ++v) {
    const std::string& name = spec.varied[v];
    if (name == sweep_names::kCRate) v_crate = static_cast<int>(v);
    if (name == sweep_names::kCurrent) v_current = static_cast<int>(v);
    if (name == sweep_names::kInitialSoc) v_soc = static_cast<int>(v);
    if (is_placeholder[v]) continue;
    if (name == sweep_names::kCurrentFunction) v_current = static_cast<int>(v);
    nominal_varied |= name == kNominal;
    cutoff_varied |= name == "Lower voltage cut-off [V]" || name == "Upper voltage cut-off [V]";
  }
  // value of varied entry v in cell c of this plan; c == kSweepCell0: the whole sweep's
  // cell 0 (a range spec keeps its values for the checks that concern the whole sweep)
  constexpr std::size_t kSweepCell0 = static_cast<std::size_t>(-1);
  auto value = [&](std::size_t v, std::size_t c) {
    return c == kSweepCell0 ? (spec.sweep_cells ? spec.first_values[v] : spec.values[v][0]) : spec.values[v][c];
  };
  auto is_parameter = [&](std::size_t v) {
    const int vi = static_cast<int>(v);
    return !(vi == v_crate || vi == v_current || vi == v_soc || is_placeholder[v]);
  };
  double base_current = plan.base.get("Current function [A]");
  if (spec.c_rate) base_current = *spec.c_rate * q_nom;
  if (spec.current) base_current = *spec.current;
  // The current of cell c whose parameters are `ps`: a C-rate refers to this cell's
  // nominal capacity (which may itself vary).
  auto cell_current = [&](const ParameterSet& ps, std::size_t c) {
    double current = base_current;
    if (spec.c_rate && v_current < 0) current = *spec.c_rate * ps.get(kNominal);
    if (v_crate >= 0) current = value(static_cast<std::size_t>(v_crate), c) * ps.get(kNominal);
    if (v_current >= 0) current = value(static_cast<std::size_t>(v_current), c);
    return current;
  };
  // The initial SOC of cell c whose parameters are `ps`: varied, the SOC at the sweep's
  // initial voltage (PyBaMM's "3.9 V", from this cell's own parameters; InvalidParameter
  // where its window does not hold it), or the sweep's.
  auto cell_soc = [&](const ParameterSet& ps, std::size_t c) -> std::optional<double> {
    if (v_soc >= 0) return value(static_cast<std::size_t>(v_soc), c);
    if (spec.initial_voltage) return soc_at_voltage(ps, *spec.initial_voltage);
    return spec.initial_soc;
  };
  // Cell c as every cell is built (solver/problem/problem.hpp): parameters, current, thermal
  // model, initial SOC (`soc`: cell_soc(ps, c), found by the caller).
  auto build_at = [&](const ParameterSet& ps, std::size_t c, bool thermal, std::optional<double> soc) {
    double current = cell_current(ps, c);
    if (!(std::isfinite(current) && current != 0.0)) current = 1.0;  // (checked per cell below)
    CellParams cell = build_cell(ps, current, thermal, soc, spec.model);
    if (spec.experiment.empty()) cell.ocv_soc_0 = cell.ocv_soc_100 = 0.0;  // only an experiment's eSOH reads them
    return cell;
  };
  auto build = [&](const ParameterSet& ps, std::size_t c, bool thermal) {
    return build_at(ps, c, thermal, cell_soc(ps, c));
  };

  auto build0 = [&](const ParameterSet& ps, bool thermal) { return build(ps, 0, thermal); };
  // A "set" value that this sweep's model and protocol do not read changes nothing: say so
  // (the user meant something by it: an initial temperature in an isothermal run, SEI
  // kinetics without an SEI option). Compared with the set's own value, cell 0 as built.
  if (!spec.set.empty()) {
    ParameterSet original = load_sweep_parameters(spec);
    for (const auto& [name, value] : spec.set) {
      if (!original.contains(name) || original.is_function(name) || original.get(name) == value) continue;
      const UnusedBecause because =
          why_unused(original, name, value, spec.lumped_thermal, spec.model, !spec.experiment.empty(), build0);
      if (because != UnusedBecause::used)
        plan.warnings.push_back("set '" + name + "' = " + shortest_num(value) + " changes nothing in this sweep: " +
                                unused_text(because));
    }
  }

  // A varied parameter that this sweep's model and protocol do not use would leave every
  // cell the same: refuse it before anything runs, naming what to use instead.
  for (std::size_t v = 0; v < spec.varied.size(); ++v) {
    const std::string& name = spec.varied[v];
    if (!is_parameter(v) || !plan.base.contains(name) || plan.base.is_function(name)) continue;
    const double base_value = plan.base.get(name);
    const auto other = std::find_if(spec.values[v].begin(), spec.values[v].end(), [&](double x) { return x != base_value; });
    if (other == spec.values[v].end()) continue;  // every value is the set's own
    const UnusedBecause because =
        why_unused(plan.base, name, *other, spec.lumped_thermal, spec.model, !spec.experiment.empty(), build0);
    std::string why;
    switch (because) {
      case UnusedBecause::used: continue;
      case UnusedBecause::isothermal:
        why = "only the lumped thermal model uses it and this sweep is isothermal; add \"thermal\": \"lumped\" or "
              "remove it from vary";
        break;
      case UnusedBecause::no_degradation:
        why = "only the degradation submodels read it and this sweep has none; switch the one that uses it on with "
              "\"options\" (e.g. {\"SEI\": \"solvent-diffusion limited\"}; docs/degradation_options.md) or remove it "
              "from vary";
        break;
      case UnusedBecause::no_c_rate:
        why = "it only turns C-rates into currents, and no current of this sweep is a C-rate; vary \"C-rate\" (or "
              "give \"c_rate\") with it, or remove it from vary";
        break;
      case UnusedBecause::initial_soc_only:
        why = "it is used only to set an initial SOC (and by an experiment's eSOH summary variables); give "
              "\"initial_soc\" or vary \"Initial SOC\" with it, or remove it from vary";
        break;
      case UnusedBecause::not_in_model:
        why = "the DFN model does not use this parameter; remove it from vary";
        break;
    }
    throw InputError("vary '" + name + "': every cell would be the same, because " + why);
  }

  // Values far outside the usual range of their unit: one warning per parameter.
  for (const std::string& name : plan.base.names()) {
    const auto v = std::find(spec.varied.begin(), spec.varied.end(), name);
    if (v == spec.varied.end() || !is_parameter(static_cast<std::size_t>(v - spec.varied.begin()))) {
      if (plan.base.is_function(name)) continue;
      const std::string w = implausible_value(name, plan.base.get(name));
      if (!w.empty()) plan.warnings.push_back(w);
      continue;
    }
    std::string first;
    std::size_t count = 0;
    const std::vector<double>& cells = spec.values[static_cast<std::size_t>(v - spec.varied.begin())];
    const std::set<double> vals(cells.begin(), cells.end());  // each distinct value once
    for (double x : vals) {
      const std::string w = implausible_value(name, x);
      if (w.empty()) continue;
      ++count;
    }
    for (double x : cells)  // the message shows the first offending value of the config
      if (first.empty() && count) first = implausible_value(name, x);
    if (!first.empty())
      plan.warnings.push_back(first + (count > 1 ? " (" + std::to_string(count) + " of its " +
                                                       std::to_string(vals.size()) + " values are outside)"
                                                 : std::string()));
  }

  plan.protocol = "constant current, positive = discharge; ";
  if (v_crate >= 0) plan.protocol += "C-rate varied per cell";
  else if (v_current >= 0) plan.protocol += "current varied per cell ('" + spec.varied[static_cast<std::size_t>(v_current)] + "')";
  else if (spec.c_rate && nominal_varied)
    plan.protocol += shortest_num(*spec.c_rate) + "C of each cell's '" + kNominal + "'";
  else if (nominal_varied) plan.protocol += shortest_num(base_current) + " A";
  else plan.protocol += shortest_num(base_current) + " A (" + shortest_num(base_current / q_nom) + "C)";
  plan.protocol += "; until the voltage cut-offs or t_end";

  // The Batch: the base set and the columns of per-cell values; each cell's record is
  // packed when its chunk runs (BatchInputs::pack), not stored. Each cell is built once
  // here, to find the invalid ones, and dropped.
  BatchInputs& in = plan.inputs;
  in.pre_status.assign(n, CellStatus::running);
  in.pre_message.assign(n, std::string());
  plan.currents.assign(n, base_current);
  auto cells = std::make_shared<SweepCells>();
  cells->base = plan.base;
  cells->thermal = spec.lumped_thermal;
  cells->model = spec.model;
  for (std::size_t v = 0; v < spec.varied.size(); ++v)
    if (is_parameter(v)) {
      cells->names.push_back(spec.varied[v]);
      cells->values.push_back(spec.values[v]);
    }
  if (v_soc >= 0) cells->soc = spec.values[static_cast<std::size_t>(v_soc)];
  else if (spec.initial_voltage && !cells->names.empty()) cells->soc.assign(n, std::nan(""));  // each cell's, planned below
  else if (spec.initial_voltage) {  // no parameter varies (parse_sweep_config gives initial_soc then): the set's SOC
    try {
      cells->soc_all = soc_at_voltage(plan.base, *spec.initial_voltage);
    } catch (const std::invalid_argument& e) {
      throw InputError("initial_soc \"" + shortest_num(*spec.initial_voltage) + " V\": " + e.what());
    }
  } else cells->soc_all = spec.initial_soc;
  cells->same_parameters = cells->names.empty();
  if (cells->same_parameters) {
    try {
      cells->base_cell = build_cell(plan.base, base_current, spec.lumped_thermal, std::nullopt, spec.model);
      cells->ocv_0 = plan.base.get("Open-circuit voltage at 0% SOC [V]");
      cells->ocv_100 = plan.base.get("Open-circuit voltage at 100% SOC [V]");
    } catch (const std::invalid_argument&) {
      cells->same_parameters = false;  // the base set itself fails: each cell says why
    }
  }
  ParameterSet work = plan.base;  // only the varied entries change from cell to cell
  // cell c's own parameter set (in `work`)
  auto set_cell = [&](std::size_t c) {
    for (std::size_t v = 0; v < spec.varied.size(); ++v)
      if (is_parameter(v)) work.set(spec.varied[v], value(v, c));
  };
  // Plan cell c (set `work` to its values, find its current, build its record once):
  // throws std::invalid_argument for an invalid cell. Counted in plan.planned_cells.
  auto plan_cell = [&](std::size_t c) {
    ++plan.planned_cells;
    if (!cells->same_parameters) set_cell(c);
    const double current = cell_current(cells->same_parameters ? plan.base : work, c);
    if (c != kSweepCell0) plan.currents[c] = current;
    if (!(std::isfinite(current) && current != 0.0))
      throw InvalidParameter("the current must be non-zero and finite, got " + shortest_num(current) + " A");
    if (!cells->same_parameters) {  // with this cell's values
      const std::optional<double> soc = cell_soc(work, c);
      // each cell's own SOC from the sweep's initial voltage: found once, kept for packing
      // and the results (cells->soc, indexed by this plan's cells)
      if (spec.initial_voltage && !cells->soc.empty() && c != kSweepCell0) cells->soc[c] = *soc;
      build_at(work, c, spec.lumped_thermal, soc);
    } else if (const std::optional<double> s = c == kSweepCell0 ? (v_soc >= 0 ? cell_soc(plan.base, c) : cells->soc_all)
                                                              : cells->soc_of(c)) {
      CellParams cell = cells->base_cell;
      apply_initial_soc(cell, *s, cells->ocv_0, cells->ocv_100);
    }
  };
  if (planned) {  // the whole sweep's plan already found them (a partition on a Dask worker)
    auto mismatch = [&](const std::string& what) {
      return InputError("planned cells: " + what + " (expected the plan of this sweep's cells " +
                        std::to_string(spec.first_cell) + ":" + std::to_string(spec.first_cell + n) + ")");
    };
    if (planned->currents.size() != n)
      throw mismatch(std::to_string(planned->currents.size()) + " currents for " + std::to_string(n) + " cells");
    if (planned->t_end.empty() != (spec.t_end > 0.0))
      throw mismatch(spec.t_end > 0.0 ? "default end times, but the sweep gives t_end" : "no default end times");
    if (!planned->t_end.empty() && planned->t_end.size() != n)
      throw mismatch(std::to_string(planned->t_end.size()) + " end times for " + std::to_string(n) + " cells");
    for (const auto& list : {&planned->invalid, &planned->end_invalid})
      for (const auto& [c, message] : *list)
        if (c >= n) throw mismatch("cell " + std::to_string(c) + " is outside the range");
    plan.currents = planned->currents;
    for (const auto& [c, message] : planned->invalid) {
      in.pre_status[c] = CellStatus::invalid_input;
      in.pre_message[c] = message;
    }
    if (spec.initial_voltage) {  // each cell's SOC, as the whole plan found it
      if (planned->initial_soc.size() != n)
        throw mismatch(std::to_string(planned->initial_soc.size()) + " initial SOCs for " + std::to_string(n) +
                       " cells (the sweep starts at a voltage)");
      for (std::size_t c = 0; c < n; ++c) {
        const double soc = planned->initial_soc[c];
        if (in.pre_status[c] == CellStatus::running && !(soc >= 0.0 && soc <= 1.0))
          throw mismatch("cell " + std::to_string(spec.first_cell + c) + " runs but its initial SOC is " +
                         (std::isnan(soc) ? std::string("missing") : shortest_num(soc)));
      }
      if (!cells->soc.empty()) cells->soc = planned->initial_soc;  // (else one SOC, soc_all, found above)
    } else if (!planned->initial_soc.empty()) {
      throw mismatch("initial SOCs, but the sweep does not start at a voltage");
    }
  } else {
    for (std::size_t c = 0; c < n; ++c) {
      poll_at(c);
      try {
        plan_cell(c);
      } catch (const std::invalid_argument& e) {
        in.pre_status[c] = CellStatus::invalid_input;
        in.pre_message[c] = e.what();
      }
    }
  }
  cells->currents = plan.currents;
  in.n_packed = n;
  // The thermal model is the config's, whichever cells run: the file's layout (its
  // temperature series) is then the same for any range of the sweep.
  in.packed_thermal = spec.lumped_thermal;
  in.pack = [cells](std::size_t first, std::size_t count, CellParams* out) { cells->pack(first, count, out); };
  // Protocol.
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
              st.replace(pos, key.size(), shortest_num(value(static_cast<std::size_t>(ph_index[k]), c)));
          }
      return groups;
    };
    const std::string base_dir = !spec.base_dir.empty()                   ? spec.base_dir
                                 : spec.source.find('/') != std::string::npos ? spec.source.substr(0, spec.source.rfind('/'))
                                                                              : std::string(".");
    // The steps read the nominal capacity (C-rates) and the cut-offs (voltage
    // conditions): when those vary, each cell's steps are its own.
    const bool per_cell_parameters = nominal_varied || cutoff_varied;
    if (ph_index.empty() && !per_cell_parameters) {
      // one protocol for every cell; a bad step is an error of the whole sweep
      const Experiment ex = parse_experiment(spec.experiment, spec.cycles, plan.base, base_dir);
      plan.drive_files = ex.files;
      in.run.steps = ex.steps;
      in.run.tables = ex.tables;
      in.run.step_text = ex.text;
      // each cell starts from its first step's current, as a Simulation of it does
      // (ProblemBuilder: the initial guess reads it, so the sweep item is that run)
      const double start = protocol_start_current(plan.base, ex.steps);
      for (std::size_t c = 0; c < n; ++c) plan.currents[c] = cells->currents[c] = start;
    } else {
      // the sweep's first cell's protocol is checked here (a bad string fails the sweep
      // before any work); a later cell whose values make a bad step becomes an invalid
      // cell. (A range plans the sweep's cell 0 once more for this check.)
      bool first_valid = false;
      if (spec.sweep_cells) {
        try {
          plan_cell(kSweepCell0);
          first_valid = true;
        } catch (const std::invalid_argument&) {
        }
      } else {
        first_valid = in.pre_status[0] == CellStatus::running;
        if (first_valid) set_cell(0);
      }
      const std::size_t c0 = spec.sweep_cells ? kSweepCell0 : 0;
      const Experiment first_ex = parse_experiment(fill(c0), spec.cycles, first_valid ? work : plan.base, base_dir);
      // Cells that do not run keep this protocol's shape (its steps, first in
      // protocol_steps): the number of steps, and so the file's layout, does not depend
      // on which cells a range holds.
      plan.drive_files = first_ex.files;
      // every cell's drive-cycle files, once each (a placeholder in a file name gives each
      // cell its own): the output is checked against all of them (check_output_is_not_an_input)
      std::unordered_set<std::string> drive_seen(first_ex.files.begin(), first_ex.files.end());
      in.protocol_steps = first_ex.steps;
      in.protocol_tables = first_ex.tables;
      in.protocol_text = first_ex.text;
      const int shape_steps = static_cast<int>(first_ex.steps.size());
      in.protocol_first.assign(n, 0);
      in.protocol_count.assign(n, 0);
      for (std::size_t c = 0; c < n; ++c) {
        poll_at(c);
        if (in.pre_status[c] != CellStatus::running) {
          in.protocol_count[c] = shape_steps;
          continue;
        }
        try {
          set_cell(c);
          const Experiment ex = parse_experiment(fill(c), spec.cycles, work, base_dir);
          for (const std::string& f : ex.files)
            if (drive_seen.insert(f).second) plan.drive_files.push_back(f);
          plan.currents[c] = cells->currents[c] = protocol_start_current(work, ex.steps);  // as above
          const int table_shift = static_cast<int>(in.protocol_tables.size() / 2);
          in.protocol_first[c] = static_cast<int>(in.protocol_steps.size());
          in.protocol_count[c] = static_cast<int>(ex.steps.size());
          for (StepSpec st : ex.steps) {
            st.table_offset += table_shift;
            in.protocol_steps.push_back(st);
          }
          in.protocol_tables.insert(in.protocol_tables.end(), ex.tables.begin(), ex.tables.end());
          in.protocol_text.insert(in.protocol_text.end(), ex.text.begin(), ex.text.end());
        } catch (const std::invalid_argument& e) {
          in.pre_status[c] = CellStatus::invalid_input;
          in.pre_message[c] = e.what();
          in.protocol_first[c] = 0;
          in.protocol_count[c] = shape_steps;
          plan.protocol_invalid.push_back(c);
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
  in.run.model = spec.model;
  in.run.experiment_end = spec.experiment_end;
  in.run.solver = spec.solver;
  in.run.period = spec.period;
  in.run.t_end = spec.t_end;
  if (!(in.run.t_end > 0.0)) {
    // Each cell's own default end (from its theoretical capacity and its steps); the
    // shared limit is the largest of them.
    in.t_end.assign(n, 0.0);
    double longest = 0.0;
    std::size_t next_end_invalid = 0;  // in planned->end_invalid
    for (std::size_t c = 0; c < n; ++c) {
      poll_at(c);
      if (in.pre_status[c] != CellStatus::running) continue;
      if (planned) {  // the whole plan's end, or its reason why there is none
        while (next_end_invalid < planned->end_invalid.size() && planned->end_invalid[next_end_invalid].first < c)
          ++next_end_invalid;
        if (next_end_invalid < planned->end_invalid.size() && planned->end_invalid[next_end_invalid].first == c) {
          in.pre_status[c] = CellStatus::invalid_input;
          in.pre_message[c] = planned->end_invalid[next_end_invalid].second;
          plan.end_time_invalid.push_back(c);
          continue;
        }
        const double t = planned->t_end[c];
        if (!(std::isfinite(t) && t > 0.0))
          throw InputError("planned cells: cell " + std::to_string(spec.first_cell + c) +
                           " runs but has no usable end time (" + shortest_num(t) + " s)");
        in.t_end[c] = t;
        longest = std::max(longest, t);
        continue;
      }
      std::vector<StepSpec> own;
      if (!in.protocol_first.empty())
        own.assign(in.protocol_steps.begin() + in.protocol_first[c],
                   in.protocol_steps.begin() + in.protocol_first[c] + in.protocol_count[c]);
      const double t = default_end_time(cells->make(work, c), in.protocol_first.empty() ? in.run.steps : own);
      if (!(std::isfinite(t) && t > 0.0)) {
        in.pre_status[c] = CellStatus::invalid_input;
        in.pre_message[c] = "the default end time is not usable (" + shortest_num(t) + " s); give t_end";
        plan.end_time_invalid.push_back(c);
        continue;
      }
      in.t_end[c] = t;
      longest = std::max(longest, t);
    }
    if (!(longest > 0.0)) longest = default_end_time(q_nom, base_current != 0.0 ? base_current : q_nom);
    for (double& t : in.t_end)
      if (!(t > 0.0)) t = longest;  // cells that do not run
    in.run.t_end = longest;
  }
  validate_run_options(in.run);
  in.n_times = output_columns(in.run) + in.max_protocol_steps();  // + the off-grid step ends
  if (spec.initial_voltage)  // each cell's SOC at the voltage (the file's /cells/initial_soc)
    plan.initial_soc = !cells->soc.empty() ? cells->soc : std::vector<double>(n, *cells->soc_all);
  return plan;
}

PlannedCells planned_cells_of(const SweepPlan& plan, const CellRange& r) {
  const BatchInputs& in = plan.inputs;
  if (!(r.first < r.last && r.last <= in.size()))
    throw InputError("planned cells: [" + std::to_string(r.first) + ", " + std::to_string(r.last) +
                     ") is not a non-empty range of the plan's " + std::to_string(in.size()) + " cells");
  PlannedCells p;
  p.currents.assign(plan.currents.begin() + static_cast<std::ptrdiff_t>(r.first),
                    plan.currents.begin() + static_cast<std::ptrdiff_t>(r.last));
  if (!in.t_end.empty())
    p.t_end.assign(in.t_end.begin() + static_cast<std::ptrdiff_t>(r.first),
                   in.t_end.begin() + static_cast<std::ptrdiff_t>(r.last));
  auto in_list = [](const std::vector<std::size_t>& cells, std::size_t c) {
    return std::binary_search(cells.begin(), cells.end(), c);
  };
  if (!plan.initial_soc.empty())
    p.initial_soc.assign(plan.initial_soc.begin() + static_cast<std::ptrdiff_t>(r.first),
                         plan.initial_soc.begin() + static_cast<std::ptrdiff_t>(r.last));
  for (std::size_t c = r.first; c < r.last; ++c) {
    if (in.pre_status[c] == CellStatus::running) continue;
    if (in_list(plan.protocol_invalid, c)) continue;  // the range's plan parses its protocol again and finds it
    (in_list(plan.end_time_invalid, c) ? p.end_invalid : p.invalid).emplace_back(c - r.first, in.pre_message[c]);
  }
  return p;
}

SweepFileInfo sweep_file_info(const SweepSpec& spec, const SweepPlan& plan) {
  SweepFileInfo info;
  info.n_cells = plan.inputs.size();
  info.first_cell = spec.first_cell;  // a range spec: its rows' numbers in the sweep
  info.sweep_cells = spec.sweep_cells;
  info.n_times = plan.inputs.n_times;
  info.varied = spec.varied;
  info.inputs = spec.values;
  info.initial_soc = plan.initial_soc;
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
      {"model", (spec.lumped_thermal ? "DFN with a lumped thermal model (PyBaMM 26.10 options {\"thermal\": \"lumped\"})"
                                     : "isothermal DFN (PyBaMM 26.10 default options)") +
                    (spec.model.any() ? "; degradation: " + model_options_summary(spec.model) : std::string())},
      {"model options", model_options_json(spec.model)},
      {"parameter set", spec.parameters},
      {"parameters", parameters_json(plan.base)},
      {"mesh", "x_n=" + std::to_string(m.x_n) + ",x_s=" + std::to_string(m.x_s) + ",x_p=" + std::to_string(m.x_p) +
                   ",r_n=" + std::to_string(m.r_n) + ",r_p=" + std::to_string(m.r_p)},
      {"solver", "BDF orders 1-5, rtol=" + shortest_num(r.solver.rtol) + ", atol=" + shortest_num(r.solver.atol) +
                     " (on PyBaMM's scaled states)"},
      {"protocol", plan.protocol},
      {"t_end [s]", shortest_num(r.t_end)},
      {"t_end rule", plan.inputs.t_end.empty()
                         ? std::string("given in the config, the same for every cell")
                         : std::string("default: each cell's own end from its theoretical capacity (1.2 x the time in "
                                       "which its current moves the lithium available to it; protocol steps: their "
                                       "durations or 1.2 x min(Q_n, Q_p, Q_Li) / |I|); t_end [s] is the largest")},
      {"output", output_description(r)},
      // the cells are the sampled points when every varied entry is sampled: no grid, no zip
      {"combine", spec.n_sampled > 0 && spec.n_sampled == spec.varied.size() ? spec.sampling : spec.combine},
      {"sampling", spec.n_sampled > 0 ? spec.sampling + " (" + std::to_string(spec.samples) + " points of " +
                                            std::to_string(spec.n_sampled) + " sampled entries)"
                                      : std::string("none")},
      {"varied", [&] {  // the varied names in config order, as a JSON array
         std::string a = "[";
         for (std::size_t v = 0; v < spec.varied.size(); ++v) a += (v ? ", \"" : "\"") + json_escape(spec.varied[v]) + "\"";
         return a + "]";
       }()},
      {"seed", spec.n_sampled > 0 ? std::to_string(spec.seed) : std::string("none (nothing is sampled)")},
      {"config", spec.source},
      // the sweep-wide run settings a cell's Solution reports (python/ionflux/result.py,
      // SweepResult._config), as a JSON object; a varied entry overrides them per cell
      {"settings", [&] {
         std::string o;
         auto add = [&](const char* key, const std::optional<double>& v) {
           if (v) o += std::string(o.empty() ? "" : ", ") + "\"" + key + "\": " + shortest_num(*v);
         };
         add("initial_soc", spec.initial_soc);
         add("initial_voltage", spec.initial_voltage);  // each cell's SOC at this voltage
         add("c_rate", spec.c_rate);
         add("current", spec.current);
         const std::string term = experiment_termination_text(spec.experiment_end);
         if (!term.empty()) o += std::string(o.empty() ? "" : ", ") + "\"termination\": \"" + term + "\"";
         return "{" + o + "}";
       }()},
  };
  info.attributes.emplace_back("inputs fingerprint", sweep_fingerprint(info));
  return info;
}

void check_not_unfinished(const std::string& path, const std::string& resume, const std::string& overwrite) {
  const std::string status = unfinished_sweep_status(path);
  if (!status.empty())
    throw InputError("'" + path + "' holds a sweep that was not finished (" + status +
                     "); a new run would replace it and its finished cells: continue it with " + resume +
                     ", or give " + overwrite + " to replace it");
}

std::vector<std::pair<std::string, std::string>> sweep_input_files(const SweepSpec& spec, const SweepPlan& plan) {
  std::vector<std::pair<std::string, std::string>> files{{spec.parameters, "parameter file"}};
  for (const std::string& f : plan.drive_files) files.emplace_back(f, "drive-cycle file");
  return files;
}

std::unique_ptr<H5SweepWriter> open_sweep_file(const SweepSpec& spec, const SweepPlan& plan,
                                               const std::string& path) {
  check_output_is_not_an_input(path, sweep_input_files(spec, plan), "output");
  return open_sweep_file(sweep_file_info(spec, plan), path);
}

std::unique_ptr<H5SweepWriter> open_sweep_file(const SweepFileInfo& info, const std::string& path) {
  if (!hdf5_available()) throw RuntimeError("ionflux was built without HDF5 (install libhdf5-dev and rebuild)");
  // a name that says another format would hold HDF5 (and replace such a file): refused
  const std::size_t dot = path.rfind('.');
  if (dot != std::string::npos && path.find('/', dot) == std::string::npos) {
    const std::string ext = to_lower(path.substr(dot));
    for (const char* other : {".csv", ".json", ".txt", ".tsv", ".xlsx", ".xls", ".parquet", ".npy", ".npz", ".pkl",
                              ".mat"})
      if (ext == other)
        throw InputError("the sweep output '" + path + "' is an HDF5 file, not " + ext.substr(1) +
                         ": give it the extension .h5 (tables of its results: ionflux.load(path).to_xarray(), or "
                         "h5py)");
  }
  try {
    return std::make_unique<H5SweepWriter>(path, info);
  } catch (const RuntimeError& e) {
    throw InputError(e.what());  // an unwritable output is bad input: nothing ran
  }
}

std::unique_ptr<H5SweepWriter> open_sweep_file_to_resume(const SweepFileInfo& info, const std::string& path) {
  if (!hdf5_available()) throw RuntimeError("ionflux was built without HDF5 (install libhdf5-dev and rebuild)");
  try {
    return std::make_unique<H5SweepWriter>(path, info, H5SweepWriter::Open::resume);
  } catch (const RuntimeError& e) {
    throw InputError(e.what());
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

void finish_sweep_file(ResultSink& writer, const BatchSummary& s, std::size_t n_cells) {
  writer.set_attribute("device", s.device_description);
  writer.set_attribute("bytes per cell", std::to_string(s.bytes_per_cell));
  writer.set_attribute("status counts", status_counts(s));
  writer.set_attribute("wall time [s]", shortest_num(s.wall_time));
  writer.set_attribute("status", s.cancelled ? "interrupted: " + std::to_string(n_cells - s.not_run) + " of " +
                                                   std::to_string(n_cells) +
                                                   " cells finished; cells with status -1 were not run (continue with `ionflux sweep CONFIG "
                                                   "--output FILE --resume`, or from Python the same "
                                                   "Sweep's `run(output=FILE, resume=True)`)"
                                             : std::string("complete"));
  writer.close();
}

}  // namespace ionflux
