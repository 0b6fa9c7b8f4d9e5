// Built-in vs expression vs table parameter functions: the same Chen2020 1C discharge
// sweep (D_s,n log-spaced 1e-14..1e-13 so cells differ; default mesh; rtol 1e-6,
// atol 1e-8) with
//   builtin     Chen2020's compiled closed forms;
//   expression  both OCPs, both exchange currents, D_e and kappa_e as expressions
//               (the same formulas; the functions the residual evaluates most);
//   table       both OCPs tabulated from the built-in formulas (1001 points, "cubic");
//   measured    both OCPs as the measured LG M50 tables (~250 points, "pchip"), which
//               are rougher: more steps, as in PyBaMM (5033 vs 485 steps at 1C).
// Prints cells/s, steps per cell and wall time per step for each, and each case's
// ratio to builtin. Runs on the CPU (all threads) and, when available, the GPU.
//
//   build/benchmarks/bench_functions [--cells N] [--gpu-cells N] [--device cpu|cuda|both]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kernels/model/functions.hpp"
#include "solver/problem/batch.hpp"
#include "solver/inputs/parameters.hpp"
#include "solver/inputs/user_function.hpp"
#include "peer.hpp"
#include "tests/test_support.hpp"

using namespace ionflux;

namespace {

ParameterSet make_case(const std::string& which) {
  ParameterSet ps = ParameterSet::load("Chen2020");
  auto expr = [&](const char* k, const char* text) { ps.set_function(k, UserFunctionSource::expression(k, text)); };
  if (which == "expression") {
    expr("Negative electrode OCP [V]",
         "1.9793 * exp(-39.3631 * sto) + 0.2482 - 0.0909 * tanh(29.8538 * (sto - 0.1234)) - 0.04478 * tanh(14.9159 * "
         "(sto - 0.2769)) - 0.0205 * tanh(30.4444 * (sto - 0.6103))");
    expr("Positive electrode OCP [V]",
         "-0.8090 * sto + 4.4875 - 0.0428 * tanh(18.5138 * (sto - 0.5542)) - 17.7326 * tanh(15.7890 * (sto - 0.3117)) "
         "+ 17.5842 * tanh(15.9308 * (sto - 0.3120))");
    expr("Negative electrode exchange-current density [A.m-2]",
         "6.48e-7 * exp(35000 / 8.31446261815324 * (1 / 298.15 - 1 / T)) * c_e ^ 0.5 * c_s_surf ^ 0.5 * "
         "(c_s_max - c_s_surf) ^ 0.5");
    expr("Positive electrode exchange-current density [A.m-2]",
         "3.42e-6 * exp(17800 / 8.31446261815324 * (1 / 298.15 - 1 / T)) * c_e ^ 0.5 * c_s_surf ^ 0.5 * "
         "(c_s_max - c_s_surf) ^ 0.5");
    expr("Electrolyte diffusivity [m2.s-1]", "8.794e-11 * (c_e / 1000) ^ 2 - 3.972e-10 * (c_e / 1000) + 4.862e-10");
    expr("Electrolyte conductivity [S.m-1]",
         "0.1297 * (c_e / 1000) ^ 3 - 2.51 * (c_e / 1000) ^ 1.5 + 3.329 * (c_e / 1000)");
  } else if (which == "table") {
    const CellParams c = ps.cell_params(5.0);
    for (int side = 0; side < 2; ++side) {
      const ElectrodeParams& e = side == 0 ? c.neg : c.pos;
      std::vector<double> x, y;
      for (int i = 0; i <= 1000; ++i) {
        x.push_back(i / 1000.0);
        y.push_back(fn::ocp_ref(e.ocp, x.back()));
      }
      const char* k = side == 0 ? "Negative electrode OCP [V]" : "Positive electrode OCP [V]";
      ps.set_function(k, UserFunctionSource::table(k, x, y, "cubic"));
    }
  } else if (which == "measured") {
    const char* names[2][2] = {{"Negative electrode OCP [V]", "graphite_LGM50_ocp_Chen2020.csv"},
                               {"Positive electrode OCP [V]", "nmc_LGM50_ocp_Chen2020.csv"}};
    for (auto& n : names) {
      const auto xy = ionflux::testing::read_csv2(ionflux::testing::shared_path(std::string("reference-data/ocp_Chen2020_LGM50/") + n[1]));
      ps.set_function(n[0], UserFunctionSource::table(n[0], xy.first, xy.second, "pchip"));
    }
  }
  return ps;
}

struct Timing {
  double cells_per_s = 0.0, steps_per_cell = 0.0, us_per_step = 0.0;
};

Timing run(const ParameterSet& base, long n, Device device) {
  const BatchInputs in = bench::diffusivity_sweep(base, n, 5.0, 60.0);
  struct Steps : ChunkSink {
    double total = 0.0;
    void write_chunk(const ChunkData& c) override {
      for (int s : c.steps) total += s;
    }
  } sink;
  BatchOptions o;
  o.device = device;
  const auto t0 = std::chrono::steady_clock::now();
  run_batch(in, o, &sink);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Timing t;
  t.cells_per_s = n / wall;
  t.steps_per_cell = sink.total / n;
  t.us_per_step = wall * 1e6 / sink.total;
  return t;
}

void print_table(Device device, long n) {
  std::printf("\n%s, %ld cells:\n%-11s %12s %8s %12s %10s %14s\n", device == Device::cpu ? "CPU (all threads)" : "GPU", n,
              "functions", "cells/s", "ratio", "steps/cell", "us/step", "step ratio");
  Timing ref;
  for (const char* which : {"builtin", "expression", "table", "measured"}) {
    const Timing t = run(make_case(which), n, device);
    if (std::string(which) == "builtin") ref = t;
    std::printf("%-11s %12.1f %8.3f %12.1f %10.3f %14.3f\n", which, t.cells_per_s, t.cells_per_s / ref.cells_per_s,
                t.steps_per_cell, t.us_per_step, t.us_per_step / ref.us_per_step);
    std::fflush(stdout);
  }
}

}  // namespace

int main(int argc, char** argv) {
  long cells = 200, gpu_cells = 10000;
  std::string device = "both";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--cells") cells = std::atol(argv[i + 1]);
    else if (a == "--gpu-cells") gpu_cells = std::atol(argv[i + 1]);
    else if (a == "--device") device = argv[i + 1];
  }
  std::printf("Chen2020 1C discharges, built-in vs user functions (ratio: cells/s relative to builtin;\n"
              "step ratio: wall time per step relative to builtin, i.e. the cost of evaluating the functions)\n");
  if (device != "cuda") print_table(Device::cpu, cells);
  if (device != "cpu") {
    if (cuda_available()) {
      std::printf("device: %s\n", cuda_device_description().c_str());
      print_table(Device::cuda, gpu_cells);
    } else {
      std::printf("\nGPU: not run (%s)\n", cuda_device_description().c_str());
    }
  }
  return 0;
}
