//===- Safetensors.h - Checkpoints in the safetensors format ----*- C++ -*-===//
//
// Checkpoints (`checkpoint = ...`, `init_from = ...`) are safetensors files,
// the format PyTorch and Hugging Face use, so that a model trained by nnc
// loads into PyTorch and back. A file is an 8-byte little-endian header
// length N, N bytes of JSON
//   {"__metadata__": {"k": "v"},
//    "dense_0.w": {"dtype": "F32", "shape": [784, 256], "data_offsets": [0, 802816]}, ...}
// padded with spaces to a multiple of 8, then the tensors' little-endian
// C-order data, contiguous, offsets relative to the end of the header.
//
// Saving is atomic: a crash, a full disk or an unwritable folder in the
// middle of a save leaves the previous checkpoint untouched. Loading checks
// everything a corrupted or hostile file can get wrong and refuses it with a
// specific reason; as everywhere in the runtime, errors are "PATH: reason"
// strings and no input crashes. Only the dtypes nnc uses are supported.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_SAFETENSORS_H
#define NNC_RUNTIME_SAFETENSORS_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace nnc::runtime {

enum class DType : uint8_t { F32, F64, I32, I64, U8 };

/// The safetensors spelling of `dtype`: "F32", "F64", "I32", "I64", "U8".
const char *dtypeName(DType dtype);
/// The size in bytes of one element.
size_t dtypeSize(DType dtype);

/// A tensor to save: `data` points at numel(shape) * dtypeSize(dtype) bytes
/// in C order, which the caller keeps alive during the save.
struct TensorView {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void *data = nullptr;
};

/// A tensor read from a file; `bytes` holds its little-endian C-order data.
struct LoadedTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  int64_t numel() const;
};

/// Writes `tensors` (in the given order, offsets increasing) and `metadata`
/// to `path` atomically: the data goes to "PATH.tmp.<pid>", is flushed to
/// disk, renamed over `path`, and the folder is flushed. On failure the
/// temporary file is removed and a previous file at `path` is unchanged. A
/// successful save also removes the temporary files of `path` that killed
/// processes left ("PATH.tmp.<pid>" of a pid no longer running).
/// Names must be unique, non-empty and not "__metadata__". Returns "" or
/// "PATH: reason".
std::string saveSafetensors(const std::string &path, const std::vector<TensorView> &tensors,
                            const std::map<std::string, std::string> &metadata);

/// Reads the safetensors file at `path`: the tensors in file order and the
/// `__metadata__` entries (empty when absent). Returns "" or "PATH: reason";
/// on failure `out` and `metadata` are unspecified.
std::string loadSafetensors(const std::string &path, std::vector<LoadedTensor> &out,
                            std::map<std::string, std::string> &metadata);

} // namespace nnc::runtime

#endif // NNC_RUNTIME_SAFETENSORS_H
