// Parameter sets keyed by PyBaMM's names (units in the name), with validation.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "kernels/model/cell_params.hpp"
#include "solver/inputs/builtin_sets.hpp"

namespace ionflux {

class ParameterSet {
 public:
  //! A built-in set ("Chen2020", "Marquis2019") or a parameter file.
  //! Throws InputError for an unknown set name or an unreadable file.
  static ParameterSet load(const std::string& name_or_file);
  static std::vector<std::string> builtin_names();
  //! [parameter files] A set made of the given entries, unchecked (the parameter-file
  //! loader in parameter_file.cpp checks them first).
  static ParameterSet from_entries(std::string name, std::vector<Entry> entries);

  const std::string& name() const { return name_; }
  //! Free text from a parameter file's "description" (empty for the compiled sets).
  const std::string& description() const { return description_; }
  void set_description(std::string d) { description_ = std::move(d); }
  bool contains(const std::string& key) const;
  bool is_function(const std::string& key) const;
  //! Scalar value; throws UnknownParameter, or InvalidParameter for a function.
  double get(const std::string& key) const;
  const Entry& entry(const std::string& key) const;
  //! Set a scalar (replacing a function by a constant, as PyBaMM does). The value is
  //! range-checked at once; cross-parameter checks run in validate().
  void set(const std::string& key, double value);
  //! Make a function parameter a user function (table or expression).
  void set_function(const std::string& key, std::shared_ptr<const UserFunctionSource> f);
  //! Parse "NAME=VALUE" (the CLI's --set).
  void set_from_string(const std::string& assignment);
  std::vector<std::string> names() const;
  //! Up to `count` known names closest to `key` (edit distance, case-insensitive).
  std::vector<std::string> closest_names(const std::string& key, int count = 3) const;
  //! Checks that involve several parameters (fractions, cut-offs, initial states).
  void validate() const;

  //! The kernel record for a constant-current run at `current` [A] (positive = discharge).
  CellParams cell_params(double current) const;

 private:
  std::string name_;
  std::string description_;
  std::vector<Entry> entries_;
  std::size_t index_of(const std::string& key) const;
};

//! The entry for a user function `f` of parameter `key`.
Entry user_function_entry(const std::string& key, std::shared_ptr<const UserFunctionSource> f);

//! Check one value against the physical range of the named parameter; throws
//! InvalidParameter ("'NAME' must be ..., got V").
void check_parameter_range(const std::string& name, double value);

//! Point the cell's parameter functions at the set's functions; user functions are
//! specialised to `temperature` [K] (functions of T alone folded to numbers), or, for a
//! NaN temperature, the general records (cells whose temperature varies).
//! The kernel's reference to parameter `key`'s function (a number is the constant
//! FunctionRef); user functions specialised to the cell temperature `temperature`
//! (functions of T alone fold to numbers), or the general records for a NaN temperature.
FunctionRef function_of(const ParameterSet& ps, const std::string& key, double temperature);

void assign_functions(CellParams& cell, const ParameterSet& params, double temperature);

//! Switch a cell to PyBaMM's lumped thermal model ("thermal": "lumped"): one cell
//! temperature, starting at "Initial temperature [K]", heated by the ohmic, reaction
//! and reversible heat of the stack and the current collectors, cooled to "Ambient
//! temperature [K]" through "Total heat transfer coefficient [W.m-2.K-1]" x "Cell
//! cooling surface area [m2]" / "Cell volume [m3]"; heat capacity the thickness-weighted
//! mean of the five layers' density x specific heat capacity, each a number or a
//! function of T (evaluated at the cell temperature as it varies, as are the electrode
//! conductivities). Throws InputError (check_lumped_thermal) when the set lacks what
//! the model needs.
void enable_lumped_thermal(CellParams& cell, const ParameterSet& params);

//! Throws InputError naming the option (--thermal lumped / thermal="lumped") and every
//! missing parameter when `params` lacks what the lumped thermal model needs (e.g.
//! Prada2013, which has no thermal parameters, in PyBaMM too).
void check_lumped_thermal(const ParameterSet& params);

//! Initial stoichiometries for a state of charge in [0, 1], as PyBaMM's
//! set_initial_state(soc) with the default electrode-SOH solve ("cyclable lithium
//! capacity" known): stoichiometry limits from the OCV at 0% and 100% SOC.
//! Sets cell.neg.c_init and cell.pos.c_init. Throws InputError if soc is outside
//! [0, 1] or the limits cannot be found.
void apply_initial_soc(CellParams& cell, double soc, double ocv_0, double ocv_100);

//! The initial SOC whose open-circuit voltage is `volts` (PyBaMM's initial_soc="3.9 V"):
//! the SOC window of apply_initial_soc, inverted; InvalidParameter for a voltage outside
//! the set's "Open-circuit voltage at 0% / 100% SOC [V]".
double soc_at_voltage(const ParameterSet& ps, double volts);

//! The cell's open-circuit voltage U_p(y) - U_n(x) at stoichiometries x (negative) and y
//! (positive) and temperature temp: what apply_initial_soc inverts and what a cut-off
//! at the start is judged against (diagnose_cutoff_at_start).
double open_circuit_voltage(const CellParams& cell, double x, double y, double temp);

}  // namespace ionflux
