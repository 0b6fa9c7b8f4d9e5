// The command line's status line (solver/cli/status_line.hpp), shared by `ionflux simulate`
// (one cell's time and step) and `ionflux sweep` (cells done): when an update is shown and
// what it writes, on a terminal (in place: "\r" TEXT "\033[K") and elsewhere (a line per
// update). The expected bytes follow from the documented behaviour; the times are given,
// not measured.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "solver/cli/status_line.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

TEST(StatusLine, ALogGetsALinePerUpdateAtMostEveryPeriodAndTheFinalOneOnce) {
  std::ostringstream err;
  StatusLine s(err, /*tty=*/false, /*tty_every=*/0.0, /*line_every=*/5.0);
  EXPECT_FALSE(s.shown());
  s.show(0.0, "a");  // the first update is shown
  s.show(3.0, "b");  // within 5 s of it: not
  EXPECT_FALSE(s.due(4.9));
  EXPECT_TRUE(s.due(5.0));
  s.show(5.0, "c");
  s.show(6.0, "done", /*final=*/true);  // always
  s.show(20.0, "done", true);           // but once
  s.show(30.0, "late");                 // nothing after the final one
  s.finish();                           // nothing left open in a log
  EXPECT_TRUE(s.shown());
  EXPECT_EQ(err.str(), "a\nc\ndone\n");
}

TEST(StatusLine, ATerminalIsRewrittenInPlaceAndEndedBeforeWhatFollows) {
  std::ostringstream err;
  StatusLine s(err, /*tty=*/true, /*tty_every=*/1.0, /*line_every=*/10.0, /*after=*/2.0);
  s.show(1.0, "early");  // before `after`: nothing, and nothing to end
  s.finish();
  EXPECT_FALSE(s.shown());
  EXPECT_EQ(err.str(), "");
  s.show(2.0, "x");
  s.show(2.5, "y");  // within a second: not shown
  s.show(3.0, "z");
  EXPECT_EQ(err.str(), "\rx\033[K\rz\033[K");
  s.finish();  // the line ends, so an error or summary starts on its own line
  s.finish();  // once
  EXPECT_EQ(err.str(), "\rx\033[K\rz\033[K\n");
  std::ostringstream bar;
  StatusLine b(bar, true, 0.0, 5.0);
  b.show(0.0, "[..] 0/2");
  b.show(0.1, "[##] 2/2", true);  // the final update ends its own line
  b.finish();
  EXPECT_EQ(bar.str(), "\r[..] 0/2\033[K\r[##] 2/2\033[K\n");
}

TEST(StatusLine, OnlyTheProcessStderrCanBeATerminal) {
  std::ostringstream other;
  EXPECT_FALSE(stderr_is_terminal(other));
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
