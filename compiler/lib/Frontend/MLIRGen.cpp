//===- MLIRGen.cpp - The typed program to the nn dialect ------------------===//
//
// A mechanical translation: Sema has decided every type, broadcast and name, so each program
// op becomes exactly one nn op (or an arith/scf op for index arithmetic and loops). Ops are
// built generically from their registered names and attributes, which keeps this file a
// table; the dialect's verifiers then check the result.
//
// Functions: `@<model>` evaluates the model (eval mode); `@<model>_loss` computes the training
// loss (train mode). Arguments are ordered inputs, labels, parameters, state, rng key, and
// carry the attributes documented in docs/dialect.md. The train block becomes the module
// attribute `nn.train`.
//
//===----------------------------------------------------------------------===//

#include "nnc/Frontend/MLIRGen.h"
#include "nnc/Frontend/Frontend.h"
#include "nnc/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace nnc;

namespace {

class Gen {
public:
  Gen(const Frontend &fe, mlir::MLIRContext *ctx) : fe(fe), b(ctx) {}

  mlir::OwningOpRef<mlir::ModuleOp> run(const Program &prog);

private:
  mlir::Type elemType(ElemType t) {
    switch (t) {
    case ElemType::F32: return b.getF32Type();
    case ElemType::F64: return b.getF64Type();
    case ElemType::I32: return b.getI32Type();
    case ElemType::I64: return b.getI64Type();
    case ElemType::U8: return b.getIntegerType(8, /*isSigned=*/false);
    case ElemType::I1: return b.getI1Type();
    }
    return {};
  }
  mlir::RankedTensorType tensorType(const TensorType &t) {
    return mlir::RankedTensorType::get(t.shape, elemType(t.elem));
  }
  mlir::Type valueType(const PValue &v) {
    if (v.isIndex)
      return b.getIndexType();
    if (v.isKey)
      return b.getI64Type();
    return tensorType(v.type);
  }
  mlir::Attribute config(const ConfigValue &v);
  void genFunction(const PFunction &f, mlir::ModuleOp module);
  void genBlock(const PBlock &blk);
  void genOp(const POp &op);

  const Frontend &fe;
  mlir::OpBuilder b;
  const PFunction *fn = nullptr;
  std::vector<mlir::Value> values;
};

} // namespace

mlir::Attribute Gen::config(const ConfigValue &v) {
  switch (v.kind) {
  case ConfigValue::Int: return b.getI64IntegerAttr(v.i);
  case ConfigValue::Float: return b.getF64FloatAttr(v.f);
  case ConfigValue::Bool: return b.getBoolAttr(v.i);
  case ConfigValue::String: return b.getStringAttr(v.s);
  case ConfigValue::List: {
    llvm::SmallVector<mlir::Attribute> xs;
    for (const ConfigValue &x : v.list)
      xs.push_back(config(x));
    return b.getArrayAttr(xs);
  }
  case ConfigValue::Record: {
    llvm::SmallVector<mlir::NamedAttribute> fs;
    fs.push_back(b.getNamedAttr("kind", b.getStringAttr(v.s)));
    for (const auto &f : v.fields)
      fs.push_back(b.getNamedAttr(f.first, config(f.second)));
    return b.getDictionaryAttr(fs);
  }
  }
  return {};
}

mlir::OwningOpRef<mlir::ModuleOp> Gen::run(const Program &prog) {
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(b.getUnknownLoc());
  module->getOperation()->setAttr(nn::NNDialect::kModelAttr, b.getStringAttr(prog.modelName));
  if (prog.hasTrain) {
    llvm::SmallVector<mlir::NamedAttribute> entries;
    for (const auto &kv : prog.train)
      entries.push_back(b.getNamedAttr(kv.first, config(kv.second)));
    module->getOperation()->setAttr(nn::NNDialect::kTrainAttr, b.getDictionaryAttr(entries));
  }
  for (const PFunction &f : prog.funcs)
    genFunction(f, *module);
  return module;
}

void Gen::genFunction(const PFunction &f, mlir::ModuleOp module) {
  fn = &f;
  values.assign(f.values.size(), mlir::Value());
  std::vector<const PArg *> args;
  for (ArgRole role : {ArgRole::Input, ArgRole::Labels, ArgRole::Param, ArgRole::State,
                       ArgRole::Rng})
    for (const PArg &a : f.args)
      if (a.role == role)
        args.push_back(&a);
  llvm::SmallVector<mlir::Type> argTypes, resultTypes;
  for (const PArg *a : args)
    argTypes.push_back(valueType(f.values[a->value]));
  for (const PResult &r : f.results)
    resultTypes.push_back(valueType(f.values[r.value]));

  b.setInsertionPointToEnd(module.getBody());
  auto func = mlir::func::FuncOp::create(b, fe.loc(f.loc), f.name,
                                         b.getFunctionType(argTypes, resultTypes));
  func->setAttr(nn::NNDialect::kModeAttr, b.getStringAttr(f.training ? "train" : "eval"));
  mlir::Block *entry = func.addEntryBlock();
  for (size_t i = 0; i < args.size(); ++i) {
    const PArg &a = *args[i];
    values[a.value] = entry->getArgument(i);
    switch (a.role) {
    case ArgRole::Input:
      func.setArgAttr(i, nn::NNDialect::kInputAttr, b.getStringAttr(a.name));
      break;
    case ArgRole::Labels:
      func.setArgAttr(i, nn::NNDialect::kLabelsAttr, b.getUnitAttr());
      break;
    case ArgRole::Rng:
      func.setArgAttr(i, nn::NNDialect::kRngAttr, b.getUnitAttr());
      break;
    case ArgRole::Param:
    case ArgRole::State: {
      func.setArgAttr(
          i, a.role == ArgRole::Param ? nn::NNDialect::kParamAttr : nn::NNDialect::kStateAttr,
          b.getStringAttr(a.name));
      llvm::SmallVector<mlir::NamedAttribute> init;
      init.push_back(b.getNamedAttr("dist", b.getStringAttr(a.init.dist)));
      if (a.init.dist == "uniform") {
        init.push_back(b.getNamedAttr("low", b.getF64FloatAttr(a.init.a)));
        init.push_back(b.getNamedAttr("high", b.getF64FloatAttr(a.init.b)));
      } else if (a.init.dist == "normal") {
        init.push_back(b.getNamedAttr("mean", b.getF64FloatAttr(a.init.a)));
        init.push_back(b.getNamedAttr("std", b.getF64FloatAttr(a.init.b)));
      } else {
        init.push_back(b.getNamedAttr("value", b.getF64FloatAttr(a.init.a)));
      }
      func.setArgAttr(i, nn::NNDialect::kInitAttr, b.getDictionaryAttr(init));
      if (a.frozen)
        func.setArgAttr(i, nn::NNDialect::kFrozenAttr, b.getUnitAttr());
      break;
    }
    }
  }
  b.setInsertionPointToEnd(entry);
  genBlock(f.body);
  llvm::SmallVector<mlir::Value> results;
  for (const PResult &r : f.results)
    results.push_back(values[r.value]);
  mlir::func::ReturnOp::create(b, fe.loc(f.loc), results);
  for (size_t i = 0; i < f.results.size(); ++i) {
    const PResult &r = f.results[i];
    if (r.role == ResultRole::Loss)
      func.setResultAttr(i, nn::NNDialect::kLossAttr, b.getUnitAttr());
    else if (r.role == ResultRole::State)
      func.setResultAttr(i, nn::NNDialect::kStateAttr, b.getStringAttr(r.name));
  }
}

void Gen::genBlock(const PBlock &blk) {
  for (const POp &op : blk.ops)
    genOp(op);
}

static llvm::StringRef opName(OpKind k) {
  switch (k) {
  case OpKind::Constant: return nn::ConstantOp::getOperationName();
  case OpKind::Add: return nn::AddOp::getOperationName();
  case OpKind::Sub: return nn::SubOp::getOperationName();
  case OpKind::Mul: return nn::MulOp::getOperationName();
  case OpKind::Div: return nn::DivOp::getOperationName();
  case OpKind::Max: return nn::MaxOp::getOperationName();
  case OpKind::Min: return nn::MinOp::getOperationName();
  case OpKind::Pow: return nn::PowOp::getOperationName();
  case OpKind::Neg: return nn::NegOp::getOperationName();
  case OpKind::Exp: return nn::ExpOp::getOperationName();
  case OpKind::Log: return nn::LogOp::getOperationName();
  case OpKind::Tanh: return nn::TanhOp::getOperationName();
  case OpKind::Sigmoid: return nn::SigmoidOp::getOperationName();
  case OpKind::Relu: return nn::ReluOp::getOperationName();
  case OpKind::Sqrt: return nn::SqrtOp::getOperationName();
  case OpKind::Rsqrt: return nn::RsqrtOp::getOperationName();
  case OpKind::Abs: return nn::AbsOp::getOperationName();
  case OpKind::Square: return nn::SquareOp::getOperationName();
  case OpKind::Sign: return nn::SignOp::getOperationName();
  case OpKind::Cmp: return nn::CmpOp::getOperationName();
  case OpKind::Select: return nn::SelectOp::getOperationName();
  case OpKind::Cast: return nn::CastOp::getOperationName();
  case OpKind::Matmul: return nn::MatmulOp::getOperationName();
  case OpKind::Broadcast: return nn::BroadcastOp::getOperationName();
  case OpKind::ReduceSum: return nn::ReduceSumOp::getOperationName();
  case OpKind::ReduceMean: return nn::ReduceMeanOp::getOperationName();
  case OpKind::ReduceMax: return nn::ReduceMaxOp::getOperationName();
  case OpKind::Argmax: return nn::ArgmaxOp::getOperationName();
  case OpKind::Reshape: return nn::ReshapeOp::getOperationName();
  case OpKind::Transpose: return nn::TransposeOp::getOperationName();
  case OpKind::Slice: return nn::SliceOp::getOperationName();
  case OpKind::Take: return nn::TakeOp::getOperationName();
  case OpKind::Put: return nn::PutOp::getOperationName();
  case OpKind::Gather: return nn::GatherOp::getOperationName();
  case OpKind::Concat: return nn::ConcatOp::getOperationName();
  case OpKind::Softmax: return nn::SoftmaxOp::getOperationName();
  case OpKind::LogSoftmax: return nn::LogSoftmaxOp::getOperationName();
  case OpKind::CrossEntropy: return nn::CrossEntropyOp::getOperationName();
  case OpKind::Mse: return nn::MseOp::getOperationName();
  case OpKind::Conv2d: return nn::Conv2dOp::getOperationName();
  case OpKind::MaxPool2d: return nn::MaxPool2dOp::getOperationName();
  case OpKind::AvgPool2d: return nn::AvgPool2dOp::getOperationName();
  case OpKind::BatchNormTrain: return nn::BatchNormTrainOp::getOperationName();
  case OpKind::BatchNormInfer: return nn::BatchNormInferOp::getOperationName();
  case OpKind::RandomUniform: return nn::RandomUniformOp::getOperationName();
  default: return "";
  }
}

void Gen::genOp(const POp &op) {
  mlir::Location loc = fe.loc(op.loc);
  auto result = [&](mlir::Value v) { values[op.results[0]] = v; };
  switch (op.kind) {
  case OpKind::IndexConst:
    result(mlir::arith::ConstantIndexOp::create(b, loc, op.i));
    return;
  case OpKind::IndexAdd:
    result(mlir::arith::AddIOp::create(b, loc, values[op.operands[0]], values[op.operands[1]]));
    return;
  case OpKind::IndexSub:
    result(mlir::arith::SubIOp::create(b, loc, values[op.operands[0]], values[op.operands[1]]));
    return;
  case OpKind::IndexMul:
    result(mlir::arith::MulIOp::create(b, loc, values[op.operands[0]], values[op.operands[1]]));
    return;
  case OpKind::For: {
    mlir::Value lb = mlir::arith::ConstantIndexOp::create(b, loc, op.i);
    mlir::Value ub = mlir::arith::ConstantIndexOp::create(b, loc, op.i2);
    mlir::Value step = mlir::arith::ConstantIndexOp::create(b, loc, 1);
    llvm::SmallVector<mlir::Value> inits;
    for (unsigned v : op.operands)
      inits.push_back(values[v]);
    auto loop = mlir::scf::ForOp::create(b, loc, lb, ub, step, inits);
    mlir::Block *body = loop.getBody();
    for (size_t i = 0; i < op.body->args.size(); ++i)
      values[op.body->args[i]] = body->getArgument(i);
    mlir::OpBuilder::InsertionGuard guard(b);
    // The builder made an empty body (or one with an implicit yield when there are no
    // iter_args); insert before its terminator, or make one.
    if (!body->empty() && body->back().hasTrait<mlir::OpTrait::IsTerminator>())
      body->back().erase();
    b.setInsertionPointToEnd(body);
    genBlock(*op.body);
    llvm::SmallVector<mlir::Value> yields;
    for (unsigned v : op.body->yields)
      yields.push_back(values[v]);
    mlir::scf::YieldOp::create(b, loc, yields);
    for (size_t i = 0; i < op.results.size(); ++i)
      values[op.results[i]] = loop.getResult(i);
    return;
  }
  default:
    break;
  }

  mlir::OperationState st(loc, opName(op.kind));
  for (unsigned v : op.operands)
    st.addOperands(values[v]);
  for (unsigned r : op.results)
    st.addTypes(valueType(fn->values[r]));
  auto arr = [&](const char *name, const std::vector<int64_t> &v) {
    st.addAttribute(name, b.getDenseI64ArrayAttr(v));
  };
  switch (op.kind) {
  case OpKind::Constant: {
    auto t = tensorType(fn->values[op.results[0]].type);
    mlir::Attribute v;
    if (mlir::isa<mlir::FloatType>(t.getElementType()))
      v = mlir::DenseElementsAttr::get(t, b.getFloatAttr(t.getElementType(), op.f));
    else
      v = mlir::DenseElementsAttr::get(
          t, b.getIntegerAttr(t.getElementType(), static_cast<int64_t>(op.f)));
    st.addAttribute("value", v);
    break;
  }
  case OpKind::Cmp:
    st.addAttribute("predicate", b.getStringAttr(op.s));
    break;
  case OpKind::Matmul:
    if (op.flag)
      st.addAttribute("transpose_a", b.getUnitAttr());
    if (op.flag2)
      st.addAttribute("transpose_b", b.getUnitAttr());
    break;
  case OpKind::Broadcast:
    arr("dims", op.a0);
    break;
  case OpKind::ReduceSum:
  case OpKind::ReduceMean:
  case OpKind::ReduceMax:
    arr("axes", op.a0);
    if (op.flag)
      st.addAttribute("keep_dims", b.getUnitAttr());
    break;
  case OpKind::Argmax:
  case OpKind::Take:
  case OpKind::Put:
  case OpKind::Concat:
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
    st.addAttribute("axis", b.getI64IntegerAttr(op.i));
    break;
  case OpKind::Transpose:
    arr("perm", op.a0);
    break;
  case OpKind::Slice:
    arr("offsets", op.a0);
    arr("sizes", op.a1);
    arr("strides", op.a2);
    break;
  case OpKind::Conv2d:
    arr("strides", op.a0);
    arr("padding", op.a1);
    arr("dilations", op.a2);
    st.addAttribute("groups", b.getI64IntegerAttr(op.i));
    break;
  case OpKind::MaxPool2d:
  case OpKind::AvgPool2d:
    arr("kernel", op.a0);
    arr("strides", op.a1);
    arr("padding", op.a2);
    break;
  case OpKind::BatchNormTrain:
  case OpKind::BatchNormInfer:
    st.addAttribute("epsilon", b.getF64FloatAttr(op.f));
    st.addAttribute("axis", b.getI64IntegerAttr(op.i));
    break;
  case OpKind::RandomUniform:
    st.addAttribute("stream", b.getI64IntegerAttr(op.i));
    break;
  default:
    break;
  }
  mlir::Operation *created = b.create(st);
  for (size_t i = 0; i < op.results.size(); ++i)
    values[op.results[i]] = created->getResult(i);
}

mlir::OwningOpRef<mlir::ModuleOp> nnc::mlirGen(const Program &prog, const Frontend &fe,
                                               mlir::MLIRContext *ctx) {
  Gen g(fe, ctx);
  return g.run(prog);
}
