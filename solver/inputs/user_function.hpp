// User parameter functions on the host: which arguments each function parameter takes,
// compiling a parameter file's expression or table into the record the kernels
// evaluate (kernels/model/user_function.hpp), and describing it for export.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kernels/model/user_function.hpp"

namespace ionflux {

//! What a function parameter's user function may read.
struct FunctionSignature {
  unsigned allowed = 0;          //!< bits of expr::Var its expression may name
  int table_argument = -1;       //!< expr::Var a plain table is read at; -1: a table needs an expression
  bool regularise_powers = false;  //!< exchange-current densities: PyBaMM's RegPower
  std::string arguments;         //!< "sto", "c_e, T", ... for messages and docs
};

//! "Negative electrode OCP [V]" -> "electrode OCP [V]": the kind of a parameter, the same
//! for both electrodes (names without a "Negative "/"Positive " prefix are their own kind).
std::string parameter_kind(const std::string& name);

//! The signature of a function parameter by its name ("Negative electrode OCP [V]");
//! false for a parameter that only takes a number.
bool function_signature(const std::string& parameter, FunctionSignature& out);

//! The names of every parameter that may be a function.
std::vector<std::string> function_parameter_names();

//! A compiled user function and what it was made from. Not copyable: the kernel
//! record points into its own table storage. Shared (std::shared_ptr) by every
//! parameter set and cell that uses it.
class UserFunctionSource {
 public:
  UserFunctionSource(const UserFunctionSource&) = delete;
  UserFunctionSource& operator=(const UserFunctionSource&) = delete;

  //! An expression in the parameter's arguments. Throws InvalidParameter naming the
  //! parameter, with the position of the problem.
  static std::shared_ptr<const UserFunctionSource> expression(const std::string& parameter, const std::string& text);
  //! A table (x, y) with an interpolator ("linear", "pchip", "cubic") and an optional
  //! expression that reads it through table(...) (empty: the table at the parameter's
  //! table argument). Throws InvalidParameter.
  static std::shared_ptr<const UserFunctionSource> table(const std::string& parameter, std::vector<double> x,
                                                         std::vector<double> y, const std::string& interpolator,
                                                         const std::string& expression = "");

  const UserFunction& kernel() const { return fn_; }
  //! The record specialised to a fixed temperature (isothermal cells): functions of T
  //! alone folded to numbers, the same values as kernel() at that T (bit for bit in
  //! double evaluation; forward-mode derivatives may differ in the last bit, as the
  //! Dual division multiplies by the inverse).
  //! Made once per distinct temperature (up to 64; beyond, the general record) and kept
  //! as long as this source.
  const UserFunction& at_temperature(double temperature) const;
  bool has_table() const { return !x_.empty(); }
  const std::string& expression_text() const { return expression_; }  //!< empty: a plain table
  const std::string& interpolator() const { return interpolator_; }
  const std::vector<double>& x() const { return x_; }
  const std::vector<double>& y() const { return y_; }
  //! One line: "expression: ..." or "table (pchip, 31 points)[: expression]".
  std::string describe() const;
  //! Evaluate on the host (tests, OCV checks): arguments by expr::Var, c_e scale 1.
  double operator()(double sto, double c_e, double c_s_surf, double c_s_max, double temperature,
                    double eps = 0.0) const;

 private:
  UserFunctionSource() = default;
  UserFunction fn_;
  mutable std::mutex specialised_mutex_;
  mutable std::map<double, std::unique_ptr<UserFunction>> specialised_;
  std::string expression_, interpolator_;
  std::vector<double> x_, y_, data_;  // data_: x, y, node slopes (the kernel's table)
};

}  // namespace ionflux
