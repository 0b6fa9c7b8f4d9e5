// A parameter function given by the user (a parameter file or BPX): a compiled
// expression in the function's named arguments, optionally with one table that the
// expression reads through `table(...)` (a plain table is the program "table(sto)" or
// "table(c_e)"). The record is shared by every cell that uses it; on the GPU the
// launcher copies it and its table to device memory once and points the cells'
// FunctionRefs at the copy.
#pragma once

#include "expression.hpp"

namespace ionflux {

struct UserFunction {
  expr::Program program;
  expr::TableRef table;  //!< n == 0: no table
};

//! Evaluate with the arguments in `vars` (expr::kSlots values, indexed by expr::Var,
//! then the c_e scale of regularised powers).
template <class T>
IONFLUX_HD T evaluate(const UserFunction& f, const T* vars) {
  return expr::evaluate(f.program, vars, f.table.n > 0 ? &f.table : nullptr);
}

//! evaluate() at n <= B points that differ only in argument `var` (xs[j]); the other
//! arguments from vars (see expr::evaluate_points).
template <int B, class T>
IONFLUX_HD void evaluate_points(const UserFunction& f, const T* vars, int var, const T* xs, int n, T* out) {
  expr::evaluate_points<B>(f.program, vars, var, xs, n, f.table.n > 0 ? &f.table : nullptr, out);
}

}  // namespace ionflux
