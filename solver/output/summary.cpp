// PyBaMM's per-cycle summary variables and the eSOH solve (summary.hpp).
#include "solver/output/summary.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/model/cell_solver.hpp"
#include "kernels/model/functions.hpp"
#include "kernels/model/mechanics.hpp"

namespace ionflux {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kFaradayAh = constants::F / 3600.0;

}  // namespace

void cell_summary_inputs(const CellParams& p, const Layout& l, double* out) {
  std::vector<double> y(static_cast<std::size_t>(l.n_state), 0.0);
  initial_guess(p, l, CView{y.data()});  // the differential states of the run start
  const Inventory inv = lithium_inventory(p, l, CView{y.data()});
  for (int f = 0; f < kInventoryFields; ++f) out[kCellStartInventory + f] = inv.v[f];
  reference_inventory(p, out + kCellReference);
  out[kCellArea] = p.area;
}

void esoh_fields(const CellParams& p, const double* inv, double* out) {
  const Esoh e = solve_esoh(p, inv[kInvCapacityNeg], inv[kInvCapacityPos],
                            (inv[kInvLithiumNeg] + inv[kInvLithiumPos]) * kFaradayAh, p.ocv_soc_0, p.ocv_soc_100);
  out[kEsohX100] = e.x_100;
  out[kEsohX0] = e.x_0;
  out[kEsohUn100] = e.un_100;
  out[kEsohUp100] = e.up_100;
  out[kEsohUn0] = e.un_0;
  out[kEsohUp0] = e.up_0;
}

void degradation_series(const CellParams& p, const Layout& l, const double* y, std::vector<std::string>* names,
                        std::vector<double>& values) {
  values.clear();
  if (names) names->clear();
  // the name a + b + c, built only when names are asked for (once per run, not per output)
  auto put = [&](const char* a, const char* b, const char* c, double v) {
    if (names) names->push_back(std::string(a) + b + c);
    values.push_back(v);
  };
  Inventory inv{};
  bool have_inv = false;  // lithium_inventory once per state (both electrodes' LAM read it)
  const ModelOptions& o = l.model;
  const CView yv{const_cast<double*>(y)};
  double change[2] = {0.0, 0.0};
  for (int e = 0; e < 2; ++e) {
    const ElectrodeParams& ep = e == 0 ? p.neg : p.pos;
    const ElectrodeDegradation& d = p.deg.electrode[e];
    const char* dom = e == 0 ? "negative" : "positive";
    const char* Dom = e == 0 ? "Negative" : "Positive";
    const int first = e == 0 ? 0 : l.nn + l.ns, count = e == 0 ? l.nn : l.np;
    const bool mechanics = o.mechanics[e] != MechanicsModel::none;
    const bool cracks = l.dslot[e][kDegSeiCr] >= 0, lam = l.dslot[e][kDegEpsS] >= 0;
    double vol = 0.0, rho = 0.0, l_cr = 0.0, l_sei_cr = 0.0, eps_s = 0.0, eps = 0.0, lithium = 0.0;
    const double sto_init = ep.c_init / ep.c_max, t_init = mechanics ? fn::volume_change(d, sto_init) : 0.0;
    for (int q = 0; q < count; ++q) {
      const int i = first + q;
      const double es = node_active_fraction(p, l, i, yv);
      const int kc = l.d_index(i, kDegCrack);
      const double lc = kc >= 0 ? y[kc] : 0.0;  // "swelling only": no crack growth, l_cr = 0 (reference 6.2)
      const double r = mech::roughness(lc, d.cracks_per_area, d.crack_width0);
      if (mechanics)
        vol += mech::volume_change_node(es, fn::volume_change(d, mech::r_average_node(l, yv, i) / ep.c_max), t_init);
      rho += r;
      l_cr += lc;
      if (cracks)
        l_sei_cr += mech::sei_cracks_thickness(y[l.d_index(i, kDegSeiCr)], p.deg.sei_partial_molar_volume,
                                               3.0 * es / ep.particle_radius, r);
      eps_s += es;
      if (lam) lithium += es * mech::r_average_node(l, yv, i);
      eps += deg::node_porosity(p, l, i, yv);
    }
    if (mechanics) {
      change[e] = mech::electrode_thickness_change(p.n_parallel, ep.thickness, vol / count);
      put("", Dom, " electrode thickness change [m]", change[e]);
      put("X-averaged ", dom, " electrode roughness ratio", rho / count);
      put("X-averaged ", dom, " particle crack length [m]", l_cr / count);
    }
    if (cracks) put("X-averaged ", dom, " SEI on cracks thickness [m]", l_sei_cr / count);
    if (lam) {
      put("X-averaged ", dom, " electrode active material volume fraction", eps_s / count);
      // PyBaMM's x-average(eps_s r-average(c)) / x-average(eps_s) / c_max: with eps_s a
      // state it differs from the average particle stoichiometry
      put("", Dom, " electrode stoichiometry", lithium / eps_s / ep.c_max);
      if (!have_inv) inv = lithium_inventory(p, l, yv), have_inv = true;
      put("Loss of lithium due to loss of active material in ", dom, " electrode [mol]",
          inv.v[e == 0 ? kInvLamNeg : kInvLamPos]);
    }
    if (o.porosity_change) put("X-averaged ", dom, " electrode porosity", eps / count);
  }
  if (o.mechanics[0] != MechanicsModel::none && o.mechanics[1] != MechanicsModel::none)
    put("Cell thickness change [m]", "", "",
        mech::cell_thickness_change(change[0], change[1], p.deg.thermal_expansion, y[l.kT()], p.t_ref));
}

const std::vector<double>* SummaryVariables::find(const std::string& name) const {
  for (std::size_t j = 0; j < names.size(); ++j)
    if (names[j] == name) return &values[j];
  return nullptr;
}

const std::vector<std::string>& base_summary_names() {
  static const std::vector<std::string> names = {
      "Time [s]",
      "Time [h]",
      "Throughput capacity [A.h]",
      "Throughput energy [W.h]",
      "Loss of lithium inventory [%]",
      "Loss of lithium inventory, including electrolyte [%]",
      "Total lithium [mol]",
      "Total lithium in electrolyte [mol]",
      "Total lithium in particles [mol]",
      "Total lithium lost [mol]",
      "Total lithium lost from particles [mol]",
      "Total lithium lost from electrolyte [mol]",
      "Loss of lithium to negative SEI [mol]",
      "Loss of capacity to negative SEI [A.h]",
      "Loss of lithium to positive SEI [mol]",
      "Loss of capacity to positive SEI [A.h]",
      "Total lithium lost to side reactions [mol]",
      "Total capacity lost to side reactions [A.h]",
      "Negative electrode capacity [A.h]",
      "Loss of active material in negative electrode [%]",
      "Total lithium in negative electrode [mol]",
      "Loss of lithium to negative lithium plating [mol]",
      "Loss of capacity to negative lithium plating [A.h]",
      "Loss of lithium to negative SEI on cracks [mol]",
      "Loss of capacity to negative SEI on cracks [A.h]",
      "Positive electrode capacity [A.h]",
      "Loss of active material in positive electrode [%]",
      "Total lithium in positive electrode [mol]",
      "Loss of lithium to positive lithium plating [mol]",
      "Loss of capacity to positive lithium plating [A.h]",
      "Loss of lithium to positive SEI on cracks [mol]",
      "Loss of capacity to positive SEI on cracks [A.h]",
      // not in PyBaMM's summary list, but PyBaMM variables of the same state
      "Total lithium capacity [A.h]",
      "Total lithium capacity in particles [A.h]",
      "X-averaged negative SEI thickness [m]",
      "X-averaged positive SEI thickness [m]",
      "Loss of lithium due to loss of active material in negative electrode [mol]",
      "Loss of lithium due to loss of active material in positive electrode [mol]",
  };
  return names;
}

const std::vector<std::string>& esoh_summary_names() {
  static const std::vector<std::string> names = {
      "x_100", "y_100", "Un(x_100)", "Up(y_100)", "Up(y_100) - Un(x_100)", "Q_Li", "n_Li", "Q_n", "Q_p",
      "Cyclable lithium capacity [A.h]", "Cyclable lithium capacity [mA.h.cm-2]",
      "Negative electrode capacity [mA.h.cm-2]", "Positive electrode capacity [mA.h.cm-2]",
      "Formation capacity loss [A.h]", "Formation capacity loss [mA.h.cm-2]", "Negative positive ratio", "NPR", "Q",
      "Capacity [A.h]", "Capacity [mA.h.cm-2]", "x_0", "y_0", "Un(x_0)", "Up(y_0)", "Up(y_0) - Un(x_0)", "x_100 - x_0",
      "y_0 - y_100", "Q_n * (x_100 - x_0)", "Q_p * (y_0 - y_100)", "Negative electrode excess capacity ratio",
      "Positive electrode excess capacity ratio", "Practical negative positive ratio", "Practical NPR"};
  return names;
}

namespace {
std::string change_name(const std::string& name) {
  std::string s = name;
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z') s[0] = static_cast<char>(s[0] - 'A' + 'a');
  return "Change in " + s;
}
}  // namespace

std::vector<std::string> summary_variable_names() {
  std::vector<std::string> out = base_summary_names();
  for (const std::string& n : base_summary_names()) out.push_back(change_name(n));
  out.insert(out.end(), esoh_summary_names().begin(), esoh_summary_names().end());
  return out;
}

SummaryVariables summary_variables(const CycleStates& s) {
  SummaryVariables out;
  out.n = s.n;
  out.n_cycles = s.n_cycles;
  out.names = summary_variable_names();
  const std::size_t size = s.n * s.n_cycles, nb = base_summary_names().size();
  out.values.assign(out.names.size(), std::vector<double>(size, kNaN));
  const double faraday_ah = kFaradayAh;
  // the base quantities of one state: inventory v (kInventoryFields), cell summary c
  auto base = [&](const double* v, const double* c, double t, double tq, double te, double* b) {
    const double n_part = v[kInvLithiumNeg] + v[kInvLithiumPos], n_e = v[kInvLithiumElyte], n_li = n_part + n_e;
    const double* ref = c + kCellReference;
    const double n_part0 = ref[kRefLithiumParticles], n_e0 = ref[kRefLithiumElyte], n_li0 = n_part0 + n_e0;
    const double side = v[kInvSeiNeg] + v[kInvSeiPos] + v[kInvSeiCracksNeg] + v[kInvSeiCracksPos] +
                        v[kInvPlatingNeg] + v[kInvPlatingPos];
    double* o = b;
    *o++ = t;
    *o++ = t / 3600.0;
    *o++ = tq;
    *o++ = te;
    *o++ = (1.0 - n_part / n_part0) * 100.0;
    *o++ = (1.0 - n_li / n_li0) * 100.0;
    *o++ = n_li;
    *o++ = n_e;
    *o++ = n_part;
    *o++ = n_li0 - n_li;
    *o++ = n_part0 - n_part;
    *o++ = n_e0 - n_e;
    *o++ = v[kInvSeiNeg];
    *o++ = v[kInvSeiNeg] * faraday_ah;
    *o++ = v[kInvSeiPos];
    *o++ = v[kInvSeiPos] * faraday_ah;
    *o++ = side;
    *o++ = side * faraday_ah;
    for (int d = 0; d < 2; ++d) {
      *o++ = v[d == 0 ? kInvCapacityNeg : kInvCapacityPos];
      *o++ = (1.0 - v[d == 0 ? kInvCapacityNeg : kInvCapacityPos] / ref[d == 0 ? kRefCapacityNeg : kRefCapacityPos]) *
             100.0;
      *o++ = v[d == 0 ? kInvLithiumNeg : kInvLithiumPos];
      *o++ = v[d == 0 ? kInvPlatingNeg : kInvPlatingPos];
      *o++ = v[d == 0 ? kInvPlatingNeg : kInvPlatingPos] * faraday_ah;
      *o++ = v[d == 0 ? kInvSeiCracksNeg : kInvSeiCracksPos];
      *o++ = v[d == 0 ? kInvSeiCracksNeg : kInvSeiCracksPos] * faraday_ah;
    }
    *o++ = n_li * faraday_ah;
    *o++ = n_part * faraday_ah;
    *o++ = v[kInvSeiThicknessNeg];
    *o++ = v[kInvSeiThicknessPos];
    *o++ = v[kInvLamNeg];
    *o++ = v[kInvLamPos];
    return static_cast<std::size_t>(o - b);
  };
  std::vector<double> b_end(nb), b_start(nb);
  double v_end[kInventoryFields], v_start[kInventoryFields];
  for (std::size_t k = 0; k < s.n; ++k) {
    const double* c = s.cell.data() + k * kCellSummaryFields;
    for (std::size_t cy = 0; cy < s.n_cycles; ++cy) {
      const std::size_t j = k * s.n_cycles + cy;
      if (std::isnan(s.t_end[j])) continue;
      for (int f = 0; f < kInventoryFields; ++f) v_end[f] = s.end_inv[f][j], v_start[f] = s.start_inv[f][j];
      base(v_end, c, s.t_end[j], s.throughput_capacity[j], s.throughput_energy[j], b_end.data());
      base(v_start, c, s.t_start[j], s.throughput_capacity[j] - s.moved_capacity[j],
           s.throughput_energy[j] - s.moved_energy[j], b_start.data());
      for (std::size_t q = 0; q < nb; ++q) {
        out.values[q][j] = b_end[q];
        out.values[nb + q][j] = b_end[q] - b_start[q];
      }
      // eSOH (§9.3) at the last state
      const double q_n = v_end[kInvCapacityNeg], q_p = v_end[kInvCapacityPos];
      const double q_li = (v_end[kInvLithiumNeg] + v_end[kInvLithiumPos]) * faraday_ah;
      const double x100 = s.esoh[kEsohX100][j], x0 = s.esoh[kEsohX0][j];
      const double y100 = (q_li - x100 * q_n) / q_p, q = q_n * (x100 - x0), y0 = y100 + q / q_p;
      const double un100 = s.esoh[kEsohUn100][j], up100 = s.esoh[kEsohUp100][j];
      const double un0 = s.esoh[kEsohUn0][j], up0 = s.esoh[kEsohUp0][j];
      const double acc_cm2 = c[kCellArea] * 1e4;
      const double vals[] = {x100,
                             y100,
                             un100,
                             up100,
                             up100 - un100,
                             q_li,
                             q_li / faraday_ah,
                             q_n,
                             q_p,
                             q_li,
                             q_li * 1e3 / acc_cm2,
                             q_n * 1e3 / acc_cm2,
                             q_p * 1e3 / acc_cm2,
                             q_p - q_li,
                             (q_p - q_li) * 1e3 / acc_cm2,
                             q_n / q_p,
                             q_n / q_p,
                             q,
                             q,
                             q * 1e3 / acc_cm2,
                             x0,
                             y0,
                             un0,
                             up0,
                             up0 - un0,
                             x100 - x0,
                             y0 - y100,
                             q_n * (x100 - x0),
                             q_p * (y0 - y100),
                             q_n / q,
                             q_p / q,
                             1.0 + q_n * (1.0 - x100) / q,
                             1.0 + q_n * (1.0 - x100) / q};
      static_assert(sizeof(vals) / sizeof(vals[0]) == 33, "one value per eSOH name");
      for (std::size_t q2 = 0; q2 < esoh_summary_names().size(); ++q2) out.values[2 * nb + q2][j] = vals[q2];
    }
  }
  return out;
}

}  // namespace ionflux
