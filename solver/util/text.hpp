// Small text helpers shared by the parsers and error messages.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace ionflux {

//! ASCII lower case.
std::string to_lower(std::string s);

//! A decimal literal (digits, optional fraction, optional exponent; already checked)
//! as the nearest double, independently of the process locale (strtod would read
//! "0.5" as 0 under a comma-decimal LC_NUMERIC). Too large: inf; too small: 0.
double parse_decimal(const std::string& literal);

//! The whole file as text; InputError "cannot open <what> 'path'" (or "...: is a
//! directory", "cannot read ...") when it cannot be read.
std::string read_text_file(const std::string& path, const std::string& what);

//! v through one printf conversion `fmt` ("%.3g", "%.1f"; one double argument).
std::string format(const char* fmt, double v);

//! v with 10 significant digits ("%.10g"): numbers quoted in messages. The one
//! definition (it was written out in five files).
std::string num(double v);

//! The shortest decimal that reads back as exactly v (std::to_chars: 5.86e-06, not
//! 5.8600000000000004e-06): numbers written into text that is parsed again
//! (expressions, plans, attributes).
std::string shortest_num(double v);

//! A rate (cells per second) with enough digits for slow sweeps: "7412", "12.3", "0.084"
//! (an ageing sweep's 0.084 cells/s is not "0.1"); "?" when not finite. The sweep
//! summaries of the CLI and of the Dask CLI print it.
std::string rate_text(double r);

//! s without leading and trailing white space.
std::string trim(const std::string& s);

//! The number text of a voltage written "3.9 V" (or "3.9V", "3.9 v"): what precedes the
//! trailing V, trimmed; nullopt when `text` does not end in V. PyBaMM's initial_soc form,
//! read by ionflux simulate --soc and a sweep config's initial_soc alike.
std::optional<std::string> volts_text(const std::string& text);

//! 'a', 'b', 'c' (each name in single quotes, joined by `sep`).
std::string quoted_list(const std::vector<std::string>& names, const char* sep = ", ");

//! Levenshtein distance (insertions, deletions, substitutions each cost 1). When either word
//! is longer than kEditDistanceMaxLength, the longer length (an upper bound) instead: no
//! name is that long, and the cost (length x length, per candidate) of "did you mean"
//! suggestions for a huge unknown key reached seconds (found by fuzzing, docs/reliability.md).
constexpr std::size_t kEditDistanceMaxLength = 256;
std::size_t edit_distance(const std::string& a, const std::string& b);

//! The candidate closest to `word` (edit_distance), if it is close enough to be a likely
//! typo (at most max(2, |word| / 3) edits, 1 for words of 3 letters or fewer); for "did
//! you mean" suggestions.
std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace ionflux
