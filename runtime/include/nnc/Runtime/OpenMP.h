//===- OpenMP.h - Starting libomp safely ------------------------*- C++ -*-===//
//
// The step's parallel loops call libomp. startOpenMP() is the process's first call into it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_OPENMP_H
#define NNC_RUNTIME_OPENMP_H

#include <string>

namespace nnc::runtime {

/// Starts libomp with `threads` threads for the parallel loops. Call it before any other
/// OpenMP call of the process.
///
/// libomp registers itself in a file named after the process id
/// (/dev/shm/__KMP_REGISTERED_LIB_<pid>_<uid>, or under /tmp without /dev/shm) and removes
/// it at exit. A process killed (SIGKILL, the OOM killer) leaves its file behind, and one
/// killed while writing it leaves it empty or partial: libomp 22 crashes reading such a file
/// when a later process gets the same pid. No live process can hold our pid, so a file with
/// it is stale: it is removed first. At exit, an empty one (libomp could not size it, under
/// `ulimit -f`) is removed too.
void startOpenMP(int threads);

/// The registration file libomp would use in this process under `dir` ("/dev/shm", "/tmp").
std::string openMPRegistrationPath(const char *dir);

} // namespace nnc::runtime

#endif // NNC_RUNTIME_OPENMP_H
