// Compiled expressions and tables evaluate the same on the device as on the CPU
// (label `gpu`; skips cleanly without a device). Both sides run the same kernel
// headers; for expressions only the math libraries differ (CUDA's exp/log/pow/tanh
// are within 2 ulp, glibc's within 1), so values agree to a few ulp of the largest
// term: bound 1e-13 of the value's scale.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "solver/backends/backend_cuda.hpp"
#include "solver/inputs/expression.hpp"
#include "solver/inputs/table.hpp"

using namespace ionflux;

TEST(Gpu, ExpressionsEvaluateTheSameOnTheDevice) {
  if (!cuda_backend::available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_backend::describe();
  const std::vector<std::string> texts = {
      "1.9793 * exp(-39.3631 * sto) + 0.2482 - 0.0909 * tanh(29.8538 * (sto - 0.1234))"
      " - 0.04478 * tanh(14.9159 * (sto - 0.2769)) - 0.0205 * tanh(30.4444 * (sto - 0.6103))",
      "0.1297 * (c_e / 1000) ^ 3 - 2.51 * (c_e / 1000) ^ 1.5 + 3.329 * (c_e / 1000)",
      "6.48e-7 * c_e ^ 0.5 * c_s_surf ^ 0.5 * (c_s_max - c_s_surf) ^ 0.5 * exp(35000 / 8.314 * (1 / 298.15 - 1 / T))",
      "cosh(3 * sto - 1) - sinh(2 * sto - 0.7) + sqrt(abs(sto - 0.5)) + log(max(min(sto, 0.9), 0.1))",
      "2 ^ -sto / (1 + sto ^ T / 300)",
  };
  const std::size_t n = 4096, nv = static_cast<std::size_t>(expr::Var::count);
  std::vector<double> vars(n * nv);
  for (std::size_t i = 0; i < n; ++i) {
    const double sto = 0.001 + 0.998 * static_cast<double>(i) / (n - 1);
    // a value for every slot (the arguments the texts name, then 0 for the c_e scale and
    // the degradation arguments): the copy below reads kSlots values, and a six-value row
    // was read past its end (GCC: "iteration 6 invokes undefined behavior")
    const double row[expr::kSlots] = {sto, 50.0 + 3000.0 * sto * sto, sto * 51765.0, 51765.0, 250.0 + 80.0 * sto,
                                      0.25 + 0.1 * sto};
    for (std::size_t k = 0; k < nv; ++k) vars[i * nv + k] = row[k];
  }
  for (const bool regularise : {false, true})  // also PyBaMM's RegPower (exchange currents)
  for (const auto& text : texts) {
    SCOPED_TRACE(text + (regularise ? " (regularised powers)" : ""));
    CompileOptions o;
    o.regularise_powers = regularise;
    const expr::Program p = compile_expression(text, kAllVariables, o);
    std::vector<double> gpu(n);
    cuda_backend::evaluate_expression(p, vars.data(), n, gpu.data());
    double scale = 0.0;
    std::vector<double> cpu(n);
    for (std::size_t i = 0; i < n; ++i) {
      double row[expr::kSlots];  // as the device entry point: the named arguments, c_e scale 1
      for (std::size_t k = 0; k < nv; ++k) row[k] = vars[i * nv + k];
      row[expr::kCeScaleSlot] = 1.0;
      cpu[i] = expr::evaluate(p, row);
      scale = std::max(scale, std::fabs(cpu[i]));
    }
    double worst = 0.0;
    for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, std::fabs(gpu[i] - cpu[i]) / scale);
    EXPECT_LE(worst, 1e-13);
  }
}

// Tables: the same kernel header on both sides, and only +-*/ (no libm), so the
// device reproduces the host to rounding: bound 1e-14 of the largest |y|.
TEST(Gpu, TablesEvaluateTheSameOnTheDevice) {
  if (!cuda_backend::available()) GTEST_SKIP() << "no usable CUDA device: " << cuda_backend::describe();
  std::vector<double> x, y;
  for (int k = 0; k <= 200; ++k) {
    const double s = k / 200.0 + 0.001 * std::sin(7.0 * k);  // uneven spacing, still increasing
    x.push_back(s);
    y.push_back(4.2 - 0.8 * s - 0.05 * std::tanh(20.0 * (s - 0.3)) + 0.01 * std::sin(40.0 * s));
  }
  std::vector<double> q;
  for (int i = 0; i < 5000; ++i) q.push_back(-0.05 + 1.1 * i / 4999.0);
  for (const auto kind : {table::Kind::linear, table::Kind::pchip, table::Kind::cubic}) {
    const Table t = make_table(x, y, kind, "test table");
    std::vector<double> gpu(q.size());
    cuda_backend::evaluate_table(kind, t.x.data(), t.y.data(), t.d.empty() ? nullptr : t.d.data(),
                                 static_cast<int>(t.x.size()), q.data(), q.size(), gpu.data());
    double worst = 0.0;
    for (std::size_t i = 0; i < q.size(); ++i) worst = std::max(worst, std::fabs(gpu[i] - t(q[i])));
    EXPECT_LE(worst, 1e-14 * 4.3) << static_cast<int>(kind);
  }
}
