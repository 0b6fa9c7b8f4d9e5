// Shared definitions for all per-cell code: the host/device macro, index type,
// strided views and the cell status list. Nothing here allocates or throws.
#pragma once

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define IONFLUX_HD __host__ __device__
#else
#define IONFLUX_HD
#endif

// Around a call that passes a batch array of which only the first m elements are set (and
// read): GCC 12 warns "may be used uninitialized" where it does not inline the callee, as
// it cannot see that the callee reads no further. Host compilers other than GCC: nothing.
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define IONFLUX_PARTIAL_ARRAYS_BEGIN \
  _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#define IONFLUX_PARTIAL_ARRAYS_END _Pragma("GCC diagnostic pop")
#else
#define IONFLUX_PARTIAL_ARRAYS_BEGIN
#define IONFLUX_PARTIAL_ARRAYS_END
#endif

// Device functions that many call sites share (the user-function interpreter): one
// copy instead of one per call site, which keeps ptxas's time and memory in check.
#if defined(__CUDACC__)
#define IONFLUX_NOINLINE __noinline__
#else
#define IONFLUX_NOINLINE
#endif

#if defined(__CUDACC__) || defined(__GNUC__) || defined(__clang__)
#define IONFLUX_RESTRICT __restrict__
#else
#define IONFLUX_RESTRICT
#endif

namespace ionflux {

using index_t = std::int64_t;

//! A strided view of doubles: element i lives at p[i * stride]. The GPU layout:
//! per-cell arrays interleaved (stride = number of cells, so consecutive cells are
//! adjacent in memory and a warp's loads coalesce).
struct DView {
  double* p = nullptr;
  index_t stride = 1;
  IONFLUX_HD double& operator[](index_t i) const { return p[i * stride]; }
  IONFLUX_HD DView sub(index_t offset) const { return DView{p + offset * stride, stride}; }
};

//! A contiguous view (the CPU layout: each cell's arrays in one block). Same interface
//! as DView; the per-cell code is templated on the view type so that the CPU loops
//! vectorise.
struct CView {
  double* p = nullptr;
  IONFLUX_HD double& operator[](index_t i) const { return p[i]; }
  IONFLUX_HD CView sub(index_t offset) const { return CView{p + offset}; }
};

template <class V>
struct is_contiguous_view {
  static constexpr bool value = false;
};
template <>
struct is_contiguous_view<CView> {
  static constexpr bool value = true;
};

// Every way a cell's integration can end. X(name, code, message).
#define IONFLUX_CELL_STATUS_LIST(X)                                                   \
  X(running, 0, "still running")                                                      \
  X(finished, 1, "finished: the protocol completed")                                  \
  X(cutoff_lower, 2, "reached the lower voltage cut-off")                             \
  X(cutoff_upper, 3, "reached the upper voltage cut-off")                             \
  X(cutoff_at_start, 4, "voltage cut-off already crossed at t=0")                     \
  X(step_limit, 5, "maximum number of steps reached")                                 \
  X(newton_failure, 6, "Newton iteration failed to converge (step size too small)")   \
  X(error_test_failure, 7, "local error test failed repeatedly (step size too small)") \
  X(init_failure, 8, "consistent initialisation of the algebraic unknowns failed at t=0")         \
  X(nonphysical_state, 9, "non-physical state (NaN or concentration out of range)")   \
  X(invalid_input, 10, "invalid input for this cell")                                 \
  X(output_overflow, 11, "output buffer full")                                        \
  X(end_time_reached, 12,                                                             \
    "stopped at the end time t_end before any cut-off or step end condition: the run is truncated (raise t_end)") \
  X(time_limit, 13, "maximum wall time per cell reached (solver max_wall_time)")                  \
  X(degradation_limit, 14,                                                                          \
    "a degradation event ended the run: a particle crack longer than the particle radius, or a porosity outside (0, 1)") \
  X(interrupted, 15, "interrupted (Ctrl-C, SIGINT or SIGTERM) while it ran: the outputs stop there") \
  X(experiment_end, 16, "the experiment's termination was reached at the end of a cycle")

enum class CellStatus : int {
#define IONFLUX_X(name, code, msg) name = code,
  IONFLUX_CELL_STATUS_LIST(IONFLUX_X)
#undef IONFLUX_X
};

IONFLUX_HD inline const char* cell_status_name(CellStatus s) {
  switch (s) {
#define IONFLUX_X(name, code, msg) \
  case CellStatus::name:           \
    return #name;
    IONFLUX_CELL_STATUS_LIST(IONFLUX_X)
#undef IONFLUX_X
  }
  return "unknown";
}

IONFLUX_HD inline const char* cell_status_message(CellStatus s) {
  switch (s) {
#define IONFLUX_X(name, code, msg) \
  case CellStatus::name:           \
    return msg;
    IONFLUX_CELL_STATUS_LIST(IONFLUX_X)
#undef IONFLUX_X
  }
  return "unknown status";
}

//! True when the status means the cell ended normally (protocol completed or a cut-off).
//! A run truncated at t_end (end_time_reached) is not "ok": its outputs are valid but it
//! did not reach what it was asked to, and every front end says so.
IONFLUX_HD inline bool cell_status_ok(CellStatus s) {
  return s == CellStatus::finished || s == CellStatus::cutoff_lower || s == CellStatus::cutoff_upper ||
         s == CellStatus::degradation_limit || s == CellStatus::experiment_end;
}

//! True when the cell failed: it ended neither normally nor truncated at t_end (and is no
//! longer running). A failed cell's summaries (capacity, energy, mean voltage, the
//! records of the cycle it failed in) are NaN, so that they never pass as data; its
//! status and message say why. A truncated run (end_time_reached) keeps its summaries.
IONFLUX_HD inline bool cell_status_failed(CellStatus s) {
  return !cell_status_ok(s) && s != CellStatus::end_time_reached && s != CellStatus::running;
}

namespace constants {
//! Faraday constant [C/mol] (CODATA 2018, as scipy.constants, which PyBaMM uses).
constexpr double F = 96485.33212331001;
//! Molar gas constant [J/(mol K)] (CODATA 2018, N_A * k_B, as scipy.constants.R).
constexpr double R = 8.31446261815324;
}  // namespace constants

}  // namespace ionflux
