//===- NNToLinalg.h - Shared by the nn to linalg files ----------*- C++ -*-===//
//
// The private interface of convert-nn-to-linalg, whose lowerings live in one file per op
// family (NNToLinalg{Elementwise,Contraction,Convolution,Pooling,Reduction,Normalization,
// Shape}.cpp): the builder helpers they all use (`Lowering`, in NNToLinalgUtils.cpp), the op
// being lowered with the list its results go to (`OpLowering`), and the registry through
// which each family file names the ops it lowers (`LoweringRegistry`).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_LIB_CONVERSION_NNTOLINALG_H
#define NNC_LIB_CONVERSION_NNTOLINALG_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace nnc::nn_to_linalg {

using BodyFn = llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;
using CombineFn =
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location, mlir::Value, mlir::Value)>;

/// Builds linalg and tensor ops at `loc`.
struct Lowering {
  mlir::OpBuilder &b;
  mlir::Location loc;

  mlir::MLIRContext *ctx() { return b.getContext(); }
  mlir::RankedTensorType type(mlir::Value v) {
    return llvm::cast<mlir::RankedTensorType>(v.getType());
  }
  mlir::Type elem(mlir::Value v) { return type(v).getElementType(); }

  mlir::Value empty(mlir::RankedTensorType t);
  mlir::Value scalarConst(mlir::Type t, double v);
  mlir::Value full(mlir::RankedTensorType t, double v);
  mlir::Value zeros(mlir::RankedTensorType t) { return full(t, 0.0); }

  mlir::AffineMap identity(int64_t rank) { return b.getMultiDimIdentityMap(rank); }
  llvm::SmallVector<mlir::utils::IteratorType> parallel(int64_t n) {
    return llvm::SmallVector<mlir::utils::IteratorType>(n, mlir::utils::IteratorType::parallel);
  }

  /// One linalg.generic with a single result.
  mlir::Value generic(mlir::RankedTensorType outType, mlir::ValueRange inputs,
                      llvm::ArrayRef<mlir::AffineMap> inMaps, mlir::AffineMap outMap,
                      llvm::ArrayRef<mlir::utils::IteratorType> iters, mlir::Value init,
                      BodyFn body);

  /// Elementwise over operands of `outType`'s shape (maps all identity).
  mlir::Value elementwise(mlir::RankedTensorType outType, mlir::ValueRange inputs, BodyFn body);

  /// The map of a tensor that drops dimension `axis` of a rank-`rank` iteration space.
  mlir::AffineMap dropDim(int64_t rank, int64_t axis);

  /// Reduces `x` over `axes` with `combine`, starting from `init`; the result keeps the
  /// other dimensions (and size-1 ones for the reduced axes when `keep`).
  mlir::Value reduce(mlir::Value x, llvm::ArrayRef<int64_t> axes, bool keep, double initValue,
                     CombineFn combine, mlir::RankedTensorType resultType = {});
  mlir::Value sum(mlir::Value x, llvm::ArrayRef<int64_t> axes, bool keep);
  mlir::Value max(mlir::Value x, llvm::ArrayRef<int64_t> axes, bool keep);

  /// Pads the two spatial dims of an NCHW tensor with `value` ([top, left, bottom, right]).
  mlir::Value pad2d(mlir::Value x, llvm::ArrayRef<int64_t> p, double value);

  /// Reshapes through one dimension: collapse all, expand to the target.
  mlir::Value reshape(mlir::Value x, mlir::RankedTensorType to);

  /// An operand that only gives the window loops their extent: linalg derives every loop's
  /// size from an operand dimension indexed by that loop alone, and the window loops of
  /// pooling and of a convolution's input gradient appear only inside sums otherwise (as the
  /// window tensor of linalg's named pooling ops).
  mlir::Value window(llvm::ArrayRef<int64_t> shape, mlir::Type elem);

  llvm::SmallVector<mlir::OpFoldResult> indexAttrs(llvm::ArrayRef<int64_t> v);

  /// `src` written into `dest` at `offsets` with `strides`.
  mlir::Value insert(mlir::Value src, mlir::Value dest, llvm::ArrayRef<int64_t> offsets,
                     llvm::ArrayRef<int64_t> strides);

  /// acc[offsets :: strides] += part: the strided slice is read, added to and written back
  /// in place, so a scatter of several parts touches each part's elements only.
  mlir::Value addStrided(mlir::Value acc, mlir::Value part, llvm::ArrayRef<int64_t> offsets,
                         llvm::ArrayRef<int64_t> strides);
};

/// The body of a copy: the input element.
mlir::Value yieldInput(mlir::OpBuilder &, mlir::Location, mlir::ValueRange a);

/// The body of a contraction with two inputs: out + lhs · rhs.
mlir::Value multiplyAdd(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange a);

/// One nn op being lowered, at its location; its replacements go to `results`, and the ops
/// whose float arithmetic must stay exact (no fast-math flags) to `exactOps`.
struct OpLowering : Lowering {
  OpLowering(mlir::OpBuilder &b, mlir::Operation *op, llvm::SmallVectorImpl<mlir::Value> &results,
             llvm::DenseSet<mlir::Operation *> &exactOps)
      : Lowering{b, op->getLoc()}, op(op), results(results), exactOps(exactOps) {}

  mlir::Operation *op;
  llvm::SmallVectorImpl<mlir::Value> &results;
  llvm::DenseSet<mlir::Operation *> &exactOps;

  mlir::RankedTensorType resultType(unsigned i = 0) {
    return llvm::cast<mlir::RankedTensorType>(op->getResult(i).getType());
  }
  llvm::ArrayRef<int64_t> arr(llvm::StringRef attr) {
    return op->getAttrOfType<mlir::DenseI64ArrayAttr>(attr).asArrayRef();
  }
  int64_t intAttr(llvm::StringRef attr) {
    return op->getAttrOfType<mlir::IntegerAttr>(attr).getInt();
  }
  /// Ends a lowering with the single result `v`.
  mlir::LogicalResult ret(mlir::Value v) {
    results.push_back(v);
    return mlir::success();
  }
};

/// Lowers `L.op` into `L.results`.
using LowerFn = mlir::LogicalResult (*)(OpLowering &L);

/// The lowering of each nn op, by the op's TypeID.
class LoweringRegistry {
public:
  template <typename... Ops> void add(LowerFn fn) { (insert(mlir::TypeID::get<Ops>(), fn), ...); }
  /// The lowering of `op`, or null.
  LowerFn lookup(mlir::Operation *op) const { return fns.lookup(op->getName().getTypeID()); }

private:
  void insert(mlir::TypeID id, LowerFn fn) {
    [[maybe_unused]] bool added = fns.try_emplace(id, fn).second;
    assert(added && "an op with two lowerings");
  }
  llvm::DenseMap<mlir::TypeID, LowerFn> fns;
};

// Each family file adds the lowerings of its ops.
void addElementwiseLowerings(LoweringRegistry &registry);
void addContractionLowerings(LoweringRegistry &registry);
void addConvolutionLowerings(LoweringRegistry &registry);
void addPoolingLowerings(LoweringRegistry &registry);
void addReductionLowerings(LoweringRegistry &registry);
void addNormalizationLowerings(LoweringRegistry &registry);
void addShapeLowerings(LoweringRegistry &registry);

} // namespace nnc::nn_to_linalg

#endif // NNC_LIB_CONVERSION_NNTOLINALG_H
