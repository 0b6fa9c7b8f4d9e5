// Parameter sets shipped as ionflux parameter files (solver/inputs/sets/NAME.json), compiled
// into the library by cmake/embed_sets.cmake. Chen2020 and Marquis2019 are compiled
// directly (builtin_sets.cpp) and are not among these.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ionflux {

//! (name, file text) of every shipped parameter-file set, sorted by name.
const std::vector<std::pair<std::string, std::string>>& shipped_set_files();

}  // namespace ionflux
