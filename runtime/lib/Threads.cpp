//===- Threads.cpp - The OpenMP entry points of a standalone trainer -------===//
//
// The compiled step's parallel regions are omp.parallel ops, which LLVM's OpenMPIRBuilder
// lowers to __kmpc_fork_call(loc, argc, microtask, args...) with the region's captured values
// in one aggregate argument (or none: the step's buffers are globals), and the regions ask
// omp_get_thread_num, omp_get_num_threads and omp_get_max_threads for their chunk (no
// worksharing calls: see nn-parallelize). A trainer built by `nnc -o` links this file instead
// of libomp, so that it needs no LLVM library at run time (Debian ships no static libomp):
// a pool of threads that the first parallel region starts and that stays for the process.
//
// The chunks are fixed by the thread number and count alone, so the results are the same
// bits as with libomp, on any number of threads. Between regions the workers spin for a
// while, then sleep: a step runs tens of regions a few microseconds apart, and waking a
// sleeping thread costs tens of microseconds.
//
//===----------------------------------------------------------------------===//

#include <atomic>
#include <condition_variable>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace {

using Microtask = void (*)(int32_t *, int32_t *, ...);
constexpr int kMaxArgs = 4;

thread_local int32_t threadNum = 0;
thread_local int32_t teamSize = 1;

/// Calls a region's outlined function as thread `id` of `n`.
void invoke(Microtask fn, int argc, void *const *args, int32_t id, int32_t n) {
  int32_t savedNum = threadNum, savedSize = teamSize;
  threadNum = id;
  teamSize = n;
  int32_t gtid = id, btid = id;
  using P = void *;
  switch (argc) {
  case 0:
    reinterpret_cast<void (*)(int32_t *, int32_t *)>(fn)(&gtid, &btid);
    break;
  case 1:
    reinterpret_cast<void (*)(int32_t *, int32_t *, P)>(fn)(&gtid, &btid, args[0]);
    break;
  case 2:
    reinterpret_cast<void (*)(int32_t *, int32_t *, P, P)>(fn)(&gtid, &btid, args[0], args[1]);
    break;
  case 3:
    reinterpret_cast<void (*)(int32_t *, int32_t *, P, P, P)>(fn)(&gtid, &btid, args[0],
                                                                   args[1], args[2]);
    break;
  default:
    reinterpret_cast<void (*)(int32_t *, int32_t *, P, P, P, P)>(fn)(&gtid, &btid, args[0],
                                                                      args[1], args[2], args[3]);
  }
  threadNum = savedNum;
  teamSize = savedSize;
}

class Pool {
public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(m);
      stop = true;
    }
    wake.notify_all();
    for (std::thread &t : workers)
      t.join();
  }

  int maxThreads() const { return threads; }
  void setMaxThreads(int n) { threads = n < 1 ? 1 : n; }

  /// Runs a region on `threads` threads, this one as thread 0; returns when all are done.
  void run(Microtask fn, int argc, void *const *args) {
    int n = threads;
    while ((int)workers.size() < n - 1) {
      int id = (int)workers.size() + 1;
      workers.emplace_back([this, id] { work(id); });
    }
    task = fn;
    taskArgc = argc;
    for (int i = 0; i < argc; ++i)
      taskArgs[i] = args[i];
    team = n;
    // Every worker acknowledges every region, those beyond the team too.
    remaining.store((int)workers.size(), std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(m);
      generation.fetch_add(1, std::memory_order_release);
    }
    wake.notify_all();
    invoke(task, taskArgc, taskArgs, 0, n);
    while (remaining.load(std::memory_order_acquire) != 0)
      std::this_thread::yield();
  }

private:
  void work(int id) {
    uint64_t seen = 0;
    while (true) {
      // Spin a while for the next region (about a millisecond), then sleep.
      uint64_t g = generation.load(std::memory_order_acquire);
      for (int spin = 0; g == seen && spin < 20000; ++spin) {
        std::this_thread::yield();
        g = generation.load(std::memory_order_acquire);
      }
      if (g == seen) {
        std::unique_lock<std::mutex> lock(m);
        wake.wait(lock, [&] { return stop || generation.load() != seen; });
        if (stop)
          return;
        g = generation.load(std::memory_order_acquire);
      }
      seen = g;
      if (id < team)
        invoke(task, taskArgc, taskArgs, id, team);
      remaining.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  int threads = 1;
  std::vector<std::thread> workers;
  std::mutex m;
  std::condition_variable wake;
  bool stop = false;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> remaining{0};
  Microtask task = nullptr;
  int taskArgc = 0, team = 1;
  void *taskArgs[kMaxArgs] = {};
};

Pool &pool() {
  static Pool p;
  return p;
}

} // namespace

extern "C" {

void omp_set_num_threads(int n) { pool().setMaxThreads(n); }
int omp_get_max_threads() { return pool().maxThreads(); }
int omp_get_thread_num() { return threadNum; }
int omp_get_num_threads() { return teamSize; }
int32_t __kmpc_global_thread_num(void *) { return threadNum; }

void __kmpc_fork_call(void *, int32_t argc, Microtask fn, ...) {
  if (argc > kMaxArgs) {
    std::fprintf(stderr, "nnc: internal error: a parallel region with %d arguments (at most %d "
                         "are supported)\n", argc, kMaxArgs);
    std::abort();
  }
  void *args[kMaxArgs] = {};
  va_list ap;
  va_start(ap, fn);
  for (int i = 0; i < argc; ++i)
    args[i] = va_arg(ap, void *);
  va_end(ap);
  // A region inside a region (none is compiled) or one thread: this thread runs it alone.
  if (teamSize > 1 || pool().maxThreads() == 1) {
    invoke(fn, argc, args, 0, 1);
    return;
  }
  pool().run(fn, argc, args);
}

} // extern "C"
