//===- Arenas.h - The buffers the training step reads and writes -*- C++ -*-===//
//
// Parameters, state and optimizer state live in two arenas used in turn: the step reads one
// and writes the other, so the compiled step never writes a buffer it reads (and its
// pointers can be marked noalias). Each result of the step goes to the other arena's slot of
// the same name and role, or to a scratch buffer (the loss). Frozen parameters are no
// results: both arenas hold them.
//
// With `ema = DECAY` in the train block, each trainable parameter also has a shadow copy,
// after every step shadow = DECAY * shadow + (1 - DECAY) * weight, which evaluation uses
// instead of the weights. State (batch-norm running statistics) and frozen parameters are
// used as they are.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_ARENAS_H
#define NNC_RUNTIME_ARENAS_H

#include "nnc/Runtime/Error.h"
#include "nnc/Runtime/ModelDescription.h"

#include <map>
#include <vector>

namespace nnc::runtime {

class Arenas {
public:
  /// Both arenas for the arguments and results of `step`, the parameters initialized from
  /// their initializers with `seed` (the generator shared with nnc-eval --init-params);
  /// `emaDecay` 0 keeps no shadows.
  static Error create(const EntryDesc &step, uint64_t seed, double emaDecay, Arenas &out);

  /// The arena the next step reads.
  int current() const { return cur; }
  /// After a step: the arena it wrote becomes the one the next reads.
  void flip() { cur = 1 - cur; }
  void *arg(int arena, size_t i) const { return args[arena][i]; }
  void *arg(size_t i) const { return args[cur][i]; }
  /// Where the results of a step reading the current arena go.
  const std::vector<void *> &results() const { return resultPtrs[cur]; }
  /// The argument of the step with `slot`'s name and role, if any.
  const size_t *indexOf(const SlotDesc &slot) const;

  /// Copies `bytes` into argument `i` of both arenas (checkpoints, init_from, the best
  /// weights of early stopping).
  void load(size_t i, const void *bytes, size_t n);

  /// The shadows.
  bool keepsEma() const { return decay > 0; }
  double emaDecay() const { return decay; }
  /// The shadow of argument `i` (empty when it has none).
  std::vector<float> &ema(size_t i) { return shadows[i]; }
  const std::vector<float> &ema(size_t i) const { return shadows[i]; }
  std::vector<std::vector<float>> &allEma() { return shadows; }
  /// The shadows start as the current weights.
  void emaFromWeights();
  /// One step of the moving average towards the current weights.
  void updateEma();

  /// The buffers evaluation reads: the current arena's, with the shadows in place of the
  /// weights when `withEma`.
  std::vector<void *> evalView(bool withEma) const;

private:
  std::vector<std::vector<char>> storage[2], scratch;
  std::vector<void *> args[2], resultPtrs[2];
  std::map<std::string, size_t> index;
  std::vector<std::vector<float>> shadows;
  double decay = 0;
  int cur = 0;
};

} // namespace nnc::runtime

#endif // NNC_RUNTIME_ARENAS_H
