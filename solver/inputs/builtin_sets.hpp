// The parameter sets compiled into ionflux.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/model/cell_params.hpp"

namespace ionflux {

class UserFunctionSource;  // user_function.hpp

//! One named parameter: a scalar value, or a function (function_name non-empty): a
//! built-in one, or a user function (table or expression) owned by `user`, which
//! function.user points into.
struct Entry {
  Entry() = default;
  Entry(std::string name, double value, FunctionRef function = {}, std::string function_name = "",
        std::shared_ptr<const UserFunctionSource> user = nullptr)
      : name(std::move(name)), value(value), function(function), function_name(std::move(function_name)),
        user(std::move(user)) {}
  std::string name;
  double value = 0.0;
  FunctionRef function;
  std::string function_name;
  std::shared_ptr<const UserFunctionSource> user;
  bool is_function() const { return !function_name.empty(); }
};

namespace builtin {
const std::vector<Entry>& chen2020();
const std::vector<Entry>& marquis2019();
}  // namespace builtin

}  // namespace ionflux
