// Degradation (ageing) submodels as PyBaMM 26.10 states them: SEI growth, SEI film
// resistance, porosity change, lithium plating, particle mechanics (swelling, cracking),
// loss of active material. ../shared/reference/pybamm-degradation.md is the statement of
// the physics; PyBaMM's source is the authority.
//
// Two records:
// - ModelOptions: which submodels run. Batch-wide (every cell of a batch has the same
//   options, because they decide the state layout); carried by RunOptions::model on the
//   host and copied into the Layout, which every kernel function already receives.
//   Index [0] is the negative electrode, [1] the positive (PyBaMM's 2-tuples).
// - DegradationParams: the per-cell parameter values (vary in sweeps like any other),
//   a member of CellParams. Names in the comments are PyBaMM's parameter names.
#pragma once

#include "../common.hpp"

namespace ionflux {

struct FunctionRef;  // cell_params.hpp

//! "SEI"
enum class SeiModel : int {
  none = 0,
  constant,
  reaction_limited,
  reaction_limited_asymmetric,
  solvent_diffusion_limited,
  electron_migration_limited,
  interstitial_diffusion_limited,
  ec_reaction_limited,
  ec_reaction_limited_asymmetric,
  vonkolzenberg2020,
  tunnelling_limited,
};
//! "SEI film resistance"
enum class FilmResistance : int { none = 0, distributed, average };
//! "lithium plating"
enum class PlatingModel : int { none = 0, reversible, partially_reversible, irreversible };
//! "particle mechanics"
enum class MechanicsModel : int { none = 0, swelling_only, swelling_and_cracking };
//! "loss of active material"
enum class LamModel : int {
  none = 0,
  stress_driven,
  asymmetric_stress_driven,
  reaction_driven,
  current_driven,
  stress_and_reaction_driven,
  asymmetric_stress_and_reaction_driven,
};

//! The resolved model options (after PyBaMM's default derivation, reference §1.2).
//! Default-constructed: the plain DFN (no degradation), which must stay bitwise what it
//! was before degradation existed.
struct ModelOptions {
  SeiModel sei[2] = {SeiModel::none, SeiModel::none};
  FilmResistance sei_film = FilmResistance::none;
  bool sei_on_cracks[2] = {false, false};
  //! "SEI porosity change" or "lithium plating porosity change" (aliases in PyBaMM: either
  //! one turns on the same porosity submodel, reference §1.3)
  bool porosity_change = false;
  PlatingModel plating[2] = {PlatingModel::none, PlatingModel::none};
  MechanicsModel mechanics[2] = {MechanicsModel::none, MechanicsModel::none};
  bool stress_induced_diffusion[2] = {false, false};
  LamModel lam[2] = {LamModel::none, LamModel::none};

  IONFLUX_HD bool any() const {
    for (int k = 0; k < 2; ++k)
      if (sei[k] != SeiModel::none || sei_on_cracks[k] || plating[k] != PlatingModel::none ||
          mechanics[k] != MechanicsModel::none || stress_induced_diffusion[k] || lam[k] != LamModel::none)
        return true;
    return sei_film != FilmResistance::none || porosity_change;
  }
};

}  // namespace ionflux
