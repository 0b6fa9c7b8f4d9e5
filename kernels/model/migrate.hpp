// Moving a half-finished cell between the GPU's layouts (interleaved for one thread per
// cell; contiguous, as on the CPU, for a team of threads per cell) and the CPU's (DESIGN.md decision 7: cells left when the device's queue runs dry go
// to the CPU threads, and the same per-cell code finishes them).
//
// A cell's whole integrator state is its CellRun (plain data: copy it as it is) and its
// workspace: cell_workspace_size(layout) doubles (the BDF history phi_0..phi_5, the
// step vectors and the Newton matrix's factors, which the modified Newton iteration
// reuses across steps). On the device with one thread per cell, element k of cell c of
// a chunk of n cells lives at ws[c + k * n] (DView{ws + c, n}); with a team per cell at
// ws[c * stride + k]; on the CPU at buf[k] (CView{buf}). Nothing else
// is per cell: the model, the protocol position (CellRun::step, step_t0) and the output
// counters (CellRun::n_out, next_out) are all in those two. Outputs a cell recorded on
// the device must be drained before the hand-off (GridSink::drained); the sink it
// continues with only appends.
#pragma once

#include "cell_solver.hpp"

namespace ionflux {

//! Copy `count` elements of one cell's array between two views of any layout (DView of
//! any stride, CView).
template <class From, class To>
IONFLUX_HD inline void copy_cell_array(const From& from, const To& to, index_t count) {
  for (index_t k = 0; k < count; ++k) to[k] = from[k];
}

//! Gather cell `cell` of an interleaved workspace of `n_cells` cells (element k at
//! ws[cell + k * n_cells]) into the contiguous `out` (count doubles, count =
//! cell_workspace_size(layout)).
IONFLUX_HD inline void gather_cell_workspace(const double* ws, index_t n_cells, index_t cell, index_t count,
                                             double* out) {
  copy_cell_array(DView{const_cast<double*>(ws) + cell, n_cells}, CView{out}, count);
}

//! The reverse: put the contiguous `in` (count doubles) into slot `cell` of an
//! interleaved workspace of `n_cells` cells.
IONFLUX_HD inline void scatter_cell_workspace(const double* in, index_t count, double* ws, index_t n_cells,
                                              index_t cell) {
  copy_cell_array(CView{const_cast<double*>(in)}, DView{ws + cell, n_cells}, count);
}

}  // namespace ionflux
