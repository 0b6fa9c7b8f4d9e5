// The electrolyte transport functions at a batch of nodes, alone: fn::transport_points
// (kappa_e, chi, D_e, t+ at N concentrations; 60, the residual's batch on the default mesh)
// for a shipped set's functions, in ns per node (the best of 7 rounds of 200,000 calls).
// N is read at run time, as the residual's batch size is (a constant count lets the
// compiler unroll the loops instead). The number behind "electrolyte transport in
// vectors" in LOG.md (session 15).
//
//   build/benchmarks/bench_transport [--set NAME] [--nodes N]   (Chen2020, 60; pin it: taskset -c 1)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "kernels/model/functions.hpp"
#include "solver/inputs/parameters.hpp"

using namespace ionflux;

int main(int argc, char** argv) {
  std::string set = "Chen2020";
  int nodes = 60;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--set") == 0 && a + 1 < argc) {
      set = argv[++a];
    } else if (std::strcmp(argv[a], "--nodes") == 0 && a + 1 < argc) {
      nodes = std::atoi(argv[++a]);
    } else {
      nodes = 0;
      break;
    }
  }
  if (nodes < 1 || nodes > 64) {
    std::fprintf(stderr, "usage: bench_transport [--set NAME] [--nodes N], 1 <= N <= 64\n");
    return 2;
  }
  const ParameterSet ps = ParameterSet::load(set);
  const CellParams p = ps.cell_params(ps.get("Nominal cell capacity [A.h]"));
  constexpr int kCalls = 200000;
  const int kNodes = nodes;
  double c[64], kappa[64], chi[64], de[64], tp[64];
  for (int j = 0; j < kNodes; ++j) c[j] = 800.0 + 10.0 * j;
  double best = 1e300, sink = 0.0;
  for (int round = 0; round < 7; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int it = 0; it < kCalls; ++it) {
      c[it % kNodes] += 1e-9;  // (so that no call can be hoisted)
      fn::transport_points<64>(p, c, kNodes, p.temperature, kappa, chi, de, tp);
      sink += kappa[3] + chi[5] + de[7] + tp[1];
    }
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, ns / kCalls / kNodes);
  }
  std::printf("%s: fn::transport_points, %d nodes: %.2f ns per node (best of 7 rounds; checksum %.6g)\n", set.c_str(),
              kNodes, best, sink);
  return 0;
}
