//===- EarlyStopping.h - Stopping when validation stops improving -*- C++ -*-===//
//
// `early_stopping = early_stopping(metric, patience, min_delta)`: after each epoch the
// watched value (lower is better; val_acc counts negated) is compared with the best so far;
// after `patience` epochs without an improvement of more than `min_delta` the run stops and
// both arenas (and the shadows) go back to the weights of the best epoch.
//
// Checkpoints hold this state: the best epoch ("best_epoch"), its value ("best_value",
// exact), the epochs since ("bad_epochs") and its parameters, state and shadows
// ("best.NAME"), so that a resumed run stops when and where the uninterrupted one would.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_EARLYSTOPPING_H
#define NNC_RUNTIME_EARLYSTOPPING_H

#include "nnc/Runtime/Checkpoint.h"
#include "nnc/Runtime/Evaluation.h"

namespace nnc::runtime {

class EarlyStopping {
public:
  /// `record` is the train block's early_stopping record; null turns it off.
  EarlyStopping(const Json *record, const EntryDesc &step);

  bool enabled() const { return record != nullptr; }
  std::string metric() const { return record ? record->str("metric") : ""; }
  /// The best epoch so far (from 0; -1 before the first) and the epochs since.
  int64_t bestEpoch() const { return best; }
  int64_t badEpochs() const { return bad; }

  /// After epoch `epoch` (from 0): keeps the weights when they are the best, or counts a bad
  /// epoch. Returns true when the patience has run out, with the best weights restored.
  bool observe(int64_t epoch, const Metrics &val, double trainLoss, Arenas &arenas);

  /// The tensors and metadata of this state for a checkpoint (nothing before an epoch).
  void save(std::vector<TensorView> &views, std::map<std::string, std::string> &meta) const;
  /// Reads the state back from a checkpoint, when it has it.
  Error load(const LoadedFile &file, const std::string &from, const Arenas &arenas);

private:
  bool keeps(const SlotDesc &slot) const;

  const Json *record;
  const EntryDesc &step;
  int64_t best = -1, bad = 0;
  double bestValue = 0;
  std::vector<std::vector<char>> bestCopy;
  std::vector<std::vector<float>> bestEma;
};

} // namespace nnc::runtime

#endif // NNC_RUNTIME_EARLYSTOPPING_H
