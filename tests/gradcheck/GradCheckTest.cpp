//===- GradCheckTest.cpp - Gradients against finite differences -----------===//
//
// The oracle test of autodiff: for every op of the nn dialect, a small f64 function whose
// loss is a random weighted sum of the op's result is differentiated by nn-autodiff, run on
// the reference evaluator, and each gradient entry is compared with a central difference
// of the loss. Then whole models (every file in models/, compiled with --f64 at batch 2)
// and an LSTM over T = 1000 steps get the same check on a sample of their parameters.
//
// A test also fails when an op of the dialect has no check here: a new op must come with
// one (or be listed among those checked through their forward op).
//
//===----------------------------------------------------------------------===//

#include "nnc/Dialect/NN/NNDialect.h"
#include "nnc/Dialect/NN/NNOps.h"
#include "nnc/Evaluator/Evaluator.h"
#include "nnc/Frontend/Frontend.h"
#include "nnc/Frontend/MLIRGen.h"
#include "nnc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/SourceMgr.h"

#include "gtest/gtest.h"

#include <cmath>
#include <random>
#include <set>

using namespace mlir;
using namespace nnc;

namespace {

struct Options {
  double h = 1e-6;       // Central-difference step.
  double tol = 1e-6;     // Relative tolerance (against max(1, |analytic|, |numeric|)).
  int maxPerParam = 12;  // Entries checked per parameter (a random sample when larger).
};

/// Our ops as checked by each case, to find the ops with no check.
std::set<std::string> &checkedOps() {
  static std::set<std::string> ops;
  return ops;
}

std::unique_ptr<MLIRContext> makeContext() {
  auto ctx = std::make_unique<MLIRContext>();
  ctx->loadDialect<nn::NNDialect, func::FuncDialect, arith::ArithDialect, scf::SCFDialect>();
  return ctx;
}

/// Arguments for `fn`: parameters and state from their nn.init, inputs uniform in [-1, 1],
/// integer labels in [0, 3), the rng key fixed.
std::vector<eval::Tensor> makeArgs(func::FuncOp fn, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uni(-1, 1);
  std::vector<eval::Tensor> args;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    Type t = fn.getArgument(i).getType();
    if (auto init = fn.getArgAttrOfType<DictionaryAttr>(i, nn::NNDialect::kInitAttr)) {
      auto r = eval::initTensor(cast<RankedTensorType>(t), init, seed, i);
      EXPECT_TRUE(succeeded(r));
      args.push_back(*r);
      continue;
    }
    auto rt = dyn_cast<RankedTensorType>(t);
    if (!rt) {
      args.push_back(eval::Tensor::scalar(t, 42));
      continue;
    }
    int64_t n = rt.getNumElements();
    if (isa<FloatType>(rt.getElementType())) {
      std::vector<double> v(n);
      for (double &x : v)
        x = uni(rng);
      args.push_back(eval::Tensor::floats(rt.getElementType(), rt.getShape(), v));
    } else {
      std::vector<int64_t> v(n);
      for (int64_t &x : v)
        x = rng() % 3;
      args.push_back(eval::Tensor::ints(rt.getElementType(), rt.getShape(), v));
    }
  }
  return args;
}

int lossIndex(func::FuncOp fn) {
  for (unsigned i = 0; i < fn.getNumResults(); ++i)
    if (fn.getResultAttr(i, nn::NNDialect::kLossAttr))
      return i;
  return -1;
}

/// Differentiates `@<name>` of `module`, then checks every (sampled) gradient entry of every
/// trainable parameter against central differences of the loss.
void checkGradients(ModuleOp module, StringRef name, const Options &opts, uint64_t seed = 1) {
  PassManager pm(module->getContext());
  pm.addPass(createNNAutodiff());
  ASSERT_TRUE(succeeded(pm.run(module))) << "nn-autodiff failed on @" << name.str();
  auto fwd = module.lookupSymbol<func::FuncOp>(name);
  auto grad = module.lookupSymbol<func::FuncOp>((name + "_grad").str());
  ASSERT_TRUE(fwd && grad);
  int li = lossIndex(fwd);
  ASSERT_GE(li, 0);

  std::vector<eval::Tensor> args = makeArgs(fwd, seed);
  auto out = eval::evaluate(grad, args);
  ASSERT_TRUE(succeeded(out)) << "evaluating @" << name.str() << "_grad failed";
  auto base = eval::evaluate(fwd, args);
  ASSERT_TRUE(succeeded(base));
  EXPECT_EQ((*out)[li].f[0], (*base)[li].f[0]) << "the gradient function changed the loss";

  std::mt19937_64 rng(seed + 7);
  unsigned next = fwd.getNumResults();
  int checked = 0;
  for (unsigned a = 0; a < fwd.getNumArguments(); ++a) {
    if (!fwd.getArgAttr(a, nn::NNDialect::kParamAttr) ||
        fwd.getArgAttr(a, nn::NNDialect::kFrozenAttr))
      continue;
    std::string pname = fwd.getArgAttrOfType<StringAttr>(a, nn::NNDialect::kParamAttr).str();
    const eval::Tensor &g = (*out)[next++];
    eval::Tensor &p = args[a];
    ASSERT_EQ(g.shape, p.shape) << pname;
    std::vector<int64_t> entries;
    if (p.numel() <= opts.maxPerParam) {
      for (int64_t e = 0; e < p.numel(); ++e)
        entries.push_back(e);
    } else {
      for (int k = 0; k < opts.maxPerParam; ++k)
        entries.push_back(rng() % p.numel());
    }
    for (int64_t e : entries) {
      double saved = p.f[e];
      p.f[e] = saved + opts.h;
      auto plus = eval::evaluate(fwd, args);
      p.f[e] = saved - opts.h;
      auto minus = eval::evaluate(fwd, args);
      p.f[e] = saved;
      ASSERT_TRUE(succeeded(plus) && succeeded(minus));
      double numeric = ((*plus)[li].f[0] - (*minus)[li].f[0]) / (2 * opts.h);
      double analytic = g.f[e];
      double scale = std::max({1.0, std::fabs(numeric), std::fabs(analytic)});
      EXPECT_LE(std::fabs(numeric - analytic) / scale, opts.tol)
          << "@" << name.str() << " d loss / d " << pname << "[" << e << "]: analytic "
          << analytic << ", central difference " << numeric;
      ++checked;
    }
  }
  EXPECT_GT(checked, 0) << "@" << name.str() << " has no parameter to check";
}

/// One op-level case: `body` computes `%y` of type `yType` from the parameters `params`
/// (and other arguments); the loss is sum(%y * %r) with %r a random input.
void checkCase(const std::string &params, const std::string &body, StringRef yType, ArrayRef<StringRef> ops,
               const Options &opts = {}) {
  for (StringRef op : ops)
    checkedOps().insert(op.str());
  auto ctx = makeContext();
  std::string text;
  llvm::raw_string_ostream os(text);
  auto t = cast<RankedTensorType>(parseType(yType, ctx.get()));
  SmallVector<int64_t> all;
  for (int64_t d = 0; d < t.getRank(); ++d)
    all.push_back(d);
  std::string axes = "[";
  for (size_t i = 0; i < all.size(); ++i)
    axes += (i ? ", " : "") + std::to_string(all[i]);
  axes += "]";
  os << "func.func @f(" << params << ", %r: " << yType << " {nn.input = \"r\"})"
     << " -> (tensor<f64> {nn.loss}) attributes {nn.mode = \"train\"} {\n"
     << body << "\n"
     << "  %wy = nn.mul %y, %r : " << yType << "\n"
     << "  %l = nn.reduce_sum %wy axes = " << axes << " : " << yType << " -> tensor<f64>\n"
     << "  return %l : tensor<f64>\n}\n";
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(os.str(), ctx.get());
  ASSERT_TRUE(module) << "the case does not parse:\n" << os.str();
  checkGradients(*module, "f", opts);
}

// Parameter declarations: uniform in [-1, 1], or in [0.5, 2] where the op needs positive input.
std::string P(StringRef name, StringRef type) {
  return ("%" + name + ": " + type + " {nn.param = \"" + name +
          "\", nn.init = {dist = \"uniform\", low = -1.0 : f64, high = 1.0 : f64}}")
      .str();
}
std::string POS(StringRef name, StringRef type) {
  return ("%" + name + ": " + type + " {nn.param = \"" + name +
          "\", nn.init = {dist = \"uniform\", low = 0.5 : f64, high = 2.0 : f64}}")
      .str();
}

TEST(GradCheck, ElementwiseBinary) {
  const char *binary[] = {"add", "sub", "mul", "max", "min"};
  for (const char *op : binary)
    checkCase(P("a", "tensor<3x4xf64>") + ", " + P("b", "tensor<3x4xf64>"),
              std::string("  %y = nn.") + op + " %a, %b : tensor<3x4xf64>", "tensor<3x4xf64>",
              {std::string("nn.") + op});
  checkCase(P("a", "tensor<3x4xf64>") + ", " + POS("b", "tensor<3x4xf64>"),
            "  %y = nn.div %a, %b : tensor<3x4xf64>", "tensor<3x4xf64>", {"nn.div"});
  checkCase(POS("a", "tensor<3x4xf64>") + ", " + P("b", "tensor<3x4xf64>"),
            "  %y = nn.pow %a, %b : tensor<3x4xf64>", "tensor<3x4xf64>", {"nn.pow"});
}

TEST(GradCheck, ElementwiseUnary) {
  const char *any[] = {"neg", "exp", "tanh", "sigmoid", "relu", "abs", "square"};
  for (const char *op : any)
    checkCase(P("a", "tensor<2x5xf64>"), std::string("  %y = nn.") + op + " %a : tensor<2x5xf64>",
              "tensor<2x5xf64>", {std::string("nn.") + op});
  const char *positive[] = {"log", "sqrt", "rsqrt"};
  for (const char *op : positive)
    checkCase(POS("a", "tensor<2x5xf64>"),
              std::string("  %y = nn.") + op + " %a : tensor<2x5xf64>", "tensor<2x5xf64>",
              {std::string("nn.") + op});
}

TEST(GradCheck, NoGradientOpsAndSelect) {
  // cmp, sign, cast of a mask, select: the comparison carries no gradient, the branches do.
  checkCase(P("a", "tensor<6xf64>") + ", " + P("b", "tensor<6xf64>"),
            "  %c = nn.cmp gt, %a, %b : tensor<6xf64>\n"
            "  %s = nn.select %c, %a, %b : tensor<6xf64>\n"
            "  %g = nn.sign %b : tensor<6xf64>\n"
            "  %m = nn.cast %c : tensor<6xi1> -> tensor<6xf64>\n"
            "  %p = nn.mul %s, %g : tensor<6xf64>\n"
            "  %y = nn.add %p, %m : tensor<6xf64>",
            "tensor<6xf64>", {"nn.cmp", "nn.select", "nn.sign", "nn.cast"});
  // argmax and random numbers: constants of the backward pass.
  checkCase(P("a", "tensor<3x4xf64>") + ", %key: i64 {nn.rng}",
            "  %i = nn.argmax %a axis = 1 : tensor<3x4xf64> -> tensor<3xi32>\n"
            "  %f = nn.cast %i : tensor<3xi32> -> tensor<3xf64>\n"
            "  %u = nn.random_uniform %key stream = 0 : tensor<3x4xf64>\n"
            "  %fb = nn.broadcast %f dims = [0] : tensor<3xf64> -> tensor<3x4xf64>\n"
            "  %m = nn.mul %a, %u : tensor<3x4xf64>\n"
            "  %y = nn.mul %m, %fb : tensor<3x4xf64>",
            "tensor<3x4xf64>", {"nn.argmax", "nn.random_uniform", "nn.broadcast"});
  // Image bytes: a constant of the backward pass.
  checkCase(P("a", "tensor<6xf64>") + ", %b: tensor<6xui8> {nn.input = \"b\"}",
            "  %d = nn.dequantize %b scale = 0.25 : tensor<6xui8> -> tensor<6xf64>\n"
            "  %y = nn.mul %a, %d : tensor<6xf64>",
            "tensor<6xf64>", {"nn.dequantize"});
  // A float-to-float cast: f64 -> f32 -> f64 loses precision, so a coarser check.
  Options coarse;
  coarse.h = 1e-2;
  coarse.tol = 1e-4;
  checkCase(P("a", "tensor<4xf64>"),
            "  %c = nn.cast %a : tensor<4xf64> -> tensor<4xf32>\n"
            "  %d = nn.cast %c : tensor<4xf32> -> tensor<4xf64>\n"
            "  %y = nn.mul %d, %d : tensor<4xf64>",
            "tensor<4xf64>", {"nn.cast"}, coarse);
  // Constants.
  checkCase(P("a", "tensor<4xf64>"),
            "  %c = nn.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf64>\n"
            "  %y = nn.mul %a, %c : tensor<4xf64>",
            "tensor<4xf64>", {"nn.constant"});
}

TEST(GradCheck, Matmul) {
  struct {
    const char *a, *b, *attr;
  } forms[] = {{"tensor<3x4xf64>", "tensor<4x5xf64>", ""},
               {"tensor<4x3xf64>", "tensor<4x5xf64>", " transpose_a"},
               {"tensor<3x4xf64>", "tensor<5x4xf64>", " transpose_b"},
               {"tensor<4x3xf64>", "tensor<5x4xf64>", " transpose_a transpose_b"}};
  for (auto &f : forms)
    checkCase(P("a", f.a) + ", " + P("b", f.b),
              std::string("  %y = nn.matmul %a, %b") + f.attr + " : " + f.a + ", " + f.b +
                  " -> tensor<3x5xf64>",
              "tensor<3x5xf64>", {"nn.matmul"});
}

TEST(GradCheck, Gather) {
  // Rows of a table by ids in [0, 3), some repeated: the table's gradient adds them up.
  checkCase(P("t", "tensor<4x3xf64>") + ", %ids: tensor<2x5xi32>",
            "  %y = nn.gather %t[%ids] : tensor<4x3xf64>, tensor<2x5xi32> -> tensor<2x5x3xf64>",
            "tensor<2x5x3xf64>", {"nn.gather"});
}

TEST(GradCheck, ShapesAndReductions) {
  checkCase(P("a", "tensor<1x3xf64>"),
            "  %y = nn.broadcast %a dims = [1, 2] : tensor<1x3xf64> -> tensor<2x4x3xf64>",
            "tensor<2x4x3xf64>", {"nn.broadcast"});
  checkCase(P("a", "tensor<2x3x4xf64>"),
            "  %s = nn.reduce_sum %a axes = [1] keep_dims : tensor<2x3x4xf64> -> tensor<2x1x4xf64>\n"
            "  %m = nn.reduce_mean %a axes = [0, 2] : tensor<2x3x4xf64> -> tensor<3xf64>\n"
            "  %x = nn.reduce_max %a axes = [2] : tensor<2x3x4xf64> -> tensor<2x3xf64>\n"
            "  %sr = nn.reshape %s : tensor<2x1x4xf64> -> tensor<8xf64>\n"
            "  %xr = nn.reshape %x : tensor<2x3xf64> -> tensor<6xf64>\n"
            "  %y = nn.concat %sr, %m, %xr axis = 0 : tensor<8xf64>, tensor<3xf64>, tensor<6xf64> -> tensor<17xf64>",
            "tensor<17xf64>",
            {"nn.reduce_sum", "nn.reduce_mean", "nn.reduce_max", "nn.reshape", "nn.concat"});
  checkCase(P("a", "tensor<2x3x4xf64>"),
            "  %y = nn.transpose %a perm = [2, 0, 1] : tensor<2x3x4xf64> -> tensor<4x2x3xf64>",
            "tensor<4x2x3xf64>", {"nn.transpose"});
  checkCase(P("a", "tensor<6x5xf64>") + ", " + P("b", "tensor<2x2xf64>"),
            "  %s = nn.slice %a offsets = [1, 0] sizes = [3, 2] strides = [2, 3] : tensor<6x5xf64> -> tensor<3x2xf64>\n"
            "  %y = nn.insert_slice %s, %b offsets = [1, 0] strides = [1, 1] : tensor<3x2xf64>, tensor<2x2xf64>",
            "tensor<3x2xf64>", {"nn.slice", "nn.insert_slice"});
  checkCase(P("a", "tensor<3x4x2xf64>") + ", " + P("b", "tensor<3x2xf64>"),
            "  %c1 = arith.constant 1 : index\n"
            "  %c2 = arith.constant 2 : index\n"
            "  %t = nn.take %a[%c1] axis = 1 : tensor<3x4x2xf64> -> tensor<3x2xf64>\n"
            "  %p = nn.put %a[%c2], %b axis = 1 : tensor<3x4x2xf64>, tensor<3x2xf64>\n"
            "  %q = nn.put %p[%c1], %t axis = 1 accumulate : tensor<3x4x2xf64>, tensor<3x2xf64>\n"
            "  %y = nn.mul %q, %q : tensor<3x4x2xf64>",
            "tensor<3x4x2xf64>", {"nn.take", "nn.put"});
}

TEST(GradCheck, SoftmaxAndLosses) {
  checkCase(P("a", "tensor<3x5xf64>"),
            "  %y = nn.softmax %a axis = 1 : tensor<3x5xf64>", "tensor<3x5xf64>", {"nn.softmax"});
  checkCase(P("a", "tensor<3x5xf64>"),
            "  %y = nn.log_softmax %a axis = 0 : tensor<3x5xf64>", "tensor<3x5xf64>",
            {"nn.log_softmax"});
  checkCase(P("a", "tensor<4x3xf64>") + ", %lab: tensor<4xi32> {nn.labels}",
            "  %c = nn.cross_entropy %a, %lab : tensor<4x3xf64>, tensor<4xi32> -> tensor<f64>\n"
            "  %y = nn.reshape %c : tensor<f64> -> tensor<1xf64>",
            "tensor<1xf64>", {"nn.cross_entropy"});
  checkCase(P("a", "tensor<4x2xf64>") + ", " + P("b", "tensor<4x2xf64>"),
            "  %c = nn.mse %a, %b : tensor<4x2xf64> -> tensor<f64>\n"
            "  %y = nn.reshape %c : tensor<f64> -> tensor<1xf64>",
            "tensor<1xf64>", {"nn.mse"});
}

TEST(GradCheck, ConvolutionAndPooling) {
  checkCase(P("x", "tensor<2x4x7x6xf64>") + ", " + P("w", "tensor<6x2x3x2xf64>"),
            "  %y = nn.conv2d %x, %w strides = [2, 1] padding = [1, 0, 2, 1] dilations = [1, 2] groups = 2"
            " : tensor<2x4x7x6xf64>, tensor<6x2x3x2xf64> -> tensor<2x6x4x5xf64>",
            "tensor<2x6x4x5xf64>", {"nn.conv2d"});
  checkCase(P("x", "tensor<2x3x6x5xf64>"),
            "  %y = nn.max_pool2d %x kernel = [3, 2] strides = [2, 2] padding = [1, 1, 1, 1]"
            " : tensor<2x3x6x5xf64> -> tensor<2x3x3x3xf64>",
            "tensor<2x3x3x3xf64>", {"nn.max_pool2d"});
  checkCase(P("x", "tensor<2x3x6x5xf64>"),
            "  %y = nn.avg_pool2d %x kernel = [2, 3] strides = [2, 1] padding = [1, 1, 1, 1]"
            " : tensor<2x3x6x5xf64> -> tensor<2x3x4x5xf64>",
            "tensor<2x3x4x5xf64>", {"nn.avg_pool2d"});
}

TEST(GradCheck, BatchNorm) {
  // Through the normalized output and through the batch statistics.
  checkCase(P("x", "tensor<4x3x2x2xf64>") + ", " + POS("g", "tensor<3xf64>") + ", " + P("b", "tensor<3xf64>"),
            "  %o, %m, %v = nn.batch_norm_train %x, %g, %b epsilon = 1.0e-05 axis = 1 : tensor<4x3x2x2xf64>, tensor<3xf64>\n"
            "  %mv = nn.mul %m, %v : tensor<3xf64>\n"
            "  %mb = nn.broadcast %mv dims = [1] : tensor<3xf64> -> tensor<4x3x2x2xf64>\n"
            "  %y = nn.add %o, %mb : tensor<4x3x2x2xf64>",
            "tensor<4x3x2x2xf64>", {"nn.batch_norm_train"});
  checkCase(P("x", "tensor<5x3xf64>") + ", " + P("m", "tensor<3xf64>") + ", " + POS("v", "tensor<3xf64>") + ", " + P("g", "tensor<3xf64>") + ", " + P("b", "tensor<3xf64>"),
            "  %y = nn.batch_norm_infer %x, %m, %v, %g, %b epsilon = 1.0e-03 axis = 1 : tensor<5x3xf64>, tensor<3xf64>",
            "tensor<5x3xf64>", {"nn.batch_norm_infer"});
}

TEST(GradCheck, Loops) {
  // A recurrence with a weight read in the loop and a value read per step.
  checkCase(P("h0", "tensor<2x3xf64>") + ", " + P("w", "tensor<3x3xf64>") + ", " + P("xs", "tensor<2x5x3xf64>"),
            "  %c0 = arith.constant 0 : index\n"
            "  %c5 = arith.constant 5 : index\n"
            "  %c1 = arith.constant 1 : index\n"
            "  %y = scf.for %i = %c0 to %c5 step %c1 iter_args(%h = %h0) -> (tensor<2x3xf64>) {\n"
            "    %x = nn.take %xs[%i] axis = 1 : tensor<2x5x3xf64> -> tensor<2x3xf64>\n"
            "    %m = nn.matmul %h, %w : tensor<2x3xf64>, tensor<3x3xf64> -> tensor<2x3xf64>\n"
            "    %s = nn.add %m, %x : tensor<2x3xf64>\n"
            "    %t = nn.tanh %s : tensor<2x3xf64>\n"
            "    scf.yield %t : tensor<2x3xf64>\n"
            "  }",
            "tensor<2x3xf64>", {"scf.for"});
  // Two carried values, a non-unit step and lower bound, and a nested loop.
  checkCase(P("a", "tensor<4xf64>") + ", " + P("w", "tensor<4xf64>"),
            "  %c2 = arith.constant 2 : index\n"
            "  %c9 = arith.constant 9 : index\n"
            "  %c3 = arith.constant 3 : index\n"
            "  %c0 = arith.constant 0 : index\n"
            "  %c1 = arith.constant 1 : index\n"
            "  %res:2 = scf.for %i = %c2 to %c9 step %c3 iter_args(%p = %a, %q = %w) -> (tensor<4xf64>, tensor<4xf64>) {\n"
            "    %in = scf.for %j = %c0 to %c3 step %c1 iter_args(%z = %p) -> (tensor<4xf64>) {\n"
            "      %zz = nn.mul %z, %q : tensor<4xf64>\n"
            "      %s = nn.tanh %zz : tensor<4xf64>\n"
            "      scf.yield %s : tensor<4xf64>\n"
            "    }\n"
            "    %q2 = nn.sigmoid %in : tensor<4xf64>\n"
            "    scf.yield %in, %q2 : tensor<4xf64>, tensor<4xf64>\n"
            "  }\n"
            "  %y = nn.add %res#0, %res#1 : tensor<4xf64>",
            "tensor<4xf64>", {"scf.for"});
}

/// Compiles a .nn file in f64 at batch 2 and checks the gradients of its training loss.
void checkModel(StringRef path, const Options &opts) {
  auto ctx = makeContext();
  llvm::SourceMgr srcMgr;
  SourceMgrDiagnosticHandler handler(srcMgr, ctx.get());
  FrontendOptions fo;
  fo.batch = 2;
  fo.floatType = ElemType::F64;
  Frontend fe(srcMgr, ctx.get(), fo);
  ASSERT_TRUE(succeeded(fe.load(path))) << path.str();
  FailureOr<Program> prog = fe.check();
  ASSERT_TRUE(succeeded(prog)) << path.str();
  OwningOpRef<ModuleOp> module = mlirGen(*prog, fe, ctx.get());
  ASSERT_TRUE(succeeded(verify(*module)));
  checkGradients(*module, prog->modelName + "_loss", opts);
}

std::string modelPath(StringRef name) {
  return (llvm::Twine(NNC_SOURCE_DIR) + "/models/" + name + ".nn").str();
}

class ModelGradCheck : public ::testing::TestWithParam<const char *> {};

TEST_P(ModelGradCheck, MatchesCentralDifferences) {
  Options opts;
  opts.maxPerParam = 4;
  checkModel(modelPath(GetParam()), opts);
}

INSTANTIATE_TEST_SUITE_P(Models, ModelGradCheck,
                         ::testing::Values("tiny", "mlp", "mlp_bn_drop", "cnn", "rnn", "gru",
                                           "lstm", "toy", "xor", "iris"));

TEST(GradCheck, StackedSequenceLayers) {
  // rnn_seq -> gru_seq -> lstm_seq -> dense over the last axis, the loss at every step: the
  // sequences the loops write one step of are not taped, and their adjoints flow back.
  Options opts;
  opts.maxPerParam = 3;
  checkModel(std::string(NNC_SOURCE_DIR) + "/tests/Execution/Inputs/stacked.nn", opts);
}

TEST(GradCheck, EmbeddingIntoASequenceLayer) {
  // nn.gather's gradient, nn.scatter_add, with ids repeated in a batch (they are in [0, 3)).
  Options opts;
  opts.maxPerParam = 6;
  checkModel(std::string(NNC_SOURCE_DIR) + "/tests/Execution/Inputs/tokens.nn", opts);
}

TEST(GradCheck, ALabelPerPosition) {
  // An embedding, an LSTM over the sequence and the cross-entropy at every position.
  Options opts;
  opts.maxPerParam = 4;
  checkModel(std::string(NNC_SOURCE_DIR) + "/tests/Execution/Inputs/next_token.nn", opts);
}

TEST(GradCheck, LstmOverAThousandSteps) {
  // Backpropagation through time over a real loop of 1000 iterations, at a small size.
  llvm::SmallString<128> path;
  int fd;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("lstm1000", "nn", fd, path));
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os << "model long(x: f32[B, 1000, 3]) -> f32[B, 2] {\n"
          "  return dense(lstm(x, 4), 2)\n"
          "}\n"
          "train long {\n"
          "  loss = mse\n"
          "}\n";
  }
  Options opts;
  opts.maxPerParam = 3;
  checkModel(path, opts);
  llvm::sys::fs::remove(path);
}

TEST(GradCheck, EveryOpHasACheck) {
  // gtest runs the tests of a file in order, so the op cases above have run by now (unless
  // a filter left them out, in which case there is nothing to compare).
  if (checkedOps().empty())
    return;
  auto ctx = makeContext();
  // Gradient ops are checked through the forward op whose rule builds them.
  std::set<std::string> throughForward = {"nn.cross_entropy_grad", "nn.conv2d_grad_input",
                                          "nn.conv2d_grad_filter", "nn.max_pool2d_grad",
                                          "nn.avg_pool2d_grad", "nn.batch_norm_grad",
                                          "nn.scatter_add"};
  std::vector<std::string> missing;
  for (RegisteredOperationName op : ctx->getRegisteredOperations()) {
    if (op.getDialectNamespace() != "nn")
      continue;
    std::string name = op.getStringRef().str();
    if (!checkedOps().count(name) && !throughForward.count(name))
      missing.push_back(name);
  }
  EXPECT_TRUE(missing.empty()) << "ops with no gradient check: " << llvm::join(missing, ", ");
}

} // namespace
