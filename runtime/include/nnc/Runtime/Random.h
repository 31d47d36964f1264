//===- Random.h - The counter-based random numbers of nnc -------*- C++ -*-===//
//
// One definition of every random number nnc draws, shared by the compiled code's
// `nn.random_uniform` (docs/dialect.md gives the same formula), the reference evaluator
// and the trainers' parameter initialization: SplitMix64 over (key, stream, counter). Being
// a pure function of its inputs, a value can be regenerated anywhere (a dropout mask in the
// backward pass, a parameter in a resumed or AOT-compiled run) and every implementation
// agrees bit for bit.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_RANDOM_H
#define NNC_RUNTIME_RANDOM_H

#include <cmath>
#include <cstdint>

namespace nnc::runtime {

inline uint64_t splitMix64(uint64_t key, uint64_t stream, uint64_t counter) {
  uint64_t z = key + 0x9E3779B97F4A7C15ull * ((stream << 32) + counter + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// nn.random_uniform's element: 24 random bits as a float in [0, 1).
inline double randomUniform(uint64_t key, uint64_t stream, uint64_t counter) {
  return double(splitMix64(key, stream, counter) >> 40) * 0x1p-24;
}

enum class InitDist { Uniform, Normal, Constant };

/// Element `j` of a parameter initialized as `dist(a, b)` (uniform: low, high; normal: mean,
/// std; constant: value) from `seed`, where `index` numbers the initialized buffers: 53 random
/// bits per uniform draw, Box–Muller from two draws for a normal.
inline double initValue(InitDist dist, double a, double b, uint64_t seed, uint64_t index,
                        uint64_t j) {
  auto u53 = [&](uint64_t k) { return double(splitMix64(seed, index, k) >> 11) * 0x1p-53; };
  switch (dist) {
  case InitDist::Uniform:
    return a + (b - a) * u53(j);
  case InitDist::Normal:
    return a + b * std::sqrt(-2.0 * std::log(1.0 - u53(2 * j))) *
                   std::cos(2 * 3.14159265358979323846 * u53(2 * j + 1));
  case InitDist::Constant:
    return a;
  }
  return a;
}

} // namespace nnc::runtime

#endif // NNC_RUNTIME_RANDOM_H
