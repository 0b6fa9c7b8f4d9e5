// CI replay of the fuzz corpora (no libFuzzer needed): feeds every file of the given
// directories (or files) through one harness's entry point, the same function the libFuzzer
// build runs (tests/fuzz/fuzz_<harness>.cpp, compiled with IONFLUX_FUZZ_REPLAY).
//   fuzz_replay <harness> <dir or file>...
// Fails (exit 1) on an exception the harness does not accept as a documented input error;
// a crash or abort fails it too. docs/reliability.md describes the corpora.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_common.hpp"

#define IONFLUX_FUZZ_DECLARE(name) IONFLUX_FUZZ_TARGET(name);
IONFLUX_FUZZ_DECLARE(experiment)
IONFLUX_FUZZ_DECLARE(sweep)
IONFLUX_FUZZ_DECLARE(parameter_file)
IONFLUX_FUZZ_DECLARE(bpx)
IONFLUX_FUZZ_DECLARE(expression)
IONFLUX_FUZZ_DECLARE(table)

namespace {

//! A harness that fails as a bug would (an exception outside the documented ones), so that
//! CTest shows the replay detects it (fuzz_replay_detects_undocumented_exception).
int selftest(const std::uint8_t* data, std::size_t size) {
  return ionflux_fuzz::expect_documented([&] {
    if (size > 0 && data[0] == 'x') throw std::runtime_error("selftest: an undocumented exception type");
    if (size > 0 && data[0] == 'i') throw std::invalid_argument("selftest: a documented input error");
  });
}

using Entry = int (*)(const std::uint8_t*, std::size_t);

struct Harness {
  const char* name;
  Entry entry;
};

const Harness kHarnesses[] = {{"experiment", ionflux_fuzz_experiment},
                              {"sweep", ionflux_fuzz_sweep},
                              {"parameter_file", ionflux_fuzz_parameter_file},
                              {"bpx", ionflux_fuzz_bpx},
                              {"expression", ionflux_fuzz_expression},
                              {"table", ionflux_fuzz_table},
                              {"selftest", selftest}};

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc < 3) {
    std::fprintf(stderr, "usage: fuzz_replay <harness> <dir or file>...\n");
    return 2;
  }
  Entry entry = nullptr;
  for (const Harness& h : kHarnesses)
    if (std::strcmp(h.name, argv[1]) == 0) entry = h.entry;
  if (!entry) {
    std::fprintf(stderr, "fuzz_replay: unknown harness '%s'\n", argv[1]);
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 2; i < argc; ++i) {
    const fs::path p(argv[i]);
    if (fs::is_directory(p)) {
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
    } else {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "fuzz_replay: no corpus files for '%s'\n", argv[1]);
    return 1;
  }
  for (const fs::path& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "%s\n", f.string().c_str());
    try {
      entry(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fuzz_replay %s: %s: undocumented exception: %s\n", argv[1], f.string().c_str(), e.what());
      return 1;
    } catch (...) {
      std::fprintf(stderr, "fuzz_replay %s: %s: undocumented non-standard exception\n", argv[1], f.string().c_str());
      return 1;
    }
  }
  std::printf("fuzz_replay %s: %zu inputs, no crash, only documented errors\n", argv[1], files.size());
  return 0;
}
