// Compiled expressions evaluate the same on the device as on the CPU (label `gpu`;
// skips cleanly without a device). Both run kernels/model/expression.hpp; only the
// math libraries differ (CUDA's exp/log/pow/tanh are within 2 ulp, glibc's within 1),
// so values agree to a few ulp of the largest term: bound 1e-13 of the value's scale.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "solver/backend_cuda.hpp"
#include "solver/expression.hpp"

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
    const double row[] = {sto, 50.0 + 3000.0 * sto * sto, sto * 51765.0, 51765.0, 250.0 + 80.0 * sto};
    for (std::size_t k = 0; k < nv; ++k) vars[i * nv + k] = row[k];
  }
  for (const auto& text : texts) {
    SCOPED_TRACE(text);
    const expr::Program p = compile_expression(text);
    std::vector<double> gpu(n);
    cuda_backend::evaluate_expression(p, vars.data(), n, gpu.data());
    double scale = 0.0;
    std::vector<double> cpu(n);
    for (std::size_t i = 0; i < n; ++i) {
      cpu[i] = expr::evaluate(p, &vars[i * nv]);
      scale = std::max(scale, std::fabs(cpu[i]));
    }
    double worst = 0.0;
    for (std::size_t i = 0; i < n; ++i) worst = std::max(worst, std::fabs(gpu[i] - cpu[i]) / scale);
    EXPECT_LE(worst, 1e-13);
  }
}
