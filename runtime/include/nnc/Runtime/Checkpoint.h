//===- Checkpoint.h - Saving and loading a run -------------------*- C++ -*-===//
//
// A checkpoint (safetensors, readable by PyTorch) holds every parameter, state and
// optimizer-state buffer by name (state prefixed "state.", the EMA shadows "ema."), the
// step and the epochs done. The batch order and the dropout keys are functions of (seed,
// epoch) and (seed, step), so a resumed run continues exactly as the uninterrupted one
// would. One saved in the middle of an epoch (Ctrl-C) also records the steps of that epoch
// done ("epoch_step") and the sum of their losses ("epoch_loss", a hexadecimal float,
// exact); a resumed run skips those batches. With early stopping it also holds its state
// (EarlyStopping.h).
//
// Saving is atomic (saveSafetensors): a kill at any moment leaves the previous file or the
// new one. A save that fails (a full disk, a file size limit, an unwritable folder) ends
// the run, naming the file, the reason and the last good checkpoint, which is intact:
// training on without a way to keep its result would only waste it.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_CHECKPOINT_H
#define NNC_RUNTIME_CHECKPOINT_H

#include "nnc/Runtime/Arenas.h"
#include "nnc/Runtime/Safetensors.h"

#include <map>

namespace nnc::runtime {

/// A tensor's shape in messages: "[3, 2]".
std::string shapeString(const std::vector<int64_t> &shape);

/// The name of a slot's tensor in a checkpoint, and of its EMA shadow.
std::string checkpointName(const SlotDesc &slot);
std::string emaName(const SlotDesc &slot);

/// A safetensors file read whole: its tensors by name and its metadata.
struct LoadedFile {
  std::vector<LoadedTensor> tensors;
  std::map<std::string, std::string> meta;
  std::map<std::string, const LoadedTensor *> byName;

  const LoadedTensor *find(const std::string &name) const;
  /// A metadata entry, "" when the file has none.
  std::string metaValue(const std::string &key) const;
};

/// Reads `path`; `what` prefixes a load error ("--weights: ").
Error readTensors(const std::string &path, const std::string &what, LoadedFile &out);

/// Loads a checkpoint of `model` into both arenas, and its EMA shadows when the arenas keep
/// some and the file holds them all (`emaLoaded`). `from` prefixes the errors about the
/// file's contents ("cannot resume from 'x': "). Only training needs the optimizer state:
/// with `withOptState` false (--evaluate, --predict) a file without it loads.
Error loadWeights(const LoadedFile &file, const ModelDescription &model, Arenas &arenas,
                  const std::string &from, bool &emaLoaded, bool withOptState = true);

/// Where a run stands when it is saved.
struct RunPosition {
  int64_t step = 0;       // Steps done in the whole run.
  int64_t epochsDone = 0; // Epochs completed.
  int64_t epochStep = 0;  // Steps done in the epoch under way (0 between epochs).
  double epochLoss = 0;   // The sum of their losses.
};

class EarlyStopping;

/// Saves the current arena, the shadows and `stopping`'s state to `path`. `lastSaved`
/// names the last good checkpoint for the error; on success it becomes this one.
Error saveCheckpoint(const std::string &path, const ModelDescription &model,
                     const Arenas &arenas, uint64_t seed, const RunPosition &at,
                     const EarlyStopping &stopping, std::string &lastSaved);

/// `init_from`: parameters by name from a safetensors file (fine-tuning), those matching
/// the patterns of `only` (all when it is empty).
Error initFrom(const Json &init, const std::string &baseDir, const EntryDesc &step,
               Arenas &arenas);

} // namespace nnc::runtime

#endif // NNC_RUNTIME_CHECKPOINT_H
