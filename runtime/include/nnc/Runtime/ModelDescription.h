//===- ModelDescription.h - What the runtime knows of a compiled model -*- C++ -*-===//
//
// The runtime has no MLIR or LLVM dependency, so what it needs to know about the compiled
// model is plain data: for each entry point (the training step and the evaluation function)
// the role, name, type, shape, initializer and frozen flag of every argument and result (the
// ABI of compiler/include/nnc/Pipeline/Pipeline.h, which uses these same types), and the
// train block's settings as a JSON record (the `nn.train` attribute: data, epochs, seed,
// validation, early_stopping, checkpoint, init_from, log_every, optimizer). An AOT trainer
// carries the description as JSON text.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_MODELDESCRIPTION_H
#define NNC_RUNTIME_MODELDESCRIPTION_H

#include "nnc/Runtime/Data.h"
#include "nnc/Runtime/Json.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::runtime {

/// One argument or result of an entry point.
struct SlotDesc {
  enum Role { Input, Labels, Param, State, OptState, Rng, Step, Loss, Output } role = Output;
  std::string name;  // The parameter/state name, the input's name, "" otherwise.
  std::string dtype; // "f32", "f64", "i32", "i64", "u8", "i1"
  std::vector<int64_t> shape;
  Json init; // {"dist": "uniform", "low": ..., "high": ...}, "normal" (mean, std), "constant"
             // (value)
  bool frozen = false;

  int64_t numElements() const;
  size_t bytes() const;
  /// Parameters, state and optimizer state: what the arenas and checkpoints hold.
  bool isWeight() const { return role == Param || role == State || role == OptState; }
  /// The slot's identity across entry points: its name and role.
  std::string key() const { return name + "#" + std::to_string(int(role)); }
};

/// One entry point: its function's name, arguments and results.
struct EntryDesc {
  std::string function;
  std::vector<SlotDesc> args, results;
};

struct ModelDescription {
  std::string model;
  /// Relative data paths in `train` resolve against this folder (the model file's).
  std::string baseDir;
  Json train;
  EntryDesc trainStep, eval;
  /// The compiled code's static memory: its planned temporaries and its constants.
  uint64_t temporaryBytes = 0, constantBytes = 0;
};

/// The description as JSON text ({"format": "nnc-model-1", ...}) and back.
std::string writeModelDescription(const ModelDescription &model);
/// Returns "" or the reason the text is not a model description.
std::string parseModelDescription(const std::string &text, ModelDescription &out);

/// The data source of a train block (its "data" record), relative paths resolving against
/// `baseDir`.
DataConfig dataConfigOf(const Json &train, const std::string &baseDir);

/// How the trainer loads the train block's data for `model`: integer labels for a
/// classifier (with its class count), the first `limit` samples (0: all).
LoadOptions loadOptionsOf(const ModelDescription &model, int64_t limit);

/// `path` relative to `dir` (as is when absolute or when `dir` is empty).
std::string joinPath(const std::string &dir, const std::string &path);

/// An entry point compiled with the packed convention: `args[i]` points at the i-th
/// argument (a buffer's address, or the scalar itself), then one per result buffer.
using PackedFn = void (*)(void **args);

/// The packed convention's argument array for `ptrs`: a pointer to each of them (set `ptrs`
/// in place afterwards to call again with other buffers, nothing allocated).
std::vector<void *> packArgs(std::vector<void *> &ptrs);

} // namespace nnc::runtime

#endif // NNC_RUNTIME_MODELDESCRIPTION_H
