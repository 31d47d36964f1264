//===- Sema.cpp - Checking and instantiating a model ----------------------===//
//
// Sema is an abstract interpreter of the model language. It walks the chosen model's body
// with an environment of values: compile-time numbers, bools, strings and lists are evaluated
// on the spot; tensors are symbolic, with a static type, and every operation on them appends
// one typed op to the program being built (Program.h). A call to a layer binds the argument
// shapes against the layer's parameter patterns (`x: f32[B, I]` binds I), then walks the
// layer's body in a fresh scope: each call site is one instance that owns its parameters,
// named `<layer>_<k>` after its source position, nested with dots.
//
// Loops are walked once: the names a loop body assigns that exist before the loop are its
// carried state, and their types must not change. `if` conditions are compile-time values
// (`training`, hyperparameters), so only the taken branch is instantiated.
//
// Errors are reported at the offending source position, with a note per enclosing layer
// call; the value becomes an error value that silences follow-on errors, so one run reports
// every independent error.
//
//===----------------------------------------------------------------------===//

#include "nnc/Frontend/Frontend.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/GlobPattern.h"

#include <cmath>
#include <map>
#include <set>

using namespace nnc;
using llvm::SMLoc;
using llvm::StringRef;

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

/// A number as a user wrote it: 0.001, 1e-08, 3.
static std::string fmtNum(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

namespace {

/// A value during instantiation.
struct SVal {
  enum Kind { Error, None, Int, Float, Bool, String, Tensor, Index, List, Tuple } kind = None;
  int64_t i = 0;
  double f = 0;
  std::string s;
  unsigned id = 0; // Program value (Tensor, Index).
  TensorType type;
  std::vector<SVal> elems; // List, Tuple.

  SVal(Kind kind = None) : kind(kind) {}

  static SVal error() { return SVal{Error}; }
  static SVal ofInt(int64_t v) { SVal x{Int}; x.i = v; return x; }
  static SVal ofFloat(double v) { SVal x{Float}; x.f = v; return x; }
  static SVal ofBool(bool v) { SVal x{Bool}; x.i = v; return x; }
  bool isNumber() const { return kind == Int || kind == Float; }
  double num() const { return kind == Int ? double(i) : f; }
  bool isError() const { return kind == Error; }
};

std::string describe(const SVal &v) {
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

using Env = std::map<std::string, SVal>;

/// What a call to a builtin expects of an argument.
enum class AK { Tensor, Int, Number, Bool, String, Ints, Any };

struct ArgSpec {
  const char *name;
  AK kind;
  bool required = true;
};

struct Frame {
  const FuncDecl *decl;
  SMLoc callLoc;
  std::string prefix;
};

/// State buffers declared by one layer instance: the variable name and the argument.
struct StateDecl {
  std::string var;
  std::string name;
  unsigned argValue;
  SMLoc loc;
};

class Sema {
public:
  Sema(const Frontend &fe, const FrontendOptions &opts) : fe(fe), opts(opts) {}

  mlir::FailureOr<Program> run(llvm::ArrayRef<std::unique_ptr<FileAST>> user,
                               llvm::ArrayRef<std::unique_ptr<FileAST>> stdlib);

private:
  // Diagnostics.
  mlir::InFlightDiagnostic err(SMLoc loc, const llvm::Twine &msg) {
    ++errors;
    auto d = fe.error(loc, msg);
    for (auto it = frames.rbegin(); it != frames.rend(); ++it)
      if (it->callLoc.isValid())
        d.attachNote(fe.loc(it->callLoc)) << "in the call to '" << it->decl->name << "' here";
    return d;
  }

  // Declarations.
  void collect(llvm::ArrayRef<std::unique_ptr<FileAST>> files, bool isStd);
  void nameCallSites(const std::vector<StmtPtr> &body, std::map<std::string, int> &counts);
  void nameCallSitesExpr(const Expr &e, std::map<std::string, int> &counts);
  bool isBuiltin(StringRef name) const;

  // Instantiation.
  bool buildFunction(const FuncDecl &model, bool training, const TrainDecl *train,
                     PFunction &out);
  SVal callLayer(const FuncDecl &decl, const Expr &call, std::vector<SVal> pos,
                 std::vector<std::pair<const CallArg *, SVal>> kw);
  bool bindPattern(const TypeExpr &pattern, const SVal &actual, Env &env, SMLoc loc,
                   const std::string &what);
  bool evalType(const TypeExpr &t, Env &env, TensorType &out);
  bool execBlock(const std::vector<StmtPtr> &body, Env &env, SVal *ret);
  bool execStmt(const Stmt &s, Env &env, SVal *ret);
  void execFor(const Stmt &s, Env &env);
  void execParam(const Stmt &s, Env &env);
  SVal eval(const Expr &e, Env &env);
  SVal evalBinary(const Expr &e, SVal l, SVal r);
  SVal evalCall(const Expr &e, Env &env);
  SVal evalIndex(const Expr &e, Env &env);
  SVal callBuiltin(const Expr &e, StringRef name, std::vector<SVal> &pos,
                   std::vector<std::pair<const CallArg *, SVal>> &kw);
  bool bindArgs(const Expr &call, StringRef fname, llvm::ArrayRef<ArgSpec> specs,
                std::vector<SVal> &pos, std::vector<std::pair<const CallArg *, SVal>> &kw,
                std::vector<SVal> &out);
  bool computeInit(const Expr &e, Env &env, const TensorType &type, Init &init);

  // Emission.
  unsigned newValue(const TensorType &t) {
    fn->values.push_back(PValue{false, false, t});
    return fn->values.size() - 1;
  }
  POp &emit(OpKind kind, SMLoc loc, std::vector<unsigned> operands,
            llvm::ArrayRef<TensorType> resultTypes) {
    POp op;
    op.kind = kind;
    op.loc = loc;
    op.operands = std::move(operands);
    for (const TensorType &t : resultTypes)
      op.results.push_back(newValue(t));
    block->ops.push_back(std::move(op));
    return block->ops.back();
  }
  SVal tensor(unsigned id) {
    SVal v{SVal::Tensor};
    v.id = id;
    v.type = fn->values[id].type;
    return v;
  }
  SVal emit1(OpKind kind, SMLoc loc, std::vector<unsigned> operands, const TensorType &t) {
    return tensor(emit(kind, loc, std::move(operands), {t}).results[0]);
  }
  SVal constant(double v, const TensorType &t, SMLoc loc) {
    POp &op = emit(OpKind::Constant, loc, {}, {t});
    op.f = v;
    return tensor(op.results[0]);
  }
  SVal broadcastTo(const SVal &x, const std::vector<int64_t> &shape, SMLoc loc);
  SVal toTensorLike(const SVal &v, const SVal &like, SMLoc loc);
  SVal reduce(OpKind kind, const SVal &x, std::vector<int64_t> axes, bool keep, SMLoc loc);
  bool normAxis(int64_t &axis, int64_t rank, SMLoc loc);
  SVal expectTensor(const SVal &v, SMLoc loc, StringRef what, bool wantFloat = true);
  bool checkSize(const std::vector<int64_t> &shape, SMLoc loc);

  // Train block.
  void checkTrain(const TrainDecl &t, Program &prog);
  bool checkRecord(const TrainEntry &e, const Expr &v, ConfigValue &out,
                   llvm::ArrayRef<StringRef> allowedNames, StringRef what);
  void checkFreeze(PFunction &f);

  const Frontend &fe;
  const FrontendOptions &opts;
  int errors = 0;
  llvm::StringMap<const FuncDecl *> funcs;  // Layers.
  llvm::StringMap<const FuncDecl *> models;
  llvm::StringSet<> stdNames;
  std::map<const Expr *, std::string> siteNames;
  std::vector<Frame> frames;
  std::vector<std::vector<StateDecl>> stateStack;
  PFunction *fn = nullptr;
  PBlock *block = nullptr;
  bool training = false;
  int64_t batch = 1;
  int64_t streams = 0;
  int rngArg = -1;
  std::set<std::string> paramNames;
  std::vector<std::string> freezePatterns;
  std::vector<SMLoc> freezeLocs;
};

} // namespace

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

static const char *const kBuiltins[] = {
    "relu", "tanh", "sigmoid", "exp", "log", "sqrt", "rsqrt", "abs", "square", "sign",
    "maximum", "minimum", "where", "matmul", "sum", "mean", "amax", "argmax", "reshape",
    "transpose", "concat", "softmax", "log_softmax", "conv", "maxpool", "avgpool",
    "batch_norm_train", "batch_norm_infer", "softmax_cross_entropy", "mean_squared_error",
    "rand", "zeros", "ones", "full", "shape", "len", "numel", "f32", "f64", "i32", "i64", "float",
    "int", "min", "max"};

static const char *const kInitializers[] = {
    "zeros", "ones", "constant", "uniform", "normal", "glorot_uniform", "glorot_normal",
    "xavier_uniform", "xavier_normal", "he_uniform", "he_normal", "kaiming_uniform",
    "kaiming_normal", "torch_default"};

bool Sema::isBuiltin(StringRef name) const { return llvm::is_contained(kBuiltins, name); }

void Sema::collect(llvm::ArrayRef<std::unique_ptr<FileAST>> files, bool isStd) {
  for (const auto &file : files) {
    for (const auto &f : file->funcs) {
      // Models live in their own namespace: they are entry points, never called, so a model
      // may share its name with the layer it is built around (model rnn uses layer rnn).
      if (f->isModel) {
        auto [it, fresh] = models.try_emplace(f->name, f.get());
        if (!fresh)
          err(f->loc, "redefinition of model '" + f->name + "'")
                  .attachNote(fe.loc(it->second->loc))
              << "the previous definition is here";
        continue;
      }
      if (isBuiltin(f->name)) {
        err(f->loc, "'" + f->name + "' is a builtin operation and cannot be redefined");
        continue;
      }
      auto it = funcs.find(f->name);
      if (it != funcs.end()) {
        // A user definition replaces the standard library's.
        if (isStd)
          continue;
        if (stdNames.contains(f->name)) {
          stdNames.erase(f->name);
          it->second = f.get();
          continue;
        }
        err(f->loc, "redefinition of '" + f->name + "'")
                .attachNote(fe.loc(it->second->loc))
            << "the previous definition is here";
        continue;
      }
      funcs[f->name] = f.get();
      if (isStd)
        stdNames.insert(f->name);
    }
  }
}

void Sema::nameCallSitesExpr(const Expr &e, std::map<std::string, int> &counts) {
  for (const ExprPtr &k : e.kids)
    if (k)
      nameCallSitesExpr(*k, counts);
  for (const CallArg &a : e.args)
    nameCallSitesExpr(*a.value, counts);
  if (e.kind == ExprKind::Call && funcs.count(e.str))
    siteNames[&e] = e.str + "_" + std::to_string(counts[e.str]++);
}

void Sema::nameCallSites(const std::vector<StmtPtr> &body, std::map<std::string, int> &counts) {
  for (const StmtPtr &s : body) {
    if (s->value)
      nameCallSitesExpr(*s->value, counts);
    for (const ExprPtr &e : s->exprs)
      nameCallSitesExpr(*e, counts);
    nameCallSites(s->body, counts);
    nameCallSites(s->elseBody, counts);
  }
}

//===----------------------------------------------------------------------===//
// Helpers
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

//===----------------------------------------------------------------------===//
// Types and patterns
//===----------------------------------------------------------------------===//

static bool elemFromName(StringRef name, ElemType floatType, ElemType &out) {
  if (name == "f32") out = floatType;
  else if (name == "f64") out = ElemType::F64;
  else if (name == "i32") out = ElemType::I32;
  else if (name == "i64") out = ElemType::I64;
  else if (name == "u8") out = ElemType::U8;
  else if (name == "i1") out = ElemType::I1;
  else return false;
  return true;
}

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

//===----------------------------------------------------------------------===//
// Functions and layers
//===----------------------------------------------------------------------===//

bool Sema::buildFunction(const FuncDecl &model, bool isTraining, const TrainDecl *train,
                         PFunction &out) {
  fn = &out;
  block = &out.body;
  training = isTraining;
  streams = 0;
  rngArg = -1;
  paramNames.clear();
  out.training = isTraining;
  out.loc = model.loc;
  out.name = isTraining ? model.name + "_loss" : model.name;
  int before = errors;

  Frame frame{&model, SMLoc(), ""};
  frames.push_back(frame);
  stateStack.emplace_back();
  Env env;
  env["training"] = SVal::ofBool(isTraining);
  // Model inputs: tensors whose leading dimension, when a name, is the batch.
  for (const ParamDecl &p : model.params) {
    if (p.type.kind != TypeExpr::Tensor) {
      if (!p.defaultValue) {
        err(p.loc, "model parameter '" + p.name + "' needs a default value: only tensor "
                   "parameters are inputs");
        continue;
      }
      SVal v = eval(*p.defaultValue, env);
      if (bindPattern(p.type, v, env, p.defaultValue->loc, "'" + p.name + "'"))
        env[p.name] = v;
      continue;
    }
    TensorType t;
    elemFromName(p.type.elem, opts.floatType, t.elem);
    bool ok = true;
    for (size_t i = 0; i < p.type.dims.size(); ++i) {
      const Expr &d = *p.type.dims[i];
      if (d.kind == ExprKind::Name && !env.count(d.str) && i == 0) {
        env[d.str] = SVal::ofInt(batch);
        t.shape.push_back(batch);
        continue;
      }
      if (d.kind == ExprKind::Ellipsis) {
        err(d.loc, "a model input needs a complete shape: '...' is for layer parameters");
        ok = false;
        break;
      }
      SVal v = eval(d, env);
      if (v.isError()) {
        ok = false;
        break;
      }
      if (v.kind != SVal::Int || v.i <= 0) {
        err(d.loc, "expected a positive integer dimension or the batch name in the first "
                   "position, found " + describe(v));
        ok = false;
        break;
      }
      t.shape.push_back(v.i);
    }
    if (!ok || !checkSize(t.shape, p.type.loc))
      continue;
    unsigned id = newValue(t);
    out.args.push_back(PArg{ArgRole::Input, p.name, id, p.loc, {}, false});
    env[p.name] = tensor(id);
  }
  if (errors != before) {
    frames.pop_back();
    stateStack.pop_back();
    return false;
  }

  SVal result;
  execBlock(model.body, env, &result);
  if (!result.isError() && model.result) {
    if (model.result->kind == TypeExpr::Tensor) {
      TensorType expected;
      if (evalType(*model.result, env, expected) && result.kind == SVal::Tensor &&
          result.type != expected)
        err(model.result->loc, "model '" + model.name + "' is declared to return " +
                                   expected.str() + " but returns " + result.type.str());
    }
  }
  if (result.kind == SVal::None && errors == before)
    err(model.loc, "model '" + model.name + "' does not return a value");

  std::vector<StateDecl> states = std::move(stateStack.back());
  stateStack.pop_back();
  frames.pop_back();
  if (errors != before)
    return false;

  if (!isTraining) {
    auto addResult = [&](const SVal &v) {
      if (v.kind == SVal::Tensor)
        out.results.push_back(PResult{ResultRole::Output, "", v.id});
      else if (!v.isError())
        err(model.loc, "a model must return tensors, found " + describe(v));
    };
    if (result.kind == SVal::Tuple)
      for (const SVal &v : result.elems)
        addResult(v);
    else
      addResult(result);
  } else {
    // The loss: a layer called with the model's output and the labels.
    const TrainEntry *lossEntry = nullptr;
    for (const TrainEntry &e : train->entries)
      if (e.key == "loss")
        lossEntry = &e;
    if (!lossEntry) {
      err(train->loc, "the train block needs a 'loss' (such as 'loss = cross_entropy')");
      return false;
    }
    const Expr &lv = *lossEntry->value;
    auto it = funcs.find(lv.kind == ExprKind::Name ? lv.str : "");
    if (lv.kind != ExprKind::Name || it == funcs.end()) {
      // Reported by the train-block check.
      return false;
    }
    const FuncDecl &lossDecl = *it->second;
    if (result.kind != SVal::Tensor) {
      err(lossEntry->loc, "the loss needs a model with one tensor output, found " +
                              describe(result));
      return false;
    }
    if (lossDecl.params.size() < 2 || lossDecl.params[1].type.kind != TypeExpr::Tensor) {
      err(lossEntry->loc, "a loss is a layer taking (output, labels), and '" + lossDecl.name +
                              "' does not");
      return false;
    }
    TensorType labelType;
    ElemType le;
    elemFromName(lossDecl.params[1].type.elem, opts.floatType, le);
    if (isFloat(le))
      labelType = result.type;
    else
      labelType = TensorType{le, {batch}};
    unsigned labels = newValue(labelType);
    out.args.push_back(PArg{ArgRole::Labels, "labels", labels, lossEntry->loc, {}, false});
    Expr fake(ExprKind::Call, lossEntry->value->loc);
    fake.str = lossDecl.name;
    SVal loss = callLayer(lossDecl, fake, {result, tensor(labels)}, {});
    if (loss.isError())
      return false;
    if (loss.kind != SVal::Tensor || !loss.type.shape.empty() || !isFloat(loss.type.elem)) {
      err(lossEntry->value->loc, "the loss '" + lossDecl.name +
                                     "' must return a scalar (f32[]), found " + describe(loss));
      return false;
    }
    out.results.insert(out.results.begin(), PResult{ResultRole::Loss, "", loss.id});
  }
  // State updates of the model's own `state` declarations.
  for (const StateDecl &sd : states) {
    const SVal &v = env[sd.var];
    if (isTraining && v.kind == SVal::Tensor && v.id != sd.argValue)
      out.results.push_back(PResult{ResultRole::State, sd.name, v.id});
  }
  // Nested instances added their state results themselves (callLayer).
  return errors == before;
}

SVal Sema::callLayer(const FuncDecl &decl, const Expr &call, std::vector<SVal> pos,
                     std::vector<std::pair<const CallArg *, SVal>> kw) {
  if (frames.size() > 64) {
    err(call.loc, "layer calls nested more than 64 deep (is '" + decl.name + "' recursive?)");
    return SVal::error();
  }
  for (const Frame &f : frames)
    if (f.decl == &decl) {
      err(call.loc, "'" + decl.name + "' calls itself: layers cannot be recursive");
      return SVal::error();
    }
  for (const SVal &v : pos)
    if (v.isError())
      return v;
  for (auto &kv : kw)
    if (kv.second.isError())
      return kv.second;

  // Bind arguments to parameters.
  std::vector<const SVal *> bound(decl.params.size(), nullptr);
  std::vector<SMLoc> argLocs(decl.params.size(), call.loc);
  if (pos.size() > decl.params.size()) {
    err(call.loc, "'" + decl.name + "' takes " + std::to_string(decl.params.size()) +
                      " arguments, but " + std::to_string(pos.size()) + " were given");
    return SVal::error();
  }
  for (size_t i = 0; i < pos.size(); ++i) {
    bound[i] = &pos[i];
    if (i < call.args.size())
      argLocs[i] = call.args[i].value->loc;
  }
  for (auto &kv : kw) {
    auto it = llvm::find_if(decl.params, [&](const ParamDecl &p) { return p.name == kv.first->name; });
    if (it == decl.params.end()) {
      err(kv.first->nameLoc, "'" + decl.name + "' has no parameter named '" + kv.first->name + "'");
      return SVal::error();
    }
    size_t idx = it - decl.params.begin();
    if (bound[idx]) {
      err(kv.first->nameLoc, "parameter '" + kv.first->name + "' of '" + decl.name +
                                 "' is given twice");
      return SVal::error();
    }
    bound[idx] = &kv.second;
    argLocs[idx] = kv.first->value->loc;
  }

  std::string prefix;
  auto site = siteNames.find(&call);
  std::string siteName = site != siteNames.end() ? site->second : decl.name + "_0";
  // The loss is called outside any frame; its parameters (if any) are top-level names.
  prefix = frames.empty() || frames.back().prefix.empty() ? siteName
                                                          : frames.back().prefix + "." + siteName;

  Env env;
  env["training"] = SVal::ofBool(training);
  std::vector<SVal> defaults(decl.params.size());
  for (size_t i = 0; i < decl.params.size(); ++i) {
    const ParamDecl &p = decl.params[i];
    if (!bound[i]) {
      if (!p.defaultValue) {
        err(call.loc, "missing argument '" + p.name + "' in the call to '" + decl.name + "'");
        return SVal::error();
      }
      frames.push_back(Frame{&decl, call.loc, prefix});
      defaults[i] = eval(*p.defaultValue, env);
      frames.pop_back();
      bound[i] = &defaults[i];
      argLocs[i] = p.defaultValue->loc;
    }
    if (!bindPattern(p.type, *bound[i], env, argLocs[i],
                     "argument '" + p.name + "' of '" + decl.name + "'"))
      return SVal::error();
    SVal v = *bound[i];
    if (p.type.kind == TypeExpr::Float && v.kind == SVal::Int)
      v = SVal::ofFloat(double(v.i));
    env[p.name] = v;
  }

  frames.push_back(Frame{&decl, call.loc, prefix});
  stateStack.emplace_back();
  SVal result;
  int before = errors;
  execBlock(decl.body, env, &result);
  if (errors == before && result.kind == SVal::None)
    err(decl.loc, "layer '" + decl.name + "' does not return a value");
  if (errors == before && decl.result) {
    auto check = [&](const TypeExpr &t, const SVal &v) {
      if (t.kind == TypeExpr::Tensor) {
        TensorType expected;
        if (!evalType(t, env, expected))
          return;
        if (v.kind != SVal::Tensor || v.type != expected)
          err(t.loc, "'" + decl.name + "' is declared to return " + expected.str() +
                         " but returns " + describe(v));
      } else if (t.kind == TypeExpr::Tuple) {
        err(t.loc, "nested tuple types are not supported");
      } else if (!v.isNumber() && v.kind != SVal::Bool) {
        err(t.loc, "'" + decl.name + "' is declared to return a number but returns " +
                       describe(v));
      }
    };
    if (decl.result->kind == TypeExpr::Tuple) {
      if (result.kind != SVal::Tuple || result.elems.size() != decl.result->elems.size())
        err(decl.result->loc, "'" + decl.name + "' is declared to return " +
                                  std::to_string(decl.result->elems.size()) +
                                  " values but returns " + describe(result));
      else
        for (size_t i = 0; i < result.elems.size(); ++i)
          check(decl.result->elems[i], result.elems[i]);
    } else {
      check(*decl.result, result);
    }
  }
  // State variables updated by this instance become results of the function.
  for (const StateDecl &sd : stateStack.back()) {
    const SVal &v = env[sd.var];
    if (v.kind != SVal::Tensor || v.type != fn->values[sd.argValue].type) {
      if (errors == before)
        err(sd.loc, "state '" + sd.var + "' must keep its type " +
                        fn->values[sd.argValue].type.str() + ", found " + describe(v));
      continue;
    }
    if (training && v.id != sd.argValue)
      fn->results.push_back(PResult{ResultRole::State, sd.name, v.id});
  }
  stateStack.pop_back();
  frames.pop_back();
  return errors == before ? result : SVal::error();
}

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

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
  double fanIn = rank == 0 ? 1 : rank == 1 ? t.shape[0] : rank == 2 ? t.shape[0] : t.shape[1] * receptive;
  double fanOut = rank == 0 ? 1 : rank == 1 ? t.shape[0] : rank == 2 ? t.shape[1] : t.shape[0] * receptive;
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
  else if (name == "uniform")
    init = {"uniform", arg(0, "low", 0, true), arg(1, "high", 0, true)};
  else if (name == "normal")
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
  if (errors != before)
    return false;
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

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

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
  if (l.isNumber() && r.isNumber()) {
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
  if ((e.op == Tok::EqEq || e.op == Tok::Ne) && l.kind == r.kind &&
      (l.kind == SVal::Bool || l.kind == SVal::String)) {
    bool eq = l.kind == SVal::Bool ? l.i == r.i : l.s == r.s;
    return SVal::ofBool(e.op == Tok::EqEq ? eq : !eq);
  }
  // Index arithmetic: loop counters with integers.
  if ((l.kind == SVal::Index || r.kind == SVal::Index) &&
      (l.kind == SVal::Index || l.kind == SVal::Int) &&
      (r.kind == SVal::Index || r.kind == SVal::Int) &&
      (e.op == Tok::Plus || e.op == Tok::Minus || e.op == Tok::Star)) {
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
  bool lt = l.kind == SVal::Tensor, rt = r.kind == SVal::Tensor;
  if (!(lt || rt) || (!lt && !l.isNumber() && l.kind != SVal::Bool) ||
      (!rt && !r.isNumber() && r.kind != SVal::Bool)) {
    err(e.loc, "operator " + opName + " cannot combine " + describe(l) + " and " + describe(r));
    return SVal::error();
  }
  if (e.op == Tok::At) {
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

SVal Sema::evalIndex(const Expr &e, Env &env) {
  SVal base = eval(*e.kids[0], env);
  if (base.isError())
    return base;
  std::vector<SVal> subs;
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
          return v;
        if (v.kind != SVal::Int) {
          err(part->loc, "slice bounds must be integers known at compile time, found " +
                             describe(v));
          return SVal::error();
        }
        s.elems.push_back(v);
      }
      s.s = "slice";
      subs.push_back(s);
      continue;
    }
    SVal v = eval(k, env);
    if (v.isError())
      return v;
    subs.push_back(v);
  }
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
  std::vector<std::pair<const CallArg *, SVal>> kw;
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
  if (isBuiltin(e.str)) {
    for (const SVal &v : pos)
      if (v.isError())
        return v;
    for (auto &kv : kw)
      if (kv.second.isError())
        return kv.second;
    return callBuiltin(e, e.str, pos, kw);
  }
  if (llvm::is_contained(kInitializers, e.str)) {
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
  for (const char *b : kBuiltins)
    consider(b);
  err(e.loc, "unknown layer or function '" + e.str + "'" +
                 (best.empty() ? std::string() : "; did you mean '" + best + "'?"));
  return SVal::error();
}

bool Sema::bindArgs(const Expr &call, StringRef fname, llvm::ArrayRef<ArgSpec> specs,
                    std::vector<SVal> &pos, std::vector<std::pair<const CallArg *, SVal>> &kw,
                    std::vector<SVal> &out) {
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
    case AK::Ints:
      if (v.kind == SVal::Int) {
        SVal l{SVal::List};
        l.elems.push_back(v);
        v = l;
      }
      ok = v.kind == SVal::List &&
           llvm::all_of(v.elems, [](const SVal &x) { return x.kind == SVal::Int; });
      break;
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

static std::vector<int64_t> ints(const SVal &v) {
  std::vector<int64_t> r;
  for (const SVal &x : v.elems)
    r.push_back(x.i);
  return r;
}

SVal Sema::callBuiltin(const Expr &e, StringRef name, std::vector<SVal> &pos,
                       std::vector<std::pair<const CallArg *, SVal>> &kw) {
  std::vector<SVal> a;
  SMLoc loc = e.loc;
  auto argLoc = [&](size_t i) { return i < e.args.size() ? e.args[i].value->loc : loc; };

  // Elementwise unary math; on numbers it folds (initializers use sqrt).
  static const std::pair<const char *, OpKind> unary[] = {
      {"relu", OpKind::Relu}, {"tanh", OpKind::Tanh},   {"sigmoid", OpKind::Sigmoid},
      {"exp", OpKind::Exp},   {"log", OpKind::Log},     {"sqrt", OpKind::Sqrt},
      {"rsqrt", OpKind::Rsqrt}, {"abs", OpKind::Abs},   {"square", OpKind::Square},
      {"sign", OpKind::Sign}};
  for (auto &u : unary) {
    if (name != u.first)
      continue;
    if (!bindArgs(e, name, {{"x", AK::Any}}, pos, kw, a))
      return SVal::error();
    if (a[0].isNumber()) {
      double x = a[0].num();
      double r = name == "sqrt" ? std::sqrt(x) : name == "exp" ? std::exp(x)
               : name == "log" ? std::log(x) : name == "abs" ? std::fabs(x)
               : name == "tanh" ? std::tanh(x) : name == "relu" ? std::max(x, 0.0)
               : name == "sigmoid" ? 1 / (1 + std::exp(-x)) : name == "rsqrt" ? 1 / std::sqrt(x)
               : name == "square" ? x * x : (x > 0) - (x < 0);
      if (!std::isfinite(r)) {
        err(loc, "'" + name + "' of " + std::to_string(x) + " is not a finite number");
        return SVal::error();
      }
      return SVal::ofFloat(r);
    }
    SVal x = expectTensor(a[0], argLoc(0), "'" + name.str() + "'");
    if (x.isError())
      return x;
    return emit1(u.second, loc, {x.id}, x.type);
  }

  if (name == "min" || name == "max") {
    if (!bindArgs(e, name, {{"a", AK::Number}, {"b", AK::Number}}, pos, kw, a))
      return SVal::error();
    double r = name == "min" ? std::min(a[0].f, a[1].f) : std::max(a[0].f, a[1].f);
    bool ints = pos.size() == 2 && pos[0].kind == SVal::Int && pos[1].kind == SVal::Int;
    return ints ? SVal::ofInt(int64_t(r)) : SVal::ofFloat(r);
  }
  if (name == "maximum" || name == "minimum") {
    if (!bindArgs(e, name, {{"a", AK::Any}, {"b", AK::Any}}, pos, kw, a))
      return SVal::error();
    SVal l = a[0], r = a[1];
    if (l.kind != SVal::Tensor && r.kind != SVal::Tensor) {
      err(loc, "'" + name + "' needs at least one tensor (use min/max for numbers)");
      return SVal::error();
    }
    Expr fake(ExprKind::Binary, loc);
    fake.op = Tok::Plus;
    fake.kids.push_back(std::make_unique<Expr>(ExprKind::Int, argLoc(0)));
    fake.kids.push_back(std::make_unique<Expr>(ExprKind::Int, argLoc(1)));
    // Reuse the broadcasting of '+' and retarget the op.
    SVal s = evalBinary(fake, l, r);
    if (s.isError())
      return s;
    block->ops.back().kind = name == "maximum" ? OpKind::Max : OpKind::Min;
    return s;
  }
  if (name == "where") {
    if (!bindArgs(e, name, {{"cond", AK::Tensor}, {"a", AK::Any}, {"b", AK::Any}}, pos, kw, a))
      return SVal::error();
    SVal c = a[0];
    if (c.type.elem != ElemType::I1) {
      err(argLoc(0), "'where' needs a bool condition (a comparison), found " + c.type.str());
      return SVal::error();
    }
    SVal x = a[1], y = a[2];
    if (x.kind != SVal::Tensor && y.kind != SVal::Tensor) {
      err(loc, "'where' needs a tensor for 'a' or 'b'");
      return SVal::error();
    }
    if (x.kind != SVal::Tensor)
      x = toTensorLike(x, y, argLoc(1));
    if (y.kind != SVal::Tensor)
      y = toTensorLike(y, x, argLoc(2));
    if (x.isError() || y.isError())
      return SVal::error();
    if (x.type.elem != y.type.elem) {
      err(loc, "'where' needs 'a' and 'b' of one element type, found " + x.type.str() + " and " +
                   y.type.str());
      return SVal::error();
    }
    std::vector<int64_t> shape = c.type.shape;
    for (const SVal *v : {&x, &y}) {
      if (v->type.shape != shape && v->type.shape.size() <= shape.size()) {
        bool ok = true;
        size_t off = shape.size() - v->type.shape.size();
        for (size_t i = 0; i < v->type.shape.size(); ++i)
          ok &= v->type.shape[i] == 1 || v->type.shape[i] == shape[off + i];
        if (!ok) {
          err(loc, "'where' cannot broadcast " + v->type.str() + " to the condition's shape " +
                       c.type.str());
          return SVal::error();
        }
      } else if (v->type.shape != shape) {
        err(loc, "'where' cannot broadcast " + v->type.str() + " to the condition's shape " +
                     c.type.str());
        return SVal::error();
      }
    }
    x = broadcastTo(x, shape, loc);
    y = broadcastTo(y, shape, loc);
    return emit1(OpKind::Select, loc, {c.id, x.id, y.id}, x.type);
  }
  if (name == "matmul") {
    if (!bindArgs(e, name, {{"a", AK::Tensor}, {"b", AK::Tensor}, {"transpose_a", AK::Bool, false},
                            {"transpose_b", AK::Bool, false}}, pos, kw, a))
      return SVal::error();
    SVal l = a[0], r = a[1];
    bool ta = a[2].kind == SVal::Bool && a[2].i, tb = a[3].kind == SVal::Bool && a[3].i;
    if (l.type.shape.size() != 2 || r.type.shape.size() != 2 || l.type.elem != r.type.elem ||
        !isFloat(l.type.elem)) {
      err(loc, "'matmul' needs two floating-point matrices of one type, found " + l.type.str() +
                   " and " + r.type.str());
      return SVal::error();
    }
    int64_t m = ta ? l.type.shape[1] : l.type.shape[0], k = ta ? l.type.shape[0] : l.type.shape[1];
    int64_t k2 = tb ? r.type.shape[1] : r.type.shape[0], n = tb ? r.type.shape[0] : r.type.shape[1];
    if (k != k2) {
      err(loc, "'matmul' needs the inner dimensions to agree, found " + std::to_string(k) +
                   " and " + std::to_string(k2));
      return SVal::error();
    }
    POp &op = emit(OpKind::Matmul, loc, {l.id, r.id}, {TensorType{l.type.elem, {m, n}}});
    op.flag = ta;
    op.flag2 = tb;
    return tensor(op.results[0]);
  }
  if (name == "sum" || name == "mean" || name == "amax") {
    if (!bindArgs(e, name, {{"x", AK::Tensor}, {"axis", AK::Ints, false},
                            {"keepdims", AK::Bool, false}}, pos, kw, a))
      return SVal::error();
    SVal x = expectTensor(a[0], argLoc(0), "'" + name.str() + "'");
    if (x.isError())
      return x;
    std::vector<int64_t> axes;
    int64_t rank = x.type.shape.size();
    if (a[1].kind == SVal::None) {
      for (int64_t d = 0; d < rank; ++d)
        axes.push_back(d);
    } else {
      for (int64_t ax : ints(a[1])) {
        if (!normAxis(ax, rank, argLoc(1)))
          return SVal::error();
        axes.push_back(ax);
      }
    }
    OpKind k = name == "sum" ? OpKind::ReduceSum : name == "mean" ? OpKind::ReduceMean
                                                                  : OpKind::ReduceMax;
    return reduce(k, x, axes, a[2].kind == SVal::Bool && a[2].i, loc);
  }
  if (name == "argmax") {
    if (!bindArgs(e, name, {{"x", AK::Tensor}, {"axis", AK::Int, false}}, pos, kw, a))
      return SVal::error();
    int64_t axis = a[1].kind == SVal::Int ? a[1].i : -1;
    if (!normAxis(axis, a[0].type.shape.size(), argLoc(1)))
      return SVal::error();
    TensorType t{ElemType::I32, a[0].type.shape};
    t.shape.erase(t.shape.begin() + axis);
    POp &op = emit(OpKind::Argmax, loc, {a[0].id}, {t});
    op.i = axis;
    return tensor(op.results[0]);
  }
  if (name == "reshape") {
    if (!bindArgs(e, name, {{"x", AK::Tensor}, {"shape", AK::Ints}}, pos, kw, a))
      return SVal::error();
    std::vector<int64_t> shape = ints(a[1]);
    int64_t known = 1, infer = -1;
    for (size_t i = 0; i < shape.size(); ++i) {
      if (shape[i] == -1) {
        if (infer >= 0) {
          err(argLoc(1), "'reshape' can infer only one dimension (-1)");
          return SVal::error();
        }
        infer = i;
      } else if (shape[i] <= 0) {
        err(argLoc(1), "'reshape' dimensions must be positive or -1, found " +
                           std::to_string(shape[i]));
        return SVal::error();
      } else {
        known *= shape[i];
      }
    }
    int64_t n = a[0].type.numElements();
    if (infer >= 0) {
      if (n % known) {
        err(argLoc(1), "cannot reshape " + a[0].type.str() + " (" + std::to_string(n) +
                           " elements) with -1: " + std::to_string(known) + " does not divide it");
        return SVal::error();
      }
      shape[infer] = n / known;
      known = n;
    }
    if (known != n) {
      err(argLoc(1), "cannot reshape " + a[0].type.str() + " (" + std::to_string(n) +
                         " elements) to " + TensorType{a[0].type.elem, shape}.str());
      return SVal::error();
    }
    return emit1(OpKind::Reshape, loc, {a[0].id}, TensorType{a[0].type.elem, shape});
  }
  if (name == "transpose") {
    if (!bindArgs(e, name, {{"x", AK::Tensor}, {"perm", AK::Ints, false}}, pos, kw, a))
      return SVal::error();
    int64_t rank = a[0].type.shape.size();
    std::vector<int64_t> perm;
    if (a[1].kind == SVal::None) {
      for (int64_t d = rank - 1; d >= 0; --d)
        perm.push_back(d);
    } else {
      perm = ints(a[1]);
    }
    std::vector<int64_t> sorted = perm;
    std::sort(sorted.begin(), sorted.end());
    bool ok = (int64_t)perm.size() == rank;
    for (int64_t d = 0; ok && d < rank; ++d)
      ok = sorted[d] == d;
    if (!ok) {
      err(argLoc(1), "'transpose' needs a permutation of 0.." + std::to_string(rank - 1));
      return SVal::error();
    }
    TensorType t{a[0].type.elem, {}};
    for (int64_t p : perm)
      t.shape.push_back(a[0].type.shape[p]);
    POp &op = emit(OpKind::Transpose, loc, {a[0].id}, {t});
    op.a0 = perm;
    return tensor(op.results[0]);
  }
  if (name == "concat") {
    if (!bindArgs(e, name, {{"xs", AK::Any}, {"axis", AK::Int, false}}, pos, kw, a))
      return SVal::error();
    if (a[0].kind != SVal::List || a[0].elems.empty()) {
      err(argLoc(0), "'concat' takes a non-empty list of tensors, found " + describe(a[0]));
      return SVal::error();
    }
    std::vector<unsigned> ids;
    const SVal &first = a[0].elems[0];
    if (first.kind != SVal::Tensor) {
      err(argLoc(0), "'concat' takes a list of tensors, found " + describe(first));
      return SVal::error();
    }
    int64_t axis = a[1].kind == SVal::Int ? a[1].i : 0;
    if (!normAxis(axis, first.type.shape.size(), argLoc(1)))
      return SVal::error();
    TensorType t = first.type;
    t.shape[axis] = 0;
    for (const SVal &x : a[0].elems) {
      bool ok = x.kind == SVal::Tensor && x.type.elem == first.type.elem &&
                x.type.shape.size() == first.type.shape.size();
      for (size_t d = 0; ok && d < x.type.shape.size(); ++d)
        ok = (int64_t)d == axis || x.type.shape[d] == first.type.shape[d];
      if (!ok) {
        err(argLoc(0), "'concat' needs tensors that agree except along axis " +
                           std::to_string(axis) + ", found " + first.type.str() + " and " +
                           describe(x));
        return SVal::error();
      }
      t.shape[axis] += x.type.shape[axis];
      ids.push_back(x.id);
    }
    if (!checkSize(t.shape, loc))
      return SVal::error();
    POp &op = emit(OpKind::Concat, loc, ids, {t});
    op.i = axis;
    return tensor(op.results[0]);
  }
  if (name == "softmax" || name == "log_softmax") {
    if (!bindArgs(e, name, {{"x", AK::Tensor}, {"axis", AK::Int, false}}, pos, kw, a))
      return SVal::error();
    SVal x = expectTensor(a[0], argLoc(0), "'" + name.str() + "'");
    if (x.isError())
      return x;
    int64_t axis = a[1].kind == SVal::Int ? a[1].i : -1;
    if (!normAxis(axis, x.type.shape.size(), argLoc(1)))
      return SVal::error();
    POp &op = emit(name == "softmax" ? OpKind::Softmax : OpKind::LogSoftmax, loc, {x.id}, {x.type});
    op.i = axis;
    return tensor(op.results[0]);
  }
  if (name == "conv") {
    if (!bindArgs(e, name, {{"x", AK::Tensor}, {"w", AK::Tensor}, {"stride", AK::Ints, false},
                            {"padding", AK::Ints, false}, {"dilation", AK::Ints, false},
                            {"groups", AK::Int, false}}, pos, kw, a))
      return SVal::error();
    SVal x = a[0], w = a[1];
    if (x.type.shape.size() != 4 || w.type.shape.size() != 4 || x.type.elem != w.type.elem ||
        !isFloat(x.type.elem)) {
      err(loc, "'conv' needs an input [N, C, H, W] and a filter [O, C, KH, KW] of one float "
               "type, found " + x.type.str() + " and " + w.type.str());
      return SVal::error();
    }
    auto pair = [&](const SVal &v, int64_t def, size_t i, const char *what,
                    std::vector<int64_t> &out, int64_t minV) {
      out = v.kind == SVal::None ? std::vector<int64_t>{def, def} : ints(v);
      if (out.size() == 1)
        out.push_back(out[0]);
      if (out.size() != 2 || out[0] < minV || out[1] < minV) {
        err(argLoc(i), llvm::Twine("'conv' ") + what + " must be one or two integers >= " +
                           std::to_string(minV));
        return false;
      }
      return true;
    };
    std::vector<int64_t> st, pad, dil;
    if (!pair(a[2], 1, 2, "stride", st, 1) || !pair(a[3], 0, 3, "padding", pad, 0) ||
        !pair(a[4], 1, 4, "dilation", dil, 1))
      return SVal::error();
    int64_t groups = a[5].kind == SVal::Int ? a[5].i : 1;
    const auto &xs = x.type.shape, &ws = w.type.shape;
    if (groups < 1 || xs[1] % groups || ws[0] % groups || ws[1] * groups != xs[1]) {
      err(loc, "'conv' channel mismatch: the input has " + std::to_string(xs[1]) +
                   " channels, the filter expects " + std::to_string(ws[1]) + " per group with " +
                   std::to_string(groups) + " group(s)");
      return SVal::error();
    }
    int64_t spanH = dil[0] * (ws[2] - 1) + 1, spanW = dil[1] * (ws[3] - 1) + 1;
    int64_t oh = (xs[2] + 2 * pad[0] - spanH) / st[0] + 1;
    int64_t ow = (xs[3] + 2 * pad[1] - spanW) / st[1] + 1;
    if (xs[2] + 2 * pad[0] < spanH || xs[3] + 2 * pad[1] < spanW) {
      err(loc, "'conv' filter " + w.type.str() + " does not fit the input " + x.type.str());
      return SVal::error();
    }
    POp &op = emit(OpKind::Conv2d, loc, {x.id, w.id}, {TensorType{x.type.elem, {xs[0], ws[0], oh, ow}}});
    op.a0 = st;
    op.a1 = {pad[0], pad[1], pad[0], pad[1]};
    op.a2 = dil;
    op.i = groups;
    return tensor(op.results[0]);
  }
  if (name == "maxpool" || name == "avgpool") {
    if (!bindArgs(e, name, {{"x", AK::Tensor}, {"kernel", AK::Ints}, {"stride", AK::Ints, false},
                            {"padding", AK::Ints, false}}, pos, kw, a))
      return SVal::error();
    SVal x = expectTensor(a[0], argLoc(0), "'" + name.str() + "'");
    if (x.isError())
      return x;
    if (x.type.shape.size() != 4) {
      err(argLoc(0), "'" + name + "' needs an input [N, C, H, W], found " + x.type.str());
      return SVal::error();
    }
    auto two = [](std::vector<int64_t> v) {
      if (v.size() == 1)
        v.push_back(v[0]);
      return v;
    };
    std::vector<int64_t> k = two(ints(a[1]));
    std::vector<int64_t> st = a[2].kind == SVal::None ? k : two(ints(a[2]));
    std::vector<int64_t> pad = a[3].kind == SVal::None ? std::vector<int64_t>{0, 0} : two(ints(a[3]));
    if (k.size() != 2 || st.size() != 2 || pad.size() != 2 || k[0] < 1 || k[1] < 1 ||
        st[0] < 1 || st[1] < 1 || pad[0] < 0 || pad[1] < 0 || pad[0] * 2 > k[0] ||
        pad[1] * 2 > k[1]) {
      err(loc, "'" + name + "' needs positive kernel and stride sizes and a padding of at most "
                            "half the kernel");
      return SVal::error();
    }
    const auto &xs = x.type.shape;
    int64_t oh = (xs[2] + 2 * pad[0] - k[0]) / st[0] + 1;
    int64_t ow = (xs[3] + 2 * pad[1] - k[1]) / st[1] + 1;
    if (xs[2] + 2 * pad[0] < k[0] || xs[3] + 2 * pad[1] < k[1]) {
      err(loc, "'" + name + "' kernel " + std::to_string(k[0]) + "x" + std::to_string(k[1]) +
                   " does not fit the input " + x.type.str());
      return SVal::error();
    }
    POp &op = emit(name == "maxpool" ? OpKind::MaxPool2d : OpKind::AvgPool2d, loc, {x.id},
                   {TensorType{x.type.elem, {xs[0], xs[1], oh, ow}}});
    op.a0 = k;
    op.a1 = st;
    op.a2 = {pad[0], pad[1], pad[0], pad[1]};
    return tensor(op.results[0]);
  }
  if (name == "batch_norm_train" || name == "batch_norm_infer") {
    bool train = name == "batch_norm_train";
    std::vector<ArgSpec> specs = {{"x", AK::Tensor}};
    if (!train) {
      specs.push_back({"mean", AK::Tensor});
      specs.push_back({"var", AK::Tensor});
    }
    specs.push_back({"gamma", AK::Tensor});
    specs.push_back({"beta", AK::Tensor});
    specs.push_back({"eps", AK::Number, false});
    specs.push_back({"axis", AK::Int, false});
    if (!bindArgs(e, name, specs, pos, kw, a))
      return SVal::error();
    SVal x = expectTensor(a[0], argLoc(0), "'" + name.str() + "'");
    if (x.isError())
      return x;
    size_t nv = train ? 3 : 5;
    int64_t axis = a[nv + 1].kind == SVal::Int ? a[nv + 1].i : 1;
    if (x.type.shape.size() < 2 || !normAxis(axis, x.type.shape.size(), argLoc(nv + 1)))
      return SVal::error();
    TensorType vec{x.type.elem, {x.type.shape[axis]}};
    for (size_t i = 1; i < nv; ++i)
      if (a[i].type != vec) {
        err(argLoc(i), "'" + name + "' needs " + specs[i].name + " of type " + vec.str() +
                           ", found " + a[i].type.str());
        return SVal::error();
      }
    double eps = a[nv].kind == SVal::Float ? a[nv].f : 1e-5;
    if (!(eps > 0)) {
      err(argLoc(nv), "'" + name + "' needs eps > 0");
      return SVal::error();
    }
    std::vector<unsigned> ops;
    for (size_t i = 0; i < nv; ++i)
      ops.push_back(a[i].id);
    std::vector<TensorType> types = {x.type};
    if (train) {
      types.push_back(vec);
      types.push_back(vec);
    }
    POp &op = emit(train ? OpKind::BatchNormTrain : OpKind::BatchNormInfer, loc, ops, types);
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
  if (name == "softmax_cross_entropy") {
    if (!bindArgs(e, name, {{"logits", AK::Tensor}, {"labels", AK::Tensor}}, pos, kw, a))
      return SVal::error();
    const TensorType &lt = a[0].type, &lb = a[1].type;
    if (lt.shape.size() != 2 || !isFloat(lt.elem) || lb.shape.size() != 1 || isFloat(lb.elem) ||
        lb.elem == ElemType::I1 || lb.shape[0] != lt.shape[0]) {
      err(loc, "'softmax_cross_entropy' needs logits [B, C] and integer labels [B], found " +
                   lt.str() + " and " + lb.str());
      return SVal::error();
    }
    return emit1(OpKind::CrossEntropy, loc, {a[0].id, a[1].id}, TensorType{lt.elem, {}});
  }
  if (name == "mean_squared_error") {
    if (!bindArgs(e, name, {{"pred", AK::Tensor}, {"target", AK::Tensor}}, pos, kw, a))
      return SVal::error();
    if (a[0].type != a[1].type || !isFloat(a[0].type.elem)) {
      err(loc, "'mean_squared_error' needs a prediction and a target of one float type, found " +
                   a[0].type.str() + " and " + a[1].type.str());
      return SVal::error();
    }
    return emit1(OpKind::Mse, loc, {a[0].id, a[1].id}, TensorType{a[0].type.elem, {}});
  }
  if (name == "zeros" || name == "ones" || name == "full" || name == "rand") {
    std::vector<ArgSpec> specs = {{"shape", AK::Ints}};
    if (name == "full")
      specs.push_back({"value", AK::Number});
    if (!bindArgs(e, name, specs, pos, kw, a))
      return SVal::error();
    TensorType t{opts.floatType, ints(a[0])};
    for (int64_t d : t.shape)
      if (d <= 0) {
        err(argLoc(0), "'" + name + "' needs positive dimensions, found " + std::to_string(d));
        return SVal::error();
      }
    if (!checkSize(t.shape, argLoc(0)))
      return SVal::error();
    if (name == "rand") {
      if (rngArg < 0) {
        fn->values.push_back(PValue{false, true, {}});
        rngArg = fn->values.size() - 1;
        fn->args.push_back(PArg{ArgRole::Rng, "rng", unsigned(rngArg), loc, {}, false});
      }
      POp &op = emit(OpKind::RandomUniform, loc, {unsigned(rngArg)}, {t});
      op.i = streams++;
      return tensor(op.results[0]);
    }
    return constant(name == "zeros" ? 0 : name == "ones" ? 1 : a[1].f, t, loc);
  }
  if (name == "shape") {
    if (!bindArgs(e, name, {{"x", AK::Tensor}}, pos, kw, a))
      return SVal::error();
    SVal l{SVal::List};
    for (int64_t d : a[0].type.shape)
      l.elems.push_back(SVal::ofInt(d));
    return l;
  }
  if (name == "numel") {
    if (!bindArgs(e, name, {{"x", AK::Tensor}}, pos, kw, a))
      return SVal::error();
    return SVal::ofInt(a[0].type.numElements());
  }
  if (name == "len") {
    if (!bindArgs(e, name, {{"x", AK::Any}}, pos, kw, a))
      return SVal::error();
    if (a[0].kind == SVal::List || a[0].kind == SVal::Tuple)
      return SVal::ofInt(a[0].elems.size());
    if (a[0].kind == SVal::Tensor && !a[0].type.shape.empty())
      return SVal::ofInt(a[0].type.shape[0]);
    err(argLoc(0), "'len' needs a list or a tensor of rank 1 or more, found " + describe(a[0]));
    return SVal::error();
  }
  // Conversions: f32(x), i32(x), float(n), int(n).
  if (!bindArgs(e, name, {{"x", AK::Any}}, pos, kw, a))
    return SVal::error();
  SVal x = a[0];
  if (name == "float" || name == "int") {
    if (!x.isNumber()) {
      err(argLoc(0), "'" + name + "' converts numbers, found " + describe(x));
      return SVal::error();
    }
    return name == "float" ? SVal::ofFloat(x.num()) : SVal::ofInt(int64_t(x.num()));
  }
  ElemType to;
  elemFromName(name, opts.floatType, to);
  if (x.isNumber() || x.kind == SVal::Bool) {
    err(argLoc(0), "'" + name + "' converts tensors; for a number use float(...) or int(...)");
    return SVal::error();
  }
  x = expectTensor(x, argLoc(0), "'" + name.str() + "'", false);
  if (x.isError())
    return x;
  if (x.type.elem == to)
    return x;
  return emit1(OpKind::Cast, loc, {x.id}, TensorType{to, x.type.shape});
}

//===----------------------------------------------------------------------===//
// The train block
//===----------------------------------------------------------------------===//

namespace {
/// One field of a record in the train block: its name, kind, default and bounds.
struct Field {
  const char *name;
  ConfigValue::Kind kind;
  double def;        // Numbers and bools; NaN means required.
  const char *sdef;  // Strings; nullptr means required when def is NaN.
  double lo = -INFINITY, hi = INFINITY;
  bool loOpen = false;
};
struct RecordSpec {
  const char *name;
  std::vector<Field> fields;
  const char *canonical = nullptr; // An alias's record name.
};
} // namespace

static const double kReq = NAN;

static const std::vector<RecordSpec> &optimizerSpecs() {
  using K = ConfigValue::Kind;
  static const std::vector<RecordSpec> specs = {
      {"sgd", {{"lr", K::Float, 0.01, nullptr, 0, INFINITY, true}, {"momentum", K::Float, 0, nullptr, 0, 1},
               {"nesterov", K::Bool, 0, nullptr}, {"weight_decay", K::Float, 0, nullptr, 0}}},
      {"momentum", {{"lr", K::Float, 0.01, nullptr, 0, INFINITY, true}, {"momentum", K::Float, 0.9, nullptr, 0, 1},
                    {"nesterov", K::Bool, 0, nullptr}, {"weight_decay", K::Float, 0, nullptr, 0}}, "sgd"},
      {"nesterov", {{"lr", K::Float, 0.01, nullptr, 0, INFINITY, true}, {"momentum", K::Float, 0.9, nullptr, 0, 1, true},
                    {"nesterov", K::Bool, 1, nullptr}, {"weight_decay", K::Float, 0, nullptr, 0}}, "sgd"},
      {"adam", {{"lr", K::Float, 1e-3, nullptr, 0, INFINITY, true}, {"beta1", K::Float, 0.9, nullptr, 0, 1},
                {"beta2", K::Float, 0.999, nullptr, 0, 1}, {"eps", K::Float, 1e-8, nullptr, 0, INFINITY, true},
                {"weight_decay", K::Float, 0, nullptr, 0}}},
      {"adamw", {{"lr", K::Float, 1e-3, nullptr, 0, INFINITY, true}, {"beta1", K::Float, 0.9, nullptr, 0, 1},
                 {"beta2", K::Float, 0.999, nullptr, 0, 1}, {"eps", K::Float, 1e-8, nullptr, 0, INFINITY, true},
                 {"weight_decay", K::Float, 0.01, nullptr, 0}}},
      {"rmsprop", {{"lr", K::Float, 0.01, nullptr, 0, INFINITY, true}, {"alpha", K::Float, 0.99, nullptr, 0, 1},
                   {"eps", K::Float, 1e-8, nullptr, 0, INFINITY, true}, {"momentum", K::Float, 0, nullptr, 0, 1},
                   {"weight_decay", K::Float, 0, nullptr, 0}}},
      {"adagrad", {{"lr", K::Float, 0.01, nullptr, 0, INFINITY, true}, {"eps", K::Float, 1e-10, nullptr, 0, INFINITY, true},
                   {"weight_decay", K::Float, 0, nullptr, 0}}},
  };
  return specs;
}

static const std::vector<RecordSpec> &scheduleSpecs() {
  using K = ConfigValue::Kind;
  static const std::vector<RecordSpec> specs = {
      {"constant", {{"warmup", K::Int, 0, nullptr, 0}}},
      {"warmup", {{"steps", K::Int, kReq, nullptr, 1}}},
      {"step", {{"every", K::Int, kReq, nullptr, 1}, {"gamma", K::Float, 0.1, nullptr, 0, 1, true},
                {"warmup", K::Int, 0, nullptr, 0}}},
      {"exponential", {{"gamma", K::Float, kReq, nullptr, 0, 1, true}, {"every", K::Int, 1, nullptr, 1},
                       {"warmup", K::Int, 0, nullptr, 0}}},
      {"cosine", {{"steps", K::Int, 0, nullptr, 0}, {"min_lr", K::Float, 0, nullptr, 0},
                  {"warmup", K::Int, 0, nullptr, 0}}},
  };
  return specs;
}

static const std::vector<RecordSpec> &dataSpecs() {
  using K = ConfigValue::Kind;
  static const std::vector<RecordSpec> specs = {
      {"fashion_mnist", {{"path", K::String, 0, "/usr/share/datasets/fashion-mnist"}}},
      {"mnist", {{"path", K::String, kReq, nullptr}}},
      {"idx", {{"images", K::String, kReq, nullptr}, {"labels", K::String, kReq, nullptr},
               {"test_images", K::String, 0, ""}, {"test_labels", K::String, 0, ""}}},
      {"csv", {{"path", K::String, kReq, nullptr}, {"label", K::Int, -1, nullptr},
               {"skip_rows", K::Int, 0, nullptr, 0}, {"header", K::Bool, 0, nullptr},
               {"delimiter", K::String, 0, ","}, {"test", K::String, 0, ""},
               {"test_fraction", K::Float, 0, nullptr, 0, 1}}},
      {"npy", {{"x", K::String, kReq, nullptr}, {"y", K::String, kReq, nullptr},
               {"test_x", K::String, 0, ""}, {"test_y", K::String, 0, ""}}},
  };
  return specs;
}

static const std::vector<RecordSpec> &miscSpecs() {
  using K = ConfigValue::Kind;
  static const std::vector<RecordSpec> specs = {
      {"split", {{"fraction", K::Float, kReq, nullptr, 0, 1, true}}},
      {"early_stopping", {{"patience", K::Int, 3, nullptr, 1}, {"metric", K::String, 0, "val_loss"},
                          {"min_delta", K::Float, 0, nullptr, 0}}},
      {"checkpoint", {{"path", K::String, kReq, nullptr}, {"every", K::Int, 1, nullptr, 1}}},
      {"init_from", {{"path", K::String, kReq, nullptr}, {"only", K::List, 0, nullptr}}},
  };
  return specs;
}

bool Sema::checkRecord(const TrainEntry &entry, const Expr &v, ConfigValue &out,
                       llvm::ArrayRef<StringRef> allowed, StringRef what) {
  std::vector<const RecordSpec *> cands;
  for (auto *list : {&optimizerSpecs(), &scheduleSpecs(), &dataSpecs(), &miscSpecs()})
    for (const RecordSpec &r : *list)
      if (llvm::is_contained(allowed, StringRef(r.name)))
        cands.push_back(&r);
  std::string names;
  for (const RecordSpec *r : cands)
    names += (names.empty() ? "" : ", ") + std::string(r->name);
  std::string callee = v.kind == ExprKind::Call || v.kind == ExprKind::Name ? v.str : "";
  const RecordSpec *spec = nullptr;
  for (const RecordSpec *r : cands)
    if (callee == r->name)
      spec = r;
  if (!spec) {
    err(v.loc, "unknown " + what + (callee.empty() ? "" : " '" + callee + "'") +
                   "; expected one of " + names);
    return false;
  }
  out.kind = ConfigValue::Record;
  out.s = spec->canonical ? spec->canonical : spec->name;
  std::vector<const Expr *> given(spec->fields.size(), nullptr);
  size_t p = 0;
  for (const CallArg &a : v.args) {
    size_t idx;
    if (a.name.empty()) {
      idx = p++;
      if (idx >= spec->fields.size()) {
        err(a.value->loc, "too many arguments for '" + callee + "'");
        return false;
      }
    } else {
      auto it = llvm::find_if(spec->fields, [&](const Field &f) { return a.name == f.name; });
      if (it == spec->fields.end()) {
        std::string fl;
        for (const Field &f : spec->fields)
          fl += (fl.empty() ? "" : ", ") + std::string(f.name);
        err(a.nameLoc, "'" + callee + "' has no argument '" + a.name + "' (its arguments: " +
                           fl + ")");
        return false;
      }
      idx = it - spec->fields.begin();
    }
    if (given[idx]) {
      err(a.value->loc, "argument '" + std::string(spec->fields[idx].name) + "' is given twice");
      return false;
    }
    given[idx] = a.value.get();
  }
  for (size_t i = 0; i < spec->fields.size(); ++i) {
    const Field &f = spec->fields[i];
    ConfigValue fv;
    fv.kind = f.kind;
    if (!given[i]) {
      if (std::isnan(f.def) && !f.sdef) {
        err(v.loc, "'" + callee + "' needs the argument '" + f.name + "'");
        return false;
      }
      if (f.kind == ConfigValue::String)
        fv.s = f.sdef;
      else if (f.kind == ConfigValue::Int || f.kind == ConfigValue::Bool)
        fv.i = int64_t(f.def);
      else if (f.kind == ConfigValue::Float)
        fv.f = f.def;
      out.fields.push_back({f.name, fv});
      continue;
    }
    Env env;
    SVal x = eval(*given[i], env);
    if (x.isError())
      return false;
    bool ok = true;
    double num = 0;
    switch (f.kind) {
    case ConfigValue::Int:
      ok = x.kind == SVal::Int;
      fv.i = x.i;
      num = x.i;
      break;
    case ConfigValue::Float:
      ok = x.isNumber();
      fv.f = x.num();
      num = fv.f;
      break;
    case ConfigValue::Bool:
      ok = x.kind == SVal::Bool;
      fv.i = x.i;
      break;
    case ConfigValue::String:
      ok = x.kind == SVal::String;
      fv.s = x.s;
      break;
    case ConfigValue::List:
      if (x.kind == SVal::String) {
        SVal l{SVal::List};
        l.elems.push_back(x);
        x = l;
      }
      ok = x.kind == SVal::List &&
           llvm::all_of(x.elems, [](const SVal &s) { return s.kind == SVal::String; });
      for (const SVal &s : x.elems) {
        ConfigValue sv;
        sv.kind = ConfigValue::String;
        sv.s = s.s;
        fv.list.push_back(sv);
      }
      break;
    default:
      break;
    }
    static const char *kinds[] = {"an integer", "a number", "true or false", "a string",
                                  "a list of strings", "a record"};
    if (!ok) {
      err(given[i]->loc, "argument '" + std::string(f.name) + "' of '" + callee + "' must be " +
                             kinds[f.kind] + ", found " + describe(x));
      return false;
    }
    if ((f.kind == ConfigValue::Int || f.kind == ConfigValue::Float) &&
        (num < f.lo || num > f.hi || (f.loOpen && num == f.lo))) {
      std::string range = (f.loOpen ? "> " : ">= ") + fmtNum(f.lo);
      if (f.lo == -INFINITY)
        range = "";
      if (f.hi != INFINITY)
        range += (range.empty() ? "<= " : " and <= ") + fmtNum(f.hi);
      std::string shown = f.kind == ConfigValue::Int ? std::to_string(x.i) : fmtNum(num);
      err(given[i]->loc, "argument '" + std::string(f.name) + "' of '" + callee + "' must be " +
                             range + ", found " + shown);
      return false;
    }
    out.fields.push_back({f.name, fv});
  }
  if (out.s == "sgd") {
    bool nesterov = out.fields[2].second.i;
    if (nesterov && out.fields[1].second.f <= 0) {
      err(v.loc, "Nesterov momentum needs momentum > 0");
      return false;
    }
  }
  if (spec->name == StringRef("early_stopping")) {
    StringRef m = out.fields[1].second.s;
    if (m != "val_loss" && m != "val_acc" && m != "train_loss") {
      err(v.loc, "early stopping watches 'val_loss', 'val_acc' or 'train_loss', not '" + m + "'");
      return false;
    }
  }
  return true;
}

void Sema::checkTrain(const TrainDecl &t, Program &prog) {
  static const char *const keys[] = {"data", "loss", "optimizer", "batch", "epochs", "seed",
                                     "schedule", "l1", "l2", "validation", "early_stopping",
                                     "checkpoint", "init_from", "freeze", "ema", "log_every"};
  std::map<std::string, const TrainEntry *> seen;
  auto add = [&](const std::string &k, ConfigValue v) { prog.train.push_back({k, std::move(v)}); };
  for (const TrainEntry &e : t.entries) {
    if (!llvm::is_contained(keys, e.key)) {
      std::string best;
      unsigned bestDist = 3;
      for (const char *k : keys) {
        unsigned d = StringRef(e.key).edit_distance(k, true, bestDist);
        if (d < bestDist) {
          bestDist = d;
          best = k;
        }
      }
      std::string all;
      for (const char *k : keys)
        all += (all.empty() ? "" : ", ") + std::string(k);
      err(e.loc, "unknown setting '" + e.key + "'" +
                     (best.empty() ? "; the settings are " + all : "; did you mean '" + best + "'?"));
      continue;
    }
    if (seen.count(e.key)) {
      err(e.loc, "'" + e.key + "' is set twice").attachNote(fe.loc(seen[e.key]->loc))
          << "it was first set here";
      continue;
    }
    seen[e.key] = &e;
    const Expr &v = *e.value;
    ConfigValue cv;
    if (e.key == "data") {
      if (checkRecord(e, v, cv, {"fashion_mnist", "mnist", "idx", "csv", "npy"}, "data source"))
        add(e.key, cv);
    } else if (e.key == "validation") {
      if (checkRecord(e, v, cv, {"split", "fashion_mnist", "mnist", "idx", "csv", "npy"},
                      "validation set"))
        add(e.key, cv);
    } else if (e.key == "optimizer") {
      std::vector<StringRef> names;
      for (const RecordSpec &r : optimizerSpecs())
        names.push_back(r.name);
      if (checkRecord(e, v, cv, names, "optimizer"))
        add(e.key, cv);
    } else if (e.key == "schedule") {
      std::vector<StringRef> names;
      for (const RecordSpec &r : scheduleSpecs())
        names.push_back(r.name);
      if (checkRecord(e, v, cv, names, "learning-rate schedule"))
        add(e.key, cv);
    } else if (e.key == "early_stopping" || e.key == "checkpoint" || e.key == "init_from") {
      if (v.kind == ExprKind::String && e.key != "early_stopping") {
        Expr call(ExprKind::Call, v.loc);
        call.str = e.key;
        CallArg a;
        a.value = std::make_unique<Expr>(ExprKind::String, v.loc);
        a.value->str = v.str;
        call.args.push_back(std::move(a));
        if (checkRecord(e, call, cv, {e.key}, e.key))
          add(e.key, cv);
      } else if (checkRecord(e, v, cv, {e.key}, e.key)) {
        add(e.key, cv);
      }
    } else if (e.key == "loss") {
      if (v.kind != ExprKind::Name || !funcs.count(v.str)) {
        std::string what = v.kind == ExprKind::Name || v.kind == ExprKind::Call ? v.str : "";
        err(v.loc, (what.empty() ? std::string("expected the name of a loss layer")
                                 : "unknown loss '" + what + "'") +
                       "; expected a layer taking (output, labels), such as cross_entropy or mse");
        continue;
      }
      cv.kind = ConfigValue::String;
      cv.s = v.str;
      add(e.key, cv);
    } else if (e.key == "freeze") {
      Env env;
      SVal x = eval(v, env);
      if (x.isError())
        continue;
      if (x.kind == SVal::String) {
        SVal l{SVal::List};
        l.elems.push_back(x);
        x = l;
      }
      if (x.kind != SVal::List ||
          !llvm::all_of(x.elems, [](const SVal &s) { return s.kind == SVal::String; })) {
        err(v.loc, "'freeze' takes a parameter name pattern or a list of them, such as "
                   "[\"dense_0.*\"], found " + describe(x));
        continue;
      }
      cv.kind = ConfigValue::List;
      for (const SVal &s : x.elems) {
        ConfigValue sv;
        sv.kind = ConfigValue::String;
        sv.s = s.s;
        cv.list.push_back(sv);
        freezePatterns.push_back(s.s);
        freezeLocs.push_back(v.loc);
      }
      add(e.key, cv);
    } else {
      // Numbers.
      Env env;
      SVal x = eval(v, env);
      if (x.isError())
        continue;
      bool isInt = e.key == "batch" || e.key == "epochs" || e.key == "seed" || e.key == "log_every";
      if (isInt ? x.kind != SVal::Int : !x.isNumber()) {
        err(v.loc, "'" + e.key + "' must be " + (isInt ? "an integer" : "a number") +
                       ", found " + describe(x));
        continue;
      }
      double n = x.num();
      const char *bad = nullptr;
      if ((e.key == "batch" || e.key == "epochs" || e.key == "log_every") && n < 1)
        bad = "at least 1";
      else if (e.key == "seed" && n < 0)
        bad = "0 or more";
      else if ((e.key == "l1" || e.key == "l2") && n < 0)
        bad = "0 or more";
      else if (e.key == "ema" && !(n > 0 && n < 1))
        bad = "between 0 and 1 (exclusive)";
      if (bad) {
        err(v.loc, "'" + e.key + "' must be " + bad + ", found " +
                       (isInt ? std::to_string(x.i) : fmtNum(n)));
        continue;
      }
      if (isInt) {
        cv.kind = ConfigValue::Int;
        cv.i = x.i;
      } else {
        cv.kind = ConfigValue::Float;
        cv.f = n;
      }
      add(e.key, cv);
    }
  }
  if (!seen.count("data")) {
    ConfigValue d;
    d.kind = ConfigValue::Record;
    d.s = "fashion_mnist";
    ConfigValue p;
    p.kind = ConfigValue::String;
    p.s = "/usr/share/datasets/fashion-mnist";
    d.fields.push_back({"path", p});
    add("data", d);
  }
  if (!seen.count("optimizer")) {
    Expr call(ExprKind::Call, t.loc);
    call.str = "adam";
    ConfigValue cv;
    TrainEntry fake;
    if (checkRecord(fake, call, cv, {"adam"}, "optimizer"))
      add("optimizer", cv);
  }
  auto setDefault = [&](const char *k, int64_t v) {
    if (seen.count(k))
      return;
    ConfigValue c;
    c.kind = ConfigValue::Int;
    c.i = v;
    add(k, c);
  };
  setDefault("batch", 64);
  setDefault("epochs", 1);
  setDefault("seed", 0);
  std::sort(prog.train.begin(), prog.train.end(),
            [](const auto &a, const auto &b) { return a.first < b.first; });
}

void Sema::checkFreeze(PFunction &f) {
  for (size_t i = 0; i < freezePatterns.size(); ++i) {
    auto pat = llvm::GlobPattern::create(freezePatterns[i]);
    if (!pat) {
      llvm::consumeError(pat.takeError());
      err(freezeLocs[i], "'" + freezePatterns[i] + "' is not a valid name pattern");
      continue;
    }
    bool any = false;
    for (PArg &a : f.args)
      if (a.role == ArgRole::Param && pat->match(a.name)) {
        a.frozen = true;
        any = true;
      }
    if (!any) {
      std::string names;
      for (PArg &a : f.args)
        if (a.role == ArgRole::Param)
          names += (names.empty() ? "" : ", ") + a.name;
      err(freezeLocs[i], "'freeze' pattern '" + freezePatterns[i] +
                             "' matches no parameter; the parameters are " + names);
    }
  }
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

mlir::FailureOr<Program> Sema::run(llvm::ArrayRef<std::unique_ptr<FileAST>> user,
                                   llvm::ArrayRef<std::unique_ptr<FileAST>> stdlib) {
  collect(stdlib, true);
  collect(user, false);
  for (auto *files : {&user, &stdlib})
    for (const auto &file : *files)
      for (const auto &f : file->funcs) {
        std::map<std::string, int> counts;
        nameCallSites(f->body, counts);
      }

  // Which model, and which train block.
  const TrainDecl *train = nullptr;
  const FuncDecl *model = nullptr;
  const FileAST &main = *user.front();
  for (const auto &t : main.trains) {
    if (train) {
      err(t->loc, "only one train block per file").attachNote(fe.loc(train->loc))
          << "the first one is here";
      continue;
    }
    train = t.get();
  }
  std::string wanted = opts.model.empty() && train ? train->model : opts.model;
  if (!wanted.empty()) {
    auto it = models.find(wanted);
    if (it == models.end()) {
      if (train && wanted == train->model)
        err(train->modelLoc, "'" + wanted + "' is not a model defined in this program");
      else
        mlir::emitError(fe.loc(SMLoc()), "no model named '" + wanted + "'");
      return mlir::failure();
    }
    model = it->second;
    if (train && train->model != wanted)
      train = nullptr; // The train block is about another model.
  } else {
    for (const auto &f : main.funcs)
      if (f->isModel) {
        if (model) {
          err(f->loc, "several models and no train block: pick one with --model");
          return mlir::failure();
        }
        model = f.get();
      }
    if (!model) {
      if (errors == 0)
        mlir::emitError(fe.loc(SMLoc()), "'" + main.path + "' defines no model");
      return mlir::failure();
    }
  }

  Program prog;
  prog.modelName = model->name;
  if (train) {
    prog.hasTrain = true;
    checkTrain(*train, prog);
  }
  batch = opts.batch;
  if (batch <= 0) {
    batch = 1;
    for (auto &kv : prog.train)
      if (kv.first == "batch")
        batch = kv.second.i;
  }
  if (errors) {
    // The model's own errors are independent of the train block's: report them too.
    PFunction scratch;
    buildFunction(*model, false, nullptr, scratch);
    return mlir::failure();
  }

  // The training function first: if it fails, the evaluation function would repeat the errors.
  if (train) {
    prog.funcs.emplace_back();
    if (!buildFunction(*model, true, train, prog.funcs.back()))
      return mlir::failure();
    checkFreeze(prog.funcs.back());
    if (errors)
      return mlir::failure();
  }
  prog.funcs.emplace_back();
  if (!buildFunction(*model, false, nullptr, prog.funcs.back()))
    return mlir::failure();
  if (train)
    checkFreeze(prog.funcs.back());
  if (errors)
    return mlir::failure();
  return prog;
}

mlir::FailureOr<Program> Frontend::check() {
  if (parseFailed || userFiles.empty())
    return mlir::failure();
  Sema sema(*this, opts);
  return sema.run(userFiles, stdFiles);
}
