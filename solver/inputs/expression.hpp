// Compiling user expressions ("1.2 * exp(-sto / 0.1) + 0.3") into the fixed-size
// programs that kernels/model/expression.hpp evaluates on the CPU and the GPU.
//
// Grammar (usual precedence, `^` binds tighter than unary minus and is right
// associative, as in Python's `**`, which is accepted as a synonym):
//   expr    := term (('+' | '-') term)*
//   term    := unary (('*' | '/') unary)*
//   unary   := ('-' | '+') unary | power
//   power   := primary (('^' | '**') unary)?
//   primary := number | variable | function '(' expr (',' expr)* ')' | '(' expr ')'
// Functions: exp log sqrt tanh cosh sinh abs (one argument), min max (two), and
// table (one; only where the parameter has a table).
// Variables: sto c_e c_s_surf c_s_max T eps c_Li L_sei i, of which each parameter allows a subset.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

#include "kernels/model/expression.hpp"

namespace ionflux {

//! A parse or compile error; `position` is the 0-based character offset in the text.
class ExpressionError : public std::invalid_argument {
 public:
  ExpressionError(const std::string& message, std::size_t position, std::string variable = "")
      : std::invalid_argument(message), position(position), variable(std::move(variable)) {}
  std::size_t position;
  //! Set when the text names a variable ("c_e") that is not among the allowed arguments.
  std::string variable;
};

//! Bit for each variable in `allowed`: 1u << static_cast<int>(expr::Var::...).
//! (expr::Var::ce_scale is a slot, not a nameable variable.)
constexpr unsigned kAllVariables =
    ((1u << static_cast<int>(expr::Var::count)) - 1u) & ~(1u << static_cast<int>(expr::Var::ce_scale));

//! The variable's name as written in expressions ("sto", "c_e", ...).
const char* variable_name(expr::Var v);

struct CompileOptions {
  //! Accept `table(x)`: the function's own table at x (parameter files' tables).
  bool table = false;
  //! Compile powers and square roots whose base depends on a concentration, the
  //! stoichiometry or T into PyBaMM's regularised power (RegPower, delta = 1e-3), as
  //! PyBaMM does inside exchange-current functions, with its scales: c_s_max for
  //! `c_s_surf` and `c_s_max - c_s_surf`, the initial electrolyte concentration for
  //! `c_e`, 1 otherwise.
  bool regularise_powers = false;
};

//! Compile `text`. Throws ExpressionError whose message names the problem, shows
//! the text with a caret under the offending position, and, for an unknown name,
//! suggests the closest allowed ones.
expr::Program compile_expression(const std::string& text, unsigned allowed = kAllVariables,
                                 const CompileOptions& options = {});

//! The program with variable `v` fixed at `value`: every operation that then has only
//! numbers as operands is computed once here (by the evaluator itself, so the result
//! is bit-for-bit what the general program gives at that value in double evaluation). Used for the cell
//! temperature of isothermal cells: Arrhenius factors and other functions of T alone
//! are then constants.
expr::Program specialize(const expr::Program& program, expr::Var v, double value);

//! Convenience for hosts and tests: evaluate with the given argument values.
double evaluate_expression(const expr::Program& p, double sto, double c_e, double c_s_surf, double c_s_max,
                           double temperature, double eps = 0.0);

}  // namespace ionflux
