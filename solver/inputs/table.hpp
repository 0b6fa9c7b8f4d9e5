// Host side of tabulated functions: validation of user tables and the pchip / spline node
// slopes that kernels/model/table.hpp evaluates.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/model/table.hpp"

namespace ionflux {

//! A validated table, ready to copy beside the cell parameters.
struct Table {
  table::Kind kind = table::Kind::linear;
  std::vector<double> x, y;
  std::vector<double> d;  //!< node slopes for pchip and cubic (empty for linear)

  template <class T>
  T operator()(const T& q) const {
    return table::evaluate(kind, x.data(), y.data(), d.empty() ? nullptr : d.data(), static_cast<int>(x.size()), q);
  }
};

//! "linear", "pchip" or "cubic" (PyBaMM's interpolator names); throws std::invalid_argument.
table::Kind table_kind(const std::string& name);

//! Check and prepare a table. `what` names it in messages ("'Negative electrode OCP [V]'").
//! Throws std::invalid_argument: fewer than 2 points, x and y of different lengths, a
//! value that is not finite, x not strictly increasing (the first offending index and
//! its neighbour are named).
Table make_table(std::vector<double> x, std::vector<double> y, table::Kind kind, const std::string& what);

}  // namespace ionflux
