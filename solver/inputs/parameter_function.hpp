// A parameter set's function parameters evaluated on the host through the kernels'
// functions (kernels/model/functions.hpp), exactly as the solver evaluates them: the
// same closed forms, expressions and tables, with the same argument clipping and
// regularisation. Python's ParameterFunction calls (ps["Negative electrode OCP [V]"](sto))
// and plots (ParameterSet.plot) come here; nothing is re-implemented in Python.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "solver/inputs/parameters.hpp"

namespace ionflux {

//! The arguments of function parameter `parameter`, in call order (PyBaMM's order):
//! OCPs and entropic changes (sto); particle diffusivities (sto, T); exchange-current
//! densities (c_e, c_s_surf, c_s_max, T); electrolyte functions (c_e, T); electrode
//! conductivities and current-collector thermal properties (T); electrode and
//! separator thermal properties (T, eps). Throws InvalidParameter for a parameter
//! that only takes a number.
std::vector<std::string> function_arguments(const std::string& parameter);

//! Evaluate parameter `key` of `ps` (a function, or a number: its value) at `n` points:
//! `args[i]` points to n values of argument i (function_arguments order); `out` gets n
//! values. What the solver evaluates for that parameter:
//!  - OCP, entropic change: the function at clip(sto, 1e-10, 1 - 1e-10) (no temperature
//!    term and no end barriers: those belong to the electrode's OCP, not the parameter);
//!  - particle diffusivity: at clip(sto, 1e-10, 1 - 1e-10) and T;
//!  - exchange-current density: PyBaMM's DFN wrapper (c_e >= 0 and c_s_surf in
//!    [0, c_s_max] clipped, square roots regularised with the scales "Initial
//!    concentration in electrolyte [mol.m-3]" and c_s_max);
//!  - electrolyte diffusivity and conductivity: at max(c_e, 10 mol/m3) and T;
//!  - transference number, thermodynamic factor, conductivities of T, thermal
//!    properties: the function at its arguments.
//! Throws InvalidParameter (naming the parameter and its arguments) when args.size()
//! is not the function's number of arguments; UnknownParameter for an unknown key.
void evaluate_function(const ParameterSet& ps, const std::string& key, const std::vector<const double*>& args,
                       std::size_t n, double* out);

}  // namespace ionflux
