#include "solver/cli/stop_signals.hpp"

#include <signal.h>

namespace ionflux {

std::atomic<bool> g_cancel{false};
std::atomic<int> g_signal{0};
std::atomic<bool> g_writing{false};
std::atomic<int> g_stop_now{0};
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free,
              "the signal handler needs lock-free atomics");

namespace {

extern "C" void on_stop_signal(int sig) {
  if (g_signal.exchange(sig) != 0) {  // the second signal: the default action, now,
    if (g_writing.load()) {           // or right after the chunk being written, so the
      g_stop_now.store(sig);          // file stays readable
      return;
    }
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  g_cancel.store(true);
}

}  // namespace

struct StopSignals::Saved {
  struct sigaction int_ {}, term_ {};
};

StopSignals::StopSignals() : saved_(new Saved) {
  g_cancel = false;
  g_signal = 0;
  g_writing = false;
  g_stop_now = 0;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &saved_->int_);
  sigaction(SIGTERM, &sa, &saved_->term_);
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &saved_->int_, nullptr);
  sigaction(SIGTERM, &saved_->term_, nullptr);
  delete saved_;
}

std::string stop_signal_name(int sig) {
  return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal " + std::to_string(sig);
}

}  // namespace ionflux
