//===- SemaInternal.h - What Sema's files share -----------------*- C++ -*-===//
//
// The private header of Sema, included only by the Sema*.cpp files of compiler/lib/Frontend.
// It declares the values of the abstract interpreter (SVal), the environment, the argument
// specs and the table of builtins, and the Sema class itself. As in clang, one class is
// implemented by a file per concern: Sema.cpp (the driver: declarations, model and layer
// instances), SemaTypes.cpp (types and shape patterns), SemaStmt.cpp, SemaExpr.cpp,
// SemaBuiltins.cpp and SemaBuiltinsTensor.cpp (the builtins), SemaTrain.cpp (the train
// block).
//
// Errors are reported at the offending source position, with a note per enclosing layer
// call; the value becomes an error value that silences follow-on errors, so one run reports
// every independent error.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_LIB_FRONTEND_SEMAINTERNAL_H
#define NNC_LIB_FRONTEND_SEMAINTERNAL_H

#include "nnc/Frontend/Frontend.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <map>
#include <set>

namespace nnc::sema {

using llvm::SMLoc;
using llvm::StringRef;

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

  /// Makes a lone value of kind `elem` a list of one; then whether this is a list of `elem`s.
  bool toListOf(Kind elem) {
    if (kind == elem) {
      SVal l{List};
      l.elems.push_back(*this);
      *this = l;
    }
    return kind == List && llvm::all_of(elems, [&](const SVal &x) { return x.kind == elem; });
  }
};

/// "the integer 3", "a tensor f32[2, 3]": a value as diagnostics name it.
std::string describe(const SVal &v);

/// The integers of a list of Int values.
inline std::vector<int64_t> ints(const SVal &v) {
  std::vector<int64_t> r;
  for (const SVal &x : v.elems)
    r.push_back(x.i);
  return r;
}

/// The keyword arguments of a call, in source order.
using KwArgs = std::vector<std::pair<const CallArg *, SVal>>;

/// The first erroneous argument of a call, if any: the call is then that error, reported once.
inline const SVal *firstError(const std::vector<SVal> &pos, const KwArgs &kw) {
  for (const SVal &v : pos)
    if (v.isError())
      return &v;
  for (const auto &kv : kw)
    if (kv.second.isError())
      return &kv.second;
  return nullptr;
}

/// The element type a type name stands for; `f32` means `floatType`.
bool elemFromName(StringRef name, ElemType floatType, ElemType &out);

/// Whether `name` is an initializer (zeros, uniform, glorot_uniform, ...).
bool isInitializer(StringRef name);

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

struct Builtin;
struct BuiltinCall;
struct Field;

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

  // Declarations (Sema.cpp).
  void collect(llvm::ArrayRef<std::unique_ptr<FileAST>> files, bool isStd);
  void nameCallSites(const std::vector<StmtPtr> &body, std::map<std::string, int> &counts);
  void nameCallSitesExpr(const Expr &e, std::map<std::string, int> &counts);
  bool chooseModel(const FileAST &main, const TrainDecl *&train, const FuncDecl *&model);

  // Instantiation (Sema.cpp).
  bool buildFunction(const FuncDecl &model, bool training, const TrainDecl *train,
                     PFunction &out);
  void bindModelInput(const ParamDecl &p, Env &env, PFunction &out);
  bool addLoss(const TrainDecl &train, const SVal &result, PFunction &out);
  SVal callLayer(const FuncDecl &decl, const Expr &call, std::vector<SVal> pos, KwArgs kw);
  bool matchLayerArgs(const FuncDecl &decl, const Expr &call, std::vector<SVal> &pos, KwArgs &kw,
                      std::vector<const SVal *> &bound, std::vector<SMLoc> &argLocs);
  void checkLayerResult(const FuncDecl &decl, Env &env, const SVal &result);

  // Types and patterns (SemaTypes.cpp).
  bool bindPattern(const TypeExpr &pattern, const SVal &actual, Env &env, SMLoc loc,
                   const std::string &what);
  bool evalType(const TypeExpr &t, Env &env, TensorType &out);
  SVal expectTensor(const SVal &v, SMLoc loc, StringRef what, bool wantFloat = true);
  bool checkSize(const std::vector<int64_t> &shape, SMLoc loc);
  bool normAxis(int64_t &axis, int64_t rank, SMLoc loc);

  // Statements (SemaStmt.cpp).
  bool execBlock(const std::vector<StmtPtr> &body, Env &env, SVal *ret);
  bool execStmt(const Stmt &s, Env &env, SVal *ret);
  void execFor(const Stmt &s, Env &env);
  void execStore(const Target &t, const Expr &value, Env &env);
  void execParam(const Stmt &s, Env &env);
  bool computeInit(const Expr &e, Env &env, const TensorType &type, Init &init);
  bool checkInit(const Expr &e, const Init &init);

  // Expressions (SemaExpr.cpp).
  SVal eval(const Expr &e, Env &env);
  SVal evalBinary(const Expr &e, SVal l, SVal r);
  SVal foldBinary(const Expr &e, const SVal &l, const SVal &r);
  SVal indexBinary(const Expr &e, const SVal &l, const SVal &r);
  SVal evalMatmul(const Expr &e, const SVal &l, const SVal &r);
  SVal evalCall(const Expr &e, Env &env);
  SVal evalIndex(const Expr &e, Env &env);
  /// The subscripts kids[1..] of an Index expression: values, and slices as "slice" lists.
  bool evalSubscripts(const Expr &e, Env &env, std::vector<SVal> &subs);
  SVal indexTensor(const Expr &e, SVal base, const std::vector<SVal> &subs);
  SVal broadcastTo(const SVal &x, const std::vector<int64_t> &shape, SMLoc loc);
  SVal toTensorLike(const SVal &v, const SVal &like, SMLoc loc);

  // Builtins (SemaBuiltins.cpp, SemaBuiltinsTensor.cpp).
  static llvm::ArrayRef<Builtin> builtins();
  static const Builtin *findBuiltin(StringRef name);
  static bool isBuiltin(StringRef name) { return findBuiltin(name) != nullptr; }
  SVal callBuiltin(const Expr &e, const Builtin &b, std::vector<SVal> &pos, KwArgs &kw);
  bool bindArgs(const Expr &call, StringRef fname, llvm::ArrayRef<ArgSpec> specs,
                std::vector<SVal> &pos, KwArgs &kw, std::vector<SVal> &out);
  SVal floatInput(const BuiltinCall &c);
  SVal reduce(OpKind kind, const SVal &x, std::vector<int64_t> axes, bool keep, SMLoc loc);
  // One handler per builtin or family of builtins; the table in SemaBuiltins.cpp names them.
  SVal builtinUnary(const BuiltinCall &c);
  SVal builtinGather(const BuiltinCall &c);
  SVal builtinMinMax(const BuiltinCall &c);
  SVal builtinMaximum(const BuiltinCall &c);
  SVal builtinWhere(const BuiltinCall &c);
  SVal builtinFill(const BuiltinCall &c);
  SVal builtinShape(const BuiltinCall &c);
  SVal builtinNumel(const BuiltinCall &c);
  SVal builtinLen(const BuiltinCall &c);
  SVal builtinConvert(const BuiltinCall &c);
  SVal builtinMatmul(const BuiltinCall &c);
  SVal builtinReduce(const BuiltinCall &c);
  SVal builtinArgmax(const BuiltinCall &c);
  SVal builtinReshape(const BuiltinCall &c);
  SVal builtinTranspose(const BuiltinCall &c);
  SVal builtinConcat(const BuiltinCall &c);
  SVal builtinSoftmax(const BuiltinCall &c);
  SVal builtinConv(const BuiltinCall &c);
  SVal builtinPool(const BuiltinCall &c);
  SVal builtinBatchNorm(const BuiltinCall &c);
  SVal builtinCrossEntropy(const BuiltinCall &c);
  SVal builtinMse(const BuiltinCall &c);

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

  // Train block (SemaTrain.cpp).
  void checkTrain(const TrainDecl &t, Program &prog);
  bool checkSetting(const TrainEntry &e, ConfigValue &cv);
  bool checkFreezeSetting(const Expr &v, ConfigValue &cv);
  bool checkNumberSetting(const TrainEntry &e, ConfigValue &cv);
  bool checkRecord(const TrainEntry &e, const Expr &v, ConfigValue &out,
                   llvm::ArrayRef<StringRef> allowedNames, StringRef what);
  bool checkField(const Field &f, const Expr &given, const std::string &callee, ConfigValue &fv);
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

/// A builtin function: its name, the handler that checks the call and emits its ops, and
/// the arguments it takes. The members of a family share a handler, and `op` says which op
/// a member emits.
struct Builtin {
  const char *name;
  SVal (Sema::*handler)(const BuiltinCall &c);
  std::vector<ArgSpec> args;
  OpKind op = OpKind::Constant; // Read only by the families that emit one of several ops.
};

/// A call to a builtin, its arguments bound to the builtin's specs by bindArgs.
struct BuiltinCall {
  const Expr &e;
  const Builtin &builtin;
  const std::vector<SVal> &pos; // The positional arguments as written.
  std::vector<SVal> a;          // One per spec, in spec order; None where not given.
  StringRef name;
  SMLoc loc;

  SMLoc argLoc(size_t i) const { return i < e.args.size() ? e.args[i].value->loc : loc; }
};

} // namespace nnc::sema

#endif // NNC_LIB_FRONTEND_SEMAINTERNAL_H
