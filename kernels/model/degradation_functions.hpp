// The degradation parameter functions (FunctionRef members of DegradationParams), as
// PyBaMM 26.10's OKane2022.py defines them. Stand-in written by i16-core with the
// signatures agreed with i16-options (whose version replaces this file): constants
// (FunctionId::constant, the value p[0]) and the OKane2022 forms.
#pragma once

#include "cell_params.hpp"
#include "dual.hpp"

namespace ionflux {
namespace fn {

//! "Exchange-current density for plating [A.m-2]"(c_e, c_Li, T); c_e and c_Li already
//! clipped at >= 0 by the caller (PyBaMM's j0__c_e, j0__c_Li tolerances are 0).
template <class T>
IONFLUX_HD T plating_j0(const DegradationParams& d, const T& c_e, const T& c_li, double /*temp*/) {
  switch (d.plating_j0.id) {
    case FunctionId::plating_j0_okane2020: return (constants::F * d.plating_j0.p[0]) * c_e;
    case FunctionId::stripping_j0_okane2020: return (constants::F * d.plating_j0.p[0]) * c_li;
    default: return T(d.plating_j0.p[0]) + 0.0 * c_li;
  }
}
//! "Exchange-current density for stripping [A.m-2]"(c_e, c_Li, T).
template <class T>
IONFLUX_HD T stripping_j0(const DegradationParams& d, const T& c_e, const T& c_li, double /*temp*/) {
  switch (d.stripping_j0.id) {
    case FunctionId::plating_j0_okane2020: return (constants::F * d.stripping_j0.p[0]) * c_e;
    case FunctionId::stripping_j0_okane2020: return (constants::F * d.stripping_j0.p[0]) * c_li;
    default: return T(d.stripping_j0.p[0]) + 0.0 * c_li;
  }
}
//! "Dead lithium decay rate [s-1]"(L_sei).
template <class T>
IONFLUX_HD T dead_lithium_rate(const DegradationParams& d, const T& l_sei) {
  if (d.dead_lithium_rate.id == FunctionId::dead_lithium_okane2022)
    return (d.dead_lithium_rate.p[0] * d.dead_lithium_rate.p[1]) / l_sei;
  return T(d.dead_lithium_rate.p[0]) + 0.0 * l_sei;
}

}  // namespace fn
}  // namespace ionflux
