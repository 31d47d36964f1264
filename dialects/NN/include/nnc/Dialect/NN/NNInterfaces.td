//===- NNInterfaces.td - Interfaces of the nn dialect ------*- tablegen -*-===//
//
// The gradient interface: each differentiable op builds its vector-Jacobian
// product. The rules live in NNGradients.cpp and are attached to the ops as
// external models, so that they read as one table of calculus.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_NN_NNINTERFACES_TD
#define NNC_DIALECT_NN_NNINTERFACES_TD

include "mlir/IR/OpBase.td"

def NN_GradientOpInterface : OpInterface<"GradientOpInterface"> {
  let cppNamespace = "::nnc::nn";
  let description = [{
    An op that knows its vector-Jacobian product. Given the adjoints of its
    results (a null Value means zero), it builds, at the builder's insertion
    point, the adjoint contribution of each operand: `operandAdjoints` comes
    back with one entry per operand, null where the operand gets none (an
    integer operand, an index, a constant direction). It may read the op's
    operands and results: the autodiff pass guarantees they are available
    where it builds.
  }];
  let methods = [
    InterfaceMethod<[{Builds the operand adjoints from the result adjoints.}],
      "::mlir::LogicalResult", "buildVJP",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ArrayRef<::mlir::Value>":$resultAdjoints,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandAdjoints)>,
  ];
}

#endif // NNC_DIALECT_NN_NNINTERFACES_TD
