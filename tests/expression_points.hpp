// The batched interpreter (expr::evaluate_points, which the CPU residual and Jacobian run
// for every user function) and the pointwise one (expr::evaluate, the reference) over the
// same points, for the tests that compare them: tests/unit/test_expression.cpp (within the
// issue's 1e-14) and the expression fuzzer, tests/fuzz/fuzz_expression.cpp (bit for bit).
// No GoogleTest here: the fuzz build has none.
#pragma once

#include "kernels/model/expression.hpp"

namespace ionflux {
namespace testing {

//! At n points: argument k of point j is cols[k][j] where cols[k] is not null, else
//! vars[k]. batch[j]: evaluate_points in batches of B (the last one partial);
//! pointwise[j]: evaluate at point j.
template <int B, class T>
void batch_and_pointwise(const expr::Program& p, const T* vars, const T* const* cols, int n, T* batch, T* pointwise) {
  for (int j0 = 0; j0 < n; j0 += B) {
    const T* xs[expr::kSlots] = {};
    for (int k = 0; k < expr::kSlots; ++k)
      if (cols[k]) xs[k] = cols[k] + j0;
    expr::evaluate_points<B>(p, vars, xs, n - j0 < B ? n - j0 : B, nullptr, batch + j0);
  }
  for (int j = 0; j < n; ++j) {
    T v[expr::kSlots];
    for (int k = 0; k < expr::kSlots; ++k) v[k] = cols[k] ? cols[k][j] : vars[k];
    pointwise[j] = expr::evaluate(p, v);
  }
}

}  // namespace testing
}  // namespace ionflux
