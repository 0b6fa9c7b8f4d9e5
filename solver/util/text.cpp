#include "solver/util/text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <vector>

#include "solver/util/errors.hpp"

namespace ionflux {

std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string num(double v) { return format("%.10g", v); }

std::string shortest_num(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string rate_text(double r) {
  if (!std::isfinite(r)) return "?";
  return r >= 100 ? format("%.0f", r) : r >= 1 ? format("%.1f", r) : format("%.2g", r);
}

std::optional<std::string> volts_text(const std::string& text) {
  const std::string t = trim(text);
  if (t.empty() || (t.back() != 'V' && t.back() != 'v')) return std::nullopt;
  return trim(t.substr(0, t.size() - 1));
}

std::string trim(const std::string& s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

std::string quoted_list(const std::vector<std::string>& names, const char* sep) {
  std::string r;
  for (std::size_t i = 0; i < names.size(); ++i) r += (i ? sep : "") + ("'" + names[i] + "'");
  return r;
}

std::string to_lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  // a short word is one edit from many others: 'to' is not a typo of 'or'
  std::size_t best_d = (word.size() <= 3 ? 1 : std::max<std::size_t>(2, word.size() / 3)) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  if (a.size() > kEditDistanceMaxLength || b.size() > kEditDistanceMaxLength) return std::max(a.size(), b.size());
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

double parse_decimal(const std::string& literal) {
  double v = 0.0;
  const auto r = std::from_chars(literal.data(), literal.data() + literal.size(), v);
  if (r.ec == std::errc::result_out_of_range) {
    const auto e = literal.find_first_of("eE");
    const bool tiny = e != std::string::npos && e + 1 < literal.size() && literal[e + 1] == '-';
    return tiny ? 0.0 : std::numeric_limits<double>::infinity();
  }
  return v;
}

std::string read_text_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw InputError("cannot open " + what + " '" + path + "': is a directory");
  std::ifstream f(path, std::ios::binary);
  if (!f) throw InputError("cannot open " + what + " '" + path + "'");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (f.bad()) throw InputError("cannot read " + what + " '" + path + "'");
  return text;
}

}  // namespace ionflux
