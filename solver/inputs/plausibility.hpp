// Plausibility of inputs: values orders of magnitude away from the usual range of their
// quantity (a thickness of 80 [m], a temperature of 25 [K]) give a warning that names the
// likely unit mistake; a cell that fails to initialise gets a diagnosis naming the
// quantities at its initial state that are non-finite, zero or absurd.
#pragma once

#include <string>
#include <vector>

#include "kernels/model/cell_params.hpp"
#include "solver/inputs/parameters.hpp"

namespace ionflux {

//! A one-line warning when `name` = `value` is far outside the usual range of its
//! quantity, with the likely unit mistake ("'Negative electrode thickness [m]' = 80 is
//! far outside the usual 1e-06..0.01 m; was it given in µm?"); empty when the value is
//! plausible or the parameter has no usual range here.
std::string implausible_value(const std::string& name, double value);

//! The warnings of implausible_value for every scalar parameter of the set, in set order.
std::vector<std::string> implausible_values(const ParameterSet& ps);

//! Why a cell may have failed its consistent initialisation: the parameter functions at
//! the initial state (OCPs, exchange-current densities, conductivities, diffusivities)
//! that are non-finite, zero or absurd, the overpotentials and ohmic drops the applied
//! current would need, and any implausible inputs. Empty when nothing stands out.
std::string diagnose_init_failure(const CellParams& cell);

//! Why a cell was past a voltage cut-off at t = 0 (status cutoff_at_start), to append to
//! its message: its terminal voltage v0 at the current i0 against the cut-offs, and
//! whether the open-circuit voltage of its initial state is already past the cut-off (a
//! charge from a full cell, a discharge from an empty one: start from another state of
//! charge) or the current's drop takes it there (a smaller current, or more room).
std::string diagnose_cutoff_at_start(const CellParams& cell, double v0, double i0);

}  // namespace ionflux
