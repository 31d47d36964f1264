//===- OpenMP.cpp - Starting libomp safely ---------------------------------===//

#include "nnc/Runtime/OpenMP.h"

#include <cstdlib>

#include <sys/stat.h>
#include <unistd.h>

// libomp's (the runtime links it; omp.h is clang's, not on every include path).
extern "C" void omp_set_num_threads(int);

namespace nnc::runtime {

std::string openMPRegistrationPath(const char *dir) {
  return std::string(dir) + "/__KMP_REGISTERED_LIB_" + std::to_string(getpid()) + "_" +
         std::to_string(getuid());
}

/// At exit: under a file size limit below a page (`ulimit -f`), libomp cannot size its
/// registration file and leaves it empty, the kind that crashes the next process with our
/// pid. libomp removes a complete one itself, after this runs.
static void removeEmptyRegistration() {
  for (const char *dir : {"/dev/shm", "/tmp"}) {
    std::string path = openMPRegistrationPath(dir);
    struct stat st;
    if (::stat(path.c_str(), &st) == 0 && st.st_size == 0)
      unlink(path.c_str());
  }
}

void startOpenMP(int threads) {
  // Stale by construction (see the header); a missing file is the usual case.
  for (const char *dir : {"/dev/shm", "/tmp"})
    unlink(openMPRegistrationPath(dir).c_str());
  std::atexit(removeEmptyRegistration);
  omp_set_num_threads(threads);
}

} // namespace nnc::runtime
