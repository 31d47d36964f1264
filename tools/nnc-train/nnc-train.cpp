//===- nnc-train.cpp - Compile a model and train it -----------------------===//
//
// `nnc-train model.nn` compiles the model's training step and evaluation function with
// the JIT, loads the data set of its train block, and trains: epochs of shuffled batches,
// a progress line, the training loss and the test accuracy per epoch. Flags override the
// train block (--epochs, --batch, --lr, --limit, --seed, --data); --json prints one final
// JSON line like the PyTorch peer's.
//
// Parameters, state and optimizer state live in two arenas used in turn (the step reads
// one and writes the other), so the compiled step never writes a buffer it reads.
//
//===----------------------------------------------------------------------===//

#include "nnc/Frontend/Frontend.h"
#include "nnc/Frontend/MLIRGen.h"
#include "nnc/Pipeline/Pipeline.h"
#include "nnc/Runtime/Batches.h"
#include "nnc/Runtime/Data.h"
#include "nnc/Runtime/Random.h"
#include "nnc/Runtime/Safetensors.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/GlobPattern.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <chrono>
#include <csignal>
#include <cerrno>
#include <cstring>
#include <map>
#include <cmath>
#include <cstdio>
#include <malloc.h>
#include <unistd.h>

using namespace nnc;
namespace cl = llvm::cl;

static cl::OptionCategory category("nnc-train options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.nn>"), cl::Required,
                                      cl::cat(category));
static cl::opt<int64_t> epochsFlag("epochs", cl::desc("Epochs (default: the train block's)"),
                                   cl::init(0), cl::cat(category));
static cl::opt<int64_t> batchFlag("batch", cl::desc("Batch size (default: the train block's)"),
                                  cl::init(0), cl::cat(category));
static cl::opt<double> lrFlag("lr", cl::desc("Learning rate (default: the optimizer's)"),
                              cl::init(0), cl::cat(category));
static cl::opt<int64_t> limitFlag("limit", cl::desc("Train on the first N samples only"),
                                  cl::init(0), cl::cat(category));
static cl::opt<int64_t> seedFlag("seed", cl::desc("Seed of the initialization, shuffling and "
                                                  "dropout (default: the train block's)"),
                                 cl::init(-1), cl::cat(category));
static cl::opt<std::string> dataFlag("data", cl::desc("Data path (overrides the train block's)"),
                                     cl::init(""), cl::cat(category));
static cl::opt<std::string> saveFlag(
    "save", cl::desc("Write a checkpoint (safetensors: parameters, state, optimizer state, step) "
                     "to <file> after every epoch and at the end"),
    cl::value_desc("file"), cl::init(""), cl::cat(category));
static cl::opt<std::string> resumeFlag("resume",
                                       cl::desc("Continue the run saved in <file> (--save)"),
                                       cl::value_desc("file"), cl::init(""), cl::cat(category));
static cl::opt<int64_t> checkpointEvery("checkpoint-every",
                                        cl::desc("Write the checkpoint every N epochs (default 1)"),
                                        cl::init(0), cl::cat(category));
static cl::opt<std::string> metricsFlag(
    "metrics", cl::desc("Append a JSON line per logged step (every 'log_every' steps, default 50) "
                        "and per epoch to <file.jsonl>"),
    cl::value_desc("file.jsonl"), cl::init(""), cl::cat(category));
static cl::opt<bool> jsonFlag("json", cl::desc("Print one final JSON line with the results"),
                              cl::init(false), cl::cat(category));

namespace {

volatile std::sig_atomic_t interrupted = 0;
void onInterrupt(int) { interrupted = 1; }

[[noreturn]] void fail(const llvm::Twine &msg) {
  llvm::errs() << "nnc-train: " << msg << "\n";
  std::exit(1);
}

/// Fills a float buffer from an nn.init record with the generator shared with the reference
/// evaluator (nnc-eval --init-params), so both start from the same parameters.
void initialize(float *data, int64_t n, mlir::DictionaryAttr init, uint64_t seed, uint64_t index) {
  auto num = [&](llvm::StringRef k) {
    auto a = init ? init.getAs<mlir::FloatAttr>(k) : mlir::FloatAttr();
    return a ? a.getValueAsDouble() : 0.0;
  };
  auto dist = init ? init.getAs<mlir::StringAttr>("dist") : mlir::StringAttr();
  llvm::StringRef d = dist ? dist.getValue() : "constant";
  runtime::InitDist kind = d == "uniform"  ? runtime::InitDist::Uniform
                           : d == "normal" ? runtime::InitDist::Normal
                                           : runtime::InitDist::Constant;
  double a = d == "uniform" ? num("low") : d == "normal" ? num("mean") : num("value");
  double b = d == "uniform" ? num("high") : d == "normal" ? num("std") : 0.0;
  for (int64_t j = 0; j < n; ++j)
    data[j] = float(runtime::initValue(kind, a, b, seed, index, uint64_t(j)));
}

double field(mlir::DictionaryAttr rec, llvm::StringRef name, double def = 0) {
  if (!rec)
    return def;
  mlir::Attribute a = rec.get(name);
  if (auto f = llvm::dyn_cast_or_null<mlir::FloatAttr>(a))
    return f.getValueAsDouble();
  if (auto i = llvm::dyn_cast_or_null<mlir::IntegerAttr>(a))
    return double(i.getValue().getSExtValue());
  if (auto b = llvm::dyn_cast_or_null<mlir::BoolAttr>(a))
    return b.getValue();
  return def;
}

std::string text(mlir::DictionaryAttr rec, llvm::StringRef name) {
  auto a = rec ? rec.getAs<mlir::StringAttr>(name) : mlir::StringAttr();
  return a ? a.str() : std::string();
}

/// Replaces `key` of a dictionary attribute.
mlir::DictionaryAttr with(mlir::DictionaryAttr d, llvm::StringRef key, mlir::Attribute v) {
  mlir::NamedAttrList list(d);
  list.set(key, v);
  return list.getDictionary(d.getContext());
}

struct Buffers {
  std::vector<std::vector<char>> storage;
  std::vector<void *> ptrs;
};

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  // The compiled step still allocates its temporaries on the heap (the static memory plan
  // is to come). Large blocks would be mmap'ed and returned to the system at every free:
  // page faults on every step. Keep freed memory for reuse instead.
  std::signal(SIGINT, onInterrupt);
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  // libLLVM registers a global option named "threads"; ours is taken off the command line
  // before the parser sees it.
  int threads = 1;
  std::vector<char *> rest;
  for (int i = 0; i < argc; ++i) {
    llvm::StringRef a(argv[i]);
    llvm::StringRef value;
    if (a == "--threads" || a == "-threads") {
      if (i + 1 >= argc)
        fail("--threads needs a number");
      value = argv[++i];
    } else if (a.consume_front("--threads=") || a.consume_front("-threads=")) {
      value = a;
    } else {
      rest.push_back(argv[i]);
      continue;
    }
    if (value.getAsInteger(10, threads) || threads < 1)
      fail("--threads: expected a positive number, found '" + value + "'");
  }
  argc = int(rest.size());
  argv = rest.data();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "nnc-train: compiles a model with the JIT and trains it\n\n"
                              "  nnc-train models/mlp.nn --epochs 1\n\n"
                              "  --threads=<n>                - Threads (only 1 so far)\n");
  if (threads != 1)
    fail("--threads " + llvm::Twine(threads) + ": only 1 thread is supported so far");
  if (batchFlag < 0 || epochsFlag < 0 || limitFlag < 0 || lrFlag < 0)
    fail("--batch, --epochs, --limit and --lr must not be negative");
  auto t0 = std::chrono::steady_clock::now();

  mlir::DialectRegistry registry;
  registerPipelineDialects(registry);
  mlir::MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  ctx.printOpOnDiagnostic(false);
  llvm::SourceMgr srcMgr;
  mlir::SourceMgrDiagnosticHandler handler(srcMgr, &ctx);

  FrontendOptions fo;
  fo.batch = batchFlag;
  Frontend fe(srcMgr, &ctx, fo);
  if (mlir::failed(fe.load(inputFile)))
    return 1;
  mlir::FailureOr<Program> prog = fe.check();
  if (mlir::failed(prog))
    return 1;
  if (!prog->hasTrain)
    fail("'" + inputFile + "' has no train block: nothing to train");
  mlir::OwningOpRef<mlir::ModuleOp> module = mlirGen(*prog, fe, &ctx);
  if (mlir::failed(mlir::verify(*module)))
    return 1;

  // Flags override the train block.
  auto train = (*module)->getAttrOfType<mlir::DictionaryAttr>("nn.train");
  mlir::Builder b(&ctx);
  if (lrFlag > 0)
    train = with(train, "optimizer",
                 with(train.getAs<mlir::DictionaryAttr>("optimizer"), "lr", b.getF64FloatAttr(lrFlag)));
  (*module)->setAttr("nn.train", train);
  int64_t epochs = epochsFlag ? epochsFlag : int64_t(field(train, "epochs", 1));
  uint64_t seed = seedFlag >= 0 ? uint64_t(seedFlag) : uint64_t(field(train, "seed", 0));

  if (mlir::failed(buildTrainingStep(*module)))
    return 1;
  CompileOptions co;
  mlir::FailureOr<CompiledModel> compiled = lowerToLLVM(*module, co);
  if (mlir::failed(compiled))
    return 1;
  auto engine = jitCompile(*module, co);
  if (mlir::failed(engine))
    return 1;
  // ORC compiles lazily, on the first lookup: do it now, so that compile time is not
  // counted as training time.
  for (const std::string &fn : {compiled->trainStep.function, compiled->eval.function})
    if (auto sym = (*engine)->lookupPacked(fn); !sym)
      fail("JIT compilation of '" + fn + "' failed: " + llvm::toString(sym.takeError()));
  double compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const Signature &step = compiled->trainStep;
  const Signature &eval = compiled->eval;

  // The data.
  auto data = train.getAs<mlir::DictionaryAttr>("data");
  runtime::DataConfig dc;
  dc.kind = text(data, "kind");
  dc.path = text(data, "path");
  dc.images = text(data, "images");
  dc.labels = text(data, "labels");
  dc.testImages = text(data, "test_images");
  dc.testLabels = text(data, "test_labels");
  dc.x = text(data, "x");
  dc.y = text(data, "y");
  dc.testX = text(data, "test_x");
  dc.testY = text(data, "test_y");
  dc.test = text(data, "test");
  dc.label = int64_t(field(data, "label", -1));
  dc.skipRows = int64_t(field(data, "skip_rows"));
  dc.header = field(data, "header") != 0;
  if (!text(data, "delimiter").empty())
    dc.delimiter = text(data, "delimiter");
  dc.testFraction = field(data, "test_fraction");
  if (!dataFlag.empty())
    dc.path = dataFlag;
  dc.baseDir = llvm::sys::path::parent_path(inputFile).str();
  const Slot *labelSlot = nullptr, *inputSlot = nullptr;
  for (const Slot &s : step.args) {
    if (s.role == Slot::Labels)
      labelSlot = &s;
    if (s.role == Slot::Input && !inputSlot)
      inputSlot = &s;
  }
  if (!labelSlot || !inputSlot)
    fail("the training step has no input or no labels");
  runtime::LoadOptions lo;
  lo.wantIntLabels = labelSlot->dtype == "i32";
  if (lo.wantIntLabels && !eval.results.empty() && eval.results[0].shape.size() == 2)
    lo.numClasses = eval.results[0].shape[1];
  lo.limit = limitFlag;
  runtime::Dataset trainSet, testSet;
  std::string err = runtime::loadData(dc, lo, trainSet, testSet);
  if (!err.empty())
    fail(err);
  int64_t batch = inputSlot->shape[0];
  int64_t sampleElems = 1;
  for (size_t i = 1; i < inputSlot->shape.size(); ++i)
    sampleElems *= inputSlot->shape[i];
  if (trainSet.sampleNumel() != sampleElems)
    fail("the data's samples have " + llvm::Twine(trainSet.sampleNumel()) +
         " values, the model's input '" + inputSlot->name + "' expects " + llvm::Twine(sampleElems));
  if (trainSet.size < batch)
    fail("the training set has " + llvm::Twine(trainSet.size) + " samples, fewer than one batch of " +
         llvm::Twine(batch));

  // Two arenas of parameters and state, used in turn.
  Buffers args[2], outs[2];
  std::map<std::string, int> argIndex;
  uint64_t initIndex = 0;
  for (int k = 0; k < 2; ++k) {
    args[k].storage.resize(step.args.size());
    args[k].ptrs.resize(step.args.size());
    for (size_t i = 0; i < step.args.size(); ++i) {
      args[k].storage[i].assign(step.args[i].bytes() + 64, 0);
      args[k].ptrs[i] = args[k].storage[i].data();
    }
  }
  for (size_t i = 0; i < step.args.size(); ++i) {
    const Slot &s = step.args[i];
    if (s.role == Slot::Param || s.role == Slot::State || s.role == Slot::OptState) {
      argIndex[s.name + "#" + std::to_string(int(s.role))] = i;
      if (s.dtype != "f32")
        fail("only f32 parameters are supported by the trainer");
      initialize(static_cast<float *>(args[0].ptrs[i]), s.numElements(), s.init, seed, initIndex++);
    }
  }
  // Where each result goes: the other arena's slot of the same name, or a scratch buffer.
  std::vector<std::vector<char>> scratch(step.results.size());
  std::vector<void *> resultPtrs[2];
  for (int k = 0; k < 2; ++k) {
    for (size_t r = 0; r < step.results.size(); ++r) {
      const Slot &s = step.results[r];
      auto it = argIndex.find(s.name + "#" + std::to_string(int(s.role)));
      if (it != argIndex.end()) {
        resultPtrs[k].push_back(args[1 - k].ptrs[it->second]);
      } else {
        scratch[r].assign(s.bytes() + 64, 0);
        resultPtrs[k].push_back(scratch[r].data());
      }
    }
  }
  // Frozen parameters are not results: both arenas hold them.
  for (size_t i = 0; i < step.args.size(); ++i)
    if (step.args[i].role == Slot::Param || step.args[i].role == Slot::State)
      std::memcpy(args[1].ptrs[i], args[0].ptrs[i], step.args[i].bytes());
  int lossResult = -1;
  for (size_t r = 0; r < step.results.size(); ++r)
    if (step.results[r].role == Slot::Loss)
      lossResult = r;

  float stepCounter = 0;
  int cur = 0;
  bool tty = isatty(fileno(stdout));
  double trainSeconds = 0, lastLoss = 0, testAcc = -1;
  int64_t samples = 0;

  // Loss and accuracy of the model on a data set (accuracy -1 for regression), with the
  // evaluation function (no dropout, batch-norm running statistics).
  struct Metrics {
    double loss = -1, acc = -1;
  };
  auto evaluateOn = [&](const runtime::Dataset &ds, const Buffers &params) -> Metrics {
    Metrics m;
    if (ds.size == 0)
      return m;
    runtime::Batcher tb(ds, batch, 0, /*shuffle=*/false, /*dropLast=*/false);
    tb.startEpoch(0);
    int64_t width = ds.intLabels ? 1 : ds.targetWidth;
    std::vector<uint8_t> tx(tb.featureBytes());
    std::vector<int32_t> ty(batch * width);
    std::vector<float> xf(batch * sampleElems), out(eval.results[0].numElements());
    std::vector<void *> ptrs;
    for (const Slot &s : eval.args) {
      if (s.role == Slot::Input) {
        ptrs.push_back(xf.data());
        continue;
      }
      auto it = argIndex.find(s.name + "#" + std::to_string(int(s.role)));
      if (it == argIndex.end())
        fail("internal error: the evaluation function reads '" + s.name + "', unknown to the step");
      ptrs.push_back(params.ptrs[it->second]);
    }
    ptrs.push_back(out.data());
    std::vector<void *> packed;
    for (void *&p : ptrs)
      packed.push_back(&p);
    int64_t correct = 0, total = 0, cols = out.size() / batch;
    double lossSum = 0;
    while (tb.next(tx.data(), ty.data())) {
      int64_t n = tb.lastCount();
      for (int64_t j = 0; j < n * sampleElems; ++j)
        xf[j] = ds.isU8 ? tx[j] * (1.0f / 255.0f) : reinterpret_cast<float *>(tx.data())[j];
      std::fill(xf.begin() + n * sampleElems, xf.end(), 0.0f);
      if (auto e = (*engine)->invokePacked(eval.function, packed))
        fail("evaluation failed: " + llvm::toString(std::move(e)));
      for (int64_t r = 0; r < n; ++r) {
        const float *row = out.data() + r * cols;
        if (ds.intLabels) {
          // Cross-entropy from the logits, stably, and the arg-max.
          int64_t best = 0;
          for (int64_t c = 1; c < cols; ++c)
            if (row[c] > row[best])
              best = c;
          double sum = 0;
          for (int64_t c = 0; c < cols; ++c)
            sum += std::exp(double(row[c]) - row[best]);
          lossSum += std::log(sum) + row[best] - row[ty[r]];
          correct += best == ty[r];
        } else {
          const float *target = reinterpret_cast<const float *>(ty.data()) + r * width;
          for (int64_t c = 0; c < cols; ++c)
            lossSum += (row[c] - target[c]) * (row[c] - target[c]) / double(cols);
        }
      }
      total += n;
    }
    m.loss = lossSum / double(total);
    if (ds.intLabels)
      m.acc = double(correct) / double(total);
    return m;
  };
  auto runEval = [&](const Buffers &params) { return evaluateOn(testSet, params).acc; };

  // The validation set: a split of the training data (shuffled with a fixed seed first, as
  // sorted files are common) or another data source; and early stopping on it.
  runtime::Dataset valSet;
  if (auto val = train.getAs<mlir::DictionaryAttr>("validation")) {
    if (text(val, "kind") == "split") {
      runtime::shuffleRows(trainSet, 0x5EED);
      std::string e = runtime::splitOff(trainSet, field(val, "fraction"), valSet);
      if (!e.empty())
        fail("validation: " + e);
    } else {
      runtime::DataConfig vc = dc;
      vc.kind = text(val, "kind");
      vc.path = text(val, "path");
      vc.test.clear();
      vc.testFraction = 0;
      runtime::Dataset unused;
      runtime::LoadOptions vo = lo;
      vo.limit = 0;
      std::string e = runtime::loadData(vc, vo, valSet, unused);
      if (!e.empty())
        fail("validation: " + e);
    }
    if (valSet.size < 1)
      fail("validation: the validation set is empty");
  }
  auto stopping = train.getAs<mlir::DictionaryAttr>("early_stopping");
  if (stopping && valSet.size == 0 && text(stopping, "metric") != "train_loss")
    fail("early_stopping on '" + text(stopping, "metric") +
         "' needs a validation set ('validation = split(0.1)' in the train block)");
  if (trainSet.size < batch)
    fail("the training set has " + llvm::Twine(trainSet.size) +
         " samples after the validation split, fewer than one batch of " + llvm::Twine(batch));
  runtime::Batcher batcher(trainSet, batch, seed, /*shuffle=*/true, /*dropLast=*/true);
  std::vector<uint8_t> rawX(batcher.featureBytes());
  std::vector<int32_t> labels(batch * std::max<int64_t>(1, trainSet.targetWidth));

  // Checkpoints: every parameter, state and optimizer-state buffer by name, with the step
  // and the epochs done. The batch order and the dropout keys are functions of (seed, epoch)
  // and (seed, step), so a resumed run continues exactly as the uninterrupted one would.
  std::string lastSaved;
  auto checkpointName = [&](const Slot &sl) {
    return sl.role == Slot::Param ? sl.name : sl.role == Slot::State ? "state." + sl.name : sl.name;
  };
  auto saveCheckpoint = [&](const std::string &path, int64_t epochsDone) {
    std::vector<runtime::TensorView> views;
    for (size_t i = 0; i < step.args.size(); ++i) {
      const Slot &sl = step.args[i];
      if (sl.role != Slot::Param && sl.role != Slot::State && sl.role != Slot::OptState)
        continue;
      views.push_back({checkpointName(sl), runtime::DType::F32, sl.shape, args[cur].ptrs[i]});
    }
    std::map<std::string, std::string> meta = {
        {"format", "nnc-checkpoint-1"}, {"model", prog->modelName},
        {"step", std::to_string(int64_t(stepCounter))}, {"epoch", std::to_string(epochsDone)},
        {"seed", std::to_string(seed)}};
    std::string e = runtime::saveSafetensors(path, views, meta);
    if (!e.empty())
      fail("could not save the checkpoint (the previous one, if any, is intact): " + e);
    lastSaved = path + " (after epoch " + std::to_string(epochsDone) + ")";
  };
  int64_t firstEpoch = 0;
  if (!resumeFlag.empty()) {
    std::vector<runtime::LoadedTensor> tensors;
    std::map<std::string, std::string> meta;
    std::string e = runtime::loadSafetensors(resumeFlag, tensors, meta);
    if (!e.empty())
      fail("cannot resume: " + e);
    if (meta["model"] != prog->modelName)
      fail("cannot resume from '" + resumeFlag + "': it is a checkpoint of model '" + meta["model"] +
           "', not '" + prog->modelName + "'");
    std::map<std::string, const runtime::LoadedTensor *> byName;
    for (const auto &t : tensors)
      byName[t.name] = &t;
    for (size_t i = 0; i < step.args.size(); ++i) {
      const Slot &sl = step.args[i];
      if (sl.role != Slot::Param && sl.role != Slot::State && sl.role != Slot::OptState)
        continue;
      auto it = byName.find(checkpointName(sl));
      if (it == byName.end())
        fail("cannot resume from '" + resumeFlag + "': it has no tensor '" + checkpointName(sl) + "'");
      const runtime::LoadedTensor &t = *it->second;
      if (t.dtype != runtime::DType::F32 || t.shape != sl.shape || t.bytes.size() != sl.bytes())
        fail("cannot resume from '" + resumeFlag + "': tensor '" + t.name +
             "' does not have the model's shape and type (f32)");
      std::memcpy(args[0].ptrs[i], t.bytes.data(), t.bytes.size());
      std::memcpy(args[1].ptrs[i], t.bytes.data(), t.bytes.size());
    }
    stepCounter = float(std::atoll(meta["step"].c_str()));
    firstEpoch = std::atoll(meta["epoch"].c_str());
    cur = 0;
  }
  // The train block's `checkpoint` when no --save is given.
  std::string savePath = saveFlag;
  int64_t every = checkpointEvery;
  if (auto ck = train.getAs<mlir::DictionaryAttr>("checkpoint")) {
    if (savePath.empty())
      savePath = text(ck, "path");
    if (every <= 0)
      every = int64_t(field(ck, "every", 1));
  }
  if (every <= 0)
    every = 1;
  // `init_from`: parameters by name from a safetensors file (fine-tuning), unless resuming.
  if (auto init = train.getAs<mlir::DictionaryAttr>("init_from"); init && resumeFlag.empty()) {
    std::string path = text(init, "path");
    if (!llvm::sys::path::is_absolute(path)) {
      llvm::SmallString<256> full(dc.baseDir);
      llvm::sys::path::append(full, path);
      path = std::string(full);
    }
    std::vector<llvm::GlobPattern> only;
    if (auto list = init.getAs<mlir::ArrayAttr>("only"))
      for (auto a : list.getAsRange<mlir::StringAttr>()) {
        auto pat = llvm::GlobPattern::create(a.getValue());
        if (!pat)
          fail("init_from: bad pattern '" + a.getValue() + "'");
        only.push_back(std::move(*pat));
      }
    std::vector<runtime::LoadedTensor> tensors;
    std::map<std::string, std::string> meta;
    std::string e = runtime::loadSafetensors(path, tensors, meta);
    if (!e.empty())
      fail("init_from: " + e);
    std::map<std::string, const runtime::LoadedTensor *> byName;
    for (const auto &t : tensors)
      byName[t.name] = &t;
    int loaded = 0;
    for (size_t i = 0; i < step.args.size(); ++i) {
      const Slot &sl = step.args[i];
      if (sl.role != Slot::Param)
        continue;
      bool wanted = only.empty() ||
                    llvm::any_of(only, [&](const llvm::GlobPattern &p) { return p.match(sl.name); });
      if (!wanted)
        continue;
      auto it = byName.find(sl.name);
      if (it == byName.end()) {
        if (!only.empty())
          fail("init_from: '" + path + "' has no parameter '" + sl.name + "'");
        continue;
      }
      const runtime::LoadedTensor &t = *it->second;
      if (t.dtype != runtime::DType::F32 || t.shape != sl.shape)
        fail("init_from: '" + path + "': parameter '" + sl.name +
             "' has another shape or type than the model's (f32)");
      std::memcpy(args[0].ptrs[i], t.bytes.data(), t.bytes.size());
      std::memcpy(args[1].ptrs[i], t.bytes.data(), t.bytes.size());
      ++loaded;
    }
    if (loaded == 0)
      fail("init_from: '" + path + "' holds none of the model's parameters");
  }

  Metrics val;
  int64_t epochsRun = firstEpoch, bestEpoch = -1, badEpochs = 0;
  double bestValue = 0;
  std::vector<std::vector<char>> bestCopy(step.args.size());
  if (stopping)
    for (size_t i = 0; i < step.args.size(); ++i)
      bestCopy[i].resize(step.args[i].bytes());

  // Metrics for plotting: one JSON object per line, flushed each epoch.
  std::FILE *metrics = nullptr;
  int64_t logEvery = int64_t(field(train, "log_every", 50));
  if (!metricsFlag.empty() && !(metrics = std::fopen(metricsFlag.c_str(), "a")))
    fail("--metrics: cannot open '" + metricsFlag + "': " + std::strerror(errno));

  std::vector<float> xf(batch * sampleElems);
  int64_t steps = batcher.numBatches();
  for (int64_t epoch = firstEpoch; epoch < epochs; ++epoch) {
    batcher.startEpoch(epoch);
    double lossSum = 0;
    auto e0 = std::chrono::steady_clock::now();
    for (int64_t s = 0; s < steps; ++s) {
      batcher.next(rawX.data(), labels.data());
      if (trainSet.isU8)
        for (int64_t j = 0; j < batch * sampleElems; ++j)
          xf[j] = rawX[j] * (1.0f / 255.0f);
      stepCounter += 1;
      int64_t key = int64_t(runtime::splitMix64(seed, 1u << 20, uint64_t(stepCounter)));
      std::vector<void *> ptrs;
      for (size_t i = 0; i < step.args.size(); ++i) {
        const Slot &sl = step.args[i];
        if (sl.role == Slot::Input)
          ptrs.push_back(trainSet.isU8 ? static_cast<void *>(xf.data()) : rawX.data());
        else if (sl.role == Slot::Labels)
          ptrs.push_back(labels.data());
        else if (sl.role == Slot::Step)
          ptrs.push_back(&stepCounter);
        else if (sl.role == Slot::Rng)
          ptrs.push_back(reinterpret_cast<void *>(key));
        else
          ptrs.push_back(args[cur].ptrs[i]);
      }
      for (void *p : resultPtrs[cur])
        ptrs.push_back(p);
      std::vector<void *> packed;
      for (void *&p : ptrs)
        packed.push_back(&p);
      if (auto e = (*engine)->invokePacked(step.function, packed))
        fail("the training step failed: " + llvm::toString(std::move(e)));
      float loss = *static_cast<float *>(resultPtrs[cur][lossResult]);
      if (!std::isfinite(loss))
        fail("the loss is " + llvm::Twine(std::isnan(loss) ? "NaN" : "infinite") + " at step " +
             llvm::Twine(int64_t(stepCounter)) + " (epoch " + llvm::Twine(epoch + 1) +
             "); lower the learning rate. " +
             (lastSaved.empty() ? std::string("No checkpoint was written.")
                                : "The last good checkpoint is " + lastSaved + "."));
      lossSum += loss;
      if (metrics && int64_t(stepCounter) % logEvery == 0)
        std::fprintf(metrics, "{\"step\": %lld, \"epoch\": %lld, \"loss\": %.6f}\n",
                     (long long)stepCounter, (long long)epoch + 1, loss);
      if (interrupted) {
        // Ctrl-C: finish the step, keep what was learned, leave cleanly.
        cur = 1 - cur;
        std::string path = savePath.empty() ? prog->modelName + ".interrupted.safetensors" : savePath;
        saveCheckpoint(path, epoch);
        std::fprintf(stderr,
                     "\nnnc-train: interrupted at step %lld (epoch %lld); saved %s (resume with "
                     "--resume %s: the interrupted epoch is run again)\n",
                     (long long)stepCounter, (long long)epoch + 1, path.c_str(), path.c_str());
        return 130;
      }
      cur = 1 - cur;
      if (tty && (s % 50 == 0 || s + 1 == steps)) {
        double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
        std::printf("\repoch %lld/%lld  step %lld/%lld  loss %.4f  %.0f samples/s   ",
                    (long long)epoch + 1, (long long)epochs, (long long)s + 1, (long long)steps,
                    lossSum / (s + 1), (s + 1) * batch / std::max(el, 1e-9));
        std::fflush(stdout);
      }
    }
    double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
    trainSeconds += el;
    samples += steps * batch;
    lastLoss = lossSum / steps;
    epochsRun = epoch + 1;
    if (valSet.size > 0)
      val = evaluateOn(valSet, args[cur]);
    if (metrics) {
      std::fprintf(metrics, "{\"epoch\": %lld, \"step\": %lld, \"train_loss\": %.6f",
                   (long long)epoch + 1, (long long)stepCounter, lastLoss);
      if (valSet.size > 0)
        std::fprintf(metrics, ", \"val_loss\": %.6f", val.loss);
      if (val.acc >= 0)
        std::fprintf(metrics, ", \"val_acc\": %.4f", val.acc);
      std::fprintf(metrics, "}\n");
      std::fflush(metrics);
    }
    bool stop = false;
    if (stopping) {
      // Lower is better for every watched value.
      std::string metric = text(stopping, "metric");
      double value = metric == "val_acc" ? -val.acc : metric == "train_loss" ? lastLoss : val.loss;
      if (bestEpoch < 0 || value < bestValue - field(stopping, "min_delta")) {
        bestValue = value;
        bestEpoch = epoch;
        badEpochs = 0;
        for (size_t i = 0; i < step.args.size(); ++i)
          if (step.args[i].role == Slot::Param || step.args[i].role == Slot::State)
            std::memcpy(bestCopy[i].data(), args[cur].ptrs[i], step.args[i].bytes());
      } else if (++badEpochs >= int64_t(field(stopping, "patience", 3))) {
        stop = true;
        // Back to the best weights, in both arenas.
        for (size_t i = 0; i < step.args.size(); ++i)
          if (step.args[i].role == Slot::Param || step.args[i].role == Slot::State)
            for (int k = 0; k < 2; ++k)
              std::memcpy(args[k].ptrs[i], bestCopy[i].data(), step.args[i].bytes());
      }
    }
    if (!savePath.empty() && (stop || (epoch + 1) % every == 0 || epoch + 1 == epochs))
      saveCheckpoint(savePath, epoch + 1);
    if (stop) {
      if (tty)
        std::printf("\r");
      std::printf("epoch %lld/%lld  train loss %.4f  val loss %.4f", (long long)epoch + 1,
                  (long long)epochs, lastLoss, val.loss);
      if (val.acc >= 0)
        std::printf("  val acc %.4f", val.acc);
      std::printf("\nearly stopping: no improvement of %s for %lld epochs; restored the "
                  "weights of epoch %lld\n",
                  text(stopping, "metric").c_str(), (long long)badEpochs, (long long)bestEpoch + 1);
      break;
    }
    // Long runs of short epochs (the small CSV models) print ten summaries, not hundreds.
    bool show = epochs <= 20 || (epoch + 1) % (epochs / 10) == 0 || epoch + 1 == epochs;
    if (show)
      testAcc = runEval(args[cur]);
    if (tty)
      std::printf("\r");
    if (!show)
      continue;
    std::printf("epoch %lld/%lld  train loss %.4f", (long long)epoch + 1, (long long)epochs, lastLoss);
    if (valSet.size > 0)
      std::printf("  val loss %.4f", val.loss);
    if (val.acc >= 0)
      std::printf("  val acc %.4f", val.acc);
    if (testAcc >= 0)
      std::printf("  test acc %.4f", testAcc);
    std::printf("  %.0f samples/s  %.1fs\n", steps * batch / el, el);
    std::fflush(stdout);
  }
  // Of the final (or restored best) weights.
  testAcc = runEval(args[cur]);
  if (valSet.size > 0)
    val = evaluateOn(valSet, args[cur]);
  if (bestEpoch < 0)
    bestEpoch = epochsRun - 1;
  if (jsonFlag)
    std::printf("{\"model\": \"%s\", \"threads\": 1, \"batch\": %lld, \"epochs\": %lld, "
                "\"samples_per_s\": %.1f, \"test_acc\": %.4f, \"train_loss\": %.6f, "
                "\"val_loss\": %.6f, \"val_acc\": %.4f, \"best_epoch\": %lld, "
                "\"compile_s\": %.3f}\n",
                prog->modelName.c_str(), (long long)batch, (long long)epochsRun,
                samples / std::max(trainSeconds, 1e-9), testAcc, lastLoss, val.loss, val.acc,
                (long long)bestEpoch + 1, compileSeconds);
  return 0;
}
