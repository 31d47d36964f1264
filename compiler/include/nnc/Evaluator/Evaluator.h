//===- Evaluator.h - The reference evaluator of the nn dialect --*- C++ -*-===//
//
// A direct interpreter of functions in the nn dialect (plus the arith, scf
// and func ops the front end and autodiff emit). It is the oracle of nnc: the
// finite-difference gradient checks of autodiff run on it, and the compiled
// code of every stage is tested against its results. It therefore favours
// obviously-correct naive loops over speed, follows docs/dialect.md to the
// letter, and reports bad input (an out-of-range label, an op it does not
// know) as a diagnostic at the op's location instead of crashing.
//
// Precision follows the IR: float data is held as double; every result of an
// op whose element type is f32 is rounded to float (computed in double,
// stored as (double)(float)v), while f64 results stay exact. Integer data is
// held as int64 (all 64 bits of i64 keys), wrapped to the width of its type.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_EVALUATOR_EVALUATOR_H
#define NNC_EVALUATOR_EVALUATOR_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::eval {

/// A runtime value: a tensor, or a scalar (`index`, an integer or a float;
/// shape {} and one element). Float element types keep their data in `f`,
/// everything else (integers, i1 as 0/1, index) in `i`; the other vector is
/// empty. Data is row-major.
struct Tensor {
  mlir::Type elementType;
  std::vector<int64_t> shape;
  std::vector<double> f;
  std::vector<int64_t> i;

  /// A zero-filled tensor of `elementType` and `shape`.
  static Tensor zeros(mlir::Type elementType, llvm::ArrayRef<int64_t> shape);
  /// A tensor of `elementType` and `shape` holding `values`: doubles for a
  /// float element type, rounded to it; int64s for the others. `values`
  /// should have one entry per element (missing ones are zero).
  static Tensor floats(mlir::Type elementType, llvm::ArrayRef<int64_t> shape,
                       llvm::ArrayRef<double> values);
  static Tensor ints(mlir::Type elementType, llvm::ArrayRef<int64_t> shape,
                     llvm::ArrayRef<int64_t> values);
  /// A scalar of `type` (index, integer or float).
  static Tensor scalar(mlir::Type type, int64_t value);

  bool isFloat() const { return mlir::isa<mlir::FloatType>(elementType); }
  int64_t numel() const;
  /// The row-major offset of a multi-index (one entry per dimension).
  int64_t offset(llvm::ArrayRef<int64_t> index) const;
  /// Element access as double (floats, and integers converted).
  double at(llvm::ArrayRef<int64_t> index) const;
  double getDouble(int64_t offset) const { return isFloat() ? f[offset] : double(i[offset]); }
  /// "f32[64, 10]", "i32[64]", "index", "i64": for messages and nnc-eval.
  std::string typeString() const;
  /// Whether this value has exactly the MLIR type `type` (a static ranked
  /// tensor type, or a scalar type for a scalar).
  bool matches(mlir::Type type) const;
};

/// Evaluates `fn` on `args` (one per argument, matching its types) and
/// returns its results. Errors, including wrong arguments, are emitted with
/// mlir::emitError at the offending op's (or the function's) location.
mlir::FailureOr<std::vector<Tensor>> evaluate(mlir::func::FuncOp fn, llvm::ArrayRef<Tensor> args);

/// The SplitMix64 bits of element `counter` of random stream `stream` under
/// `key`, exactly as docs/dialect.md defines nn.random_uniform:
///   z = key + 0x9E3779B97F4A7C15 * (stream * 2^32 + counter + 1)  (mod 2^64)
///   z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
///   z = (z ^ (z >> 27)) * 0x94D049BB133111EB
///   z =  z ^ (z >> 31)
uint64_t splitMix64(uint64_t key, uint64_t stream, uint64_t counter);

/// Element `counter` of nn.random_uniform: (splitMix64(...) >> 40) * 2^-24.
double randomUniform(uint64_t key, uint64_t stream, uint64_t counter);

/// Rounds `value` to the float type `type` (f32, f16, bf16...); f64 and
/// non-float types leave it unchanged.
double roundTo(mlir::Type type, double value);

/// The initial value of a parameter or state tensor from its `nn.init`
/// dictionary, deterministic in (seed, index). With
///   u(j) = (splitMix64(seed, index, j) >> 11) * 2^-53      (53 bits, in [0, 1))
/// element j (row-major) is
///   {dist = "uniform", low, high}:  low + (high - low) * u(j)
///   {dist = "normal", mean, std}:   mean + std * sqrt(-2 ln(1 - u(2j))) * cos(2 pi u(2j+1))
///   {dist = "constant", value}:     value
/// rounded to the element type. nnc-eval passes as `index` the position of
/// the argument among the function's initialized arguments (params and
/// states in order), which is the same in a model's training and evaluation
/// functions. On a malformed dictionary returns failure and, if `error` is
/// given, sets it to the reason.
mlir::FailureOr<Tensor> initTensor(mlir::RankedTensorType type, mlir::DictionaryAttr init,
                                   uint64_t seed, uint64_t index, std::string *error = nullptr);

} // namespace nnc::eval

#endif // NNC_EVALUATOR_EVALUATOR_H
