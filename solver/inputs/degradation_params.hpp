// The degradation parameters (PyBaMM's names, reference pybamm-degradation.md sections
// 3, 4, 6, 7, 10) of a parameter set, read into CellParams::deg for the submodels that
// the resolved ModelOptions switch on. A parameter is required only where an option
// needs it; a missing one is an InvalidParameter naming it and the option.
#pragma once

#include <string>
#include <vector>

#include "kernels/model/cell_params.hpp"
#include "solver/inputs/parameters.hpp"

namespace ionflux {

//! Every degradation parameter name ionflux reads (parameter files may give any of them).
const std::vector<std::string>& degradation_parameter_names();

//! A degradation function of PyBaMM's shipped sets that parameter files name with
//! {"function": NAME}: its closed form, and the parameter kind it serves.
struct DegradationFunctionInfo {
  std::string name;  //!< PyBaMM's Python function name
  FunctionId id;
  std::string kind;  //!< parameter_kind() it serves ("electrode volume change", ...)
};
const std::vector<DegradationFunctionInfo>& degradation_functions();

//! The kernel's reference to degradation function parameter `key`: a constant, a user
//! function (specialised to `temperature` unless it is NaN), or a closed form with its
//! constants read from the set as PyBaMM's function reads them (e.g. F k c_e with k the
//! set's "Lithium plating kinetic rate constant [m.s-1]"). Throws InvalidParameter when
//! such a constant is missing (`needed_by`: the option, for the message).
FunctionRef degradation_function(const ParameterSet& ps, const std::string& key, double temperature,
                                 const std::string& needed_by = "");

//! The parameters the options need, as (parameter, option that needs it) pairs.
std::vector<std::pair<std::string, std::string>> required_degradation_parameters(const ParameterSet& ps,
                                                                                 const ModelOptions& m);

//! Throws InvalidParameter listing every parameter the options need that the set lacks,
//! with the option that needs it. Nothing for the plain DFN.
void check_degradation_parameters(const ParameterSet& ps, const ModelOptions& m);

//! Fill cell.deg with what the options need (check_degradation_parameters first);
//! functions of T specialised to `temperature` (NaN: the general records, for cells
//! whose temperature varies). The plain DFN leaves cell.deg as it is (zero).
void enable_degradation(CellParams& cell, const ParameterSet& ps, const ModelOptions& m, double temperature);

}  // namespace ionflux
