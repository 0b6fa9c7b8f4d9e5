// 3x3 dense helpers for the block-tridiagonal solve (row-major, m[r*3+c]).
#pragma once

#include "../common.hpp"

namespace ionflux {
namespace mat3 {

IONFLUX_HD inline void zero(double* m) {
  for (int k = 0; k < 9; ++k) m[k] = 0.0;
}
//! c = a * b
IONFLUX_HD inline void mul(const double* a, const double* b, double* c) {
  for (int r = 0; r < 3; ++r)
    for (int q = 0; q < 3; ++q) c[r * 3 + q] = a[r * 3] * b[q] + a[r * 3 + 1] * b[3 + q] + a[r * 3 + 2] * b[6 + q];
}
//! y = a * x
IONFLUX_HD inline void mulv(const double* a, const double* x, double* y) {
  for (int r = 0; r < 3; ++r) y[r] = a[r * 3] * x[0] + a[r * 3 + 1] * x[1] + a[r * 3 + 2] * x[2];
}
//! Inverse by cofactors with row equilibration (the rows of a Newton block differ
//! by many orders of magnitude). Returns false when the block is singular.
IONFLUX_HD inline bool inverse(const double* a_in, double* inv) {
  double a[9], s[3];
  for (int r = 0; r < 3; ++r) {
    double m = fabs(a_in[r * 3]);
    if (fabs(a_in[r * 3 + 1]) > m) m = fabs(a_in[r * 3 + 1]);
    if (fabs(a_in[r * 3 + 2]) > m) m = fabs(a_in[r * 3 + 2]);
    if (!(m > 0.0)) return false;
    s[r] = 1.0 / m;
    for (int q = 0; q < 3; ++q) a[r * 3 + q] = a_in[r * 3 + q] * s[r];
  }
  const double c00 = a[4] * a[8] - a[5] * a[7];
  const double c01 = a[5] * a[6] - a[3] * a[8];
  const double c02 = a[3] * a[7] - a[4] * a[6];
  const double det = a[0] * c00 + a[1] * c01 + a[2] * c02;
  if (!(fabs(det) > 1e-300)) return false;
  const double id = 1.0 / det;
  // inverse of the scaled matrix, then undo the row scaling: inv(S A) = inv(A) S^-1 ... so inv(A) = inv(SA) S
  double b[9];
  b[0] = c00 * id;
  b[1] = (a[2] * a[7] - a[1] * a[8]) * id;
  b[2] = (a[1] * a[5] - a[2] * a[4]) * id;
  b[3] = c01 * id;
  b[4] = (a[0] * a[8] - a[2] * a[6]) * id;
  b[5] = (a[2] * a[3] - a[0] * a[5]) * id;
  b[6] = c02 * id;
  b[7] = (a[1] * a[6] - a[0] * a[7]) * id;
  b[8] = (a[0] * a[4] - a[1] * a[3]) * id;
  for (int r = 0; r < 3; ++r)
    for (int q = 0; q < 3; ++q) inv[r * 3 + q] = b[r * 3 + q] * s[q];
  return true;
}

}  // namespace mat3
}  // namespace ionflux
