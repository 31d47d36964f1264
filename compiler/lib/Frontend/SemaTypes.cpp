//===- SemaTypes.cpp - Types, values and shape patterns -------------------===//
//
// The types of Sema's values: how element types are named and printed, how a value is
// described in diagnostics, the checks that a value is a tensor of a usable size and that an
// axis is in range, and the evaluation of type expressions. A layer parameter's type is a
// pattern (`x: f32[B, I]`): bindPattern matches an argument against it, binding the names
// it has not seen yet to the argument's dimensions and checking the others.
//
//===----------------------------------------------------------------------===//

#include "SemaInternal.h"

using namespace nnc;
using namespace nnc::sema;

llvm::StringRef nnc::elemName(ElemType t) {
  switch (t) {
  case ElemType::F32: return "f32";
  case ElemType::F64: return "f64";
  case ElemType::I32: return "i32";
  case ElemType::I64: return "i64";
  case ElemType::U8: return "u8";
  case ElemType::I1: return "bool";
  }
  return "?";
}

std::string TensorType::str() const {
  std::string s = elemName(elem).str() + "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string nnc::sema::describe(const SVal &v) {
  switch (v.kind) {
  case SVal::Error: return "an erroneous value";
  case SVal::None: return "nothing";
  case SVal::Int: return "the integer " + std::to_string(v.i);
  case SVal::Float: return "a number";
  case SVal::Bool: return "a bool";
  case SVal::String: return "a string";
  case SVal::Tensor: return "a tensor " + v.type.str();
  case SVal::Index: return "a loop index";
  case SVal::List: return "a list";
  case SVal::Tuple: return "a tuple of " + std::to_string(v.elems.size()) + " values";
  }
  return "a value";
}

bool nnc::sema::elemFromName(StringRef name, ElemType floatType, ElemType &out) {
  if (name == "f32") out = floatType;
  else if (name == "f64") out = ElemType::F64;
  else if (name == "i32") out = ElemType::I32;
  else if (name == "i64") out = ElemType::I64;
  else if (name == "u8") out = ElemType::U8;
  else if (name == "i1") out = ElemType::I1;
  else return false;
  return true;
}

//===----------------------------------------------------------------------===//
// Checks
//===----------------------------------------------------------------------===//

SVal Sema::expectTensor(const SVal &v, SMLoc loc, StringRef what, bool wantFloat) {
  if (v.isError())
    return v;
  if (v.kind != SVal::Tensor) {
    err(loc, "expected a tensor for " + what + ", found " + describe(v));
    return SVal::error();
  }
  if (wantFloat && !isFloat(v.type.elem)) {
    err(loc, "expected a floating-point tensor for " + what + ", found " + v.type.str());
    return SVal::error();
  }
  return v;
}

/// Bounds what a shape may hold, so that element counts cannot overflow anywhere later.
bool Sema::checkSize(const std::vector<int64_t> &shape, SMLoc loc) {
  constexpr int64_t kMaxElements = int64_t(1) << 40;
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d > kMaxElements || n > kMaxElements / d) {
      err(loc, "tensor too large: more than 2^40 elements");
      return false;
    }
    n *= d;
  }
  return true;
}

bool Sema::normAxis(int64_t &axis, int64_t rank, SMLoc loc) {
  if (axis < -rank || axis >= rank) {
    err(loc, "axis " + std::to_string(axis) + " is out of range for a tensor of rank " +
                 std::to_string(rank));
    return false;
  }
  if (axis < 0)
    axis += rank;
  return true;
}

//===----------------------------------------------------------------------===//
// Types and patterns
//===----------------------------------------------------------------------===//

bool Sema::evalType(const TypeExpr &t, Env &env, TensorType &out) {
  if (t.kind != TypeExpr::Tensor) {
    err(t.loc, "expected a tensor type here");
    return false;
  }
  elemFromName(t.elem, opts.floatType, out.elem);
  out.shape.clear();
  for (const ExprPtr &d : t.dims) {
    if (d->kind == ExprKind::Ellipsis) {
      err(d->loc, "'...' is only allowed in the parameter types of a layer");
      return false;
    }
    SVal v = eval(*d, env);
    if (v.isError())
      return false;
    if (v.kind != SVal::Int) {
      err(d->loc, "expected an integer dimension, found " + describe(v));
      return false;
    }
    if (v.i <= 0) {
      err(d->loc, "dimensions must be positive, found " + std::to_string(v.i));
      return false;
    }
    out.shape.push_back(v.i);
  }
  return checkSize(out.shape, t.loc);
}

bool Sema::bindPattern(const TypeExpr &p, const SVal &actual, Env &env, SMLoc loc,
                       const std::string &what) {
  if (actual.isError())
    return false;
  switch (p.kind) {
  case TypeExpr::Int:
    if (actual.kind != SVal::Int) {
      err(loc, "expected an integer for " + what + ", found " + describe(actual));
      return false;
    }
    return true;
  case TypeExpr::Float:
    if (!actual.isNumber()) {
      err(loc, "expected a number for " + what + ", found " + describe(actual));
      return false;
    }
    return true;
  case TypeExpr::Bool:
    if (actual.kind != SVal::Bool) {
      err(loc, "expected true or false for " + what + ", found " + describe(actual));
      return false;
    }
    return true;
  case TypeExpr::Tuple:
    err(p.loc, "a parameter cannot have a tuple type");
    return false;
  case TypeExpr::Tensor:
    break;
  }
  if (actual.kind != SVal::Tensor) {
    err(loc, "expected a tensor for " + what + ", found " + describe(actual));
    return false;
  }
  ElemType elem;
  elemFromName(p.elem, opts.floatType, elem);
  const auto &shape = actual.type.shape;
  auto mismatch = [&](const llvm::Twine &why) {
    std::string pat;
    llvm::raw_string_ostream os(pat);
    os << p.elem << "[";
    for (size_t i = 0; i < p.dims.size(); ++i) {
      if (i) os << ", ";
      printExpr(*p.dims[i], os);
    }
    os << "]";
    err(loc, "expected " + what + " to be " + os.str() + ", found " + actual.type.str() + ": " +
                 why);
    return false;
  };
  if (actual.type.elem != elem)
    return mismatch("the element types differ");
  int ellipsis = -1;
  for (size_t i = 0; i < p.dims.size(); ++i)
    if (p.dims[i]->kind == ExprKind::Ellipsis)
      ellipsis = i;
  size_t fixed = p.dims.size() - (ellipsis >= 0 ? 1 : 0);
  if (ellipsis < 0 ? shape.size() != fixed : shape.size() < fixed)
    return mismatch("expected rank " + std::to_string(fixed) + (ellipsis >= 0 ? " or more" : "") +
                    ", found rank " + std::to_string(shape.size()));
  for (size_t i = 0, a = 0; i < p.dims.size(); ++i) {
    const Expr &d = *p.dims[i];
    if (d.kind == ExprKind::Ellipsis) {
      a += shape.size() - fixed;
      continue;
    }
    int64_t actualDim = shape[a++];
    if (d.kind == ExprKind::Name && !env.count(d.str)) {
      env[d.str] = SVal::ofInt(actualDim);
      continue;
    }
    SVal v = eval(d, env);
    if (v.isError())
      return false;
    if (v.kind != SVal::Int) {
      err(d.loc, "expected an integer dimension, found " + describe(v));
      return false;
    }
    if (v.i != actualDim) {
      std::string dimText;
      llvm::raw_string_ostream os(dimText);
      printExpr(d, os);
      return mismatch("dimension " + std::to_string(a - 1) + " ('" + os.str() + "') is " +
                      std::to_string(v.i) + " here, not " + std::to_string(actualDim));
    }
  }
  return true;
}
