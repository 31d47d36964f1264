//===- SemaExpr.cpp - Expressions -----------------------------------------===//
//
// The evaluation of expressions. Numbers, bools, strings and lists are computed at compile
// time; an operation on tensors emits a typed op. Binary operators on tensors broadcast as
// numpy does, with explicit broadcast ops; integer arithmetic with loop indices becomes index
// arithmetic. Subscripts become a slice, then a reshape that drops the indexed dimensions,
// then a take along the one dimension a loop index may select. A call goes to a layer
// (Sema.cpp) or to a builtin (SemaBuiltins.cpp).
//
//===----------------------------------------------------------------------===//

#include "SemaInternal.h"

#include <cmath>

using namespace nnc;
using namespace nnc::sema;

SVal Sema::eval(const Expr &e, Env &env) {
  switch (e.kind) {
  case ExprKind::Int:
    return SVal::ofInt(e.intVal);
  case ExprKind::Float:
    return SVal::ofFloat(e.floatVal);
  case ExprKind::Bool:
    return SVal::ofBool(e.intVal);
  case ExprKind::String: {
    SVal v{SVal::String};
    v.s = e.str;
    return v;
  }
  case ExprKind::Ellipsis:
    err(e.loc, "'...' is only allowed in shapes of layer parameters");
    return SVal::error();
  case ExprKind::Slice:
    err(e.loc, "a slice 'a:b' is only allowed inside brackets");
    return SVal::error();
  case ExprKind::Name: {
    auto it = env.find(e.str);
    if (it != env.end())
      return it->second;
    if (funcs.count(e.str) || isBuiltin(e.str))
      err(e.loc, "'" + e.str + "' is a function; call it with '" + e.str + "(...)'");
    else
      err(e.loc, "unknown name '" + e.str + "'");
    return SVal::error();
  }
  case ExprKind::List: {
    SVal l{SVal::List};
    for (const ExprPtr &k : e.kids) {
      SVal v = eval(*k, env);
      if (v.isError())
        return v;
      l.elems.push_back(v);
    }
    return l;
  }
  case ExprKind::Unary: {
    SVal x = eval(*e.kids[0], env);
    if (x.isError())
      return x;
    if (e.op == Tok::KwNot) {
      if (x.kind != SVal::Bool) {
        err(e.loc, "'not' expects a bool, found " + describe(x));
        return SVal::error();
      }
      return SVal::ofBool(!x.i);
    }
    if (x.kind == SVal::Int)
      return SVal::ofInt(-x.i);
    if (x.kind == SVal::Float)
      return SVal::ofFloat(-x.f);
    x = expectTensor(x, e.kids[0]->loc, "negation");
    if (x.isError())
      return x;
    return emit1(OpKind::Neg, e.loc, {x.id}, x.type);
  }
  case ExprKind::Binary: {
    SVal l = eval(*e.kids[0], env);
    if (e.op == Tok::KwAnd || e.op == Tok::KwOr) {
      if (l.isError())
        return l;
      SVal r = eval(*e.kids[1], env);
      if (r.isError())
        return r;
      if (l.kind != SVal::Bool || r.kind != SVal::Bool) {
        err(e.loc, llvm::Twine("'") + (e.op == Tok::KwAnd ? "and" : "or") +
                       "' expects bools, found " + describe(l.kind != SVal::Bool ? l : r));
        return SVal::error();
      }
      return SVal::ofBool(e.op == Tok::KwAnd ? (l.i && r.i) : (l.i || r.i));
    }
    SVal r = eval(*e.kids[1], env);
    if (l.isError())
      return l;
    if (r.isError())
      return r;
    return evalBinary(e, l, r);
  }
  case ExprKind::Call:
    return evalCall(e, env);
  case ExprKind::Index:
    return evalIndex(e, env);
  }
  return SVal::error();
}

static OpKind binaryKind(Tok op) {
  switch (op) {
  case Tok::Plus: return OpKind::Add;
  case Tok::Minus: return OpKind::Sub;
  case Tok::Star: return OpKind::Mul;
  case Tok::Slash: return OpKind::Div;
  case Tok::StarStar: return OpKind::Pow;
  default: return OpKind::Cmp;
  }
}

static const char *cmpPredicate(Tok op) {
  switch (op) {
  case Tok::Lt: return "lt";
  case Tok::Le: return "le";
  case Tok::Gt: return "gt";
  case Tok::Ge: return "ge";
  case Tok::EqEq: return "eq";
  default: return "ne";
  }
}

SVal Sema::evalBinary(const Expr &e, SVal l, SVal r) {
  StringRef opName = tokSpelling(e.op);
  bool isCmp = binaryKind(e.op) == OpKind::Cmp && e.op != Tok::At;
  // Compile-time arithmetic.
  if (l.isNumber() && r.isNumber())
    return foldBinary(e, l, r);
  if ((e.op == Tok::EqEq || e.op == Tok::Ne) && l.kind == r.kind &&
      (l.kind == SVal::Bool || l.kind == SVal::String)) {
    bool eq = l.kind == SVal::Bool ? l.i == r.i : l.s == r.s;
    return SVal::ofBool(e.op == Tok::EqEq ? eq : !eq);
  }
  // Index arithmetic: loop counters with integers.
  if ((l.kind == SVal::Index || r.kind == SVal::Index) &&
      (l.kind == SVal::Index || l.kind == SVal::Int) &&
      (r.kind == SVal::Index || r.kind == SVal::Int) &&
      (e.op == Tok::Plus || e.op == Tok::Minus || e.op == Tok::Star))
    return indexBinary(e, l, r);
  bool lt = l.kind == SVal::Tensor, rt = r.kind == SVal::Tensor;
  if (!(lt || rt) || (!lt && !l.isNumber() && l.kind != SVal::Bool) ||
      (!rt && !r.isNumber() && r.kind != SVal::Bool)) {
    err(e.loc, "operator " + opName + " cannot combine " + describe(l) + " and " + describe(r));
    return SVal::error();
  }
  if (e.op == Tok::At)
    return evalMatmul(e, l, r);
  // x ** 2 is common enough (MSE, variance) to get its own cheap op.
  if (e.op == Tok::StarStar && lt && r.isNumber() && r.num() == 2 && isFloat(l.type.elem))
    return emit1(OpKind::Square, e.loc, {l.id}, l.type);
  if (!lt)
    l = toTensorLike(l, r, e.kids[0]->loc);
  if (!rt)
    r = toTensorLike(r, l, e.kids[1]->loc);
  if (l.type.elem != r.type.elem) {
    err(e.loc, "operator " + opName + " needs operands of one element type, found " +
                   l.type.str() + " and " + r.type.str());
    return SVal::error();
  }
  if (!isCmp && !isFloat(l.type.elem)) {
    err(e.loc, "operator " + opName + " needs floating-point tensors, found " + l.type.str() +
                   " (convert with f32(...))");
    return SVal::error();
  }
  // Numpy broadcasting, right-aligned.
  const auto &ls = l.type.shape, &rs = r.type.shape;
  size_t rank = std::max(ls.size(), rs.size());
  std::vector<int64_t> shape(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t a = i < rank - ls.size() ? 1 : ls[i - (rank - ls.size())];
    int64_t b = i < rank - rs.size() ? 1 : rs[i - (rank - rs.size())];
    if (a != b && a != 1 && b != 1) {
      err(e.loc, "operator " + opName + " cannot broadcast " + l.type.str() + " with " +
                     r.type.str() + ": dimension " + std::to_string(i) + " is " +
                     std::to_string(a) + " vs " + std::to_string(b));
      return SVal::error();
    }
    shape[i] = std::max(a, b);
  }
  l = broadcastTo(l, shape, e.loc);
  r = broadcastTo(r, shape, e.loc);
  if (isCmp) {
    POp &op = emit(OpKind::Cmp, e.loc, {l.id, r.id}, {TensorType{ElemType::I1, shape}});
    op.s = cmpPredicate(e.op);
    return tensor(op.results[0]);
  }
  return emit1(binaryKind(e.op), e.loc, {l.id, r.id}, l.type);
}

/// Compile-time arithmetic and comparisons on numbers: integers stay integers where the
/// result is exact, and overflow is an error.
SVal Sema::foldBinary(const Expr &e, const SVal &l, const SVal &r) {
  StringRef opName = tokSpelling(e.op);
  bool ints = l.kind == SVal::Int && r.kind == SVal::Int;
  double a = l.num(), b = r.num();
  if (ints && (e.op == Tok::Plus || e.op == Tok::Minus || e.op == Tok::Star)) {
    int64_t out;
    bool overflow = e.op == Tok::Plus    ? __builtin_add_overflow(l.i, r.i, &out)
                    : e.op == Tok::Minus ? __builtin_sub_overflow(l.i, r.i, &out)
                                         : __builtin_mul_overflow(l.i, r.i, &out);
    if (overflow) {
      err(e.loc, "integer overflow in " + std::to_string(l.i) + " " + opName.trim('\'') +
                     " " + std::to_string(r.i));
      return SVal::error();
    }
    return SVal::ofInt(out);
  }
  switch (e.op) {
  case Tok::Plus: return SVal::ofFloat(a + b);
  case Tok::Minus: return SVal::ofFloat(a - b);
  case Tok::Star: return SVal::ofFloat(a * b);
  case Tok::Slash:
    if (b == 0) {
      err(e.loc, "division by zero");
      return SVal::error();
    }
    // Integer division when both sides are integers and it is exact keeps shapes integral;
    // otherwise it is real division.
    if (ints && l.i % r.i == 0)
      return SVal::ofInt(l.i / r.i);
    return SVal::ofFloat(a / b);
  case Tok::StarStar:
    if (ints && r.i >= 0) {
      if (l.i >= -1 && l.i <= 1)
        return SVal::ofInt(r.i == 0 ? 1 : l.i == -1 ? (r.i % 2 ? -1 : 1) : l.i);
      int64_t p = 1; // |l| >= 2: overflows within 63 steps.
      for (int64_t k = 0; k < r.i; ++k) {
        if (__builtin_mul_overflow(p, l.i, &p)) {
          err(e.loc, "integer overflow in " + std::to_string(l.i) + " ** " +
                         std::to_string(r.i));
          return SVal::error();
        }
      }
      return SVal::ofInt(p);
    }
    return SVal::ofFloat(std::pow(a, b));
  case Tok::Lt: return SVal::ofBool(a < b);
  case Tok::Le: return SVal::ofBool(a <= b);
  case Tok::Gt: return SVal::ofBool(a > b);
  case Tok::Ge: return SVal::ofBool(a >= b);
  case Tok::EqEq: return SVal::ofBool(a == b);
  case Tok::Ne: return SVal::ofBool(a != b);
  default:
    err(e.loc, "'@' needs two tensors, found numbers");
    return SVal::error();
  }
}

/// Index arithmetic: loop counters with integers, which become index constants.
SVal Sema::indexBinary(const Expr &e, const SVal &l, const SVal &r) {
  auto asIndex = [&](const SVal &v) {
    if (v.kind == SVal::Index)
      return v.id;
    POp op;
    op.kind = OpKind::IndexConst;
    op.loc = e.loc;
    op.i = v.i;
    fn->values.push_back(PValue{true, false, {}});
    op.results.push_back(fn->values.size() - 1);
    block->ops.push_back(std::move(op));
    return block->ops.back().results[0];
  };
  unsigned a = asIndex(l), b = asIndex(r);
  POp op;
  op.kind = e.op == Tok::Plus ? OpKind::IndexAdd : e.op == Tok::Minus ? OpKind::IndexSub
                                                                       : OpKind::IndexMul;
  op.loc = e.loc;
  op.operands = {a, b};
  fn->values.push_back(PValue{true, false, {}});
  op.results.push_back(fn->values.size() - 1);
  block->ops.push_back(std::move(op));
  SVal v{SVal::Index};
  v.id = block->ops.back().results[0];
  return v;
}

/// `a @ b` of two matrices.
SVal Sema::evalMatmul(const Expr &e, const SVal &l, const SVal &r) {
  bool lt = l.kind == SVal::Tensor, rt = r.kind == SVal::Tensor;
  if (!lt || !rt) {
    err(e.loc, "'@' needs two tensors, found " + describe(lt ? r : l));
    return SVal::error();
  }
  if (l.type.shape.size() != 2 || r.type.shape.size() != 2) {
    err(e.loc, "'@' multiplies matrices (rank 2), found " + l.type.str() + " @ " +
                   r.type.str());
    return SVal::error();
  }
  if (l.type.elem != r.type.elem || !isFloat(l.type.elem)) {
    err(e.loc, "'@' needs floating-point operands of one type, found " + l.type.str() +
                   " @ " + r.type.str());
    return SVal::error();
  }
  if (l.type.shape[1] != r.type.shape[0]) {
    err(e.loc, "'@' needs the inner dimensions to agree, found " + l.type.str() + " @ " +
                   r.type.str() + " (" + std::to_string(l.type.shape[1]) + " vs " +
                   std::to_string(r.type.shape[0]) + ")");
    return SVal::error();
  }
  return emit1(OpKind::Matmul, e.loc, {l.id, r.id},
               TensorType{l.type.elem, {l.type.shape[0], r.type.shape[1]}});
}

SVal Sema::evalIndex(const Expr &e, Env &env) {
  SVal base = eval(*e.kids[0], env);
  if (base.isError())
    return base;
  std::vector<SVal> subs;
  if (!evalSubscripts(e, env, subs))
    return SVal::error();
  if (base.kind == SVal::List || base.kind == SVal::Tuple) {
    if (subs.size() != 1 || subs[0].kind != SVal::Int) {
      err(e.loc, "a list is indexed with one integer");
      return SVal::error();
    }
    int64_t n = base.elems.size(), i = subs[0].i;
    if (i < -n || i >= n) {
      err(e.kids[1]->loc, "index " + std::to_string(i) + " is out of range for a list of " +
                              std::to_string(n));
      return SVal::error();
    }
    return base.elems[i < 0 ? i + n : i];
  }
  return indexTensor(e, base, subs);
}

bool Sema::evalSubscripts(const Expr &e, Env &env, std::vector<SVal> &subs) {
  for (size_t i = 1; i < e.kids.size(); ++i) {
    const Expr &k = *e.kids[i];
    if (k.kind == ExprKind::Slice) {
      SVal s{SVal::List}; // start, stop, step as Int or None.
      for (const ExprPtr &part : k.kids) {
        if (!part) {
          s.elems.push_back(SVal{SVal::None});
          continue;
        }
        SVal v = eval(*part, env);
        if (v.isError())
          return false;
        if (v.kind != SVal::Int) {
          err(part->loc, "slice bounds must be integers known at compile time, found " +
                             describe(v));
          return false;
        }
        s.elems.push_back(v);
      }
      s.s = "slice";
      subs.push_back(s);
      continue;
    }
    SVal v = eval(k, env);
    if (v.isError())
      return false;
    subs.push_back(v);
  }
  return true;
}

/// Subscripts of a tensor: integers and slices become one slice op and a reshape that
/// drops the integer-indexed dimensions; a loop index becomes a take along its dimension.
SVal Sema::indexTensor(const Expr &e, SVal base, const std::vector<SVal> &subs) {
  base = expectTensor(base, e.kids[0]->loc, "indexing", false);
  if (base.isError())
    return base;
  int64_t rank = base.type.shape.size();
  if ((int64_t)subs.size() > rank) {
    err(e.loc, "too many subscripts: " + std::to_string(subs.size()) + " for a tensor of rank " +
                   std::to_string(rank));
    return SVal::error();
  }
  std::vector<int64_t> offsets(rank, 0), sizes = base.type.shape, strides(rank, 1);
  std::vector<int64_t> dropped;
  int dynAxis = -1;
  unsigned dynIndex = 0;
  for (int64_t d = 0; d < (int64_t)subs.size(); ++d) {
    const SVal &s = subs[d];
    int64_t n = base.type.shape[d];
    SMLoc sl = e.kids[d + 1]->loc;
    if (s.kind == SVal::Int) {
      int64_t i = s.i;
      if (i < -n || i >= n) {
        err(sl, "index " + std::to_string(i) + " is out of range for dimension " +
                    std::to_string(d) + " of size " + std::to_string(n));
        return SVal::error();
      }
      offsets[d] = i < 0 ? i + n : i;
      sizes[d] = 1;
      dropped.push_back(d);
    } else if (s.kind == SVal::Index) {
      if (dynAxis >= 0) {
        err(sl, "only one subscript may be a loop index");
        return SVal::error();
      }
      dynAxis = d;
      dynIndex = s.id;
    } else if (s.kind == SVal::List && s.s == "slice") {
      int64_t step = s.elems[2].kind == SVal::Int ? s.elems[2].i : 1;
      if (step <= 0) {
        err(sl, "slice steps must be positive, found " + std::to_string(step));
        return SVal::error();
      }
      auto clampBound = [&](const SVal &b, int64_t def) {
        if (b.kind != SVal::Int)
          return def;
        int64_t v = b.i < 0 ? b.i + n : b.i;
        return std::max<int64_t>(0, std::min(v, n));
      };
      int64_t start = clampBound(s.elems[0], 0), stop = clampBound(s.elems[1], n);
      if (stop <= start) {
        err(sl, "the slice selects nothing from dimension " + std::to_string(d) + " of size " +
                    std::to_string(n));
        return SVal::error();
      }
      offsets[d] = start;
      strides[d] = step;
      sizes[d] = (stop - start + step - 1) / step;
    } else {
      err(sl, "expected an integer, a loop index or a slice 'a:b' as subscript, found " +
                  describe(s));
      return SVal::error();
    }
  }
  SVal x = base;
  bool full = true;
  for (int64_t d = 0; d < rank; ++d)
    full &= offsets[d] == 0 && sizes[d] == base.type.shape[d] && strides[d] == 1;
  if (!full) {
    POp &op = emit(OpKind::Slice, e.loc, {x.id}, {TensorType{x.type.elem, sizes}});
    op.a0 = offsets;
    op.a1 = sizes;
    op.a2 = strides;
    x = tensor(op.results[0]);
  }
  if (!dropped.empty()) {
    TensorType t{x.type.elem, {}};
    for (int64_t d = 0; d < rank; ++d)
      if (!llvm::is_contained(dropped, d))
        t.shape.push_back(x.type.shape[d]);
    x = emit1(OpKind::Reshape, e.loc, {x.id}, t);
  }
  if (dynAxis >= 0) {
    int64_t axis = dynAxis - llvm::count_if(dropped, [&](int64_t d) { return d < dynAxis; });
    TensorType t = x.type;
    t.shape.erase(t.shape.begin() + axis);
    POp &op = emit(OpKind::Take, e.loc, {x.id, dynIndex}, {t});
    op.i = axis;
    x = tensor(op.results[0]);
  }
  return x;
}

SVal Sema::evalCall(const Expr &e, Env &env) {
  std::vector<SVal> pos;
  KwArgs kw;
  bool sawKw = false;
  for (const CallArg &a : e.args) {
    SVal v = eval(*a.value, env);
    if (a.name.empty()) {
      if (sawKw) {
        err(a.value->loc, "a positional argument cannot follow a keyword argument");
        return SVal::error();
      }
      pos.push_back(v);
    } else {
      sawKw = true;
      for (auto &kv : kw)
        if (kv.first->name == a.name) {
          err(a.nameLoc, "argument '" + a.name + "' is given twice");
          return SVal::error();
        }
      kw.push_back({&a, v});
    }
  }
  auto it = funcs.find(e.str);
  if (it != funcs.end())
    return callLayer(*it->second, e, std::move(pos), std::move(kw));
  if (const Builtin *b = findBuiltin(e.str)) {
    if (const SVal *bad = firstError(pos, kw))
      return *bad;
    return callBuiltin(e, *b, pos, kw);
  }
  if (isInitializer(e.str)) {
    err(e.loc, "'" + e.str + "' is an initializer: it can only initialize a 'param' or 'state'");
    return SVal::error();
  }
  // Suggest a close name.
  std::string best;
  unsigned bestDist = 3;
  auto consider = [&](StringRef cand) {
    unsigned d = StringRef(e.str).edit_distance(cand, true, bestDist);
    if (d < bestDist) {
      bestDist = d;
      best = cand.str();
    }
  };
  for (auto &f : funcs)
    consider(f.first());
  for (const Builtin &b : builtins())
    consider(b.name);
  err(e.loc, "unknown layer or function '" + e.str + "'" +
                 (best.empty() ? std::string() : "; did you mean '" + best + "'?"));
  return SVal::error();
}

//===----------------------------------------------------------------------===//
// Broadcasting
//===----------------------------------------------------------------------===//

SVal Sema::broadcastTo(const SVal &x, const std::vector<int64_t> &shape, SMLoc loc) {
  if (x.type.shape == shape)
    return x;
  // Right-aligned numpy broadcasting: drop the leading unit dims of the operand that the
  // result does not have, then map the rest onto the trailing dims.
  TensorType t{x.type.elem, shape};
  int64_t off = shape.size() - x.type.shape.size();
  std::vector<int64_t> dims;
  for (size_t i = 0; i < x.type.shape.size(); ++i)
    dims.push_back(off + i);
  POp &op = emit(OpKind::Broadcast, loc, {x.id}, {t});
  op.a0 = dims;
  return tensor(op.results[0]);
}

SVal Sema::toTensorLike(const SVal &v, const SVal &like, SMLoc loc) {
  if (v.kind == SVal::Tensor)
    return v;
  // A splat of the other operand's shape: no broadcast op needed.
  return constant(v.kind == SVal::Bool ? double(v.i) : v.num(), like.type, loc);
}
