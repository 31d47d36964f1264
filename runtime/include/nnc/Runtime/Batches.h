//===- Batches.h - Seeded shuffling and batching ----------------*- C++ -*-===//
//
// The batcher walks a data set in batches for the training loop and for
// evaluation. Shuffling is deterministic: the order of an epoch depends only
// on the seed and the epoch number, never on earlier epochs, so a run resumed
// from a checkpoint at epoch e sees exactly the batches the uninterrupted run
// would have seen, and two runs with the same seed are identical.
//
// The steady-state training step allocates nothing (DESIGN.md, "Runtime"):
// the permutation is allocated once, and next() only copies samples into
// buffers the caller owns (the compiled step's input arena).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_BATCHES_H
#define NNC_RUNTIME_BATCHES_H

#include "nnc/Runtime/Data.h"

#include <cstdint>
#include <vector>

namespace nnc::runtime {

/// The seed of the shuffle of `epoch`: splitmix64 of the seed and the epoch,
/// so that nearby seeds and epochs give unrelated orders. Exposed so that
/// the mix is documented by code and testable:
///   epochSeed(seed, epoch) = splitmix64(seed ^ splitmix64(epoch + 1)).
uint64_t epochSeed(uint64_t seed, int64_t epoch);

class Batcher {
public:
  /// Batches of `batchSize` samples of `data`, which must outlive the
  /// batcher. `shuffle` permutes the samples each epoch (training); without
  /// it batches follow the data set's order (evaluation). `dropLast` drops
  /// the final partial batch (training, where the compiled step has a fixed
  /// batch); otherwise it is delivered padded (see next()).
  Batcher(const Dataset &data, int64_t batchSize, uint64_t seed, bool shuffle = true,
          bool dropLast = true);

  /// Batches per epoch (0 when `dropLast` and the data set is smaller than
  /// one batch, or when the batch size is not positive).
  int64_t numBatches() const { return batches; }
  int64_t batchSize() const { return batch; }
  /// Bytes next() writes to `xOut` (features of a full batch: u8 or f32)
  /// and to `yOut` (int32 labels or f32 targets, `targetWidth` per sample).
  int64_t featureBytes() const { return batch * data.sampleBytes(); }
  int64_t labelBytes() const { return batch * data.targetWidth * 4; }

  /// Starts epoch `epoch` (counting from 0): computes its order, a
  /// Fisher-Yates shuffle driven by std::mt19937_64(epochSeed(seed, epoch)),
  /// and rewinds to its first batch.
  void startEpoch(int64_t epoch);

  /// Copies the next batch into `xOut` (featureBytes() bytes) and, unless it
  /// is null, `yOut` (labelBytes() bytes). Returns false when the epoch has
  /// no more batches. A partial last batch (only without `dropLast`) fills
  /// the first lastCount() rows and zeroes the rest. Allocates nothing.
  bool next(void *xOut, void *yOut);

  /// Samples in the batch the last next() produced.
  int64_t lastCount() const { return count; }

private:
  const Dataset &data;
  int64_t batch;
  uint64_t seed;
  bool shuffle;
  int64_t batches = 0;
  int64_t cursor = 0;
  int64_t count = 0;
  std::vector<int64_t> order;
};

/// Images as a step compiled for f32 inputs takes them: the bytes times 1/255 in float,
/// exactly what a step compiled for bytes computes itself (nn.dequantize).
void scaleBytes(const uint8_t *bytes, float *out, int64_t n);

} // namespace nnc::runtime

#endif // NNC_RUNTIME_BATCHES_H
