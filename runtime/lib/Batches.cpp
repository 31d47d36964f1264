//===- Batches.cpp - Seeded shuffling and batching ------------------------===//
//
// The shuffle must give the same order on every platform, so it uses only
// pieces whose output the C++ standard fixes: std::mt19937_64's sequence,
// and our own unbiased bounded draw (rejection sampling) instead of
// std::uniform_int_distribution, whose algorithm differs between standard
// libraries. Each epoch starts from the identity permutation, which makes
// its order a function of (seed, epoch) alone.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Batches.h"

#include <algorithm>
#include <cstring>
#include <random>

namespace nnc::runtime {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// A uniform draw from [0, bound] by rejection: values at or above the
/// largest multiple of (bound + 1) that fits are redrawn.
uint64_t drawAtMost(std::mt19937_64 &rng, uint64_t bound) {
  if (bound == UINT64_MAX)
    return rng();
  uint64_t range = bound + 1;
  uint64_t limit = UINT64_MAX - UINT64_MAX % range;
  uint64_t v;
  do
    v = rng();
  while (v >= limit);
  return v % range;
}

} // namespace

uint64_t epochSeed(uint64_t seed, int64_t epoch) {
  return splitmix64(seed ^ splitmix64(uint64_t(epoch) + 1));
}

Batcher::Batcher(const Dataset &data, int64_t batchSize, uint64_t seed, bool shuffle, bool dropLast)
    : data(data), batch(batchSize), seed(seed), shuffle(shuffle) {
  if (batch > 0)
    batches = dropLast ? data.size / batch : (data.size + batch - 1) / batch;
  order.resize(size_t(data.size));
  startEpoch(0);
}

void Batcher::startEpoch(int64_t epoch) {
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = int64_t(i);
  if (shuffle && order.size() > 1) {
    std::mt19937_64 rng(epochSeed(seed, epoch));
    for (size_t i = order.size() - 1; i > 0; --i)
      std::swap(order[i], order[size_t(drawAtMost(rng, i))]);
  }
  cursor = 0;
  count = 0;
}

bool Batcher::next(void *xOut, void *yOut) {
  if (cursor >= batches) {
    count = 0;
    return false;
  }
  int64_t first = cursor * batch;
  count = std::min(batch, data.size - first);
  ++cursor;

  size_t sampleBytes = size_t(data.sampleBytes());
  const uint8_t *features =
      data.isU8 ? data.u8.data() : reinterpret_cast<const uint8_t *>(data.f32.data());
  uint8_t *x = static_cast<uint8_t *>(xOut);
  for (int64_t i = 0; i < count; ++i)
    std::memcpy(x + size_t(i) * sampleBytes,
                features + size_t(order[size_t(first + i)]) * sampleBytes, sampleBytes);
  if (count < batch)
    std::memset(x + size_t(count) * sampleBytes, 0, size_t(batch - count) * sampleBytes);

  if (!yOut)
    return true;
  size_t width = size_t(data.targetWidth);
  if (data.intLabels) {
    int32_t *y = static_cast<int32_t *>(yOut);
    for (int64_t i = 0; i < count; ++i)
      std::memcpy(y + size_t(i) * width,
                  data.labels.data() + size_t(order[size_t(first + i)]) * width,
                  width * sizeof(int32_t));
    std::fill(y + size_t(count) * width, y + size_t(batch) * width, 0);
  } else {
    float *y = static_cast<float *>(yOut);
    for (int64_t i = 0; i < count; ++i)
      std::memcpy(y + size_t(i) * width,
                  data.targets.data() + size_t(order[size_t(first + i)]) * width,
                  width * sizeof(float));
    std::fill(y + size_t(count) * width, y + size_t(batch) * width, 0.0f);
  }
  return true;
}

void scaleBytes(const uint8_t *bytes, float *out, int64_t n) {
  for (int64_t j = 0; j < n; ++j)
    out[j] = bytes[j] * (1.0f / 255.0f);
}

} // namespace nnc::runtime
