// Protocols: a cell's sequence of steps (constant current, voltage or power, rests,
// drive cycles), each ending at its duration or its first end condition. Plain data
// with offsets (not pointers) into shared arrays, so it copies to a device as is.
#pragma once

#include "cell_params.hpp"

namespace ionflux {

//! An end condition of a step ("until 4.2 V", "until C/50").
enum class EndKind : int {
  none = 0,
  voltage_below = 1,  //!< V <= value
  voltage_above = 2,  //!< V >= value
  current_below = 3,  //!< |I| <= value
};

constexpr int kMaxStepEnds = 2;

struct StepSpec {
  ControlMode mode = ControlMode::current;
  double value = 0.0;       //!< set-point: A or W (positive = discharge), or V
  double duration = 0.0;    //!< [s]; <= 0: until an end condition (or the cut-offs)
  int table_offset = 0;     //!< drive cycle: pairs (t, value) at tables[2*offset ...]
  int table_len = 0;        //!< number of pairs; 0: constant set-point
  int n_ends = 0;
  EndKind end_kind[kMaxStepEnds] = {EndKind::none, EndKind::none};
  double end_value[kMaxStepEnds] = {0.0, 0.0};
  int cycle = 0;            //!< index of the cycle this step belongs to
};

//! An experiment's own termination (PyBaMM's Experiment(termination=...)); the run then
//! ends with status experiment_end. PyBaMM's rules (simulation.py): "80% capacity" stops
//! once a cycle's eSOH "Capacity [A.h]" is at or below 80 % of the first cycle's, "4 Ah
//! capacity" at or below 4 A.h, "2.5 V" once a cycle's lowest voltage is at or below
//! 2.5 V (these three checked at the end of every cycle); "10 hours" once the run's time
//! reaches 10 h (the run's end time is then at most that: ProblemBuilder, the sweep
//! plan). 0: that termination is not set.
struct ExperimentEnd {
  double capacity_fraction = 0.0;  //!< of the first cycle's capacity (0.8 for "80% capacity")
  double capacity_ah = 0.0;        //!< [A.h]
  double min_voltage = 0.0;        //!< [V]
  double time = 0.0;               //!< [s]
  //! Is a termination checked at the end of each cycle (capacity or voltage)?
  IONFLUX_HD bool per_cycle() const { return capacity_fraction > 0.0 || capacity_ah > 0.0 || min_voltage > 0.0; }
  IONFLUX_HD bool any() const { return per_cycle() || time > 0.0; }
  //! Has the time termination been reached at time t [s] (within rounding)?
  IONFLUX_HD bool time_reached(double t) const { return time > 0.0 && t >= time - 1e-12 * (time + 1.0); }
};

//! A cell's protocol: steps[0..n_steps) and the drive-cycle tables they refer to.
struct ProtocolView {
  const StepSpec* steps = nullptr;
  int n_steps = 0;
  const double* tables = nullptr;
  ExperimentEnd end{};
};

//! The period with which a drive-cycle table of n rows repeats (drive_at): its span
//! t_last - t0 plus its first interval t_1 - t0 (the seam); 0 when it does not repeat
//! (fewer than two rows).
IONFLUX_HD inline double drive_period(const double* tab, int n) {
  if (n < 2) return 0.0;
  const double span = tab[2 * (n - 1)] - tab[0];
  return span > 0.0 ? span + (tab[2] - tab[0]) : 0.0;
}

//! BDF steps that a drive-cycle step may take per knot of its table on top of
//! SolverOptions::max_steps: the solver stops on every knot (CellSolver::next_knot), and
//! a dense profile (WLTC at 0.1 s: 18,000 knots, about 8 steps each) would otherwise run
//! out of the default budget where PyBaMM completes (a differential test, session 18).
constexpr int kStepsPerDriveKnot = 20;

//! A voltage within this much of a cut-off [V] is at it, not past it: a cell started at
//! SOC 1 or 0 rests at the cut-off itself (its initial state inverts the open-circuit
//! voltage there), a few rounding errors either side.
constexpr double kCutoffSlack = 1e-6;

//! The knots of its table that a drive-cycle step passes (0 for other steps): the rows
//! times the copies its duration needs.
IONFLUX_HD inline double drive_knots(const StepSpec& s, const double* tables) {
  if (s.table_len < 2 || tables == nullptr) return 0.0;
  const double period = drive_period(tables + 2 * s.table_offset, s.table_len);
  const double copies = s.duration > 0.0 && period > 0.0 ? ceil(s.duration / period) : 1.0;
  return copies * s.table_len;
}

//! The BDF steps protocol step `s` may take (null: a run without a protocol): max_steps,
//! plus kStepsPerDriveKnot per knot of a drive cycle. Not capped (the caller caps it).
IONFLUX_HD inline double step_budget(const StepSpec* s, const double* tables, int max_steps) {
  return static_cast<double>(max_steps) + (s ? kStepsPerDriveKnot * drive_knots(*s, tables) : 0.0);
}

//! The set-point of a step at `t_in_step` seconds after its start (the table's time t0 +
//! t_in_step). Drive cycles are interpolated linearly, and repeated when the step is
//! longer than the data as PyBaMM tiles them (BaseStep.__init__): copy i of the table
//! shifted by i (t_last - t0 + t_1 - t0), so that each seam is a linear ramp over the
//! first interval's length from the last value back to the first one, not a jump (which
//! no step size could follow). The same as PyBaMM's where the table starts at t0 = 0.
IONFLUX_HD inline Drive drive_at(const StepSpec& s, const double* tables, double t_in_step) {
  Drive d{s.mode, s.value};
  if (s.table_len <= 0 || tables == nullptr) return d;
  const double* tab = tables + 2 * s.table_offset;
  const int n = s.table_len;
  const double t0 = tab[0], t_last = tab[2 * (n - 1)];
  const double period = drive_period(tab, n);
  double t = t0 + t_in_step;
  if (period > 0.0 && t > t_last) {
    t = t0 + fmod(t - t0, period);
    if (t > t_last) {  // on the seam: from the last value to the first
      const double y_last = tab[2 * (n - 1) + 1];
      d.value = y_last + (t - t_last) / (tab[2] - t0) * (tab[1] - y_last);
      return d;
    }
  }
  if (t <= t0) {
    d.value = tab[1];
    return d;
  }
  // binary search for the interval [t_k, t_k+1] holding t
  int lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (tab[2 * mid] <= t) lo = mid;
    else hi = mid;
  }
  const double ta = tab[2 * lo], tb = tab[2 * hi];
  const double w = tb > ta ? (t - ta) / (tb - ta) : 0.0;
  d.value = tab[2 * lo + 1] + w * (tab[2 * hi + 1] - tab[2 * lo + 1]);
  return d;
}

//! Value of an end condition's event function: positive while the step may go on.
IONFLUX_HD inline double end_function(EndKind kind, double value, double volt, double current) {
  switch (kind) {
    case EndKind::voltage_below: return volt - value;
    case EndKind::voltage_above: return value - volt;
    case EndKind::current_below: return fabs(current) - value;
    default: return 1.0;
  }
}

}  // namespace ionflux
