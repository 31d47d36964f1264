//===- Npy.h - Reading and writing NumPy .npy files -------------*- C++ -*-===//
//
// NumPy's .npy format is how tensors enter and leave nnc outside of training
// data sets: inputs and results of the reference evaluator (`nnc-eval`),
// fixtures of the tests, arrays a user prepares with NumPy. The format is a
// magic string, a version, a Python dict literal describing dtype, order and
// shape, then the raw C-order data.
//
// The runtime has no MLIR or LLVM dependency, so errors are plain strings:
// every function that can fail returns an empty string on success and
// "PATH: reason" otherwise; no input makes it crash or abort. Versions 1.0
// and 2.0 are read, 1.0 is written. Supported dtypes: <f4 <f8 <i4 <i8 |u1
// |b1; Fortran order is refused. Data is assumed little-endian on the host
// (x86-64 and AArch64), as the explicit '<' of the dtypes is.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_NPY_H
#define NNC_RUNTIME_NPY_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nnc::runtime {

/// An array as stored in a .npy file: a dtype string as NumPy spells it
/// ("<f4", "<f8", "<i4", "<i8", "|u1", "|b1"), a shape (empty for a scalar)
/// and the raw little-endian C-order bytes.
struct NpyArray {
  std::string dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;

  /// The product of the shape (1 for a scalar).
  int64_t numel() const;
  /// The size in bytes of one element of `dtype`, or 0 when it is unsupported.
  size_t elementSize() const;
  bool isFloat() const { return dtype == "<f4" || dtype == "<f8"; }

  /// The elements converted to double / to int64 (floats truncate toward
  /// zero, booleans are 0 or 1). Meaningful only for a supported dtype with
  /// consistent `bytes`, as readNpy guarantees.
  std::vector<double> toDoubles() const;
  std::vector<int64_t> toInt64s() const;

  /// Arrays of `dtype` and `shape` holding `values` converted to the dtype
  /// (floats round to nearest, integers wrap, booleans are `v != 0`). The
  /// caller ensures values.size() equals the product of the shape.
  static NpyArray fromDoubles(const std::string &dtype, std::vector<int64_t> shape,
                              const std::vector<double> &values);
  static NpyArray fromInt64s(const std::string &dtype, std::vector<int64_t> shape,
                             const std::vector<int64_t> &values);
};

/// Whether `dtype` is one of the dtypes this reader and writer support.
bool isSupportedNpyDtype(const std::string &dtype);

/// Parses the .npy image `data[0, size)`; `name` prefixes error messages.
/// Returns "" on success, "NAME: reason" otherwise (then `out` is unspecified).
std::string parseNpy(const uint8_t *data, size_t size, const std::string &name, NpyArray &out);

/// Reads the .npy file at `path`. Returns "" or "PATH: reason".
std::string readNpy(const std::string &path, NpyArray &out);

/// Reads only the header of the .npy file at `path`: `out`'s dtype and shape, no bytes.
/// Returns "" or "PATH: reason".
std::string readNpyHeader(const std::string &path, NpyArray &out);

/// Encodes `array` as a version 1.0 .npy image into `out`. Returns "" or a
/// reason (unsupported dtype, bytes inconsistent with the shape).
std::string encodeNpy(const NpyArray &array, std::vector<uint8_t> &out);

/// Writes `array` to `path` as .npy version 1.0. Returns "" or "PATH: reason".
std::string writeNpy(const std::string &path, const NpyArray &array);

} // namespace nnc::runtime

#endif // NNC_RUNTIME_NPY_H
