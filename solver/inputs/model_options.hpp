// PyBaMM's model options for the degradation submodels ("SEI", "lithium plating",
// "particle mechanics", "loss of active material", ...): parsing a user's option dict,
// deriving the defaults as PyBaMM 26.10's BatteryModelOptions does, refusing what it
// refuses, and turning the result into ModelOptions (kernels/model/degradation.hpp).
// Statement: ../shared/reference/pybamm-degradation.md section 1; docs/degradation_options.md.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kernels/model/degradation.hpp"
#include "solver/util/errors.hpp"

namespace ionflux {

//! A model option that PyBaMM would refuse (its OptionError), or one that ionflux does
//! not support. An InputError (Python: ValueError).
class OptionError : public InputError {
 public:
  using InputError::InputError;
};

//! One option value as the user gave it: a string, or a 2-tuple (negative, positive).
struct OptionValue {
  std::string first, second;
  bool pair = false;
  OptionValue() = default;
  OptionValue(std::string v) : first(std::move(v)) {}  // NOLINT: a plain string value
  OptionValue(std::string negative, std::string positive)
      : first(std::move(negative)), second(std::move(positive)), pair(true) {}
  bool operator==(const OptionValue& o) const { return pair == o.pair && first == o.first && second == o.second; }
  bool operator!=(const OptionValue& o) const { return !(*this == o); }
};

//! The user's options in the order given (a later duplicate replaces an earlier one).
using OptionList = std::vector<std::pair<std::string, OptionValue>>;

//! A value in text form: "solvent-diffusion limited", or a 2-tuple written
//! "(partially reversible, none)", "('partially reversible', 'none')" or "[a, b]" (quotes
//! optional; values may themselves hold parentheses: "(reaction limited (asymmetric), none)").
OptionValue parse_option_value(const std::string& text);

//! "NAME=VALUE" (the CLI's --option), VALUE as parse_option_value. Throws OptionError.
std::pair<std::string, OptionValue> parse_option_assignment(const std::string& assignment);

//! PyBaMM's "thermal" option, where ionflux has it ('isothermal', 'lumped'): removed from
//! `options` and returned (true: lumped; the last such entry counts); nullopt without
//! one. The front ends give it the meaning of their own thermal choice (--thermal,
//! "thermal" in a sweep config, thermal= in Python). Other values stay, and
//! resolve_model_options refuses them.
std::optional<bool> take_thermal_option(OptionList& options);

//! Resolve the user's options for a full-cell DFN as PyBaMM 26.10.1.1 does
//! (BatteryModelOptions.__init__, reference §1.2) and refuse what it refuses (§1.3), or
//! what ionflux does not support, with an OptionError naming the option and, for an
//! unknown name or value, the closest ones. An empty list: the plain DFN.
ModelOptions resolve_model_options(const OptionList& options);

//! The resolved degradation options as PyBaMM prints them: (name, value) for every
//! degradation option, value a string ("none") or a tuple ("('reaction limited', 'none')").
std::vector<std::pair<std::string, std::string>> describe_model_options(const ModelOptions& m);

//! describe_model_options as one line: "SEI: ('reaction limited', 'none'); ...",
//! only the options that differ from the plain DFN ("" for the plain DFN).
std::string model_options_summary(const ModelOptions& m);

//! describe_model_options as a JSON object {"SEI": "('reaction limited', 'none')", ...}
//! (output metadata: the HDF5 attribute "model options").
std::string model_options_json(const ModelOptions& m);

//! The option names ionflux accepts (PyBaMM's; most only with their DFN default).
std::vector<std::string> model_option_names();

}  // namespace ionflux
