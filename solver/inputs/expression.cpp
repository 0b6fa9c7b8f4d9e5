#include "solver/inputs/expression.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "solver/util/text.hpp"

namespace ionflux {
namespace {

using expr::Op;
using expr::Var;

// Indexed by expr::Var; "" for the c_e scale slot, which expressions cannot name.
const char* const kVariableNames[] = {"sto", "c_e", "c_s_surf", "c_s_max", "T", "eps", "", "c_Li", "L_sei", "i"};
static_assert(sizeof(kVariableNames) / sizeof(kVariableNames[0]) == static_cast<std::size_t>(Var::count),
              "one name per expr::Var slot");

struct FunctionName {
  const char* name;
  Op op;
  int arity;
};
const FunctionName kFunctions[] = {{"exp", Op::exp, 1},   {"log", Op::log, 1},   {"sqrt", Op::sqrt, 1},
                                   {"tanh", Op::tanh, 1}, {"cosh", Op::cosh, 1}, {"sinh", Op::sinh, 1},
                                   {"abs", Op::abs, 1},   {"min", Op::min, 2},   {"max", Op::max, 2},
                                   {"table", Op::table, 1}};

class Compiler {
 public:
  Compiler(const std::string& text, unsigned allowed, const CompileOptions& options)
      : text_(text), allowed_(allowed), options_(options) {}

  expr::Program run() {
    skip_space();
    if (pos_ >= text_.size()) fail("the expression is empty", pos_);
    parse_expr();
    skip_space();
    if (pos_ < text_.size()) {
      if (text_[pos_] == ')') fail("unmatched ')'", pos_);
      fail(std::string("unexpected '") + text_[pos_] + "' (expected an operator or the end)", pos_);
    }
    return prog_;
  }

  //! `p` with variable v replaced by `value`, re-emitted so that everything that
  //! becomes constant folds.
  expr::Program replay(const expr::Program& p, Var v, double value) {
    for (int i = 0; i < p.n_ops; ++i) {
      const Op op = static_cast<Op>(p.op[i]);
      if (op == Op::constant) {
        emit_constant(p.constants[p.arg[i]], 0);
      } else if (op == Op::variable && p.arg[i] == static_cast<int>(v)) {
        emit_constant(value, 0);
      } else {
        if (op == Op::variable) prog_.uses |= 1u << p.arg[i];
        emit(op, p.arg[i], 0);
      }
    }
    return prog_;
  }

 private:
  [[noreturn]] void fail(const std::string& what, std::size_t at) const {
    throw ExpressionError("expression \"" + text_ + "\": " + what + " at position " + std::to_string(at + 1) +
                              "\n  " + text_ + "\n  " + std::string(at, ' ') + "^",
                          at);
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool accept(const char* token) {
    skip_space();
    const std::size_t n = std::char_traits<char>::length(token);
    if (text_.compare(pos_, n, token) != 0) return false;
    pos_ += n;
    return true;
  }
  bool peek(char c) {
    skip_space();
    return pos_ < text_.size() && text_[pos_] == c;
  }

  void emit(Op op, int arg, std::size_t at) {
    if (prog_.n_ops >= expr::kMaxOps)
      fail("the expression is too long (at most " + std::to_string(expr::kMaxOps) + " operations)", at);
    prog_.op[prog_.n_ops] = static_cast<unsigned char>(op);
    prog_.arg[prog_.n_ops] = static_cast<unsigned char>(arg);
    ++prog_.n_ops;
    depth_ += expr::stack_effect(op);
    if (depth_ > expr::kMaxStack)
      fail("the expression nests too deeply (at most " + std::to_string(expr::kMaxStack) + " pending values)", at);
    fold_constants(at);
  }

  // ---- constant folding: an operation whose operands are all numbers becomes the
  // number it gives, computed by the evaluator itself (so exactly the value the
  // unfolded program would compute), e.g. exp(3.03e4 / (8.314 * 296)) costs nothing.
  static int arity(Op op) {
    switch (op) {
      case Op::neg: case Op::exp: case Op::log: case Op::sqrt: case Op::tanh: case Op::cosh: case Op::sinh:
      case Op::abs:
        return 1;
      case Op::add: case Op::sub: case Op::mul: case Op::div: case Op::pow: case Op::min: case Op::max:
        return 2;
      default:
        return 0;  // constants, variables, table lookups, regularised powers
    }
  }
  void fold_constants(std::size_t at) {
    const int n = prog_.n_ops;
    const Op op = static_cast<Op>(prog_.op[n - 1]);
    const int a = arity(op);
    if (a == 0 || n < a + 1) return;
    for (int k = 0; k < a; ++k)
      if (static_cast<Op>(prog_.op[n - 2 - k]) != Op::constant) return;
    expr::Program one;
    for (int k = 0; k < a; ++k) {
      one.constants[k] = prog_.constants[prog_.arg[n - 1 - a + k]];
      one.op[k] = static_cast<unsigned char>(Op::constant);
      one.arg[k] = static_cast<unsigned char>(k);
    }
    one.n_constants = a;
    one.op[a] = static_cast<unsigned char>(op);
    one.n_ops = a + 1;
    const double no_vars[expr::kSlots] = {};
    const double value = expr::evaluate(one, no_vars);
    const expr::Program before = prog_;
    const int depth_before = depth_;
    prog_.n_ops -= a + 1;
    depth_ -= 1;  // the operands and the operation together left one value
    drop_unused_constants();
    try {
      emit_constant(value, at);
    } catch (const ExpressionError&) {
      // the folded value would be one distinct number too many: keep the operation
      prog_ = before;
      depth_ = depth_before;
    }
  }
  //! Remove constants no operation refers to any more (after a fold), renumbering.
  void drop_unused_constants() {
    int map[expr::kMaxConstants];
    for (int k = 0; k < prog_.n_constants; ++k) map[k] = -1;
    int used = 0;
    double kept[expr::kMaxConstants];
    for (int i = 0; i < prog_.n_ops; ++i) {
      if (static_cast<Op>(prog_.op[i]) != Op::constant) continue;
      const int k = prog_.arg[i];
      if (map[k] < 0) {
        map[k] = used;
        kept[used++] = prog_.constants[k];
      }
      prog_.arg[i] = static_cast<unsigned char>(map[k]);
    }
    for (int k = 0; k < used; ++k) prog_.constants[k] = kept[k];
    for (int k = used; k < prog_.n_constants; ++k) prog_.constants[k] = 0.0;
    prog_.n_constants = used;
  }
  void emit_constant(double v, std::size_t at) {
    int k = 0;
    while (k < prog_.n_constants && !(prog_.constants[k] == v && std::signbit(prog_.constants[k]) == std::signbit(v)))
      ++k;
    if (k == prog_.n_constants) {
      if (k >= expr::kMaxConstants)
        fail("too many distinct numbers (at most " + std::to_string(expr::kMaxConstants) + ")", at);
      prog_.constants[prog_.n_constants++] = v;
    }
    emit(Op::constant, k, at);
  }

  void parse_expr() {
    parse_term();
    for (;;) {
      const std::size_t at = (skip_space(), pos_);
      if (accept("+")) { parse_term(); emit(Op::add, 0, at); }
      else if (accept("-")) { parse_term(); emit(Op::sub, 0, at); }
      else return;
    }
  }
  void parse_term() {
    parse_unary();
    for (;;) {
      const std::size_t at = (skip_space(), pos_);
      if (text_.compare(pos_, 2, "**") == 0) return;  // a power, handled below
      if (accept("*")) { parse_unary(); emit(Op::mul, 0, at); }
      else if (accept("/")) { parse_unary(); emit(Op::div, 0, at); }
      else return;
    }
  }
  //! Guards the recursion: parentheses and unary signs emit nothing before they
  //! recurse, so the operation and stack limits alone would not stop deep nesting.
  void enter(std::size_t at) {
    if (++nesting_ > kMaxNesting)
      fail("the expression nests too deeply (at most " + std::to_string(kMaxNesting) + " levels)", at);
  }
  static constexpr int kMaxNesting = 200;

  void parse_unary() {
    const std::size_t at = (skip_space(), pos_);
    enter(at);
    parse_unary_inner(at);
    --nesting_;
  }
  void parse_unary_inner(std::size_t at) {
    if (accept("-")) { parse_unary(); emit(Op::neg, 0, at); return; }
    if (accept("+")) { parse_unary(); return; }
    parse_power();
  }
  void parse_power() {
    const int base = prog_.n_ops;
    parse_primary();
    const std::size_t at = (skip_space(), pos_);
    if (accept("^") || accept("**")) {
      const int exponent = prog_.n_ops;
      parse_unary();
      emit_power(base, exponent, at);
    }
  }

  // ---- PyBaMM's regularised powers (CompileOptions::regularise_powers)
  bool is_var(int i, Var v) const {
    return static_cast<Op>(prog_.op[i]) == Op::variable && prog_.arg[i] == static_cast<int>(v);
  }
  //! Does ops [first, last) read a state-dependent argument (anything but c_s_max)?
  bool state_dependent(int first, int last) const {
    for (int i = first; i < last; ++i)
      if (static_cast<Op>(prog_.op[i]) == Op::variable && prog_.arg[i] != static_cast<int>(Var::c_s_max)) return true;
    return false;
  }
  //! RegPower's scale for the base at ops [first, last): 1 -> c_s_max, 2 -> c_e scale, 0 -> 1.
  int scale_code(int first, int last) const {
    if (last - first == 1 && is_var(first, Var::c_e)) return 2;
    if (last - first == 1 && is_var(first, Var::c_s_surf)) return 1;
    if (last - first == 3 && is_var(first, Var::c_s_max) && is_var(first + 1, Var::c_s_surf) &&
        static_cast<Op>(prog_.op[first + 2]) == Op::sub)
      return 1;
    return 0;
  }
  void emit_power(int base, int exponent, std::size_t at) {
    if (options_.regularise_powers && state_dependent(base, exponent))
      emit(Op::regpow, scale_code(base, exponent), at);
    else
      emit(Op::pow, 0, at);
  }
  void parse_primary() {
    skip_space();
    const std::size_t at = pos_;
    if (at >= text_.size()) fail("the expression ends early (expected a number, name or '(')", at);
    const char c = text_[at];
    if (c == '(') {
      ++pos_;
      enter(at);
      parse_expr();
      --nesting_;
      if (!accept(")")) fail("missing ')' for the '(' at position " + std::to_string(at + 1), (skip_space(), pos_));
      return;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') return parse_number();
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') return parse_name();
    fail(std::string("unexpected '") + c + "' (expected a number, name or '(')", at);
  }
  void parse_number() {
    const std::size_t at = pos_;
    std::size_t i = pos_;
    auto digits = [&] {
      const std::size_t s = i;
      while (i < text_.size() && std::isdigit(static_cast<unsigned char>(text_[i]))) ++i;
      return i - s;
    };
    std::size_t n = digits();
    if (i < text_.size() && text_[i] == '.') { ++i; n += digits(); }
    if (n == 0) fail("malformed number", at);
    if (i < text_.size() && (text_[i] == 'e' || text_[i] == 'E')) {
      std::size_t j = i + 1;
      if (j < text_.size() && (text_[j] == '+' || text_[j] == '-')) ++j;
      i = j;
      if (digits() == 0) fail("malformed number (exponent without digits)", at);
    }
    const std::string literal = text_.substr(at, i - at);
    pos_ = i;
    emit_constant(parse_decimal(literal), at);
  }
  void parse_name() {
    const std::size_t at = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) ++pos_;
    const std::string name = text_.substr(at, pos_ - at);
    if (peek('(')) {
      for (const auto& f : kFunctions) {
        if (name != f.name || (f.op == Op::table && !options_.table)) continue;
        accept("(");
        const int first_arg = prog_.n_ops;
        for (int a = 0; a < f.arity; ++a) {
          if (a > 0 && !accept(","))
            fail(std::string(f.name) + " takes " + std::to_string(f.arity) + " arguments; expected ','",
                 (skip_space(), pos_));
          parse_expr();
        }
        if (peek(','))
          fail(std::string(f.name) + " takes " + std::to_string(f.arity) + " argument" + (f.arity > 1 ? "s" : ""),
               pos_);
        if (!accept(")")) fail("missing ')' after the arguments of " + name, (skip_space(), pos_));
        if (f.op == Op::sqrt && options_.regularise_powers && state_dependent(first_arg, prog_.n_ops)) {
          const int end = prog_.n_ops;
          emit_constant(0.5, at);
          emit(Op::regpow, scale_code(first_arg, end), at);
          return;
        }
        emit(f.op, 0, at);
        return;
      }
      std::vector<std::string> names;
      for (const auto& f : kFunctions)
        if (f.op != Op::table || options_.table) names.push_back(f.name);
      if (name == "table")
        fail("'table' is only available in a function given with a table ({\"x\": [...], \"y\": [...], "
             "\"expression\": ...})", at);
      fail("unknown function '" + name + "'" + suggest(name, names) + "; functions: exp, log, sqrt, tanh, cosh, "
           "sinh, abs, min, max" + (options_.table ? ", table" : ""), at);
    }
    std::vector<std::string> allowed;
    for (int v = 0; v < static_cast<int>(Var::count); ++v) {
      if (!(allowed_ & (1u << v))) continue;
      allowed.push_back(kVariableNames[v]);
      if (name == kVariableNames[v]) {
        emit(Op::variable, v, at);
        prog_.uses |= 1u << v;
        return;
      }
    }
    for (const auto& f : kFunctions)
      if (name == f.name) fail("function '" + name + "' needs its arguments in parentheses", at);
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    for (const char* v : kVariableNames)
      if (name == v)  // a variable, but not one of this function's arguments
        throw ExpressionError("expression \"" + text_ + "\": uses '" + name + "' at position " +
                                  std::to_string(at + 1) + ", but this function's arguments are (" + list + ")\n  " +
                                  text_ + "\n  " + std::string(at, ' ') + "^",
                              at, name);
    fail("unknown variable '" + name + "'" + suggest(name, allowed), at);  // the caller names the arguments
  }

  static std::string suggest(const std::string& name, const std::vector<std::string>& options) {
    std::size_t best = std::string::npos;
    std::string pick;
    for (const auto& o : options) {
      const std::size_t d = edit_distance(to_lower(name), to_lower(o));
      if (d < best) { best = d; pick = o; }
    }
    if (pick.empty() || best > std::max<std::size_t>(2, name.size() / 2)) return "";
    return " (did you mean '" + pick + "'?)";
  }

  const std::string& text_;
  unsigned allowed_;
  CompileOptions options_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  int nesting_ = 0;
  expr::Program prog_;
};

}  // namespace

const char* variable_name(expr::Var v) { return kVariableNames[static_cast<int>(v)]; }

expr::Program compile_expression(const std::string& text, unsigned allowed, const CompileOptions& options) {
  return Compiler(text, allowed, options).run();
}

expr::Program specialize(const expr::Program& program, expr::Var v, double value) {
  const std::string none;
  try {
    return Compiler(none, kAllVariables, CompileOptions{}).replay(program, v, value);
  } catch (const ExpressionError&) {
    return program;  // a limit reached (one more distinct number): keep the general program
  }
}

double evaluate_expression(const expr::Program& p, double sto, double c_e, double c_s_surf, double c_s_max,
                           double temperature, double eps) {
  const double vars[expr::kSlots] = {sto, c_e, c_s_surf, c_s_max, temperature, eps, 1.0};
  return expr::evaluate(p, vars);
}

}  // namespace ionflux
