//===- SemaBuiltinsTensor.cpp - Builtins over whole tensors ---------------===//
//
// The handlers of the builtins that work on whole tensors rather than element by element:
// matrix products, reductions, reshapes, transposes and concatenation, softmax, convolution
// and pooling, batch normalization and the losses. SemaBuiltins.cpp holds the table that
// names them and binds their arguments.
//
//===----------------------------------------------------------------------===//

#include "SemaInternal.h"

using namespace nnc;
using namespace nnc::sema;

SVal Sema::reduce(OpKind kind, const SVal &x, std::vector<int64_t> axes, bool keep, SMLoc loc) {
  std::sort(axes.begin(), axes.end());
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  TensorType t{x.type.elem, {}};
  for (int64_t d = 0; d < (int64_t)x.type.shape.size(); ++d) {
    if (llvm::is_contained(axes, d)) {
      if (keep)
        t.shape.push_back(1);
    } else {
      t.shape.push_back(x.type.shape[d]);
    }
  }
  POp &op = emit(kind, loc, {x.id}, {t});
  op.a0 = axes;
  op.flag = keep;
  return tensor(op.results[0]);
}

/// matmul(a, b, transpose_a, transpose_b) of two matrices.
SVal Sema::builtinMatmul(const BuiltinCall &c) {
  SVal l = c.a[0], r = c.a[1];
  bool ta = c.a[2].kind == SVal::Bool && c.a[2].i, tb = c.a[3].kind == SVal::Bool && c.a[3].i;
  if (l.type.shape.size() != 2 || r.type.shape.size() != 2 || l.type.elem != r.type.elem ||
      !isFloat(l.type.elem)) {
    err(c.loc, "'matmul' needs two floating-point matrices of one type, found " + l.type.str() +
                   " and " + r.type.str());
    return SVal::error();
  }
  int64_t m = ta ? l.type.shape[1] : l.type.shape[0], k = ta ? l.type.shape[0] : l.type.shape[1];
  int64_t k2 = tb ? r.type.shape[1] : r.type.shape[0], n = tb ? r.type.shape[0] : r.type.shape[1];
  if (k != k2) {
    err(c.loc, "'matmul' needs the inner dimensions to agree, found " + std::to_string(k) +
                   " and " + std::to_string(k2));
    return SVal::error();
  }
  POp &op = emit(OpKind::Matmul, c.loc, {l.id, r.id}, {TensorType{l.type.elem, {m, n}}});
  op.flag = ta;
  op.flag2 = tb;
  return tensor(op.results[0]);
}

/// sum, mean and amax over the given axes (all by default).
SVal Sema::builtinReduce(const BuiltinCall &c) {
  SVal x = floatInput(c);
  if (x.isError())
    return x;
  std::vector<int64_t> axes;
  int64_t rank = x.type.shape.size();
  if (c.a[1].kind == SVal::None) {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  } else {
    for (int64_t ax : ints(c.a[1])) {
      if (!normAxis(ax, rank, c.argLoc(1)))
        return SVal::error();
      axes.push_back(ax);
    }
  }
  return reduce(c.builtin.op, x, axes, c.a[2].kind == SVal::Bool && c.a[2].i, c.loc);
}

SVal Sema::builtinArgmax(const BuiltinCall &c) {
  int64_t axis = c.a[1].kind == SVal::Int ? c.a[1].i : -1;
  if (!normAxis(axis, c.a[0].type.shape.size(), c.argLoc(1)))
    return SVal::error();
  TensorType t{ElemType::I32, c.a[0].type.shape};
  t.shape.erase(t.shape.begin() + axis);
  POp &op = emit(OpKind::Argmax, c.loc, {c.a[0].id}, {t});
  op.i = axis;
  return tensor(op.results[0]);
}

/// gather(table, ids): the rows of a 2-D float table at integer ids, [ids..., D].
SVal Sema::builtinGather(const BuiltinCall &c) {
  const TensorType &table = c.a[0].type, &ids = c.a[1].type;
  if (table.shape.size() != 2 || !isFloat(table.elem)) {
    err(c.argLoc(0), "'gather' reads rows of a 2-D float table [V, D], found " + table.str());
    return SVal::error();
  }
  if (ids.elem != ElemType::I32 && ids.elem != ElemType::I64) {
    err(c.argLoc(1), "'gather' takes ids of type i32 or i64, found " + ids.str());
    return SVal::error();
  }
  TensorType t{table.elem, ids.shape};
  t.shape.push_back(table.shape[1]);
  if (!checkSize(t.shape, c.loc))
    return SVal::error();
  return emit1(OpKind::Gather, c.loc, {c.a[0].id, c.a[1].id}, t);
}

/// reshape(x, shape), where one dimension may be -1: what the others leave.
SVal Sema::builtinReshape(const BuiltinCall &c) {
  std::vector<int64_t> shape = ints(c.a[1]);
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) {
        err(c.argLoc(1), "'reshape' can infer only one dimension (-1)");
        return SVal::error();
      }
      infer = i;
    } else if (shape[i] <= 0) {
      err(c.argLoc(1),
          "'reshape' dimensions must be positive or -1, found " + std::to_string(shape[i]));
      return SVal::error();
    } else {
      known *= shape[i];
    }
  }
  int64_t n = c.a[0].type.numElements();
  if (infer >= 0) {
    if (n % known) {
      err(c.argLoc(1), "cannot reshape " + c.a[0].type.str() + " (" + std::to_string(n) +
                           " elements) with -1: " + std::to_string(known) + " does not divide it");
      return SVal::error();
    }
    shape[infer] = n / known;
    known = n;
  }
  if (known != n) {
    err(c.argLoc(1), "cannot reshape " + c.a[0].type.str() + " (" + std::to_string(n) +
                         " elements) to " + TensorType{c.a[0].type.elem, shape}.str());
    return SVal::error();
  }
  return emit1(OpKind::Reshape, c.loc, {c.a[0].id}, TensorType{c.a[0].type.elem, shape});
}

/// transpose(x, perm); without perm, the dimensions in reverse.
SVal Sema::builtinTranspose(const BuiltinCall &c) {
  int64_t rank = c.a[0].type.shape.size();
  std::vector<int64_t> perm;
  if (c.a[1].kind == SVal::None) {
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  } else {
    perm = ints(c.a[1]);
  }
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  bool ok = (int64_t)perm.size() == rank;
  for (int64_t d = 0; ok && d < rank; ++d)
    ok = sorted[d] == d;
  if (!ok) {
    err(c.argLoc(1), "'transpose' needs a permutation of 0.." + std::to_string(rank - 1));
    return SVal::error();
  }
  TensorType t{c.a[0].type.elem, {}};
  for (int64_t p : perm)
    t.shape.push_back(c.a[0].type.shape[p]);
  POp &op = emit(OpKind::Transpose, c.loc, {c.a[0].id}, {t});
  op.a0 = perm;
  return tensor(op.results[0]);
}

/// concat(xs, axis) of a list of tensors that agree except along the axis.
SVal Sema::builtinConcat(const BuiltinCall &c) {
  if (c.a[0].kind != SVal::List || c.a[0].elems.empty()) {
    err(c.argLoc(0), "'concat' takes a non-empty list of tensors, found " + describe(c.a[0]));
    return SVal::error();
  }
  std::vector<unsigned> ids;
  const SVal &first = c.a[0].elems[0];
  if (first.kind != SVal::Tensor) {
    err(c.argLoc(0), "'concat' takes a list of tensors, found " + describe(first));
    return SVal::error();
  }
  int64_t axis = c.a[1].kind == SVal::Int ? c.a[1].i : 0;
  if (!normAxis(axis, first.type.shape.size(), c.argLoc(1)))
    return SVal::error();
  TensorType t = first.type;
  t.shape[axis] = 0;
  for (const SVal &x : c.a[0].elems) {
    bool ok = x.kind == SVal::Tensor && x.type.elem == first.type.elem &&
              x.type.shape.size() == first.type.shape.size();
    for (size_t d = 0; ok && d < x.type.shape.size(); ++d)
      ok = (int64_t)d == axis || x.type.shape[d] == first.type.shape[d];
    if (!ok) {
      err(c.argLoc(0), "'concat' needs tensors that agree except along axis " +
                           std::to_string(axis) + ", found " + first.type.str() + " and " +
                           describe(x));
      return SVal::error();
    }
    t.shape[axis] += x.type.shape[axis];
    ids.push_back(x.id);
  }
  if (!checkSize(t.shape, c.loc))
    return SVal::error();
  POp &op = emit(OpKind::Concat, c.loc, ids, {t});
  op.i = axis;
  return tensor(op.results[0]);
}

/// softmax and log_softmax along an axis (the last by default).
SVal Sema::builtinSoftmax(const BuiltinCall &c) {
  SVal x = floatInput(c);
  if (x.isError())
    return x;
  int64_t axis = c.a[1].kind == SVal::Int ? c.a[1].i : -1;
  if (!normAxis(axis, x.type.shape.size(), c.argLoc(1)))
    return SVal::error();
  POp &op = emit(c.builtin.op, c.loc, {x.id}, {x.type});
  op.i = axis;
  return tensor(op.results[0]);
}

/// conv(x, w, stride, padding, dilation, groups): a 2-D convolution of NCHW by OIHW.
SVal Sema::builtinConv(const BuiltinCall &c) {
  SVal x = c.a[0], w = c.a[1];
  if (x.type.shape.size() != 4 || w.type.shape.size() != 4 || x.type.elem != w.type.elem ||
      !isFloat(x.type.elem)) {
    err(c.loc, "'conv' needs an input [N, C, H, W] and a filter [O, C, KH, KW] of one float "
               "type, found " + x.type.str() + " and " + w.type.str());
    return SVal::error();
  }
  auto pair = [&](const SVal &v, int64_t def, size_t i, const char *what,
                  std::vector<int64_t> &out, int64_t minV) {
    out = v.kind == SVal::None ? std::vector<int64_t>{def, def} : ints(v);
    if (out.size() == 1)
      out.push_back(out[0]);
    if (out.size() != 2 || out[0] < minV || out[1] < minV) {
      err(c.argLoc(i), llvm::Twine("'conv' ") + what +
                           " must be one or two integers >= " + std::to_string(minV));
      return false;
    }
    return true;
  };
  std::vector<int64_t> st, pad, dil;
  if (!pair(c.a[2], 1, 2, "stride", st, 1) || !pair(c.a[3], 0, 3, "padding", pad, 0) ||
      !pair(c.a[4], 1, 4, "dilation", dil, 1))
    return SVal::error();
  int64_t groups = c.a[5].kind == SVal::Int ? c.a[5].i : 1;
  const auto &xs = x.type.shape, &ws = w.type.shape;
  if (groups < 1 || xs[1] % groups || ws[0] % groups || ws[1] * groups != xs[1]) {
    err(c.loc, "'conv' channel mismatch: the input has " + std::to_string(xs[1]) +
                   " channels, the filter expects " + std::to_string(ws[1]) + " per group with " +
                   std::to_string(groups) + " group(s)");
    return SVal::error();
  }
  int64_t spanH = dil[0] * (ws[2] - 1) + 1, spanW = dil[1] * (ws[3] - 1) + 1;
  int64_t oh = (xs[2] + 2 * pad[0] - spanH) / st[0] + 1;
  int64_t ow = (xs[3] + 2 * pad[1] - spanW) / st[1] + 1;
  if (xs[2] + 2 * pad[0] < spanH || xs[3] + 2 * pad[1] < spanW) {
    err(c.loc, "'conv' filter " + w.type.str() + " does not fit the input " + x.type.str());
    return SVal::error();
  }
  POp &op =
      emit(OpKind::Conv2d, c.loc, {x.id, w.id}, {TensorType{x.type.elem, {xs[0], ws[0], oh, ow}}});
  op.a0 = st;
  op.a1 = {pad[0], pad[1], pad[0], pad[1]};
  op.a2 = dil;
  op.i = groups;
  return tensor(op.results[0]);
}

/// maxpool and avgpool(x, kernel, stride, padding) over NCHW; the stride defaults to the
/// kernel.
SVal Sema::builtinPool(const BuiltinCall &c) {
  SVal x = floatInput(c);
  if (x.isError())
    return x;
  if (x.type.shape.size() != 4) {
    err(c.argLoc(0), "'" + c.name + "' needs an input [N, C, H, W], found " + x.type.str());
    return SVal::error();
  }
  auto two = [](std::vector<int64_t> v) {
    if (v.size() == 1)
      v.push_back(v[0]);
    return v;
  };
  std::vector<int64_t> k = two(ints(c.a[1]));
  std::vector<int64_t> st = c.a[2].kind == SVal::None ? k : two(ints(c.a[2]));
  std::vector<int64_t> pad =
      c.a[3].kind == SVal::None ? std::vector<int64_t>{0, 0} : two(ints(c.a[3]));
  if (k.size() != 2 || st.size() != 2 || pad.size() != 2 || k[0] < 1 || k[1] < 1 || st[0] < 1 ||
      st[1] < 1 || pad[0] < 0 || pad[1] < 0 || pad[0] * 2 > k[0] || pad[1] * 2 > k[1]) {
    err(c.loc, "'" + c.name +
                   "' needs positive kernel and stride sizes and a padding of at most "
                   "half the kernel");
    return SVal::error();
  }
  const auto &xs = x.type.shape;
  int64_t oh = (xs[2] + 2 * pad[0] - k[0]) / st[0] + 1;
  int64_t ow = (xs[3] + 2 * pad[1] - k[1]) / st[1] + 1;
  if (xs[2] + 2 * pad[0] < k[0] || xs[3] + 2 * pad[1] < k[1]) {
    err(c.loc, "'" + c.name + "' kernel " + std::to_string(k[0]) + "x" + std::to_string(k[1]) +
                   " does not fit the input " + x.type.str());
    return SVal::error();
  }
  POp &op = emit(c.builtin.op, c.loc, {x.id}, {TensorType{x.type.elem, {xs[0], xs[1], oh, ow}}});
  op.a0 = k;
  op.a1 = st;
  op.a2 = {pad[0], pad[1], pad[0], pad[1]};
  return tensor(op.results[0]);
}

/// batch_norm_train(x, gamma, beta) returns (y, mean, var); batch_norm_infer(x, mean, var,
/// gamma, beta) returns y. The statistics are per index along `axis` (1, the channels).
SVal Sema::builtinBatchNorm(const BuiltinCall &c) {
  bool train = c.builtin.op == OpKind::BatchNormTrain;
  SVal x = floatInput(c);
  if (x.isError())
    return x;
  size_t nv = train ? 3 : 5;
  int64_t axis = c.a[nv + 1].kind == SVal::Int ? c.a[nv + 1].i : 1;
  if (x.type.shape.size() < 2 || !normAxis(axis, x.type.shape.size(), c.argLoc(nv + 1)))
    return SVal::error();
  TensorType vec{x.type.elem, {x.type.shape[axis]}};
  for (size_t i = 1; i < nv; ++i)
    if (c.a[i].type != vec) {
      err(c.argLoc(i), "'" + c.name + "' needs " + c.builtin.args[i].name + " of type " +
                           vec.str() + ", found " + c.a[i].type.str());
      return SVal::error();
    }
  double eps = c.a[nv].kind == SVal::Float ? c.a[nv].f : 1e-5;
  if (!(eps > 0)) {
    err(c.argLoc(nv), "'" + c.name + "' needs eps > 0");
    return SVal::error();
  }
  std::vector<unsigned> ops;
  for (size_t i = 0; i < nv; ++i)
    ops.push_back(c.a[i].id);
  std::vector<TensorType> types = {x.type};
  if (train) {
    types.push_back(vec);
    types.push_back(vec);
  }
  POp &op = emit(c.builtin.op, c.loc, ops, types);
  op.f = eps;
  op.i = axis;
  if (!train)
    return tensor(op.results[0]);
  SVal t{SVal::Tuple};
  std::vector<unsigned> res = op.results;
  for (unsigned r : res)
    t.elems.push_back(tensor(r));
  return t;
}

SVal Sema::builtinCrossEntropy(const BuiltinCall &c) {
  const TensorType &lt = c.a[0].type, &lb = c.a[1].type;
  if (lt.shape.size() != 2 || !isFloat(lt.elem) || lb.shape.size() != 1 || isFloat(lb.elem) ||
      lb.elem == ElemType::I1 || lb.shape[0] != lt.shape[0]) {
    err(c.loc, "'softmax_cross_entropy' needs logits [B, C] and integer labels [B], found " +
                   lt.str() + " and " + lb.str());
    return SVal::error();
  }
  return emit1(OpKind::CrossEntropy, c.loc, {c.a[0].id, c.a[1].id}, TensorType{lt.elem, {}});
}

SVal Sema::builtinMse(const BuiltinCall &c) {
  if (c.a[0].type != c.a[1].type || !isFloat(c.a[0].type.elem)) {
    err(c.loc, "'mean_squared_error' needs a prediction and a target of one float type, found " +
                   c.a[0].type.str() + " and " + c.a[1].type.str());
    return SVal::error();
  }
  return emit1(OpKind::Mse, c.loc, {c.a[0].id, c.a[1].id}, TensorType{c.a[0].type.elem, {}});
}
