//===- OpenMP.cpp - Starting libomp safely ---------------------------------===//

#include "nnc/Runtime/OpenMP.h"

#include <unistd.h>

// libomp's (the runtime links it; omp.h is clang's, not on every include path).
extern "C" void omp_set_num_threads(int);

namespace nnc::runtime {

std::string openMPRegistrationPath(const char *dir) {
  return std::string(dir) + "/__KMP_REGISTERED_LIB_" + std::to_string(getpid()) + "_" +
         std::to_string(getuid());
}

void startOpenMP(int threads) {
  // Stale by construction (see the header); a missing file is the usual case.
  for (const char *dir : {"/dev/shm", "/tmp"})
    unlink(openMPRegistrationPath(dir).c_str());
  omp_set_num_threads(threads);
}

} // namespace nnc::runtime
