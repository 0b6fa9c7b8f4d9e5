// The shared text helpers of solver/util/text.hpp (one definition each; they replaced copies in
// sweep, cli, cli_sweep, bpx, experiment, sweep_plan, parameters and parameter_file).
// Expected strings: C's printf "%.10g" (num) and C++17 std::to_chars' shortest round-trip
// form (shortest_num), as the removed copies produced them.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "solver/util/text.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

TEST(Text, NumHasTenSignificantDigits) {
  EXPECT_EQ(num(1.0 / 3.0), "0.3333333333");  // printf("%.10g", 1/3)
  EXPECT_EQ(num(2.5), "2.5");
  EXPECT_EQ(num(-1e-5), "-1e-05");
  EXPECT_EQ(num(1e9), "1000000000");
  EXPECT_EQ(format("%.1f s", 12.25), "12.2 s");  // printf's round-half-even of the binary value 12.25
}

TEST(Text, ShortestNumReadsBackExactly) {
  EXPECT_EQ(shortest_num(5.86e-6), "5.86e-06");  // not 5.8600000000000004e-06
  EXPECT_EQ(shortest_num(0.1), "0.1");
  EXPECT_EQ(shortest_num(3600.0), "3600");
  for (double v : {1.0 / 3.0, 8.314462618, 2.2250738585072014e-308, 1.7976931348623157e308, -0.0})
    EXPECT_EQ(std::strtod(shortest_num(v).c_str(), nullptr), v) << shortest_num(v);
}

TEST(Text, TrimAndQuotedList) {
  EXPECT_EQ(trim("  Rest for 1 hour \t\n"), "Rest for 1 hour");
  EXPECT_EQ(trim(" \t "), "");
  EXPECT_EQ(quoted_list({"a", "b", "c"}), "'a', 'b', 'c'");
  EXPECT_EQ(quoted_list({"x", "y"}, " or "), "'x' or 'y'");
  EXPECT_EQ(quoted_list({}), "");
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
