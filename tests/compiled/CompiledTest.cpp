//===- CompiledTest.cpp - The compiled code against the reference evaluator ---===//
//
// The JIT-compiled code must compute what the reference evaluator computes. For every
// differentiable op (the functions of tests/Transforms/nn-autodiff-rules.mlir, whose
// gradient functions use the forward op, its gradient ops and the ops of its rule), for the
// ops without a gradient, and for the training step of every model in models/, this test
// runs the same function on the same random inputs both ways and compares every result
// (f32: relative 1e-4 of the largest magnitude, or 1e-5 absolute).
//
//===----------------------------------------------------------------------===//

#include "nnc/Dialect/NN/NNDialect.h"
#include "nnc/Evaluator/Evaluator.h"
#include "nnc/Frontend/Frontend.h"
#include "nnc/Frontend/MLIRGen.h"
#include "nnc/Pipeline/Pipeline.h"
#include "nnc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include "gtest/gtest.h"

#include <cstring>
#include <random>

using namespace mlir;
using namespace nnc;

namespace {

std::unique_ptr<MLIRContext> makeContext() {
  DialectRegistry registry;
  registerPipelineDialects(registry);
  auto ctx = std::make_unique<MLIRContext>(registry);
  ctx->loadAllAvailableDialects();
  return ctx;
}

/// Random arguments: floats in [-1, 1] (parameters from their nn.init), integers in [0, 3)
/// (bytes in [0, 256)),
/// index scalars 1, the rng key fixed, the step counter 3.
std::vector<eval::Tensor> makeArgs(func::FuncOp fn, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uni(-1, 1);
  std::vector<eval::Tensor> args;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    Type t = fn.getArgument(i).getType();
    if (fn.getArgAttr(i, nn::NNDialect::kStepAttr)) {
      args.push_back(eval::Tensor::ints(cast<RankedTensorType>(t).getElementType(), {}, {3}));
      continue;
    }
    if (auto init = fn.getArgAttrOfType<DictionaryAttr>(i, nn::NNDialect::kInitAttr)) {
      // Parameters and (zero) optimizer state as training starts.
      auto r = eval::initTensor(cast<RankedTensorType>(t), init, seed, i);
      EXPECT_TRUE(succeeded(r));
      args.push_back(*r);
      continue;
    }
    auto rt = dyn_cast<RankedTensorType>(t);
    if (!rt) {
      args.push_back(eval::Tensor::scalar(t, t.isIndex() ? 1 : 12345));
      continue;
    }
    int64_t n = rt.getNumElements();
    if (isa<FloatType>(rt.getElementType())) {
      std::vector<double> v(n);
      for (double &x : v)
        x = uni(rng);
      // Strictly positive where an op needs it is handled by the cases themselves (abs).
      args.push_back(eval::Tensor::floats(rt.getElementType(), rt.getShape(), v));
    } else {
      std::vector<int64_t> v(n);
      for (int64_t &x : v)
        x = rt.getElementType().isInteger(1)         ? rng() % 2
            : rt.getElementType().isUnsignedInteger(8) ? rng() % 256 // Image bytes.
                                                       : rng() % 3;
      args.push_back(eval::Tensor::ints(rt.getElementType(), rt.getShape(), v));
    }
  }
  return args;
}

/// Raw storage for one tensor of the compiled ABI.
std::vector<char> toBytes(const eval::Tensor &t) {
  Type e = t.elementType;
  size_t width = e.isF64() || e.isInteger(64) || e.isIndex() ? 8 : e.isInteger(8) || e.isInteger(1) ? 1 : 4;
  std::vector<char> bytes(std::max<int64_t>(1, t.numel()) * width + 64, 0);
  for (int64_t k = 0; k < t.numel(); ++k) {
    char *p = bytes.data() + k * width;
    if (e.isF32()) {
      float v = float(t.f[k]);
      std::memcpy(p, &v, 4);
    } else if (e.isF64()) {
      std::memcpy(p, &t.f[k], 8);
    } else if (width == 8) {
      std::memcpy(p, &t.i[k], 8);
    } else if (width == 4) {
      int32_t v = int32_t(t.i[k]);
      std::memcpy(p, &v, 4);
    } else {
      p[0] = char(t.i[k]);
    }
  }
  return bytes;
}

double readBytes(const std::vector<char> &bytes, const SlotDesc &s, int64_t k) {
  if (s.dtype == "f32") {
    float v;
    std::memcpy(&v, bytes.data() + 4 * k, 4);
    return v;
  }
  if (s.dtype == "f64") {
    double v;
    std::memcpy(&v, bytes.data() + 8 * k, 8);
    return v;
  }
  if (s.dtype == "i32") {
    int32_t v;
    std::memcpy(&v, bytes.data() + 4 * k, 4);
    return v;
  }
  if (s.dtype == "i64") {
    int64_t v;
    std::memcpy(&v, bytes.data() + 8 * k, 8);
    return double(v);
  }
  return double(uint8_t(bytes[k]));
}

/// Evaluates `name` in `module` with the evaluator, then compiles and runs it with the JIT,
/// and compares the results.
void compareWithEvaluator(ModuleOp module, StringRef name, uint64_t seed = 1,
                          std::optional<VectorTarget> target = std::nullopt) {
  auto fn = module.lookupSymbol<func::FuncOp>(name);
  ASSERT_TRUE(fn) << name.str();
  std::vector<eval::Tensor> args = makeArgs(fn, seed);
  auto expected = eval::evaluate(fn, args);
  ASSERT_TRUE(succeeded(expected)) << "the evaluator failed on @" << name.str();

  std::vector<bool> byValue;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i)
    byValue.push_back(!isa<RankedTensorType>(fn.getArgument(i).getType()));
  CompileOptions opts;
  opts.target = target;
  auto sigs = lowerEntryPointsToLLVM(module, {name.str()}, opts); // `fn` is gone after this.
  ASSERT_TRUE(succeeded(sigs)) << "lowering @" << name.str() << " failed";
  auto engine = jitCompile(module, opts);
  ASSERT_TRUE(succeeded(engine));
  const EntryDesc &sig = (*sigs)[0];

  std::vector<std::vector<char>> storage;
  std::vector<void *> ptrs;
  for (size_t i = 0; i < args.size(); ++i) {
    if (byValue[i]) {
      // Scalars (index, the i64 key) are passed by value.
      ptrs.push_back(reinterpret_cast<void *>(args[i].i[0]));
      continue;
    }
    storage.push_back(toBytes(args[i]));
    ptrs.push_back(storage.back().data());
  }
  std::vector<std::vector<char>> outs;
  for (const SlotDesc &s : sig.results)
    outs.emplace_back(s.bytes() + 64, 0);
  for (auto &o : outs)
    ptrs.push_back(o.data());
  std::vector<void *> packed;
  for (void *&p : ptrs)
    packed.push_back(&p);
  llvm::Error err = (*engine)->invokePacked(name, packed);
  ASSERT_FALSE(err) << llvm::toString(std::move(err));

  ASSERT_EQ(sig.results.size(), expected->size());
  for (size_t r = 0; r < sig.results.size(); ++r) {
    const eval::Tensor &e = (*expected)[r];
    double scale = 0;
    for (int64_t k = 0; k < e.numel(); ++k)
      scale = std::max(scale, std::fabs(e.getDouble(k)));
    int reported = 0;
    for (int64_t k = 0; k < e.numel(); ++k) {
      double want = e.getDouble(k), got = readBytes(outs[r], sig.results[r], k);
      bool ok = std::fabs(want - got) <= std::max(1e-5, 1e-4 * scale) ||
                (std::isnan(want) && std::isnan(got));
      if (!ok && reported++ < 3)
        ADD_FAILURE() << "@" << name.str() << " result " << r << " ('" << sig.results[r].name
                      << "') element " << k << ": evaluator " << want << ", compiled " << got;
    }
  }
}

/// The chunks of a --split-input-file test.
std::vector<std::string> chunks(StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path);
  EXPECT_TRUE(bool(buf)) << path.str();
  std::vector<std::string> out;
  if (!buf)
    return out;
  SmallVector<StringRef> parts;
  (*buf)->getBuffer().split(parts, "// -----");
  for (StringRef p : parts)
    out.push_back(p.str());
  return out;
}

TEST(Compiled, EveryGradientRuleMatchesTheEvaluator) {
  std::string path = std::string(NNC_SOURCE_DIR) + "/tests/Transforms/nn-autodiff-rules.mlir";
  int cases = 0;
  for (const std::string &chunk : chunks(path)) {
    auto ctx = makeContext();
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(chunk, ctx.get());
    ASSERT_TRUE(module);
    auto f = *module->getOps<func::FuncOp>().begin();
    std::string name = (f.getName() + "_grad").str();
    PassManager pm = PassManager::on<ModuleOp>(ctx.get());
    pm.addPass(createNNAutodiff());
    ASSERT_TRUE(succeeded(pm.run(*module)));
    SCOPED_TRACE(name);
    compareWithEvaluator(*module, name);
    ++cases;
  }
  EXPECT_GE(cases, 40);
}

TEST(Compiled, OpsWithoutGradients) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<3x4xf32>, %key: i64, %b: tensor<3x40xui8>) -> (tensor<3xi32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xi1>, tensor<3x40xf32>) {
      %i = nn.argmax %a axis = 1 : tensor<3x4xf32> -> tensor<3xi32>
      %s = nn.sign %a : tensor<3x4xf32>
      %u = nn.random_uniform %key stream = 3 : tensor<3x4xf32>
      %c = nn.cmp le, %a, %u : tensor<3x4xf32>
      %d = nn.dequantize %b scale = 0.0039215686274509803 : tensor<3x40xui8> -> tensor<3x40xf32>
      return %i, %s, %u, %c, %d : tensor<3xi32>, tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xi1>, tensor<3x40xf32>
    })mlir";
  auto ctx = makeContext();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(src, ctx.get());
  ASSERT_TRUE(module);
  compareWithEvaluator(*module, "f");
}

/// Products and convolutions whose sizes the register blocking must split (37 = 32 + 5,
/// 20 = 16 + 4, 196 = 192 + 4 pixels), block narrowly (9 rows, 10 columns) or leave alone,
/// compiled for AVX-512, AVX2, SSE and no vectors at all: each against the evaluator.
class Contractions : public ::testing::TestWithParam<VectorTarget> {};

TEST_P(Contractions, MatchTheEvaluatorOnEveryVectorTarget) {
  const char *src = R"mlir(
    func.func @f(%a: tensor<9x7xf32>, %b: tensor<7x20xf32>, %bt: tensor<20x7xf32>,
                 %at: tensor<7x9xf32>, %x: tensor<33x40xf32>, %y: tensor<40x37xf32>,
                 %p: tensor<2x3x14x14xf32>, %w: tensor<5x3x3x3xf32>, %g: tensor<2x5x14x14xf32>,
                 %v: tensor<2x10xf32>, %u: tensor<10x10xf32>)
        -> (tensor<9x20xf32>, tensor<9x20xf32>, tensor<9x20xf32>, tensor<33x37xf32>,
            tensor<2x5x14x14xf32>, tensor<5x3x3x3xf32>, tensor<2x3x14x14xf32>, tensor<2x10xf32>) {
      %0 = nn.matmul %a, %b : tensor<9x7xf32>, tensor<7x20xf32> -> tensor<9x20xf32>
      %1 = nn.matmul %a, %bt transpose_b : tensor<9x7xf32>, tensor<20x7xf32> -> tensor<9x20xf32>
      %2 = nn.matmul %at, %b transpose_a : tensor<7x9xf32>, tensor<7x20xf32> -> tensor<9x20xf32>
      %3 = nn.matmul %x, %y : tensor<33x40xf32>, tensor<40x37xf32> -> tensor<33x37xf32>
      %4 = nn.conv2d %p, %w strides = [1, 1] padding = [1, 1, 1, 1] dilations = [1, 1] groups = 1
          : tensor<2x3x14x14xf32>, tensor<5x3x3x3xf32> -> tensor<2x5x14x14xf32>
      %5 = nn.conv2d_grad_filter %p, %g strides = [1, 1] padding = [1, 1, 1, 1] dilations = [1, 1] groups = 1
          : tensor<2x3x14x14xf32>, tensor<2x5x14x14xf32> -> tensor<5x3x3x3xf32>
      %6 = nn.conv2d_grad_input %g, %w strides = [1, 1] padding = [1, 1, 1, 1] dilations = [1, 1] groups = 1
          : tensor<2x5x14x14xf32>, tensor<5x3x3x3xf32> -> tensor<2x3x14x14xf32>
      %7 = nn.matmul %v, %u : tensor<2x10xf32>, tensor<10x10xf32> -> tensor<2x10xf32>
      return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<9x20xf32>, tensor<9x20xf32>, tensor<9x20xf32>,
          tensor<33x37xf32>, tensor<2x5x14x14xf32>, tensor<5x3x3x3xf32>, tensor<2x3x14x14xf32>,
          tensor<2x10xf32>
    })mlir";
  auto ctx = makeContext();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(src, ctx.get());
  ASSERT_TRUE(module);
  compareWithEvaluator(*module, "f", /*seed=*/3, GetParam());
}

INSTANTIATE_TEST_SUITE_P(Targets, Contractions,
                         ::testing::Values(VectorTarget{512, 32}, VectorTarget{256, 16},
                                           VectorTarget{128, 16}, VectorTarget{0, 0}),
                         [](const ::testing::TestParamInfo<VectorTarget> &info) {
                           return "bits" + std::to_string(info.param.vectorBits);
                         });

class ModelStep : public ::testing::TestWithParam<const char *> {};

/// The training step of models/<model>.nn against the evaluator; with `byteInputs`, the
/// step that takes the images as bytes (nn-byte-inputs, as for data sets of bytes).
void checkModelStep(const char *model, bool byteInputs) {
  auto ctx = makeContext();
  llvm::SourceMgr srcMgr;
  SourceMgrDiagnosticHandler handler(srcMgr, ctx.get());
  FrontendOptions fo;
  // Batch 4: batch norm over 2 samples normalizes everything to ±1, its gradients vanish to
  // rounding noise, and Adam's first steps turn that noise into full-size updates.
  fo.batch = 4;
  Frontend fe(srcMgr, ctx.get(), fo);
  // A name is one of models/; a path is relative to the source tree.
  std::string path = llvm::StringRef(model).contains('/')
                         ? std::string(NNC_SOURCE_DIR) + "/" + model
                         : std::string(NNC_SOURCE_DIR) + "/models/" + model + ".nn";
  ASSERT_TRUE(succeeded(fe.load(path)));
  FailureOr<Program> prog = fe.check();
  ASSERT_TRUE(succeeded(prog));
  OwningOpRef<ModuleOp> module = mlirGen(*prog, fe, ctx.get());
  // SGD with momentum: Adam's first steps divide by the gradient's own magnitude, so a
  // gradient that is zero in exact arithmetic (a bias ahead of batch norm) becomes a
  // full-size update of its rounding noise, different in any two correct implementations.
  // The optimizers' arithmetic is elementwise and covered op by op above.
  Builder b(ctx.get());
  auto train = (*module)->getAttrOfType<DictionaryAttr>("nn.train");
  NamedAttrList t(train);
  t.set("optimizer", b.getDictionaryAttr({b.getNamedAttr("kind", b.getStringAttr("sgd")),
                                          b.getNamedAttr("lr", b.getF64FloatAttr(0.1)),
                                          b.getNamedAttr("momentum", b.getF64FloatAttr(0.9)),
                                          b.getNamedAttr("nesterov", b.getBoolAttr(false)),
                                          b.getNamedAttr("weight_decay", b.getF64FloatAttr(0.0))}));
  (*module)->setAttr("nn.train", t.getDictionary(ctx.get()));
  if (byteInputs) {
    PassManager pm(ctx.get());
    pm.addPass(createNNByteInputs());
    ASSERT_TRUE(succeeded(pm.run(*module)));
  }
  ASSERT_TRUE(succeeded(buildTrainingStep(*module)));
  compareWithEvaluator(*module, prog->modelName + "_train_step");
}

TEST_P(ModelStep, TrainingStepMatchesTheEvaluator) { checkModelStep(GetParam(), false); }

TEST(ModelStepWithByteInputs, TrainingStepMatchesTheEvaluator) {
  for (const char *model : {"tiny", "cnn", "rnn"}) {
    SCOPED_TRACE(model);
    checkModelStep(model, true);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ModelStep,
                         ::testing::Values("tiny", "mlp", "mlp_bn_drop", "cnn", "rnn", "gru",
                                           "lstm", "toy", "xor", "iris",
                                           "tests/Execution/Inputs/stacked.nn",
                                           "tests/Execution/Inputs/tokens.nn",
                                           "tests/Execution/Inputs/next_token.nn"));

} // namespace
