//===- SemaTrain.cpp - The train block ------------------------------------===//
//
// Checks the train block of the model being built and turns it into Program::train: every
// setting is known, given once and of the right kind, and every default is filled in. The
// call-like settings (`optimizer = adam(lr = 1e-3)`, `data = csv("x.csv")`) are records:
// tables of RecordSpec below give each record's fields with their kinds, defaults and bounds.
// `freeze` patterns are checked against the parameters once the training function is built.
//
//===----------------------------------------------------------------------===//

#include "SemaInternal.h"

#include "llvm/Support/GlobPattern.h"

#include <cmath>

using namespace nnc;
using namespace nnc::sema;

/// A number as a user wrote it: 0.001, 1e-08, 3.
static std::string fmtNum(double v) {
  char buf[32];
  snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

/// One field of a record in the train block: its name, kind, default and bounds.
struct nnc::sema::Field {
  const char *name;
  ConfigValue::Kind kind;
  double def;        // Numbers and bools; NaN means required.
  const char *sdef;  // Strings; nullptr means required when def is NaN.
  double lo = -INFINITY, hi = INFINITY;
  bool loOpen = false;
};

namespace {
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
      {"sgd",
       {{"lr", K::Float, 0.01, nullptr, 0, INFINITY, true},
        {"momentum", K::Float, 0, nullptr, 0, 1},
        {"nesterov", K::Bool, 0, nullptr},
        {"weight_decay", K::Float, 0, nullptr, 0}}},
      {"momentum",
       {{"lr", K::Float, 0.01, nullptr, 0, INFINITY, true},
        {"momentum", K::Float, 0.9, nullptr, 0, 1},
        {"nesterov", K::Bool, 0, nullptr},
        {"weight_decay", K::Float, 0, nullptr, 0}},
       "sgd"},
      {"nesterov",
       {{"lr", K::Float, 0.01, nullptr, 0, INFINITY, true},
        {"momentum", K::Float, 0.9, nullptr, 0, 1, true},
        {"nesterov", K::Bool, 1, nullptr},
        {"weight_decay", K::Float, 0, nullptr, 0}},
       "sgd"},
      {"adam",
       {{"lr", K::Float, 1e-3, nullptr, 0, INFINITY, true},
        {"beta1", K::Float, 0.9, nullptr, 0, 1},
        {"beta2", K::Float, 0.999, nullptr, 0, 1},
        {"eps", K::Float, 1e-8, nullptr, 0, INFINITY, true},
        {"weight_decay", K::Float, 0, nullptr, 0}}},
      {"adamw",
       {{"lr", K::Float, 1e-3, nullptr, 0, INFINITY, true},
        {"beta1", K::Float, 0.9, nullptr, 0, 1},
        {"beta2", K::Float, 0.999, nullptr, 0, 1},
        {"eps", K::Float, 1e-8, nullptr, 0, INFINITY, true},
        {"weight_decay", K::Float, 0.01, nullptr, 0}}},
      {"rmsprop",
       {{"lr", K::Float, 0.01, nullptr, 0, INFINITY, true},
        {"alpha", K::Float, 0.99, nullptr, 0, 1},
        {"eps", K::Float, 1e-8, nullptr, 0, INFINITY, true},
        {"momentum", K::Float, 0, nullptr, 0, 1},
        {"weight_decay", K::Float, 0, nullptr, 0}}},
      {"adagrad",
       {{"lr", K::Float, 0.01, nullptr, 0, INFINITY, true},
        {"eps", K::Float, 1e-10, nullptr, 0, INFINITY, true},
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
      {"exponential",
       {{"gamma", K::Float, kReq, nullptr, 0, 1, true}, {"every", K::Int, 1, nullptr, 1},
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
    if (!checkField(f, *given[i], callee, fv))
      return false;
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

/// The value given for field `f` of a record, evaluated and checked against the field's
/// kind and bounds.
bool Sema::checkField(const Field &f, const Expr &given, const std::string &callee,
                      ConfigValue &fv) {
  Env env;
  SVal x = eval(given, env);
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
    ok = x.toListOf(SVal::String);
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
    err(given.loc, "argument '" + std::string(f.name) + "' of '" + callee + "' must be " +
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
    err(given.loc, "argument '" + std::string(f.name) + "' of '" + callee + "' must be " +
                       range + ", found " + shown);
    return false;
  }
  return true;
}

void Sema::checkTrain(const TrainDecl &t, Program &prog) {
  static const char *const keys[] = {"data", "loss", "optimizer", "batch", "epochs", "seed",
                                     "schedule", "l1", "l2", "validation", "early_stopping",
                                     "checkpoint", "init_from", "freeze", "ema", "log_every",
                                     "clip_norm", "clip_value"};
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
      err(e.loc,
          "unknown setting '" + e.key + "'" +
              (best.empty() ? "; the settings are " + all : "; did you mean '" + best + "'?"));
      continue;
    }
    if (seen.count(e.key)) {
      err(e.loc, "'" + e.key + "' is set twice").attachNote(fe.loc(seen[e.key]->loc))
          << "it was first set here";
      continue;
    }
    seen[e.key] = &e;
    ConfigValue cv;
    if (checkSetting(e, cv))
      add(e.key, cv);
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

/// One setting of the train block, known and given once: its value, checked.
bool Sema::checkSetting(const TrainEntry &e, ConfigValue &cv) {
  const Expr &v = *e.value;
  if (e.key == "data")
    return checkRecord(e, v, cv, {"fashion_mnist", "mnist", "idx", "csv", "npy"}, "data source");
  if (e.key == "validation")
    return checkRecord(e, v, cv, {"split", "fashion_mnist", "mnist", "idx", "csv", "npy"},
                       "validation set");
  if (e.key == "optimizer") {
    std::vector<StringRef> names;
    for (const RecordSpec &r : optimizerSpecs())
      names.push_back(r.name);
    return checkRecord(e, v, cv, names, "optimizer");
  }
  if (e.key == "schedule") {
    std::vector<StringRef> names;
    for (const RecordSpec &r : scheduleSpecs())
      names.push_back(r.name);
    return checkRecord(e, v, cv, names, "learning-rate schedule");
  }
  if (e.key == "early_stopping" || e.key == "checkpoint" || e.key == "init_from") {
    if (v.kind == ExprKind::String && e.key != "early_stopping") {
      Expr call(ExprKind::Call, v.loc);
      call.str = e.key;
      CallArg a;
      a.value = std::make_unique<Expr>(ExprKind::String, v.loc);
      a.value->str = v.str;
      call.args.push_back(std::move(a));
      return checkRecord(e, call, cv, {e.key}, e.key);
    }
    return checkRecord(e, v, cv, {e.key}, e.key);
  }
  if (e.key == "loss") {
    if (v.kind != ExprKind::Name || !funcs.count(v.str)) {
      std::string what = v.kind == ExprKind::Name || v.kind == ExprKind::Call ? v.str : "";
      err(v.loc, (what.empty() ? std::string("expected the name of a loss layer")
                               : "unknown loss '" + what + "'") +
                     "; expected a layer taking (output, labels), such as cross_entropy or mse");
      return false;
    }
    cv.kind = ConfigValue::String;
    cv.s = v.str;
    return true;
  }
  if (e.key == "freeze")
    return checkFreezeSetting(v, cv);
  return checkNumberSetting(e, cv);
}

/// `freeze`: a name pattern or a list of them, kept for checkFreeze.
bool Sema::checkFreezeSetting(const Expr &v, ConfigValue &cv) {
  Env env;
  SVal x = eval(v, env);
  if (x.isError())
    return false;
  if (!x.toListOf(SVal::String)) {
    err(v.loc, "'freeze' takes a parameter name pattern or a list of them, such as "
               "[\"dense_0.*\"], found " + describe(x));
    return false;
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
  return true;
}

/// The settings that are numbers: batch, epochs, seed, log_every (integers), l1, l2, ema,
/// clip_norm, clip_value.
bool Sema::checkNumberSetting(const TrainEntry &e, ConfigValue &cv) {
  const Expr &v = *e.value;
  Env env;
  SVal x = eval(v, env);
  if (x.isError())
    return false;
  bool isInt = e.key == "batch" || e.key == "epochs" || e.key == "seed" || e.key == "log_every";
  if (isInt ? x.kind != SVal::Int : !x.isNumber()) {
    err(v.loc, "'" + e.key + "' must be " + (isInt ? "an integer" : "a number") + ", found " +
                   describe(x));
    return false;
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
  else if ((e.key == "clip_norm" || e.key == "clip_value") && !(n > 0 && std::isfinite(n)))
    bad = "a positive number";
  if (bad) {
    err(v.loc, "'" + e.key + "' must be " + bad + ", found " +
                   (isInt ? std::to_string(x.i) : fmtNum(n)));
    return false;
  }
  if (isInt) {
    cv.kind = ConfigValue::Int;
    cv.i = x.i;
  } else {
    cv.kind = ConfigValue::Float;
    cv.f = n;
  }
  return true;
}
