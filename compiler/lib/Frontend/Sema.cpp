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
// This file is the driver: it collects the declarations, names the call sites, picks the
// model, and instantiates it (buildFunction) and the layers it calls (callLayer). The rest of
// Sema is in the files that SemaInternal.h lists.
//
//===----------------------------------------------------------------------===//

#include "SemaInternal.h"

using namespace nnc;
using namespace nnc::sema;

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

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
  for (const ParamDecl &p : model.params)
    bindModelInput(p, env, out);
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
  } else if (!addLoss(*train, result, out)) {
    return false;
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

/// A model parameter: a tensor is an input, whose leading dimension, when a name, is the
/// batch; anything else is a hyperparameter with a default value.
void Sema::bindModelInput(const ParamDecl &p, Env &env, PFunction &out) {
  if (p.type.kind != TypeExpr::Tensor) {
    if (!p.defaultValue) {
      err(p.loc, "model parameter '" + p.name + "' needs a default value: only tensor "
                 "parameters are inputs");
      return;
    }
    SVal v = eval(*p.defaultValue, env);
    if (bindPattern(p.type, v, env, p.defaultValue->loc, "'" + p.name + "'"))
      env[p.name] = v;
    return;
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
    return;
  unsigned id = newValue(t);
  out.args.push_back(PArg{ArgRole::Input, p.name, id, p.loc, {}, false});
  env[p.name] = tensor(id);
}

/// The loss of the training function: a layer called with the model's output and the
/// labels, whose scalar result comes first among the function's results.
bool Sema::addLoss(const TrainDecl &train, const SVal &result, PFunction &out) {
  const TrainEntry *lossEntry = nullptr;
  for (const TrainEntry &e : train.entries)
    if (e.key == "loss")
      lossEntry = &e;
  if (!lossEntry) {
    err(train.loc, "the train block needs a 'loss' (such as 'loss = cross_entropy')");
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
  // Targets have the output's shape; class labels, one per position of its last axis
  // ([B] for logits [B, C], [B, T] for [B, T, C]).
  if (isFloat(le)) {
    labelType = result.type;
  } else {
    labelType = TensorType{le, result.type.shape};
    if (labelType.shape.size() > 1)
      labelType.shape.pop_back();
    else
      labelType.shape = {batch};
  }
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
  return true;
}

SVal Sema::callLayer(const FuncDecl &decl, const Expr &call, std::vector<SVal> pos, KwArgs kw) {
  if (frames.size() > 64) {
    err(call.loc, "layer calls nested more than 64 deep (is '" + decl.name + "' recursive?)");
    return SVal::error();
  }
  for (const Frame &f : frames)
    if (f.decl == &decl) {
      err(call.loc, "'" + decl.name + "' calls itself: layers cannot be recursive");
      return SVal::error();
    }
  if (const SVal *bad = firstError(pos, kw))
    return *bad;

  std::vector<const SVal *> bound(decl.params.size(), nullptr);
  std::vector<SMLoc> argLocs(decl.params.size(), call.loc);
  if (!matchLayerArgs(decl, call, pos, kw, bound, argLocs))
    return SVal::error();

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
  if (errors == before && decl.result)
    checkLayerResult(decl, env, result);
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

/// Binds the arguments of a layer call to its parameters: `bound[i]` points at the value
/// given for parameter i (null where none is), `argLocs[i]` at where it was written.
bool Sema::matchLayerArgs(const FuncDecl &decl, const Expr &call, std::vector<SVal> &pos,
                          KwArgs &kw, std::vector<const SVal *> &bound,
                          std::vector<SMLoc> &argLocs) {
  if (pos.size() > decl.params.size()) {
    err(call.loc, "'" + decl.name + "' takes " + std::to_string(decl.params.size()) +
                      " arguments, but " + std::to_string(pos.size()) + " were given");
    return false;
  }
  for (size_t i = 0; i < pos.size(); ++i) {
    bound[i] = &pos[i];
    if (i < call.args.size())
      argLocs[i] = call.args[i].value->loc;
  }
  for (auto &kv : kw) {
    auto it =
        llvm::find_if(decl.params, [&](const ParamDecl &p) { return p.name == kv.first->name; });
    if (it == decl.params.end()) {
      err(kv.first->nameLoc, "'" + decl.name + "' has no parameter named '" + kv.first->name + "'");
      return false;
    }
    size_t idx = it - decl.params.begin();
    if (bound[idx]) {
      err(kv.first->nameLoc, "parameter '" + kv.first->name + "' of '" + decl.name +
                                 "' is given twice");
      return false;
    }
    bound[idx] = &kv.second;
    argLocs[idx] = kv.first->value->loc;
  }
  return true;
}

/// Checks what a layer returns against its declared result type.
void Sema::checkLayerResult(const FuncDecl &decl, Env &env, const SVal &result) {
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

  const TrainDecl *train = nullptr;
  const FuncDecl *model = nullptr;
  if (!chooseModel(*user.front(), train, model))
    return mlir::failure();

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

/// Which model, and which train block: the one named by --model or the main file's train
/// block, else the main file's only model. A train block about another model is dropped.
bool Sema::chooseModel(const FileAST &main, const TrainDecl *&train, const FuncDecl *&model) {
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
      return false;
    }
    model = it->second;
    if (train && train->model != wanted)
      train = nullptr; // The train block is about another model.
    return true;
  }
  for (const auto &f : main.funcs)
    if (f->isModel) {
      if (model) {
        err(f->loc, "several models and no train block: pick one with --model");
        return false;
      }
      model = f.get();
    }
  if (!model) {
    if (errors == 0)
      mlir::emitError(fe.loc(SMLoc()), "'" + main.path + "' defines no model");
    return false;
  }
  return true;
}

mlir::FailureOr<Program> Frontend::check() {
  if (parseFailed || userFiles.empty())
    return mlir::failure();
  Sema sema(*this, opts);
  return sema.run(userFiles, stdFiles);
}
