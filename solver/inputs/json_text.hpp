// Strict JSON reading shared by the sweep configs and the parameter files: comments
// allowed, duplicate keys rejected (nlohmann::json would silently keep one), and syntax
// errors reported with line and column.
#pragma once

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "solver/util/errors.hpp"

namespace ionflux {

//! What a JSON value is, for "expected ..., got <this>" messages: "null", "true",
//! "false", "a string", "an array", "an object" or "a number".
inline std::string json_kind(const nlohmann::ordered_json& j) {
  using ojson = nlohmann::ordered_json;
  switch (j.type()) {
    case ojson::value_t::null: return "null";
    case ojson::value_t::boolean: return j.get<bool>() ? "true" : "false";
    case ojson::value_t::string: return "a string";
    case ojson::value_t::array: return "an array";
    case ojson::value_t::object: return "an object";
    default: return "a number";
  }
}

//! Parse `text`. On a duplicate key or a syntax error calls fail(message), which must
//! throw (the caller adds where the text came from).
template <class Fail>
nlohmann::ordered_json parse_json_checked(const std::string& text, Fail fail) {
  using ojson = nlohmann::ordered_json;
  struct Frame {
    std::string name;
    std::vector<std::string> keys;
  };
  std::vector<Frame> frames;
  std::string last_key;
  // Deeper values are refused while parsing: dumping, copying or walking them recurses once
  // per level (a config nested 10^5 deep overflowed the stack in an error message's dump()).
  constexpr int kMaxDepth = 64;
  int depth = 0;
  const ojson::parser_callback_t cb = [&](int, ojson::parse_event_t ev, ojson& parsed) {
    if (ev == ojson::parse_event_t::object_start || ev == ojson::parse_event_t::array_start) {
      if (++depth > kMaxDepth)
        fail("invalid JSON: arrays and objects are nested more than " + std::to_string(kMaxDepth) +
             " levels deep; expected at most " + std::to_string(kMaxDepth));
    } else if (ev == ojson::parse_event_t::object_end || ev == ojson::parse_event_t::array_end) {
      --depth;
    }
    if (ev == ojson::parse_event_t::object_start) {
      frames.push_back({frames.empty() ? std::string() : last_key, {}});
    } else if (ev == ojson::parse_event_t::object_end) {
      if (!frames.empty()) frames.pop_back();
    } else if (ev == ojson::parse_event_t::key) {
      const std::string key = parsed.get<std::string>();
      if (!frames.empty()) {
        auto& keys = frames.back().keys;
        if (std::find(keys.begin(), keys.end(), key) != keys.end())
          fail("duplicate key '" + key + "'" +
               (frames.back().name.empty() ? std::string(" at the top level") : " in '" + frames.back().name + "'"));
        keys.push_back(key);
      }
      last_key = key;
    }
    return true;
  };
  std::string message;
  try {
    return ojson::parse(text, cb, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const ojson::parse_error& e) {
    // e.byte: 1-based index of the last character read (one past the end at end of input).
    const std::size_t pos = std::min<std::size_t>(e.byte > 0 ? e.byte - 1 : 0, text.size());
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n');
    const std::size_t nl = pos == 0 ? std::string::npos : text.rfind('\n', pos - 1);
    const std::size_t column = pos - (nl == std::string::npos ? 0 : nl + 1) + 1;
    std::string what = e.what();  // "[json.exception.parse_error.101] parse error at line L, column C: <what>"
    const auto colon = what.find(": ", what.find("parse error"));
    if (colon != std::string::npos) what = what.substr(colon + 2);
    message = "invalid JSON at line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + what;
  } catch (const ojson::exception& e) {  // e.g. "number overflow parsing '1e400'"
    std::string what = e.what();
    const auto bracket = what.find("] ");
    if (bracket != std::string::npos) what = what.substr(bracket + 2);
    message = "invalid JSON: " + what;
  }
  fail(message);
  throw InputError(message);  // fail() throws; this keeps every path returning or throwing
}

}  // namespace ionflux
