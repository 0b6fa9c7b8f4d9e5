// Shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.cpp) and the CI replay
// (tests/fuzz/replay_main.cpp). Each harness defines its entry point with
// IONFLUX_FUZZ_TARGET(name): LLVMFuzzerTestOneInput in a libFuzzer build, ionflux_fuzz_<name>
// in the replay, which links every harness into one program.
//
// A harness catches only the library's documented input errors (std::invalid_argument and its
// subclasses InputError, InvalidParameter, UnknownParameter, ExpressionError). Anything else
// escapes: a crash, a sanitizer report, std::bad_alloc or another exception type is a bug.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#ifdef IONFLUX_FUZZ_REPLAY
#define IONFLUX_FUZZ_TARGET(name) int ionflux_fuzz_##name(const std::uint8_t* data, std::size_t size)
#else
#define IONFLUX_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
#endif

namespace ionflux_fuzz {

//! Inputs larger than this are skipped: the parsers' work grows with the input, and 64 KiB is
//! far beyond any real experiment, config or parameter file's size.
constexpr std::size_t kMaxInput = 64 * 1024;

//! Runs f, swallowing the documented input errors only.
template <class F>
int expect_documented(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument&) {
  }
  return 0;
}

inline std::string text(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace ionflux_fuzz
