// PyBaMM's per-cycle summary variables (issue 16, "Outputs"; reference
// pybamm-degradation.md §9.1-9.3): the one place that turns the kernel's lithium
// inventories (kernels/model/inventory.hpp, recorded at every step end) into PyBaMM's
// names and values, and solves the electrode state of health (eSOH) at each cycle's end.
// Used by the cycle reducer (results.hpp), hence by /cycles in HDF5, Python's
// res.cycles / sol.summary_variables and the CLI summary.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "kernels/model/esoh.hpp"
#include "kernels/model/inventory.hpp"

namespace ionflux {

// Esoh and solve_esoh: kernels/model/esoh.hpp (the kernel's capacity termination calls it too).

//! The eSOH fields kept per cycle-ending step (ChunkData::step_esoh).
enum EsohField : int { kEsohX100 = 0, kEsohX0, kEsohUn100, kEsohUp100, kEsohUn0, kEsohUp0, kEsohFields };

//! Per cell, from its parameters (ChunkData::cell_summary): the inventory of the initial
//! state (the state at the run start), the reference values (reference_inventory) and
//! the current-collector area [m2].
enum CellSummaryField : int {
  kCellStartInventory = 0,
  kCellReference = kCellStartInventory + kInventoryFields,
  kCellArea = kCellReference + kReferenceFields,
  kCellSummaryFields
};

//! Fill out[kCellSummaryFields] for a cell (layout l: its mesh).
void cell_summary_inputs(const CellParams& p, const Layout& l, double* out);

//! The eSOH fields out[kEsohFields] at a state of inventory `inv` (NaN: no solution, or
//! the set has no "Open-circuit voltage at 0% / 100% SOC [V]").
void esoh_fields(const CellParams& p, const double* inv, double* out);

//! The degradation outputs of one state that PyBaMM gives as time series (issue 16;
//! reference 3.4, 6.1-6.3, 7.1), each only where the option that defines it is on, with
//! PyBaMM's names: "{Domain} electrode thickness change [m]" (that electrode has particle
//! mechanics), "Cell thickness change [m]" (both have), "X-averaged {domain} electrode
//! roughness ratio", "X-averaged {domain} particle crack length [m]" (mechanics),
//! "X-averaged {domain} SEI on cracks thickness [m]" (SEI on cracks), "X-averaged {domain}
//! electrode active material volume fraction", "Loss of lithium due to loss of active
//! material in {domain} electrode [mol]" and "{Domain} electrode stoichiometry"
//! (x-average(eps_s r-average(c)) / x-average(eps_s) / c_max) (loss of active material), "X-averaged {domain}
//! electrode porosity" (porosity change). names (if not null) gets the names, values the
//! values, in the same order for every state of a run. The thickness changes are PyBaMM's,
//! n_par L <...>_x with n_par = "Number of electrodes connected in parallel to make a cell"
//! (CellParams::n_parallel; 34 in Ai2020).
void degradation_series(const CellParams& p, const Layout& l, const double* y, std::vector<std::string>* names,
                        std::vector<double>& values);

//! Named per-cycle columns: values[j] holds names[j] for n cells x n_cycles, row-major,
//! NaN for cycles not reached.
struct SummaryVariables {
  std::size_t n = 0, n_cycles = 0;
  std::vector<std::string> names;
  std::vector<std::vector<double>> values;
  //! The column of `name`, or null.
  const std::vector<double>* find(const std::string& name) const;
};

//! PyBaMM's summary variable names this module gives (set_default_summary_variables'
//! list, minus "Local ECM resistance [Ohm]", plus "Total lithium capacity [A.h]",
//! "Total lithium capacity in particles [A.h]", the x-averaged SEI thicknesses and the two
//! "Loss of lithium due to loss of active material in ... electrode [mol]"), in
//! that order; each also has its "Change in x" variant (summary_variable_names lists both).
const std::vector<std::string>& base_summary_names();
//! The eSOH names (PyBaMM's _ElectrodeSOH variables, minus the duplicated electrode
//! capacities and "Maximum theoretical energy [W.h]").
const std::vector<std::string>& esoh_summary_names();
//! Every column summary_variables gives, in order: the base names, their "Change in"
//! variants, the eSOH names.
std::vector<std::string> summary_variable_names();

//! What summary_variables reads per (cell, cycle), each n x n_cycles row-major (NaN: cycle
//! not reached): the inventory at the cycle's last state and at its first state (field f
//! at [f][k * n_cycles + c]), the eSOH fields at its last state, the time [s] at both
//! ends, and the throughputs at its end with what the cycle itself moved.
struct CycleStates {
  std::size_t n = 0, n_cycles = 0;
  std::vector<double> end_inv[kInventoryFields], start_inv[kInventoryFields], esoh[kEsohFields];
  std::vector<double> t_end, t_start, throughput_capacity, throughput_energy, moved_capacity, moved_energy;
  //! per cell: ChunkData::cell_summary's fields (k * kCellSummaryFields + f)
  std::vector<double> cell;
};

//! The columns, with PyBaMM's definitions (§9.1-9.3): "X" at the cycle's last state and
//! "Change in x" = X(last) - X(first state of the cycle).
SummaryVariables summary_variables(const CycleStates& s);

}  // namespace ionflux
