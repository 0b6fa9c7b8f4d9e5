// The parameter sets compiled into ionflux.
#pragma once

#include <string>
#include <vector>

#include "../kernels/model/cell_params.hpp"

namespace ionflux {

//! One named parameter: a scalar value, or a function (function_name non-empty).
struct Entry {
  std::string name;
  double value;
  FunctionRef function;
  std::string function_name;
  bool is_function() const { return !function_name.empty(); }
};

namespace builtin {
const std::vector<Entry>& chen2020();
const std::vector<Entry>& marquis2019();
}  // namespace builtin

}  // namespace ionflux
