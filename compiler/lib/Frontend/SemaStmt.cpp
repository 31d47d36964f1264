//===- SemaStmt.cpp - Statements, parameters and initializers -------------===//
//
// The statements of a layer or model body: assignments (with tuple unpacking), `param` and
// `state` declarations with their initializers, `return`, `for` and `if`.
//
// Loops are walked once: the names a loop body assigns that exist before the loop are its
// carried state, and their types must not change. `if` conditions are compile-time values
// (`training`, hyperparameters), so only the taken branch is instantiated.
//
//===----------------------------------------------------------------------===//

#include "SemaInternal.h"

#include <cmath>

using namespace nnc;
using namespace nnc::sema;

static const char *const kInitializers[] = {
    "zeros", "ones", "constant", "uniform", "normal", "glorot_uniform", "glorot_normal",
    "xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "kaiming_uniform",
    "kaiming_normal", "torch_default"};

bool nnc::sema::isInitializer(StringRef name) { return llvm::is_contained(kInitializers, name); }

bool Sema::execBlock(const std::vector<StmtPtr> &body, Env &env, SVal *ret) {
  for (size_t i = 0; i < body.size(); ++i) {
    if (execStmt(*body[i], env, ret)) {
      // After an 'if' whose taken branch returned, the rest belongs to the other branch.
      if (body[i]->kind == StmtKind::Return && i + 1 < body.size())
        err(body[i + 1]->loc, "statement after 'return' is never reached");
      return true;
    }
  }
  return false;
}

static void assignedNames(const std::vector<StmtPtr> &body, std::vector<std::string> &out) {
  for (const StmtPtr &s : body) {
    if (s->kind == StmtKind::Assign)
      for (const Target &t : s->targets)
        if (!llvm::is_contained(out, t.name))
          out.push_back(t.name);
    assignedNames(s->body, out);
    assignedNames(s->elseBody, out);
  }
}

bool Sema::execStmt(const Stmt &s, Env &env, SVal *ret) {
  switch (s.kind) {
  case StmtKind::Assign: {
    if (s.targets[0].index) {
      execStore(s.targets[0], *s.value, env);
      return false;
    }
    SVal v = eval(*s.value, env);
    if (s.targets.size() == 1) {
      if (s.targets[0].name == "training") {
        err(s.targets[0].loc, "'training' is predefined and cannot be assigned");
        return false;
      }
      env[s.targets[0].name] = v;
      return false;
    }
    if (v.isError()) {
      for (const Target &t : s.targets)
        env[t.name] = v;
      return false;
    }
    if (v.kind != SVal::Tuple || v.elems.size() != s.targets.size()) {
      err(s.value->loc, "expected " + std::to_string(s.targets.size()) +
                            " values to unpack, found " + describe(v));
      for (const Target &t : s.targets)
        env[t.name] = SVal::error();
      return false;
    }
    for (size_t i = 0; i < s.targets.size(); ++i)
      env[s.targets[i].name] = v.elems[i];
    return false;
  }
  case StmtKind::Param:
  case StmtKind::State:
    execParam(s, env);
    return false;
  case StmtKind::Return: {
    if (s.exprs.size() == 1) {
      *ret = eval(*s.exprs[0], env);
    } else {
      SVal t{SVal::Tuple};
      for (const ExprPtr &e : s.exprs) {
        SVal v = eval(*e, env);
        if (v.isError()) {
          *ret = v;
          return true;
        }
        t.elems.push_back(v);
      }
      *ret = t;
    }
    return true;
  }
  case StmtKind::For:
    execFor(s, env);
    return false;
  case StmtKind::If: {
    SVal c = eval(*s.value, env);
    if (c.isError())
      return false;
    if (c.kind != SVal::Bool) {
      err(s.value->loc, "an 'if' condition must be a bool known at compile time (such as "
                        "'training' or a hyperparameter), found " + describe(c));
      return false;
    }
    return execBlock(c.i ? s.body : s.elseBody, env, ret);
  }
  }
  return false;
}

/// `ys[:, t, :] = h`: step `t` of a sequence (the loop index selects one dimension, every
/// other subscript is a whole dimension) becomes `h`, an nn.put. `ys` is then the new tensor.
void Sema::execStore(const Target &t, const Expr &value, Env &env) {
  const Expr &e = *t.index;
  auto it = env.find(t.name);
  if (it == env.end() || it->second.isError()) {
    if (it == env.end())
      err(t.loc, "'" + t.name + "' must exist before one of its steps is assigned (such as " +
                     t.name + " = zeros([B, T, H]) before the loop)");
    env[t.name] = SVal::error();
    return;
  }
  SVal dest = expectTensor(it->second, t.loc, "assigning a step of", false);
  std::vector<SVal> subs;
  SVal v = eval(value, env);
  if (dest.isError() || !evalSubscripts(e, env, subs) || v.isError()) {
    env[t.name] = SVal::error();
    return;
  }
  int64_t rank = dest.type.shape.size(), axis = -1;
  for (int64_t d = 0; d < (int64_t)subs.size(); ++d) {
    const SVal &s = subs[d];
    SMLoc sl = e.kids[d + 1]->loc;
    bool whole = s.kind == SVal::List && s.s == "slice" &&
                 (s.elems[0].kind == SVal::None || s.elems[0].i == 0) &&
                 (s.elems[1].kind == SVal::None || s.elems[1].i >= dest.type.shape[d]) &&
                 (s.elems[2].kind == SVal::None || s.elems[2].i == 1);
    if (d < rank && s.kind == SVal::Index && axis < 0) {
      axis = d;
    } else if (d >= rank || !whole) {
      err(sl, "an assigned step is selected by one loop index, with ':' for every other "
              "dimension, found " + describe(s));
      env[t.name] = SVal::error();
      return;
    }
  }
  if (axis < 0) {
    err(e.loc, "an assignment to '" + t.name + "[...]' needs a loop index to say which step");
    env[t.name] = SVal::error();
    return;
  }
  TensorType step = dest.type;
  step.shape.erase(step.shape.begin() + axis);
  bool number = v.kind == SVal::Int || v.kind == SVal::Float;
  SVal src = number ? constant(v.num(), step, value.loc) : v;
  if (src.kind != SVal::Tensor || src.type.shape != step.shape || src.type.elem != step.elem) {
    err(value.loc, "a step of " + t.name + ": " + dest.type.str() + " along dimension " +
                       std::to_string(axis) + " is " + step.str() + ", the value is " +
                       (src.kind == SVal::Tensor ? src.type.str() : describe(src)));
    env[t.name] = SVal::error();
    return;
  }
  POp &op = emit(OpKind::Put, t.loc, {dest.id, src.id, subs[axis].id}, {dest.type});
  op.i = axis;
  env[t.name] = tensor(op.results[0]);
}

void Sema::execFor(const Stmt &s, Env &env) {
  SVal lo = eval(*s.exprs[0], env), hi = eval(*s.exprs[1], env);
  if (lo.isError() || hi.isError())
    return;
  if (lo.kind != SVal::Int || hi.kind != SVal::Int) {
    err(lo.kind != SVal::Int ? s.exprs[0]->loc : s.exprs[1]->loc,
        "loop bounds must be integers known at compile time, found " +
            describe(lo.kind != SVal::Int ? lo : hi));
    return;
  }
  if (hi.i <= lo.i) {
    err(s.exprs[1]->loc, "the loop range " + std::to_string(lo.i) + " .. " +
                             std::to_string(hi.i) + " is empty");
    return;
  }
  // The loop's carried state: the names the body assigns that exist before the loop.
  std::vector<std::string> assigned, carried;
  assignedNames(s.body, assigned);
  for (const std::string &n : assigned) {
    auto it = env.find(n);
    if (it == env.end())
      continue;
    if (it->second.isError())
      return;
    if (it->second.kind != SVal::Tensor) {
      err(s.loc, "'" + n + "' is assigned in the loop but holds " + describe(it->second) +
                     ": only tensors can be carried from one iteration to the next");
      return;
    }
    carried.push_back(n);
  }

  POp loop;
  loop.kind = OpKind::For;
  loop.loc = s.loc;
  loop.i = lo.i;
  loop.i2 = hi.i;
  loop.body = std::make_unique<PBlock>();
  PBlock *body = loop.body.get();
  fn->values.push_back(PValue{true, false, {}});
  unsigned iv = fn->values.size() - 1;
  body->args.push_back(iv);
  Env inner = env;
  SVal ivv{SVal::Index};
  ivv.id = iv;
  if (s.name == "training") {
    err(s.nameLoc, "'training' is predefined and cannot be a loop variable");
    return;
  }
  inner[s.name] = ivv;
  for (const std::string &n : carried) {
    loop.operands.push_back(env[n].id);
    unsigned a = newValue(env[n].type);
    body->args.push_back(a);
    inner[n] = tensor(a);
  }

  PBlock *outer = block;
  block = body;
  int before = errors;
  SVal ret;
  if (execBlock(s.body, inner, &ret))
    err(s.loc, "'return' inside a loop is not allowed: assign to a variable and return after "
               "the loop");
  block = outer;
  if (errors != before) {
    for (const std::string &n : carried)
      env[n] = SVal::error();
    return;
  }
  for (const std::string &n : carried) {
    const SVal &v = inner[n];
    if (v.kind != SVal::Tensor || v.type != env[n].type) {
      err(s.loc, "'" + n + "' is carried through the loop as " + env[n].type.str() +
                     " but the body makes it " + describe(v));
      env[n] = SVal::error();
      return;
    }
    body->yields.push_back(v.id);
  }
  for (const std::string &n : carried)
    loop.results.push_back(newValue(env[n].type));
  std::vector<unsigned> results = loop.results;
  block->ops.push_back(std::move(loop));
  for (size_t i = 0; i < carried.size(); ++i)
    env[carried[i]] = tensor(results[i]);
}

void Sema::execParam(const Stmt &s, Env &env) {
  bool isParam = s.kind == StmtKind::Param;
  // Until the declaration succeeds, the name is an error value: uses stay silent.
  env[s.name] = SVal::error();
  TensorType t;
  if (!evalType(s.type, env, t))
    return;
  if (!isFloat(t.elem)) {
    err(s.type.loc, "parameters and state must have a floating-point type, found " + t.str());
    return;
  }
  Init init;
  if (!computeInit(*s.value, env, t, init))
    return;
  std::string prefix = frames.back().prefix;
  std::string name = prefix.empty() ? s.name : prefix + "." + s.name;
  if (!paramNames.insert(name).second) {
    err(s.nameLoc, "'" + s.name + "' is declared twice (parameter and state names must be "
                   "unique in a layer, and a declaration cannot be in a loop)");
    return;
  }
  unsigned id = newValue(t);
  PArg a{isParam ? ArgRole::Param : ArgRole::State, name, id, s.nameLoc, init, false};
  fn->args.push_back(a);
  env[s.name] = tensor(id);
  if (!isParam)
    stateStack.back().push_back(StateDecl{s.name, name, id, s.nameLoc});
}

bool Sema::computeInit(const Expr &e, Env &env, const TensorType &t, Init &init) {
  std::string name = e.kind == ExprKind::Name || e.kind == ExprKind::Call ? e.str : "";
  if (name.empty() || !llvm::is_contained(kInitializers, name)) {
    if (e.kind == ExprKind::Int || e.kind == ExprKind::Float) {
      init = Init{"constant", e.kind == ExprKind::Int ? double(e.intVal) : e.floatVal, 0};
      return true;
    }
    std::string list;
    for (const char *n : kInitializers)
      list += (list.empty() ? "" : ", ") + std::string(n);
    err(e.loc, (name.empty() ? std::string("expected an initializer")
                             : "unknown initializer '" + name + "'") +
                   "; expected a number or one of " + list);
    return false;
  }
  // Evaluate the arguments as numbers.
  std::vector<SVal> pos;
  std::map<std::string, SVal> kw;
  for (const CallArg &a : e.args) {
    SVal v = eval(*a.value, env);
    if (v.isError())
      return false;
    if (!v.isNumber()) {
      err(a.value->loc, "initializer arguments must be numbers, found " + describe(v));
      return false;
    }
    if (a.name.empty())
      pos.push_back(v);
    else
      kw[a.name] = v;
  }
  auto arg = [&](size_t i, const char *key, double def, bool required = false) -> double {
    if (kw.count(key))
      return kw[key].num();
    if (i < pos.size())
      return pos[i].num();
    if (required)
      err(e.loc, "initializer '" + name + "' needs the argument '" + key + "'");
    return def;
  };
  // Fans as PyTorch computes them, for our layouts: [in, out] for a dense weight, OIHW for a
  // convolution filter, [n] for a vector.
  int64_t rank = t.shape.size();
  double receptive = 1;
  for (int64_t d = 2; d < rank; ++d)
    receptive *= t.shape[d];
  double fanIn = rank == 0   ? 1
                 : rank == 1 ? t.shape[0]
                 : rank == 2 ? t.shape[0]
                             : t.shape[1] * receptive;
  double fanOut = rank == 0   ? 1
                  : rank == 1 ? t.shape[0]
                  : rank == 2 ? t.shape[1]
                              : t.shape[0] * receptive;
  fanIn = arg(99, "fan_in", fanIn);
  fanOut = arg(99, "fan_out", fanOut);
  int before = errors;
  for (auto &kv : kw)
    if (!llvm::is_contained({"fan_in", "fan_out", "low", "high", "mean", "std", "value", "gain"},
                            kv.first))
      err(e.loc, "initializer '" + name + "' has no argument '" + kv.first + "'");
  if (name == "zeros")
    init = {"constant", 0, 0};
  else if (name == "ones")
    init = {"constant", 1, 0};
  else if (name == "constant")
    init = {"constant", arg(0, "value", 0, true), 0};
  else if (name == "uniform") {
    // Both bounds are required: missing ones are reported in order, low first.
    double low = arg(0, "low", 0, true);
    double high = arg(1, "high", 0, true);
    init = {"uniform", low, high};
  } else if (name == "normal")
    init = {"normal", arg(0, "mean", 0), arg(1, "std", 1)};
  else if (name == "glorot_uniform" || name == "xavier_uniform") {
    double a = arg(0, "gain", 1) * std::sqrt(6.0 / (fanIn + fanOut));
    init = {"uniform", -a, a};
  } else if (name == "glorot_normal" || name == "xavier_normal")
    init = {"normal", 0, arg(0, "gain", 1) * std::sqrt(2.0 / (fanIn + fanOut))};
  else if (name == "he_uniform" || name == "kaiming_uniform") {
    double a = arg(0, "gain", std::sqrt(2.0)) * std::sqrt(3.0 / fanIn);
    init = {"uniform", -a, a};
  } else if (name == "he_normal" || name == "kaiming_normal")
    init = {"normal", 0, arg(0, "gain", std::sqrt(2.0)) / std::sqrt(fanIn)};
  else if (name == "torch_default") {
    double a = 1.0 / std::sqrt(fanIn);
    init = {"uniform", -a, a};
  }
  return errors == before && checkInit(e, init);
}

/// The parameters of an initializer are sensible: low < high, std > 0, all finite.
bool Sema::checkInit(const Expr &e, const Init &init) {
  if (init.dist == "uniform" && !(init.a < init.b)) {
    err(e.loc, "uniform(low, high) needs low < high, found low = " + std::to_string(init.a) +
                   " and high = " + std::to_string(init.b));
    return false;
  }
  if (init.dist == "normal" && !(init.b > 0)) {
    err(e.loc, "normal(mean, std) needs std > 0, found " + std::to_string(init.b));
    return false;
  }
  if (!std::isfinite(init.a) || !std::isfinite(init.b)) {
    err(e.loc, "the initializer's parameters are not finite");
    return false;
  }
  return true;
}
