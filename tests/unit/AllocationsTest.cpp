//===- AllocationsTest.cpp - The heap allocation counter ------------------===//
//
// The trainers' "heap_allocs_per_step" (and the test that requires it to be zero) is only
// as good as the counter: each allocator entry point must count, and nothing else.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Allocations.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <vector>

using nnc::runtime::heapAllocations;

/// Keeps the compiler from eliding an allocation whose memory is never used.
template <typename T> T *keep(T *p) {
  asm volatile("" : : "r"(p) : "memory");
  return p;
}

TEST(Allocations, EveryAllocatorCounts) {
  // Sanitizer builds replace malloc themselves (NNC_COUNT_ALLOCATIONS=0): nothing to check.
  if (!heapAllocations())
    GTEST_SKIP() << "not counted in this build (sanitizers)";
  auto counted = [](auto allocate) {
    uint64_t before = *heapAllocations();
    allocate();
    return *heapAllocations() - before;
  };
  EXPECT_EQ(counted([] { std::free(keep(std::malloc(100))); }), 1u);
  EXPECT_EQ(counted([] { std::free(keep(std::calloc(10, 10))); }), 1u);
  EXPECT_EQ(counted([] { std::free(keep(std::realloc(nullptr, 100))); }), 1u);
  EXPECT_EQ(counted([] { std::free(keep(std::aligned_alloc(64, 128))); }), 1u);
  EXPECT_EQ(counted([] {
              void *p = nullptr;
              ASSERT_EQ(posix_memalign(&p, 64, 128), 0);
              std::free(keep(p));
            }),
            1u);
  EXPECT_EQ(counted([] { std::vector<float> v(1000); keep(v.data()); }), 1u);
  EXPECT_EQ(counted([] { auto p = std::make_unique<double[]>(8); keep(p.get()); }), 1u);
  // Nothing allocated, nothing counted.
  EXPECT_EQ(counted([] { float x[64] = {}; keep(x); }), 0u);
}
