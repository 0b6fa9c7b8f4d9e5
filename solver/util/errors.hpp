// Exceptions thrown by the host library. Input errors derive from
// std::invalid_argument (Python sees ValueError); run-time failures from
// std::runtime_error. Messages say what was wrong and what was expected.
#pragma once

#include <stdexcept>
#include <string>

namespace ionflux {

//! Bad input of any kind (parameters, options, files).
class InputError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

//! A parameter name that the set does not have.
class UnknownParameter : public InputError {
 public:
  using InputError::InputError;
};

//! A parameter value outside its physical range, or malformed.
class InvalidParameter : public InputError {
 public:
  using InputError::InputError;
};

//! A failure while running (I/O, device, solver infrastructure).
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace ionflux
