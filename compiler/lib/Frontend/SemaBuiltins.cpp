//===- SemaBuiltins.cpp - The table of builtins and the elementwise ones --===//
//
// The builtin functions are a table (builtins()): each entry names a builtin, the arguments
// it takes (ArgSpec: a name, a kind, whether it is required) and its handler, a member
// function of Sema. A call binds its positional and keyword arguments to the specs and
// checks their kinds (bindArgs), then the handler checks the shapes and emits the ops. A
// family of builtins that differ only in the op they emit (relu, exp, ...; sum, mean, amax)
// shares a handler, and the entry says which op.
//
// This file holds the table, the binding, and the handlers of the elementwise builtins,
// of the tensor constructors, of the queries (shape, len, numel) and of the conversions;
// SemaBuiltinsTensor.cpp holds those that work on whole tensors.
//
//===----------------------------------------------------------------------===//

#include "SemaInternal.h"

#include <cmath>

using namespace nnc;
using namespace nnc::sema;

llvm::ArrayRef<Builtin> Sema::builtins() {
  // The arguments that several builtins take.
  static const std::vector<ArgSpec> kReduceArgs = {
      {"x", AK::Tensor}, {"axis", AK::Ints, false}, {"keepdims", AK::Bool, false}};
  static const std::vector<ArgSpec> kPoolArgs = {{"x", AK::Tensor},
                                                 {"kernel", AK::Ints},
                                                 {"stride", AK::Ints, false},
                                                 {"padding", AK::Ints, false}};
  // In the order a misspelt name is matched against them (evalCall).
  static const Builtin table[] = {
      {"relu", &Sema::builtinUnary, {{"x", AK::Any}}, OpKind::Relu},
      {"tanh", &Sema::builtinUnary, {{"x", AK::Any}}, OpKind::Tanh},
      {"sigmoid", &Sema::builtinUnary, {{"x", AK::Any}}, OpKind::Sigmoid},
      {"exp", &Sema::builtinUnary, {{"x", AK::Any}}, OpKind::Exp},
      {"log", &Sema::builtinUnary, {{"x", AK::Any}}, OpKind::Log},
      {"sqrt", &Sema::builtinUnary, {{"x", AK::Any}}, OpKind::Sqrt},
      {"rsqrt", &Sema::builtinUnary, {{"x", AK::Any}}, OpKind::Rsqrt},
      {"abs", &Sema::builtinUnary, {{"x", AK::Any}}, OpKind::Abs},
      {"square", &Sema::builtinUnary, {{"x", AK::Any}}, OpKind::Square},
      {"sign", &Sema::builtinUnary, {{"x", AK::Any}}, OpKind::Sign},
      {"maximum", &Sema::builtinMaximum, {{"a", AK::Any}, {"b", AK::Any}}, OpKind::Max},
      {"minimum", &Sema::builtinMaximum, {{"a", AK::Any}, {"b", AK::Any}}, OpKind::Min},
      {"where", &Sema::builtinWhere, {{"cond", AK::Tensor}, {"a", AK::Any}, {"b", AK::Any}}},
      {"matmul",
       &Sema::builtinMatmul,
       {{"a", AK::Tensor},
        {"b", AK::Tensor},
        {"transpose_a", AK::Bool, false},
        {"transpose_b", AK::Bool, false}}},
      {"sum", &Sema::builtinReduce, kReduceArgs, OpKind::ReduceSum},
      {"mean", &Sema::builtinReduce, kReduceArgs, OpKind::ReduceMean},
      {"amax", &Sema::builtinReduce, kReduceArgs, OpKind::ReduceMax},
      {"argmax", &Sema::builtinArgmax, {{"x", AK::Tensor}, {"axis", AK::Int, false}}},
      {"gather", &Sema::builtinGather, {{"table", AK::Tensor}, {"ids", AK::Tensor}}},
      {"reshape", &Sema::builtinReshape, {{"x", AK::Tensor}, {"shape", AK::Ints}}},
      {"transpose", &Sema::builtinTranspose, {{"x", AK::Tensor}, {"perm", AK::Ints, false}}},
      {"concat", &Sema::builtinConcat, {{"xs", AK::Any}, {"axis", AK::Int, false}}},
      {"softmax",
       &Sema::builtinSoftmax,
       {{"x", AK::Tensor}, {"axis", AK::Int, false}},
       OpKind::Softmax},
      {"log_softmax",
       &Sema::builtinSoftmax,
       {{"x", AK::Tensor}, {"axis", AK::Int, false}},
       OpKind::LogSoftmax},
      {"conv",
       &Sema::builtinConv,
       {{"x", AK::Tensor},
        {"w", AK::Tensor},
        {"stride", AK::Ints, false},
        {"padding", AK::Ints, false},
        {"dilation", AK::Ints, false},
        {"groups", AK::Int, false}}},
      {"maxpool", &Sema::builtinPool, kPoolArgs, OpKind::MaxPool2d},
      {"avgpool", &Sema::builtinPool, kPoolArgs, OpKind::AvgPool2d},
      {"batch_norm_train",
       &Sema::builtinBatchNorm,
       {{"x", AK::Tensor},
        {"gamma", AK::Tensor},
        {"beta", AK::Tensor},
        {"eps", AK::Number, false},
        {"axis", AK::Int, false}},
       OpKind::BatchNormTrain},
      {"batch_norm_infer",
       &Sema::builtinBatchNorm,
       {{"x", AK::Tensor},
        {"mean", AK::Tensor},
        {"var", AK::Tensor},
        {"gamma", AK::Tensor},
        {"beta", AK::Tensor},
        {"eps", AK::Number, false},
        {"axis", AK::Int, false}},
       OpKind::BatchNormInfer},
      {"softmax_cross_entropy",
       &Sema::builtinCrossEntropy,
       {{"logits", AK::Tensor}, {"labels", AK::Tensor}}},
      {"mean_squared_error", &Sema::builtinMse, {{"pred", AK::Tensor}, {"target", AK::Tensor}}},
      {"rand", &Sema::builtinFill, {{"shape", AK::Ints}}},
      {"zeros", &Sema::builtinFill, {{"shape", AK::Ints}}},
      {"ones", &Sema::builtinFill, {{"shape", AK::Ints}}},
      {"full", &Sema::builtinFill, {{"shape", AK::Ints}, {"value", AK::Number}}},
      {"shape", &Sema::builtinShape, {{"x", AK::Tensor}}},
      {"len", &Sema::builtinLen, {{"x", AK::Any}}},
      {"numel", &Sema::builtinNumel, {{"x", AK::Tensor}}},
      {"f32", &Sema::builtinConvert, {{"x", AK::Any}}},
      {"f64", &Sema::builtinConvert, {{"x", AK::Any}}},
      {"i32", &Sema::builtinConvert, {{"x", AK::Any}}},
      {"i64", &Sema::builtinConvert, {{"x", AK::Any}}},
      {"float", &Sema::builtinConvert, {{"x", AK::Any}}},
      {"int", &Sema::builtinConvert, {{"x", AK::Any}}},
      {"min", &Sema::builtinMinMax, {{"a", AK::Number}, {"b", AK::Number}}},
      {"max", &Sema::builtinMinMax, {{"a", AK::Number}, {"b", AK::Number}}},
  };
  return table;
}

const Builtin *Sema::findBuiltin(StringRef name) {
  for (const Builtin &b : builtins())
    if (name == b.name)
      return &b;
  return nullptr;
}

SVal Sema::callBuiltin(const Expr &e, const Builtin &b, std::vector<SVal> &pos, KwArgs &kw) {
  BuiltinCall c{e, b, pos, {}, b.name, e.loc};
  if (!bindArgs(e, c.name, b.args, pos, kw, c.a))
    return SVal::error();
  return (this->*b.handler)(c);
}

/// The first argument of a builtin that computes on floating-point tensors.
SVal Sema::floatInput(const BuiltinCall &c) {
  return expectTensor(c.a[0], c.argLoc(0), "'" + c.name.str() + "'");
}

bool Sema::bindArgs(const Expr &call, StringRef fname, llvm::ArrayRef<ArgSpec> specs,
                    std::vector<SVal> &pos, KwArgs &kw, std::vector<SVal> &out) {
  out.assign(specs.size(), SVal{SVal::None});
  if (pos.size() > specs.size()) {
    err(call.loc, "'" + fname + "' takes at most " + std::to_string(specs.size()) +
                      " arguments, but " + std::to_string(pos.size()) + " were given");
    return false;
  }
  std::vector<SMLoc> locs(specs.size(), call.loc);
  for (size_t i = 0; i < pos.size(); ++i) {
    out[i] = pos[i];
    locs[i] = call.args[i].value->loc;
  }
  for (auto &kv : kw) {
    auto it = llvm::find_if(specs, [&](const ArgSpec &s) { return kv.first->name == s.name; });
    if (it == specs.end()) {
      std::string names;
      for (const ArgSpec &s : specs)
        names += (names.empty() ? "" : ", ") + std::string(s.name);
      err(kv.first->nameLoc, "'" + fname + "' has no argument '" + kv.first->name +
                                 "' (its arguments: " + names + ")");
      return false;
    }
    size_t i = it - specs.begin();
    if (out[i].kind != SVal::None) {
      err(kv.first->nameLoc, "argument '" + kv.first->name + "' is given twice");
      return false;
    }
    out[i] = kv.second;
    locs[i] = kv.first->value->loc;
  }
  for (size_t i = 0; i < specs.size(); ++i) {
    SVal &v = out[i];
    const ArgSpec &s = specs[i];
    if (v.kind == SVal::None) {
      if (s.required) {
        err(call.loc, "'" + fname + "' needs the argument '" + s.name + "'");
        return false;
      }
      continue;
    }
    bool ok = true;
    switch (s.kind) {
    case AK::Tensor: ok = v.kind == SVal::Tensor; break;
    case AK::Int: ok = v.kind == SVal::Int; break;
    case AK::Number:
      ok = v.isNumber();
      if (ok)
        v = SVal::ofFloat(v.num());
      break;
    case AK::Bool: ok = v.kind == SVal::Bool; break;
    case AK::String: ok = v.kind == SVal::String; break;
    case AK::Ints: ok = v.toListOf(SVal::Int); break;
    case AK::Any: break;
    }
    if (!ok) {
      static const char *kindNames[] = {"a tensor", "an integer", "a number", "true or false",
                                        "a string", "an integer or a list of integers",
                                        "a value"};
      err(locs[i], "argument '" + llvm::Twine(s.name) + "' of '" + fname + "' must be " +
                       kindNames[int(s.kind)] + ", found " + describe(v));
      return false;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Handlers
//===----------------------------------------------------------------------===//

/// Elementwise math; on numbers it folds (initializers use sqrt).
SVal Sema::builtinUnary(const BuiltinCall &c) {
  if (c.a[0].isNumber()) {
    double x = c.a[0].num();
    double r = c.name == "sqrt"      ? std::sqrt(x)
               : c.name == "exp"     ? std::exp(x)
               : c.name == "log"     ? std::log(x)
               : c.name == "abs"     ? std::fabs(x)
               : c.name == "tanh"    ? std::tanh(x)
               : c.name == "relu"    ? std::max(x, 0.0)
               : c.name == "sigmoid" ? 1 / (1 + std::exp(-x))
               : c.name == "rsqrt"   ? 1 / std::sqrt(x)
               : c.name == "square"  ? x * x
                                     : (x > 0) - (x < 0);
    if (!std::isfinite(r)) {
      err(c.loc, "'" + c.name + "' of " + std::to_string(x) + " is not a finite number");
      return SVal::error();
    }
    return SVal::ofFloat(r);
  }
  SVal x = floatInput(c);
  if (x.isError())
    return x;
  return emit1(c.builtin.op, c.loc, {x.id}, x.type);
}

/// min(a, b) and max(a, b) of numbers.
SVal Sema::builtinMinMax(const BuiltinCall &c) {
  double r = c.name == "min" ? std::min(c.a[0].f, c.a[1].f) : std::max(c.a[0].f, c.a[1].f);
  bool ints = c.pos.size() == 2 && c.pos[0].kind == SVal::Int && c.pos[1].kind == SVal::Int;
  return ints ? SVal::ofInt(int64_t(r)) : SVal::ofFloat(r);
}

/// maximum(a, b) and minimum(a, b), elementwise with broadcasting.
SVal Sema::builtinMaximum(const BuiltinCall &c) {
  SVal l = c.a[0], r = c.a[1];
  if (l.kind != SVal::Tensor && r.kind != SVal::Tensor) {
    err(c.loc, "'" + c.name + "' needs at least one tensor (use min/max for numbers)");
    return SVal::error();
  }
  Expr fake(ExprKind::Binary, c.loc);
  fake.op = Tok::Plus;
  fake.kids.push_back(std::make_unique<Expr>(ExprKind::Int, c.argLoc(0)));
  fake.kids.push_back(std::make_unique<Expr>(ExprKind::Int, c.argLoc(1)));
  // Reuse the broadcasting of '+' and retarget the op.
  SVal s = evalBinary(fake, l, r);
  if (s.isError())
    return s;
  block->ops.back().kind = c.builtin.op;
  return s;
}

/// where(cond, a, b): a where cond holds, else b; a and b broadcast to cond's shape.
SVal Sema::builtinWhere(const BuiltinCall &c) {
  SVal cond = c.a[0];
  if (cond.type.elem != ElemType::I1) {
    err(c.argLoc(0), "'where' needs a bool condition (a comparison), found " + cond.type.str());
    return SVal::error();
  }
  SVal x = c.a[1], y = c.a[2];
  if (x.kind != SVal::Tensor && y.kind != SVal::Tensor) {
    err(c.loc, "'where' needs a tensor for 'a' or 'b'");
    return SVal::error();
  }
  if (x.kind != SVal::Tensor)
    x = toTensorLike(x, y, c.argLoc(1));
  if (y.kind != SVal::Tensor)
    y = toTensorLike(y, x, c.argLoc(2));
  if (x.isError() || y.isError())
    return SVal::error();
  if (x.type.elem != y.type.elem) {
    err(c.loc, "'where' needs 'a' and 'b' of one element type, found " + x.type.str() + " and " +
                   y.type.str());
    return SVal::error();
  }
  std::vector<int64_t> shape = cond.type.shape;
  for (const SVal *v : {&x, &y}) {
    if (v->type.shape != shape && v->type.shape.size() <= shape.size()) {
      bool ok = true;
      size_t off = shape.size() - v->type.shape.size();
      for (size_t i = 0; i < v->type.shape.size(); ++i)
        ok &= v->type.shape[i] == 1 || v->type.shape[i] == shape[off + i];
      if (!ok) {
        err(c.loc, "'where' cannot broadcast " + v->type.str() + " to the condition's shape " +
                       cond.type.str());
        return SVal::error();
      }
    } else if (v->type.shape != shape) {
      err(c.loc, "'where' cannot broadcast " + v->type.str() + " to the condition's shape " +
                     cond.type.str());
      return SVal::error();
    }
  }
  x = broadcastTo(x, shape, c.loc);
  y = broadcastTo(y, shape, c.loc);
  return emit1(OpKind::Select, c.loc, {cond.id, x.id, y.id}, x.type);
}

/// zeros, ones, full(shape, value) and rand(shape), uniform in [0, 1).
SVal Sema::builtinFill(const BuiltinCall &c) {
  TensorType t{opts.floatType, ints(c.a[0])};
  for (int64_t d : t.shape)
    if (d <= 0) {
      err(c.argLoc(0), "'" + c.name + "' needs positive dimensions, found " + std::to_string(d));
      return SVal::error();
    }
  if (!checkSize(t.shape, c.argLoc(0)))
    return SVal::error();
  if (c.name == "rand") {
    if (rngArg < 0) {
      fn->values.push_back(PValue{false, true, {}});
      rngArg = fn->values.size() - 1;
      fn->args.push_back(PArg{ArgRole::Rng, "rng", unsigned(rngArg), c.loc, {}, false});
    }
    POp &op = emit(OpKind::RandomUniform, c.loc, {unsigned(rngArg)}, {t});
    op.i = streams++;
    return tensor(op.results[0]);
  }
  return constant(c.name == "zeros" ? 0 : c.name == "ones" ? 1 : c.a[1].f, t, c.loc);
}

SVal Sema::builtinShape(const BuiltinCall &c) {
  SVal l{SVal::List};
  for (int64_t d : c.a[0].type.shape)
    l.elems.push_back(SVal::ofInt(d));
  return l;
}

SVal Sema::builtinNumel(const BuiltinCall &c) { return SVal::ofInt(c.a[0].type.numElements()); }

SVal Sema::builtinLen(const BuiltinCall &c) {
  if (c.a[0].kind == SVal::List || c.a[0].kind == SVal::Tuple)
    return SVal::ofInt(c.a[0].elems.size());
  if (c.a[0].kind == SVal::Tensor && !c.a[0].type.shape.empty())
    return SVal::ofInt(c.a[0].type.shape[0]);
  err(c.argLoc(0), "'len' needs a list or a tensor of rank 1 or more, found " + describe(c.a[0]));
  return SVal::error();
}

/// Conversions: f32(x), i32(x), float(n), int(n).
SVal Sema::builtinConvert(const BuiltinCall &c) {
  SVal x = c.a[0];
  if (c.name == "float" || c.name == "int") {
    if (!x.isNumber()) {
      err(c.argLoc(0), "'" + c.name + "' converts numbers, found " + describe(x));
      return SVal::error();
    }
    return c.name == "float" ? SVal::ofFloat(x.num()) : SVal::ofInt(int64_t(x.num()));
  }
  ElemType to;
  elemFromName(c.name, opts.floatType, to);
  if (x.isNumber() || x.kind == SVal::Bool) {
    err(c.argLoc(0), "'" + c.name + "' converts tensors; for a number use float(...) or int(...)");
    return SVal::error();
  }
  x = expectTensor(x, c.argLoc(0), "'" + c.name.str() + "'", false);
  if (x.isError())
    return x;
  if (x.type.elem == to)
    return x;
  return emit1(OpKind::Cast, c.loc, {x.id}, TensorType{to, x.type.shape});
}
