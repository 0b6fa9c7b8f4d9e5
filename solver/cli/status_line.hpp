// How the command line shows where a long run is (ionflux simulate: the time and step of
// one cell; ionflux sweep: cells done and the rate): one status line on stderr. On a
// terminal it is rewritten in place; elsewhere (a log file, a pipe) each update is a line
// of its own, less often. Each command formats its own text; this class only decides
// when to show it and how.
#pragma once

#include <iostream>
#include <ostream>
#include <string>
#include <unistd.h>

namespace ionflux {

//! True when `err` is the process's stderr and that is a terminal (in-place updates).
inline bool stderr_is_terminal(const std::ostream& err) {
  return &err == &std::cerr && isatty(STDERR_FILENO);
}

class StatusLine {
 public:
  //! `tty`: rewrite in place; `tty_every` / `line_every`: the least time between two
  //! updates [s] on a terminal / elsewhere; `after`: nothing is shown before this time.
  StatusLine(std::ostream& err, bool tty, double tty_every, double line_every, double after = 0.0)
      : err_(err), tty_(tty), tty_every_(tty_every), line_every_(line_every), after_(after) {}
  StatusLine(const StatusLine&) = delete;
  StatusLine& operator=(const StatusLine&) = delete;

  bool tty() const { return tty_; }

  //! Whether an update at `elapsed` seconds would be shown (a caller may skip making its
  //! text when not).
  bool due(double elapsed) const {
    return !final_shown_ && elapsed >= after_ && (last_ < 0.0 || elapsed - last_ >= (tty_ ? tty_every_ : line_every_));
  }
  //! Show `text` at `elapsed` seconds if it is time to (due). A `final` update is always
  //! shown (once: later ones are dropped), and ends the line on a terminal.
  void show(double elapsed, const std::string& text, bool final = false) {
    if (final_shown_ || (!final && !due(elapsed))) return;
    last_ = elapsed;
    if (tty_) {
      err_ << "\r" << text << "\033[K" << std::flush;
      open_ = true;
      ended_ = false;
    } else {
      err_ << text << "\n" << std::flush;
    }
    if (final) {
      finish();
      final_shown_ = true;
    }
  }
  //! End a line left open on a terminal, so that what follows starts on a line of its own.
  void finish() {
    if (open_) err_ << "\n" << std::flush;
    ended_ = ended_ || open_;
    open_ = false;
  }
  //! Before the message that says a run was interrupted, after finish(): a new line on a
  //! terminal that echoed "^C" at its cursor, unless finish() has ended the status line
  //! that the echo went on; nothing elsewhere (a log file gets no blank line).
  void new_line_after_interrupt() {
    if (tty_ && !ended_) err_ << "\n";
  }

 private:
  std::ostream& err_;
  bool tty_;
  double tty_every_, line_every_, after_;
  double last_ = -1.0;
  bool open_ = false;
  bool ended_ = false;  //!< finish() has ended the line the last update opened
  bool final_shown_ = false;
};

}  // namespace ionflux
