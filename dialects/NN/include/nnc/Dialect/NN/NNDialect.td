//===- NNDialect.td - The nn dialect definition ------------*- tablegen -*-===//
//
// The `nn` dialect: tensor-level neural-network ops with value semantics and
// static shapes, plus the type constraints and traits shared by its ops. The
// dialect also verifies the `nn.*` attributes the front end puts on function
// arguments, results and functions (see docs/dialect.md).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DIALECT_NN_NNDIALECT_TD
#define NNC_DIALECT_NN_NNDIALECT_TD

include "mlir/IR/OpBase.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::nnc::nn";
  let summary = "Tensor-level neural-network ops with static shapes.";
  let description = [{
    The IR the nnc front end produces and the autodiff, optimizer and fusion
    passes work on. Every value is a ranked, statically shaped tensor (or a
    scalar `index`/`i64` where an op needs one); the dialect is lowered to
    linalg on tensors.
  }];

  // Folding nn.constant needs a way back from an attribute to an op.
  let hasConstantMaterializer = 1;
  // `nn.mode` on functions, and the `nn.*` argument and result attributes.
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let hasRegionResultAttrVerify = 1;

  let extraClassDeclaration = [{
    // Names of the function attributes of docs/dialect.md.
    static constexpr ::llvm::StringLiteral kInputAttr = "nn.input";
    static constexpr ::llvm::StringLiteral kLabelsAttr = "nn.labels";
    static constexpr ::llvm::StringLiteral kParamAttr = "nn.param";
    static constexpr ::llvm::StringLiteral kStateAttr = "nn.state";
    static constexpr ::llvm::StringLiteral kInitAttr = "nn.init";
    static constexpr ::llvm::StringLiteral kFrozenAttr = "nn.frozen";
    static constexpr ::llvm::StringLiteral kRngAttr = "nn.rng";
    static constexpr ::llvm::StringLiteral kLossAttr = "nn.loss";
    static constexpr ::llvm::StringLiteral kModeAttr = "nn.mode";
    static constexpr ::llvm::StringLiteral kOptStateAttr = "nn.opt_state";
    static constexpr ::llvm::StringLiteral kStepAttr = "nn.step";
    static constexpr ::llvm::StringLiteral kGradAttr = "nn.grad";
    static constexpr ::llvm::StringLiteral kInputGradAttr = "nn.input_grad";
    // Names of the module attributes: the model's name and its train block.
    static constexpr ::llvm::StringLiteral kModelAttr = "nn.model";
    static constexpr ::llvm::StringLiteral kTrainAttr = "nn.train";
  }];
}

//===----------------------------------------------------------------------===//
// Traits
//===----------------------------------------------------------------------===//

// Marks ops whose results carry no gradient to their operands (comparisons,
// sign, argmax, random numbers): autodiff stops there instead of failing.
def NN_NoGradient : NativeOpTrait<"NoGradient"> {
  let cppNamespace = "::nnc::nn::OpTrait";
}

//===----------------------------------------------------------------------===//
// Type constraints: ranked tensors with static shapes only.
//===----------------------------------------------------------------------===//

def NN_Tensor : StaticShapeTensorOf<[AnyType]>;
def NN_FloatTensor : StaticShapeTensorOf<[AnyFloat]>;
def NN_BoolTensor : StaticShapeTensorOf<[I1]>;
def NN_IntTensor : StaticShapeTensorOf<[AnySignlessInteger]>;
def NN_I32Tensor : StaticShapeTensorOf<[I32]>;
// Element types that nn.cmp, nn.select and nn.cast handle.
def NN_NumericTensor : StaticShapeTensorOf<[AnySignlessInteger, AnyFloat]>;
// Bytes as a data set stores them (`ui8`), besides the numeric types.
def NN_NumericOrBytesTensor : StaticShapeTensorOf<[AnySignlessInteger, UI8, AnyFloat]>;

class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic, traits>;

#endif // NNC_DIALECT_NN_NNDIALECT_TD
