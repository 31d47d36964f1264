//===- NNOps.h - The ops of the nn dialect ----------------------*- C++ -*-===//
//
// Declares the ops of the nn dialect (nnc::nn::<Name>Op, generated from
// NNOps.td) and the NoGradient trait that autodiff consults to skip ops whose
// results carry no gradient.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_NN_NNOPS_H
#define NNC_DIALECT_NN_NNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "nnc/Dialect/NN/NNDialect.h"

namespace nnc::nn::OpTrait {

/// Results of an op with this trait have no gradient with respect to its
/// operands (comparisons, sign, argmax, random numbers). It carries no
/// verification; autodiff treats such ops as constants of the backward pass.
template <typename ConcreteType>
class NoGradient : public mlir::OpTrait::TraitBase<ConcreteType, NoGradient> {};

} // namespace nnc::nn::OpTrait

namespace nnc::nn {

/// The `i1` tensor type of the shape of `type`: the type of nn.cmp results
/// and nn.select conditions. Also called on unverified types while parsing,
/// hence the fallback for non-shaped ones.
inline mlir::Type getI1SameShape(mlir::Type type) {
  auto i1 = mlir::IntegerType::get(type.getContext(), 1);
  if (auto shaped = mlir::dyn_cast<mlir::ShapedType>(type))
    return shaped.clone(i1);
  return i1;
}

/// Whether `op` is an nn op marked NoGradient.
inline bool hasNoGradient(mlir::Operation *op) {
  return op->hasTrait<OpTrait::NoGradient>();
}

} // namespace nnc::nn

#define GET_OP_CLASSES
#include "nnc/Dialect/NN/NNOps.h.inc"

#endif // NNC_DIALECT_NN_NNOPS_H
