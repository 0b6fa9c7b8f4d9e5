// ionflux's own JSON parameter files (docs/parameter_files.md): PyBaMM names mapped to
// numbers or built-in functions ({"function": NAME}), optionally on top of a built-in
// set ("base"), expressions and tables (solver/inputs/user_function.hpp).
#pragma once

#include <string>
#include <vector>

#include "solver/inputs/parameters.hpp"

namespace ionflux {

//! The format version this build reads and writes ("ionflux parameter file": 1).
constexpr int kParameterFileVersion = 1;

//! Read and check a parameter file. Every problem (invalid JSON, unknown names,
//! missing parameters, out-of-range values, unknown functions, wrong types) throws an
//! InputError (UnknownParameter / InvalidParameter where they apply) with a one-line
//! message that names the file.
ParameterSet load_parameter_file(const std::string& path);

//! The same from the file's text; `source` names it in the messages.
ParameterSet parse_parameter_file(const std::string& text, const std::string& source);

//! The same for the text of a shipped set (shipped_set_files()): its keys are not looked
//! up in known_parameter_names, which holds them by definition.
ParameterSet parse_shipped_parameter_file(const std::string& text, const std::string& name);

//! The whole set as a parameter file (format version, name, every entry; no base),
//! pretty-printed, ending in a newline. Loading it gives the same set.
std::string to_json(const ParameterSet& params);

//! The parameters a file without "base" must give: everything the DFN model reads,
//! plus the nominal capacity, the default current, the cut-offs and the OCV limits.
const std::vector<std::string>& required_parameter_names();

//! Every parameter name known to ionflux (the union of the built-in sets).
const std::vector<std::string>& known_parameter_names();

//! Whether known_parameter_names() holds `name`; parses the shipped sets only for a name
//! outside the compiled sets and the degradation parameters.
bool is_known_parameter_name(const std::string& name);

//! The names of the built-in functions a file may refer to ({"function": NAME}).
std::vector<std::string> builtin_function_names();

}  // namespace ionflux
