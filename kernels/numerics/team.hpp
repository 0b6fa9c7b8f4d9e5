// Teams: the threads that advance one cell together. The per-cell code (dfn.hpp,
// newton.hpp, bdf.hpp, cell_solver.hpp) is written once against this interface:
//
//   team.for_each(n, f)        f(k) for k in [0, n), the k split over the team's lanes
//   team.sum(n, f)             sum of f(k) over k (f may also write element k's data)
//   team.sums<N>(n, f, out)    N sums at once: f(k, acc) adds to acc[0..N)
//   team.single(f)             f() on one lane; returns its value to every lane
//
// Every team operation starts and ends with a barrier of the team, so what one lane
// wrote inside an operation is visible to all lanes after it. Outside team operations
// every lane runs the same scalar code on the same values (the step-size control, the
// protocol logic) and may write only its own variables: writes to a cell's shared
// arrays happen inside for_each (each element by one lane) or single.
//
// Three kinds of team:
//   SerialTeam       the CPU: one thread, plain loops (the loops vectorise as before)
//   WarpTeam<W>      CUDA: W lanes of a warp (W a power of two <= 32), shuffle reductions
//   EmulatedTeam<W>  tests: a W-lane team run on one CPU thread, the lanes in reverse
//                    order, with the GPU's reduction order (so results equal the GPU's
//                    rounding, and a phase that reads what another lane of the same
//                    phase writes shows up as a difference from the serial path)
#pragma once

#include <type_traits>

#include "../common.hpp"

namespace ionflux {

//! The CPU's team: one thread, plain loops.
struct SerialTeam {
  static constexpr int kWidth = 1;
  IONFLUX_HD int lane() const { return 0; }
  IONFLUX_HD void sync() const {}
  template <class F>
  IONFLUX_HD void for_each(int n, F&& f) const {
    for (int k = 0; k < n; ++k) f(k);
  }
  template <class F>
  IONFLUX_HD double sum(int n, F&& f) const {
    double s = 0.0;
    for (int k = 0; k < n; ++k) s += f(k);
    return s;
  }
  template <int N, class F>
  IONFLUX_HD void sums(int n, F&& f, double (&out)[N]) const {
    for (int q = 0; q < N; ++q) out[q] = 0.0;
    for (int k = 0; k < n; ++k) f(k, out);
  }
  template <class F>
  IONFLUX_HD auto single(F&& f) const -> decltype(f()) {
    return f();
  }
};

//! A W-lane team emulated on one CPU thread (tests): lanes run one after the other, the
//! last lane first; lane l takes elements l, l + W, l + 2W, ... as on the GPU; sums are
//! per-lane partial sums combined by the same butterfly as WarpTeam's shuffles.
template <int W>
struct EmulatedTeam {
  static_assert(W >= 1 && W <= 32 && (W & (W - 1)) == 0, "team width: a power of two up to 32");
  static constexpr int kWidth = W;
  IONFLUX_HD int lane() const { return 0; }
  IONFLUX_HD void sync() const {}
  template <class F>
  IONFLUX_HD void for_each(int n, F&& f) const {
    for (int lane = W - 1; lane >= 0; --lane)
      for (int k = lane; k < n; k += W) f(k);
  }
  IONFLUX_HD static void butterfly(double* part) {
    for (int off = W / 2; off > 0; off /= 2) {
      double next[W];
      for (int l = 0; l < W; ++l) next[l] = part[l] + part[l ^ off];
      for (int l = 0; l < W; ++l) part[l] = next[l];
    }
  }
  template <class F>
  IONFLUX_HD double sum(int n, F&& f) const {
    double part[W];
    for (int lane = W - 1; lane >= 0; --lane) {
      double s = 0.0;
      for (int k = lane; k < n; k += W) s += f(k);
      part[lane] = s;
    }
    butterfly(part);
    return part[0];
  }
  template <int N, class F>
  IONFLUX_HD void sums(int n, F&& f, double (&out)[N]) const {
    double part[N][W];
    for (int lane = W - 1; lane >= 0; --lane) {
      double acc[N];
      for (int q = 0; q < N; ++q) acc[q] = 0.0;
      for (int k = lane; k < n; k += W) f(k, acc);
      for (int q = 0; q < N; ++q) part[q][lane] = acc[q];
    }
    for (int q = 0; q < N; ++q) {
      butterfly(part[q]);
      out[q] = part[q][0];
    }
  }
  template <class F>
  IONFLUX_HD auto single(F&& f) const -> decltype(f()) {
    return f();
  }
};

#if defined(__CUDACC__)
//! W consecutive lanes of a warp (W a power of two <= 32): lane = threadIdx.x % W.
//! Barriers and shuffles name only the team's lanes, so the teams of one warp may
//! diverge (different cells take different paths).
template <int W>
struct WarpTeam {
  static_assert(W >= 1 && W <= 32 && (W & (W - 1)) == 0, "team width: a power of two up to 32");
  static constexpr int kWidth = W;
  unsigned mask;
  int lane_;
  __device__ WarpTeam() {
    const int warp_lane = static_cast<int>(threadIdx.x & 31u);
    lane_ = warp_lane % W;
    mask = W == 32 ? 0xffffffffu : (((1u << W) - 1u) << (warp_lane - lane_));
  }
  __device__ int lane() const { return lane_; }
  __device__ void sync() const { __syncwarp(mask); }
  template <class F>
  __device__ void for_each(int n, F&& f) const {
    __syncwarp(mask);
    for (int k = lane_; k < n; k += W) f(k);
    __syncwarp(mask);
  }
  __device__ double reduce(double s) const {
    for (int off = W / 2; off > 0; off /= 2) s += __shfl_xor_sync(mask, s, off, W);
    return s;
  }
  template <class F>
  __device__ double sum(int n, F&& f) const {
    __syncwarp(mask);
    double s = 0.0;
    for (int k = lane_; k < n; k += W) s += f(k);
    s = reduce(s);
    __syncwarp(mask);
    return s;
  }
  template <int N, class F>
  __device__ void sums(int n, F&& f, double (&out)[N]) const {
    __syncwarp(mask);
    for (int q = 0; q < N; ++q) out[q] = 0.0;
    for (int k = lane_; k < n; k += W) f(k, out);
    for (int q = 0; q < N; ++q) out[q] = reduce(out[q]);
    __syncwarp(mask);
  }
  //! f() on lane 0; its value (double, int or bool) goes to every lane.
  template <class F>
  __device__ auto single(F&& f) const -> decltype(f()) {
    using R = decltype(f());
    __syncwarp(mask);
    if constexpr (std::is_void<R>::value) {
      if (lane_ == 0) f();
      __syncwarp(mask);
    } else {
      R v{};
      if (lane_ == 0) v = f();
      const double b = __shfl_sync(mask, static_cast<double>(v), 0, W);
      __syncwarp(mask);
      return static_cast<R>(b);
    }
  }
};
#endif

}  // namespace ionflux
