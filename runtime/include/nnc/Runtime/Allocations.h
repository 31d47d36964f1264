//===- Allocations.h - Counting the process's heap allocations --*- C++ -*-===//
//
// A trainer promises that its steady state allocates nothing: the compiled step keeps its
// temporaries in static memory (nn-plan-memory) and the loop around it reuses its
// buffers. To prove it, every executable that links the runtime counts its heap
// allocations: malloc, calloc, realloc and the aligned allocators (and so operator new)
// are defined by the runtime, count, and forward to glibc's allocator. The trainers report
// the count per step (`--json`: "heap_allocs_per_step"), and a test requires zero.
//
// Sanitizer builds replace the allocator themselves and count nothing.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_ALLOCATIONS_H
#define NNC_RUNTIME_ALLOCATIONS_H

#include <cstdint>
#include <optional>

namespace nnc::runtime {

/// The heap allocations of this process so far; none when they are not counted.
std::optional<uint64_t> heapAllocations();

} // namespace nnc::runtime

#endif // NNC_RUNTIME_ALLOCATIONS_H
