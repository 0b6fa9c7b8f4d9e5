#include "solver/problem/problem.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "solver/inputs/degradation_params.hpp"
#include "solver/util/errors.hpp"
#include "solver/util/text.hpp"

namespace ionflux {

CellParams build_cell(const ParameterSet& ps, double current, bool lumped_thermal, std::optional<double> soc,
                      const ModelOptions& model) {
  CellParams cell = ps.cell_params(current);  // validates the whole set
  if (lumped_thermal) enable_lumped_thermal(cell, ps);
  enable_degradation(cell, ps, model, lumped_thermal ? std::nan("") : cell.temperature);
  if (soc)
    apply_initial_soc(cell, *soc, ps.get("Open-circuit voltage at 0% SOC [V]"),
                      ps.get("Open-circuit voltage at 100% SOC [V]"));
  return cell;
}

double protocol_start_current(const ParameterSet& ps, const std::vector<StepSpec>& steps) {
  if (!steps.empty()) {
    const StepSpec& first = steps.front();
    if (first.mode == ControlMode::current && first.value != 0.0) return first.value;
  }
  return ps.get("Current function [A]");
}

double checked_default_end(const CellParams& cell, const std::vector<StepSpec>& steps) {
  const double t = default_end_time(cell, steps);  // from the cell's own capacity
  if (!(t > 0.0 && std::isfinite(t)))
    throw InputError("the default end time is not usable (" + num(t) + " s); give t_end (--t-end)");
  return t;
}

Problem ProblemBuilder::build() const {
  Problem p;
  p.parameters = ps_;  // the problem's own copy: it owns the user functions the cell points to
  p.experiment = ex_;
  p.lumped_thermal = thermal_;
  p.initial_soc = soc_;
  if (c_rate_ && current_) throw InputError("give a C-rate or a current, not both");
  if (!ex_.steps.empty()) {
    if (c_rate_ || current_)
      throw InputError("the experiment sets the protocol: drop the C-rate/current (write the current in the steps)");
    p.current = protocol_start_current(p.parameters, ex_.steps);
  } else if (c_rate_) {
    p.current = *c_rate_ * p.parameters.get("Nominal cell capacity [A.h]");
  } else if (current_) {
    p.current = *current_;
  } else {
    p.current = p.parameters.get("Current function [A]");
  }
  if (!(std::isfinite(p.current) && p.current != 0.0))
    throw InvalidParameter("the current must be non-zero and finite, got " + num(p.current) + " A");
  p.cell = build_cell(p.parameters, p.current, thermal_, soc_, run_.model);
  if (run_.experiment_end.any() && ex_.steps.empty())
    throw InputError("an experiment termination (\"" + experiment_termination_text(run_.experiment_end) +
                     "\") needs an experiment: it is checked at the end of each cycle");
  check_termination_parameters(run_.experiment_end, p.parameters);
  p.run = run_;
  p.run.steps = ex_.steps;
  p.run.tables = ex_.tables;
  p.run.step_text = ex_.text;
  p.default_t_end = !(t_end_ && *t_end_ > 0.0);
  p.run.t_end = p.default_t_end ? checked_default_end(p.cell, ex_.steps) : *t_end_;
  // a time termination ends the run there (PyBaMM's "10 hours"): the end time, or an
  // earlier given one
  if (const std::optional<double> t = time_termination_end(run_.experiment_end, p.default_t_end ? 0.0 : p.run.t_end)) {
    p.run.t_end = *t;
    p.default_t_end = false;
  }
  validate_run_options(p.run);
  return p;
}

UnusedBecause why_unused(const ParameterSet& base, const std::string& name, double value, bool lumped,
                         const ModelOptions& model, bool experiment,
                         const std::function<CellParams(const ParameterSet&, bool)>& build) {
  if (experiment && (name == "Nominal cell capacity [A.h]" || name == "Lower voltage cut-off [V]" ||
                     name == "Upper voltage cut-off [V]"))
    return UnusedBecause::used;  // the step strings read them
  auto changes = [&](bool thermal) {
    try {
      ParameterSet changed = base;
      changed.set(name, value);
      const CellParams a = build(base, thermal), b = build(changed, thermal);
      return std::memcmp(&a, &b, sizeof a) != 0;  // (CellParams has no padding: tests/check_no_padding.sh)
    } catch (const std::invalid_argument&) {
      // this run's model: the value matters enough to be rejected, so leave it to the run;
      // the lumped model as a hint: not usable with this set, no hint
      return thermal == lumped;
    }
  };
  if (changes(lumped)) return UnusedBecause::used;
  if (!lumped && changes(true)) return UnusedBecause::isothermal;
  const auto& deg = degradation_parameter_names();
  if (!model.any() && std::find(deg.begin(), deg.end(), name) != deg.end()) return UnusedBecause::no_degradation;
  if (name == "Nominal cell capacity [A.h]") return UnusedBecause::no_c_rate;
  if (name.rfind("Open-circuit voltage at", 0) == 0) return UnusedBecause::initial_soc_only;
  return UnusedBecause::not_in_model;
}

std::string unused_text(UnusedBecause why) {
  switch (why) {
    case UnusedBecause::used: return "";
    case UnusedBecause::isothermal: return "only the lumped thermal model uses it and this run is isothermal";
    case UnusedBecause::no_degradation: return "only the degradation submodels read it and this run has none";
    case UnusedBecause::no_c_rate: return "it only turns C-rates into currents, and no current of this run is a C-rate";
    case UnusedBecause::initial_soc_only:
      return "it is used only to set an initial SOC (and by an experiment's eSOH summary variables)";
    case UnusedBecause::not_in_model: return "the DFN model does not read it in this run";
  }
  return "";
}

}  // namespace ionflux
