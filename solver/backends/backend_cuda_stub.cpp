// The CUDA backend when ionflux is built without CUDA: it is never available, and
// asking it to run says which build option is missing.
#include "solver/backends/backend_cuda.hpp"
#include "solver/util/errors.hpp"

namespace ionflux {
namespace cuda_backend {

bool available() { return false; }
std::string describe() { return "not built with CUDA (configure with nvcc on PATH or -DIONFLUX_CUDA=ON)"; }
std::size_t free_memory() { return 0; }
std::unique_ptr<gpu_stream::DeviceEngine> make_engine(const gpu_stream::EngineSetup&) {
  throw RuntimeError("ionflux was built without CUDA: reconfigure with nvcc available (-DIONFLUX_CUDA=ON)");
}

void evaluate_expression(const expr::Program&, const double*, std::size_t, double*) {
  throw RuntimeError("ionflux was built without CUDA: reconfigure with nvcc available (-DIONFLUX_CUDA=ON)");
}

void evaluate_table(table::Kind, const double*, const double*, const double*, int, const double*, std::size_t,
                    double*) {
  throw RuntimeError("ionflux was built without CUDA: reconfigure with nvcc available (-DIONFLUX_CUDA=ON)");
}

}  // namespace cuda_backend
}  // namespace ionflux
