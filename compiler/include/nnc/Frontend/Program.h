//===- Program.h - The typed, instantiated program ------------------------===//
//
// Sema's output and MLIRGen's input. Layers are generic over shapes and hyperparameters and
// every call site owns its parameters, so Sema instantiates each call: the result is a flat,
// fully typed program per entry function, with static shapes, explicit broadcasts, resolved
// parameter names and initializers. MLIRGen translates it op by op into the nn dialect; it
// makes no decision of its own, so every shape error is found before any IR exists.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FRONTEND_PROGRAM_H
#define NNC_FRONTEND_PROGRAM_H

#include "llvm/Support/SMLoc.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>
#include <vector>

namespace nnc {

enum class ElemType { F32, F64, I32, I64, U8, I1 };

llvm::StringRef elemName(ElemType t);
inline bool isFloat(ElemType t) { return t == ElemType::F32 || t == ElemType::F64; }

struct TensorType {
  ElemType elem = ElemType::F32;
  std::vector<int64_t> shape;

  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  bool operator==(const TensorType &o) const { return elem == o.elem && shape == o.shape; }
  bool operator!=(const TensorType &o) const { return !(*this == o); }
  /// `f32[64, 10]`, the DSL's spelling.
  std::string str() const;
};

enum class OpKind {
  Constant, // f: splat value
  // Elementwise binary.
  Add, Sub, Mul, Div, Max, Min, Pow,
  // Elementwise unary.
  Neg, Exp, Log, Tanh, Sigmoid, Relu, Sqrt, Rsqrt, Abs, Square, Sign,
  Cmp,       // s: predicate
  Select,
  Cast,
  Matmul,    // flag: transpose_a, flag2: transpose_b
  Broadcast, // a0: dims
  ReduceSum, ReduceMean, ReduceMax, // a0: axes, flag: keep_dims
  Argmax,    // i: axis
  Reshape,
  Transpose, // a0: perm
  Slice,     // a0: offsets, a1: sizes, a2: strides
  Take,      // i: axis; operands: x, index
  Put,       // i: axis; operands: dest, src, index
  Gather,    // operands: table, ids
  Concat,    // i: axis
  Softmax, LogSoftmax, // i: axis
  CrossEntropy, Mse,
  Conv2d,    // a0: strides, a1: padding, a2: dilations, i: groups
  MaxPool2d, AvgPool2d, // a0: kernel, a1: strides, a2: padding
  BatchNormTrain, BatchNormInfer, // f: epsilon, i: axis
  RandomUniform, // i: stream; operand: the rng key
  // Index arithmetic (loop counters).
  IndexConst, // i: value
  IndexAdd, IndexSub, IndexMul,
  For, // operands: inits; i: lower bound, i2: upper bound; body args: iv, carried...
};

struct PBlock;

struct POp {
  OpKind kind;
  llvm::SMLoc loc;
  std::vector<unsigned> operands, results;
  std::vector<int64_t> a0, a1, a2;
  int64_t i = 0, i2 = 0;
  double f = 0;
  std::string s;
  bool flag = false, flag2 = false;
  std::unique_ptr<PBlock> body;
};

struct PBlock {
  std::vector<unsigned> args;
  std::vector<POp> ops;
  std::vector<unsigned> yields;
};

/// How a parameter or state buffer starts out.
struct Init {
  std::string dist; // "uniform" (a = low, b = high), "normal" (a = mean, b = std), "constant" (a)
  double a = 0, b = 0;
};

enum class ArgRole { Input, Labels, Param, State, Rng };

struct PArg {
  ArgRole role;
  std::string name;
  unsigned value;
  llvm::SMLoc loc;
  Init init;
  bool frozen = false;
};

enum class ResultRole { Output, Loss, State };

struct PResult {
  ResultRole role;
  std::string name; // The state's name for State results.
  unsigned value;
};

struct PValue {
  bool isIndex = false; // A loop counter or index arithmetic; otherwise a tensor.
  bool isKey = false;   // The i64 rng key.
  TensorType type;
};

struct PFunction {
  std::string name;
  bool training = false;
  llvm::SMLoc loc;
  std::vector<PValue> values;
  std::vector<PArg> args;
  PBlock body;
  std::vector<PResult> results;
};

/// A setting of the train block after checking, with every default filled in: a number,
/// string or bool, a list, or a call-like record `name(field = value, ...)`.
struct ConfigValue {
  enum Kind { Int, Float, Bool, String, List, Record } kind = Int;
  int64_t i = 0;
  double f = 0;
  std::string s; // String value, or the record's name.
  std::vector<ConfigValue> list;
  std::vector<std::pair<std::string, ConfigValue>> fields;
};

struct Program {
  std::string modelName;
  std::vector<PFunction> funcs;
  bool hasTrain = false;
  std::vector<std::pair<std::string, ConfigValue>> train; // Sorted by key.
};

} // namespace nnc

#endif // NNC_FRONTEND_PROGRAM_H
