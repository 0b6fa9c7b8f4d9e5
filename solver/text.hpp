// Small text helpers shared by the parsers and error messages.
#pragma once

#include <cstddef>
#include <string>

namespace ionflux {

//! ASCII lower case.
std::string to_lower(std::string s);

//! Levenshtein distance (insertions, deletions, substitutions each cost 1).
std::size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace ionflux
