// BPX files (Battery Parameter eXchange, https://bpxstandard.com, versions 0.x and 1.x)
// read into a ParameterSet the way PyBaMM 26.10.1.1's
// pybamm.ParameterValues.create_from_bpx maps them (pybamm/parameters/bpx.py, with bpx
// 1.1's schema and its v0.x -> v1.x conversion). The mapping, defaults and what is
// ignored: docs/parameter_files.md, section "BPX".
#pragma once

#include <string>

#include "solver/inputs/parameters.hpp"

namespace ionflux {

//! Read a BPX JSON file. Every problem (not JSON, unsupported version, missing or
//! unknown fields, wrong types, unsupported expressions, out-of-range values) throws an
//! InputError (InvalidParameter where a value is wrong) with a one-line message that
//! starts "BPX file 'PATH': ".
ParameterSet load_bpx(const std::string& path);

//! The same from the file's text; `source` names it in the messages.
ParameterSet parse_bpx(const std::string& text, const std::string& source);

//! A BPX function string (Python syntax in the single variable `x`: numbers, + - * /
//! **, parentheses, exp tanh cosh abs) as an ionflux expression with `x` renamed to
//! `variable` ("sto", "c_e"). Throws InvalidParameter for anything else (e.g. log,
//! another name, `^`).
std::string translate_bpx_expression(const std::string& text, const std::string& variable);

}  // namespace ionflux
