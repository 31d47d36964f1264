//===- nnc-eval.cpp - Run a function on the reference evaluator -----------===//
//
//   nnc-eval FILE.mlir --func NAME [--input X.npy]... [--init-params SEED]
//            [--output-dir DIR]
//
// Parses IR in the nn dialect, evaluates one function with the reference
// evaluator (nnc/Evaluator) and prints a one-line summary of each result;
// with --output-dir it also writes result_N.npy. It is how a person or a lit
// test asks "what should this function compute?", and how the results of
// compiled code are compared with the oracle from outside the process.
//
// Arguments come from the --input files, in order. With --init-params SEED,
// arguments that carry `nn.init` (parameters and states) are initialized
// from it instead (see nnc::eval::initTensor) and an `nn.rng` key takes the
// seed, so only the data arguments need files. Every user error (a missing
// or malformed file, a wrong shape or dtype, a count mismatch) is reported
// with its reason and makes the exit code 1.
//
//===----------------------------------------------------------------------===//

#include "nnc/Dialect/NN/NNDialect.h"
#include "nnc/Evaluator/Evaluator.h"
#include "nnc/Runtime/Npy.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <cmath>

using namespace nnc;
namespace cl = llvm::cl;

static cl::OptionCategory category("nnc-eval options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<file.mlir>"), cl::Required,
                                      cl::cat(category));

static cl::opt<std::string> funcName("func", cl::desc("The function to evaluate"), cl::Required,
                                     cl::value_desc("name"), cl::cat(category));

static cl::list<std::string> inputs("input",
                                    cl::desc("A .npy file for the next argument (repeat, in "
                                             "argument order)"),
                                    cl::value_desc("path.npy"), cl::cat(category));

static cl::opt<uint64_t> initSeed("init-params",
                                  cl::desc("Initialize nn.init arguments (and the nn.rng key) "
                                           "from this seed instead of reading files"),
                                  cl::value_desc("seed"), cl::cat(category));

static cl::opt<std::string> outputDir("output-dir",
                                      cl::desc("Also write each result N to DIR/result_N.npy"),
                                      cl::value_desc("dir"), cl::init(""), cl::cat(category));

static cl::opt<unsigned> numFirst("show", cl::desc("How many leading elements to print"),
                                  cl::init(4), cl::cat(category));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "nnc-eval: error: " << message << "\n";
  return 1;
}

/// The .npy dtype that holds elements of `type`, or "" if none does.
static std::string dtypeFor(mlir::Type type) {
  if (type.isF32())
    return "<f4";
  if (type.isF64())
    return "<f8";
  if (type.isInteger(1))
    return "|b1";
  if (type.isInteger(8))
    return "|u1";
  if (type.isInteger(32))
    return "<i4";
  if (type.isInteger(64) || type.isIndex())
    return "<i8";
  return "";
}

/// "argument 2 (nn.param "dense_0.w")": how messages name an argument.
static std::string describeArg(mlir::func::FuncOp fn, unsigned k) {
  std::string s = "argument " + std::to_string(k);
  for (llvm::StringRef key :
       {nn::NNDialect::kInputAttr, nn::NNDialect::kParamAttr, nn::NNDialect::kStateAttr})
    if (auto name = fn.getArgAttrOfType<mlir::StringAttr>(k, key))
      return s + " (" + key.str() + " \"" + name.getValue().str() + "\")";
  for (llvm::StringRef key : {nn::NNDialect::kLabelsAttr, nn::NNDialect::kRngAttr})
    if (fn.getArgAttr(k, key))
      return s + " (" + key.str() + ")";
  return s;
}

static std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Converts a .npy array into the argument of type `type`, or explains why not.
static mlir::FailureOr<eval::Tensor> tensorFromNpy(const runtime::NpyArray &array, mlir::Type type,
                                                   std::string &why) {
  mlir::Type elementType = type;
  llvm::ArrayRef<int64_t> shape;
  if (auto ranked = mlir::dyn_cast<mlir::RankedTensorType>(type)) {
    elementType = ranked.getElementType();
    shape = ranked.getShape();
  }
  std::string dtype = dtypeFor(elementType);
  if (dtype.empty()) {
    why = "its element type has no .npy dtype";
    return mlir::failure();
  }
  if (array.dtype != dtype || array.shape != std::vector<int64_t>(shape.begin(), shape.end())) {
    why = "expected dtype " + dtype + " and shape " + shapeString(shape) + ", found dtype " +
          array.dtype + " and shape " + shapeString(array.shape);
    return mlir::failure();
  }
  if (mlir::isa<mlir::FloatType>(elementType))
    return eval::Tensor::floats(elementType, shape, array.toDoubles());
  std::vector<int64_t> values = array.toInt64s();
  if (elementType.isInteger(8)) // |u1 bytes reinterpreted as the signless i8
    for (int64_t &v : values)
      v = int8_t(uint8_t(v));
  return eval::Tensor::ints(elementType, shape, values);
}

static void printSummary(llvm::raw_ostream &os, unsigned n, const eval::Tensor &t) {
  os << "result " << n << ": " << t.typeString();
  int64_t count = t.numel();
  auto num = [&](double v) {
    if (t.isFloat())
      os << llvm::format("%.6g", v);
    else
      os << int64_t(v);
  };
  if (count == 0) {
    os << " (empty)\n";
    return;
  }
  double sum = 0, lo = t.getDouble(0), hi = lo;
  for (int64_t k = 0; k < count; ++k) {
    double v = t.getDouble(k);
    sum += v;
    lo = std::fmin(lo, v);
    hi = std::fmax(hi, v);
  }
  os << " sum=";
  num(sum);
  os << " min=";
  num(lo);
  os << " max=";
  num(hi);
  os << " first=[";
  for (int64_t k = 0; k < count && k < int64_t(numFirst); ++k) {
    if (k)
      os << ", ";
    num(t.getDouble(k));
  }
  os << (count > int64_t(numFirst) ? ", ...]" : "]") << "\n";
}

static std::string writeResult(const eval::Tensor &t, unsigned n) {
  std::string dtype = dtypeFor(t.elementType);
  llvm::SmallString<256> path(outputDir);
  llvm::sys::path::append(path, "result_" + std::to_string(n) + ".npy");
  if (dtype.empty())
    return std::string(path) + ": no .npy dtype for " + t.typeString();
  runtime::NpyArray array = t.isFloat() ? runtime::NpyArray::fromDoubles(dtype, t.shape, t.f)
                                        : runtime::NpyArray::fromInt64s(dtype, t.shape, t.i);
  return runtime::writeNpy(std::string(path), array);
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "nnc-eval: evaluates a function of nn-dialect IR with the reference evaluator\n\n"
      "  nnc-eval f.mlir --func main --input x.npy --input y.npy\n"
      "  nnc-eval f.mlir --func mlp_loss --init-params 0 --input x.npy --input labels.npy\n");
  bool initParams = initSeed.getNumOccurrences() > 0;

  mlir::MLIRContext ctx;
  ctx.loadDialect<nn::NNDialect, mlir::func::FuncDialect, mlir::arith::ArithDialect,
                  mlir::scf::SCFDialect, mlir::tensor::TensorDialect>();
  ctx.printOpOnDiagnostic(false);

  if (llvm::sys::fs::is_directory(inputFile))
    return fail("cannot read '" + inputFile + "': it is a directory");
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(inputFile, /*IsText=*/true);
  if (std::error_code ec = buffer.getError())
    return fail("cannot open '" + inputFile + "': " + ec.message());
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, &ctx);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::parseSourceFile<mlir::ModuleOp>(sourceMgr, &ctx);
  if (!module)
    return 1; // the parser or the verifier has reported why

  auto fn = module->lookupSymbol<mlir::func::FuncOp>(funcName);
  if (!fn) {
    std::string names;
    for (auto f : module->getOps<mlir::func::FuncOp>())
      names += (names.empty() ? "" : ", ") + f.getSymName().str();
    return fail("no function '" + funcName + "' in " + inputFile +
                (names.empty() ? " (it has no functions)" : " (it has: " + names + ")"));
  }
  if (fn.isExternal())
    return fail("function '" + funcName + "' has no body");

  // Build the arguments: initialized ones from the seed, the others from
  // the files in order.
  std::vector<eval::Tensor> args;
  unsigned nextInput = 0, initIndex = 0;
  mlir::FunctionType type = fn.getFunctionType();
  unsigned needed = 0;
  for (unsigned k = 0; k < type.getNumInputs(); ++k) {
    bool fromInit = initParams && fn.getArgAttr(k, nn::NNDialect::kInitAttr);
    bool fromSeed = initParams && fn.getArgAttr(k, nn::NNDialect::kRngAttr);
    if (!fromInit && !fromSeed)
      ++needed;
  }
  if (inputs.size() != needed)
    return fail("'" + funcName + "' needs " + llvm::Twine(needed) + " input file" +
                (needed == 1 ? "" : "s") +
                (initParams ? " besides the initialized arguments" : "") + ", " +
                llvm::Twine(inputs.size()) + " given");
  for (unsigned k = 0; k < type.getNumInputs(); ++k) {
    mlir::Type argType = type.getInput(k);
    if (initParams && fn.getArgAttr(k, nn::NNDialect::kInitAttr)) {
      auto ranked = mlir::dyn_cast<mlir::RankedTensorType>(argType);
      std::string why;
      mlir::FailureOr<eval::Tensor> t = eval::initTensor(
          ranked, fn.getArgAttrOfType<mlir::DictionaryAttr>(k, nn::NNDialect::kInitAttr), initSeed,
          initIndex++, &why);
      if (mlir::failed(t))
        return fail(describeArg(fn, k) + ": cannot initialize: " + why);
      args.push_back(std::move(*t));
      continue;
    }
    if (initParams && fn.getArgAttr(k, nn::NNDialect::kRngAttr)) {
      if (!argType.isInteger(64))
        return fail(describeArg(fn, k) + ": the nn.rng key must be i64");
      args.push_back(eval::Tensor::scalar(argType, int64_t(uint64_t(initSeed))));
      continue;
    }
    const std::string &path = inputs[nextInput++];
    runtime::NpyArray array;
    std::string err = runtime::readNpy(path, array);
    if (!err.empty())
      return fail(err);
    std::string why;
    mlir::FailureOr<eval::Tensor> t = tensorFromNpy(array, argType, why);
    if (mlir::failed(t)) {
      std::string typeStr;
      llvm::raw_string_ostream(typeStr) << argType;
      return fail(path + ": does not fit " + describeArg(fn, k) + " of type " + typeStr + ": " +
                  why);
    }
    args.push_back(std::move(*t));
  }

  mlir::FailureOr<std::vector<eval::Tensor>> results = eval::evaluate(fn, args);
  if (mlir::failed(results))
    return 1; // reported at the op's location

  if (!outputDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
      return fail("cannot create '" + outputDir + "': " + ec.message());
  }
  for (unsigned n = 0; n < results->size(); ++n) {
    printSummary(llvm::outs(), n, (*results)[n]);
    if (!outputDir.empty()) {
      std::string err = writeResult((*results)[n], n);
      if (!err.empty())
        return fail(err);
    }
  }
  return 0;
}
