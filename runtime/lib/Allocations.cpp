//===- Allocations.cpp - Counting the process's heap allocations ----------===//
//
// See Allocations.h. An executable that defines malloc and its relatives replaces glibc's
// for the whole process, shared libraries and JIT-compiled code included (the dynamic
// linker and the JIT's symbol lookup find the executable's definition first). These
// definitions count and call glibc's own entry points (__libc_malloc, ...), so the memory
// comes from the same allocator and glibc's free releases it.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Allocations.h"

#if NNC_COUNT_ALLOCATIONS

#include <atomic>
#include <cerrno>
#include <cstddef>

static std::atomic<uint64_t> allocations{0};

extern "C" {
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t count, size_t size);
void *__libc_realloc(void *p, size_t size);
void *__libc_memalign(size_t alignment, size_t size);

static void *counted(void *p) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return p;
}

void *malloc(size_t size) { return counted(__libc_malloc(size)); }
void *calloc(size_t count, size_t size) { return counted(__libc_calloc(count, size)); }
void *realloc(void *p, size_t size) { return counted(__libc_realloc(p, size)); }
void *memalign(size_t alignment, size_t size) {
  return counted(__libc_memalign(alignment, size));
}
void *aligned_alloc(size_t alignment, size_t size) {
  return counted(__libc_memalign(alignment, size));
}
int posix_memalign(void **out, size_t alignment, size_t size) {
  if (alignment % sizeof(void *) != 0 || (alignment & (alignment - 1)) != 0)
    return EINVAL;
  void *p = counted(__libc_memalign(alignment, size));
  if (!p && size != 0)
    return ENOMEM;
  *out = p;
  return 0;
}
}

std::optional<uint64_t> nnc::runtime::heapAllocations() {
  return allocations.load(std::memory_order_relaxed);
}

#else

std::optional<uint64_t> nnc::runtime::heapAllocations() { return std::nullopt; }

#endif
