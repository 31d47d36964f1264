//===- Memory.h - The memory a training run needs, known before it is allocated -*- C++ -*-===//
//
// Every buffer's size is known once the model is compiled: the parameters, state and
// optimizer state (twice: the two arenas), the EMA shadows and early stopping's copy of the
// best weights, the step's planned temporaries and constants (static memory of the compiled
// code), one batch of inputs, labels and results, and the data sets. The trainers add them
// up and refuse a run that needs more than the machine has (MemAvailable) or than
// --memory-limit allows, with the figures, before they compile the code or allocate it: a
// batch or a width typed one digit too long ends with a message, not with LLVM running out
// of memory.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_MEMORY_H
#define NNC_RUNTIME_MEMORY_H

#include "nnc/Runtime/Error.h"
#include "nnc/Runtime/ModelDescription.h"

#include <cstdint>
#include <string>

namespace nnc::runtime {

struct MemoryNeeds {
  uint64_t parameters = 0;     // Both arenas, plus the EMA shadows and the best weights.
  uint64_t optimizerState = 0; // Both arenas.
  uint64_t temporaries = 0;    // The compiled code's planned buffers.
  uint64_t constants = 0;      // The compiled code's constants.
  uint64_t batch = 0;          // A batch of inputs and labels, and the results.
  uint64_t data = 0;           // The data sets, when known (0 otherwise).

  uint64_t total() const {
    return parameters + optimizerState + temporaries + constants + batch + data;
  }
};

/// What a run of `model` needs, the data sets aside.
MemoryNeeds memoryOf(const ModelDescription &model);

/// The bytes of the train block's data sets (training, test) as a trainer loads them, with
/// `dataPath` in place of the train block's path when it is not empty.
Error dataBytes(const ModelDescription &model, const std::string &dataPath, uint64_t &out);

/// MemAvailable of /proc/meminfo in bytes; 0 when it cannot be read.
uint64_t availableMemory();

/// The figures, one line each ("  parameters  1.2 MB"), and the total.
std::string describeMemory(const MemoryNeeds &needs);

/// An error naming the figures when `needs` is more than `limit` bytes (0: the machine's
/// MemAvailable; no check when that is unknown).
Error checkMemory(const MemoryNeeds &needs, uint64_t limit);

/// Parses a byte count: digits with an optional K, M, G or T (powers of 1024) and B.
/// Returns false on anything else.
bool parseByteCount(const std::string &text, uint64_t &out);

} // namespace nnc::runtime

#endif // NNC_RUNTIME_MEMORY_H
