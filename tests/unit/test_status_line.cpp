// The command line's status line (solver/cli/status_line.hpp), shared by `ionflux simulate`
// (one cell's time and step) and `ionflux sweep` (cells done): when an update is shown and
// what it writes, on a terminal (in place: "\r" TEXT "\033[K") and elsewhere (a line per
// update). The expected bytes follow from the documented behaviour; the times are given,
// not measured.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <iostream>
#include <sstream>
#include <string>

#include "solver/cli/status_line.hpp"

namespace ionflux {
namespace IONFLUX_TEST_FILE_ID {  // this file's own names in a unity build (tests/CMakeLists.txt)
namespace {

TEST(StatusLine, ALogGetsALinePerUpdateAtMostEveryPeriodAndTheFinalOneOnce) {
  std::ostringstream err;
  StatusLine s(err, /*tty=*/false, /*tty_every=*/0.0, /*line_every=*/5.0);
  s.show(0.0, "a");  // the first update is shown
  s.show(3.0, "b");  // within 5 s of it: not
  EXPECT_FALSE(s.due(4.9));
  EXPECT_TRUE(s.due(5.0));
  s.show(5.0, "c");
  s.show(6.0, "done", /*final=*/true);  // always
  s.show(20.0, "done", true);           // but once
  s.show(30.0, "late");                 // nothing after the final one
  s.finish();                           // nothing left open in a log
  EXPECT_EQ(err.str(), "a\nc\ndone\n");
}

TEST(StatusLine, ATerminalIsRewrittenInPlaceAndEndedBeforeWhatFollows) {
  std::ostringstream err;
  StatusLine s(err, /*tty=*/true, /*tty_every=*/1.0, /*line_every=*/10.0, /*after=*/2.0);
  s.show(1.0, "early");  // before `after`: nothing, and nothing to end
  s.finish();
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

// The message of an interrupted run starts on a line of its own, without a blank line:
// on a terminal the "^C" echo went on the open status line, which finish() ends, or on
// a line of its own, which needs a new line; a log has no echo.
TEST(StatusLine, AnInterruptMessageFollowsOnItsOwnLineWithoutABlankOne) {
  std::ostringstream open_line;
  StatusLine a(open_line, /*tty=*/true, 0.0, 5.0);
  a.show(0.0, "[#.] 1/2");
  a.finish();
  a.finish();  // (a second finish changes nothing)
  a.new_line_after_interrupt();
  EXPECT_EQ(open_line.str(), "\r[#.] 1/2\033[K\n");
  std::ostringstream no_line;
  StatusLine b(no_line, /*tty=*/true, 0.0, 5.0, /*after=*/10.0);
  b.show(1.0, "early");  // nothing shown yet: the echo is on a line of its own
  b.finish();
  b.new_line_after_interrupt();
  EXPECT_EQ(no_line.str(), "\n");
  std::ostringstream final_shown;
  StatusLine c(final_shown, /*tty=*/true, 0.0, 5.0);
  c.show(0.0, "[##] 2/2", /*final=*/true);  // ended by the final update itself
  c.new_line_after_interrupt();
  EXPECT_EQ(final_shown.str(), "\r[##] 2/2\033[K\n");
  std::ostringstream log;
  StatusLine d(log, /*tty=*/false, 0.0, 5.0);
  d.show(0.0, "progress: 1/2");
  d.finish();
  d.new_line_after_interrupt();
  EXPECT_EQ(log.str(), "progress: 1/2\n");
}

// With file descriptor 2 on a pseudo-terminal, std::cerr is a terminal and another stream
// is not; on a pipe, neither is (fd 2 restored afterwards).
TEST(StatusLine, OnlyTheProcessStderrOnATerminalIsOne) {
  const int master = posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) GTEST_SKIP() << "no pseudo-terminal here";
  const int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(slave, 0);
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  std::cerr.flush();
  const int saved = dup(STDERR_FILENO);
  ASSERT_GE(saved, 0);
  std::ostringstream other;
  ASSERT_GE(dup2(slave, STDERR_FILENO), 0);
  const bool cerr_on_pty = stderr_is_terminal(std::cerr), other_on_pty = stderr_is_terminal(other);
  ASSERT_GE(dup2(pipe_fds[1], STDERR_FILENO), 0);
  const bool cerr_on_pipe = stderr_is_terminal(std::cerr);
  dup2(saved, STDERR_FILENO);
  for (int fd : {saved, slave, master, pipe_fds[0], pipe_fds[1]}) close(fd);
  EXPECT_TRUE(cerr_on_pty);
  EXPECT_FALSE(other_on_pty);
  EXPECT_FALSE(cerr_on_pipe);
}

}  // namespace
}  // namespace IONFLUX_TEST_FILE_ID
}  // namespace ionflux
