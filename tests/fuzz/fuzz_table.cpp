// Tables (solver/inputs/table.*, through UserFunctionSource::table): text of the form
//   <interpolator>\n<expression or empty>\n<x>,<y>\n<x>,<y>\n...
// numbers read with strtod (so "nan", "inf", hex floats reach the library). The table is
// built for the negative electrode's OCP (read at sto) and evaluated inside, at and beyond
// its ends.
#include <cstdlib>
#include <limits>
#include <vector>

#include "solver/inputs/table.hpp"
#include "solver/inputs/user_function.hpp"
#include "tests/fuzz/fuzz_common.hpp"

IONFLUX_FUZZ_TARGET(table) {
  using namespace ionflux_fuzz;
  if (size > kMaxInput) return 0;
  const std::string s = text(data, size);
  std::vector<std::string> lines;
  for (std::size_t start = 0; start <= s.size();) {
    std::size_t end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    lines.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  const std::string interpolator = lines.size() > 0 ? lines[0] : "";
  const std::string expression = lines.size() > 1 ? lines[1] : "";
  std::vector<double> x, y;
  for (std::size_t k = 2; k < lines.size(); ++k) {
    const char* p = lines[k].c_str();
    char* end = nullptr;
    x.push_back(std::strtod(p, &end));
    y.push_back(*end == ',' ? std::strtod(end + 1, nullptr) : 0.0);
  }
  expect_documented([&] {
    const ionflux::Table t = ionflux::make_table(x, y, ionflux::table_kind(interpolator), "fuzz table");
    if (!t.x.empty()) {
      (void)t(t.x.front());
      (void)t(0.5 * (t.x.front() + t.x.back()));
      (void)t(t.x.back() + 1.0);
      (void)t(std::numeric_limits<double>::quiet_NaN());
    }
  });
  return expect_documented([&] {
    const auto f = ionflux::UserFunctionSource::table("Negative electrode OCP [V]", x, y, interpolator, expression);
    for (double sto : {-1.0, 0.0, 0.25, 0.5, 1.0, 2.0}) (void)(*f)(sto, 1000.0, 10000.0, 30000.0, 298.15);
    (void)f->at_temperature(310.0);
  });
}
