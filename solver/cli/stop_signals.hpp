// Ctrl-C (SIGINT) and SIGTERM during a run of the CLI (`ionflux simulate`, `ionflux
// sweep`): the first asks the run to stop (g_cancel), the second ends the process at
// once, or right after the chunk being written to a file (g_writing), so that the file
// stays readable.
#pragma once

#include <atomic>
#include <string>

namespace ionflux {

extern std::atomic<bool> g_cancel;   //!< set by the first signal: stop the run
extern std::atomic<int> g_signal;    //!< the first signal's number (0: none came)
extern std::atomic<bool> g_writing;  //!< a chunk is being written to the file
extern std::atomic<int> g_stop_now;  //!< a second signal came while writing: stop after the write

//! Installs the handlers for the life of a run (resetting the flags above) and restores
//! the previous ones.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct Saved;
  Saved* saved_;
};

//! "SIGINT", "SIGTERM" or "signal N".
std::string stop_signal_name(int sig);

}  // namespace ionflux
