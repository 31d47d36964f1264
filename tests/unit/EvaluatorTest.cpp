//===- EvaluatorTest.cpp - Unit tests of the reference evaluator ----------===//
//
// The evaluator is the oracle every other stage is compared with, so its own
// tests compare it with values worked out by hand (or, for the gradient ops,
// with identities that hold for any input: the adjoint identity of a linear
// op, and finite differences of the forward op evaluated in f64).
//
//===----------------------------------------------------------------------===//

#include "nnc/Evaluator/Evaluator.h"
#include "nnc/Dialect/NN/NNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <optional>

using namespace mlir;
using namespace nnc;
using nnc::eval::Tensor;
using ::testing::HasSubstr;

namespace {

class EvaluatorTest : public ::testing::Test {
protected:
  EvaluatorTest() {
    ctx.loadDialect<nn::NNDialect, func::FuncDialect, arith::ArithDialect, scf::SCFDialect>();
  }

  /// Parses `ir` and evaluates its @main on `args`. On failure returns
  /// nullopt with the diagnostics ("LOC: message" lines) in `errors`.
  std::optional<std::vector<Tensor>> run(llvm::StringRef ir, std::vector<Tensor> args = {}) {
    errors.clear();
    ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
      llvm::raw_string_ostream os(errors);
      os << d.getLocation() << ": " << d.str() << "\n";
      return success();
    });
    module = parseSourceString<ModuleOp>(ir, ParserConfig(&ctx), "t.mlir");
    if (!module)
      return std::nullopt;
    auto fn = module->lookupSymbol<func::FuncOp>("main");
    if (!fn)
      return std::nullopt;
    FailureOr<std::vector<Tensor>> results = eval::evaluate(fn, args);
    if (failed(results))
      return std::nullopt;
    return *results;
  }

  /// Runs `ir` expecting exactly one result.
  Tensor run1(llvm::StringRef ir, std::vector<Tensor> args = {}) {
    std::optional<std::vector<Tensor>> r = run(ir, std::move(args));
    EXPECT_TRUE(r && r->size() == 1) << errors;
    return r && !r->empty() ? (*r)[0] : Tensor();
  }

  Type f32() { return Float32Type::get(&ctx); }
  Type f64() { return Float64Type::get(&ctx); }
  Type i32() { return IntegerType::get(&ctx, 32); }
  Type i64() { return IntegerType::get(&ctx, 64); }
  Tensor F(std::vector<int64_t> shape, std::vector<double> v) {
    return Tensor::floats(f32(), shape, v);
  }
  Tensor D(std::vector<int64_t> shape, std::vector<double> v) {
    return Tensor::floats(f64(), shape, v);
  }
  Tensor I32(std::vector<int64_t> shape, std::vector<int64_t> v) {
    return Tensor::ints(i32(), shape, v);
  }

  MLIRContext ctx;
  OwningOpRef<ModuleOp> module;
  std::string errors;
};

void expectValues(const Tensor &t, std::vector<int64_t> shape, std::vector<double> expected,
                  double tol = 1e-12) {
  EXPECT_EQ(t.shape, shape);
  ASSERT_EQ(t.numel(), int64_t(expected.size()));
  for (size_t k = 0; k < expected.size(); ++k)
    EXPECT_NEAR(t.getDouble(int64_t(k)), expected[k], tol) << "element " << k;
}

//===----------------------------------------------------------------------===//
// Linear algebra and shapes
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, MatmulWithTransposes) {
  // [[1,2,3],[4,5,6]] x [[1,2],[3,4],[5,6]] = [[22,28],[49,64]].
  Tensor a = D({2, 3}, {1, 2, 3, 4, 5, 6}), b = D({3, 2}, {1, 2, 3, 4, 5, 6});
  Tensor at = D({3, 2}, {1, 4, 2, 5, 3, 6}), bt = D({2, 3}, {1, 3, 5, 2, 4, 6});
  std::vector<double> expected = {22, 28, 49, 64};
  expectValues(
      run1(R"(func.func @main(%a: tensor<2x3xf64>, %b: tensor<3x2xf64>) -> tensor<2x2xf64> {
    %r = nn.matmul %a, %b : tensor<2x3xf64>, tensor<3x2xf64> -> tensor<2x2xf64>
    return %r : tensor<2x2xf64>
  })",
           {a, b}),
      {2, 2}, expected);
  expectValues(
      run1(R"(func.func @main(%a: tensor<3x2xf64>, %b: tensor<2x3xf64>) -> tensor<2x2xf64> {
    %r = nn.matmul %a, %b transpose_a transpose_b : tensor<3x2xf64>, tensor<2x3xf64> -> tensor<2x2xf64>
    return %r : tensor<2x2xf64>
  })",
           {at, bt}),
      {2, 2}, expected);
  expectValues(
      run1(R"(func.func @main(%a: tensor<2x3xf64>, %b: tensor<2x3xf64>) -> tensor<2x2xf64> {
    %r = nn.matmul %a, %b transpose_b : tensor<2x3xf64>, tensor<2x3xf64> -> tensor<2x2xf64>
    return %r : tensor<2x2xf64>
  })",
           {a, bt}),
      {2, 2}, expected);
}

TEST_F(EvaluatorTest, Broadcast) {
  expectValues(run1(R"(func.func @main(%x: tensor<3xf64>) -> tensor<2x3xf64> {
    %r = nn.broadcast %x dims = [1] : tensor<3xf64> -> tensor<2x3xf64>
    return %r : tensor<2x3xf64>
  })",
                    {D({3}, {1, 2, 3})}),
               {2, 3}, {1, 2, 3, 1, 2, 3});
  // A size-1 operand dimension repeats; dims = [0, 2] leaves dim 1 new.
  expectValues(run1(R"(func.func @main(%x: tensor<2x1xf64>) -> tensor<2x2x3xf64> {
    %r = nn.broadcast %x dims = [0, 2] : tensor<2x1xf64> -> tensor<2x2x3xf64>
    return %r : tensor<2x2x3xf64>
  })",
                    {D({2, 1}, {5, 7})}),
               {2, 2, 3}, {5, 5, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7});
}

TEST_F(EvaluatorTest, Reductions) {
  std::optional<std::vector<Tensor>> r = run(
      R"(func.func @main(%x: tensor<2x3xf64>) -> (tensor<2x1xf64>, tensor<3xf64>, tensor<f64>) {
    %s = nn.reduce_sum %x axes = [1] keep_dims : tensor<2x3xf64> -> tensor<2x1xf64>
    %m = nn.reduce_mean %x axes = [0] : tensor<2x3xf64> -> tensor<3xf64>
    %x2 = nn.reduce_max %x axes = [0, 1] : tensor<2x3xf64> -> tensor<f64>
    return %s, %m, %x2 : tensor<2x1xf64>, tensor<3xf64>, tensor<f64>
  })",
      {D({2, 3}, {1, 2, 3, 4, 9, 6})});
  ASSERT_TRUE(r) << errors;
  expectValues((*r)[0], {2, 1}, {6, 19});
  expectValues((*r)[1], {3}, {2.5, 5.5, 4.5});
  expectValues((*r)[2], {}, {9});
}

TEST_F(EvaluatorTest, ArgmaxTakesTheFirstMaximum) {
  Tensor r = run1(R"(func.func @main(%x: tensor<2x3xf32>) -> tensor<2xi32> {
    %r = nn.argmax %x axis = 1 : tensor<2x3xf32> -> tensor<2xi32>
    return %r : tensor<2xi32>
  })",
                  {F({2, 3}, {1, 3, 3, 5, 1, 5})});
  EXPECT_EQ(r.i, (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(r.elementType, i32());
}

TEST_F(EvaluatorTest, ReshapeTransposeConcat) {
  std::optional<std::vector<Tensor>> r = run(
      R"(func.func @main(%x: tensor<2x3xf64>) -> (tensor<3x2xf64>, tensor<3x2xf64>, tensor<2x5xf64>) {
    %a = nn.reshape %x : tensor<2x3xf64> -> tensor<3x2xf64>
    %t = nn.transpose %x perm = [1, 0] : tensor<2x3xf64> -> tensor<3x2xf64>
    %s = nn.slice %x offsets = [0, 0] sizes = [2, 2] strides = [1, 1] : tensor<2x3xf64> -> tensor<2x2xf64>
    %c = nn.concat %x, %s axis = 1 : tensor<2x3xf64>, tensor<2x2xf64> -> tensor<2x5xf64>
    return %a, %t, %c : tensor<3x2xf64>, tensor<3x2xf64>, tensor<2x5xf64>
  })",
      {D({2, 3}, {1, 2, 3, 4, 5, 6})});
  ASSERT_TRUE(r) << errors;
  expectValues((*r)[0], {3, 2}, {1, 2, 3, 4, 5, 6});
  expectValues((*r)[1], {3, 2}, {1, 4, 2, 5, 3, 6});
  expectValues((*r)[2], {2, 5}, {1, 2, 3, 1, 2, 4, 5, 6, 4, 5});
}

TEST_F(EvaluatorTest, SliceAndInsertSlice) {
  std::optional<std::vector<Tensor>> r = run(
      R"(func.func @main(%x: tensor<8xf64>, %z: tensor<8xf64>, %m: tensor<3x4xf64>) -> (tensor<3xf64>, tensor<8xf64>, tensor<2x2xf64>, tensor<3x4xf64>) {
    %s = nn.slice %x offsets = [1] sizes = [3] strides = [2] : tensor<8xf64> -> tensor<3xf64>
    %i = nn.insert_slice %z, %s offsets = [1] strides = [2] : tensor<8xf64>, tensor<3xf64>
    %w = nn.slice %m offsets = [1, 1] sizes = [2, 2] strides = [1, 2] : tensor<3x4xf64> -> tensor<2x2xf64>
    %n = nn.neg %w : tensor<2x2xf64>
    %j = nn.insert_slice %m, %n offsets = [1, 1] strides = [1, 2] : tensor<3x4xf64>, tensor<2x2xf64>
    return %s, %i, %w, %j : tensor<3xf64>, tensor<8xf64>, tensor<2x2xf64>, tensor<3x4xf64>
  })",
      {D({8}, {0, 1, 2, 3, 4, 5, 6, 7}), D({8}, {0, 0, 0, 0, 0, 0, 0, 0}),
       D({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})});
  ASSERT_TRUE(r) << errors;
  expectValues((*r)[0], {3}, {1, 3, 5});
  expectValues((*r)[1], {8}, {0, 1, 0, 3, 0, 5, 0, 0});
  expectValues((*r)[2], {2, 2}, {5, 7, 9, 11});
  expectValues((*r)[3], {3, 4}, {0, 1, 2, 3, 4, -5, 6, -7, 8, -9, 10, -11});
}

TEST_F(EvaluatorTest, TakeAndPut) {
  std::optional<std::vector<Tensor>> r = run(
      R"(func.func @main(%x: tensor<2x3xf64>, %s: tensor<2xf64>) -> (tensor<2xf64>, tensor<2x3xf64>, tensor<2x3xf64>) {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %t = nn.take %x[%c1] axis = 1 : tensor<2x3xf64> -> tensor<2xf64>
    %p = nn.put %x[%c2], %s axis = 1 : tensor<2x3xf64>, tensor<2xf64>
    %a = nn.put %x[%c2], %s axis = 1 accumulate : tensor<2x3xf64>, tensor<2xf64>
    return %t, %p, %a : tensor<2xf64>, tensor<2x3xf64>, tensor<2x3xf64>
  })",
      {D({2, 3}, {1, 2, 3, 4, 5, 6}), D({2}, {10, 20})});
  ASSERT_TRUE(r) << errors;
  expectValues((*r)[0], {2}, {2, 5});
  expectValues((*r)[1], {2, 3}, {1, 2, 10, 4, 5, 20});
  expectValues((*r)[2], {2, 3}, {1, 2, 13, 4, 5, 26});
}

//===----------------------------------------------------------------------===//
// Elementwise ops, casts and precision
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, ElementwiseOps) {
  std::optional<std::vector<Tensor>> r = run(
      R"(func.func @main(%a: tensor<3xf64>, %b: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>) {
    %0 = nn.pow %a, %b : tensor<3xf64>
    %1 = nn.max %a, %b : tensor<3xf64>
    %2 = nn.relu %a : tensor<3xf64>
    %3 = nn.sign %a : tensor<3xf64>
    %4 = nn.sigmoid %b : tensor<3xf64>
    return %0, %1, %2, %3, %4 : tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>
  })",
      {D({3}, {-2, 0, 3}), D({3}, {2, 1, 0.5})});
  ASSERT_TRUE(r) << errors;
  expectValues((*r)[0], {3}, {4, 0, std::sqrt(3.0)});
  expectValues((*r)[1], {3}, {2, 1, 3});
  expectValues((*r)[2], {3}, {0, 0, 3});
  expectValues((*r)[3], {3}, {-1, 0, 1});
  expectValues((*r)[4], {3},
               {1 / (1 + std::exp(-2.0)), 1 / (1 + std::exp(-1.0)), 1 / (1 + std::exp(-0.5))});
}

TEST_F(EvaluatorTest, CmpSelectCast) {
  std::optional<std::vector<Tensor>> r = run(
      R"(func.func @main(%a: tensor<4xf32>, %b: tensor<4xf32>) -> (tensor<4xi1>, tensor<4xf32>, tensor<4xi32>, tensor<4xf32>, tensor<4xi1>) {
    %c = nn.cmp lt, %a, %b : tensor<4xf32>
    %s = nn.select %c, %a, %b : tensor<4xf32>
    %i = nn.cast %a : tensor<4xf32> -> tensor<4xi32>
    %f = nn.cast %c : tensor<4xi1> -> tensor<4xf32>
    %z = nn.cast %a : tensor<4xf32> -> tensor<4xi1>
    return %c, %s, %i, %f, %z : tensor<4xi1>, tensor<4xf32>, tensor<4xi32>, tensor<4xf32>, tensor<4xi1>
  })",
      {F({4}, {-1.75, 2.5, 0, 3}), F({4}, {0, 1, 0, 4})});
  ASSERT_TRUE(r) << errors;
  EXPECT_EQ((*r)[0].i, (std::vector<int64_t>{1, 0, 0, 1}));
  expectValues((*r)[1], {4}, {-1.75, 1, 0, 3});
  EXPECT_EQ((*r)[2].i, (std::vector<int64_t>{-1, 2, 0, 3})); // truncation toward zero
  expectValues((*r)[3], {4}, {1, 0, 0, 1});
  EXPECT_EQ((*r)[4].i, (std::vector<int64_t>{1, 1, 0, 1}));
}

TEST_F(EvaluatorTest, F32RoundsEveryResultAndF64DoesNot) {
  const char *ir = R"(func.func @main(%a: tensor<1xT>, %b: tensor<1xT>) -> tensor<1xT> {
    %s = nn.add %a, %b : tensor<1xT>
    %d = nn.div %s, %a : tensor<1xT>
    return %d : tensor<1xT>
  })";
  auto withType = [&](const char *t) {
    std::string s = ir;
    for (size_t p; (p = s.find("xT>")) != std::string::npos;)
      s.replace(p, 3, std::string("x") + t + ">");
    return s;
  };
  // f32: 3 + 1e-8 rounds to 3 before the division, so the result is 1.
  Tensor r32 = run1(withType("f32"), {F({1}, {3}), F({1}, {1e-8})});
  expectValues(r32, {1}, {1.0}, 0);
  Tensor r64 = run1(withType("f64"), {D({1}, {3}), D({1}, {1e-8})});
  expectValues(r64, {1}, {(3 + 1e-8) / 3}, 0);
  // One op: the result is the double result rounded to float.
  Tensor third = run1(withType("f32"), {F({1}, {3}), F({1}, {-2})});
  expectValues(third, {1}, {double(float(1.0 / 3.0))}, 0);
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, Conv2dPaddingAndStride) {
  // x = 1..9 as 3x3, 2x2 filter of ones, padding top/left 1, stride 2: the
  // windows start at (-1,-1), (-1,1), (1,-1), (1,1).
  Tensor r = run1(
      R"(func.func @main(%x: tensor<1x1x3x3xf64>, %w: tensor<1x1x2x2xf64>) -> tensor<1x1x2x2xf64> {
    %r = nn.conv2d %x, %w strides = [2, 2] padding = [1, 1, 0, 0] dilations = [1, 1] groups = 1
        : tensor<1x1x3x3xf64>, tensor<1x1x2x2xf64> -> tensor<1x1x2x2xf64>
    return %r : tensor<1x1x2x2xf64>
  })",
      {D({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), D({1, 1, 2, 2}, {1, 1, 1, 1})});
  expectValues(r, {1, 1, 2, 2}, {1, 5, 11, 28});
}

TEST_F(EvaluatorTest, Conv2dDilationAndGroups) {
  Tensor d = run1(
      R"(func.func @main(%x: tensor<1x1x3x3xf64>, %w: tensor<1x1x2x2xf64>) -> tensor<1x1x1x1xf64> {
    %r = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilations = [2, 2] groups = 1
        : tensor<1x1x3x3xf64>, tensor<1x1x2x2xf64> -> tensor<1x1x1x1xf64>
    return %r : tensor<1x1x1x1xf64>
  })",
      {D({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), D({1, 1, 2, 2}, {1, 2, 3, 4})});
  expectValues(d, {1, 1, 1, 1}, {1 * 1 + 3 * 2 + 7 * 3 + 9 * 4});
  // Two groups: output channel o sees only input channel o.
  Tensor g = run1(
      R"(func.func @main(%x: tensor<1x2x2x2xf64>, %w: tensor<2x1x1x1xf64>) -> tensor<1x2x2x2xf64> {
    %r = nn.conv2d %x, %w strides = [1, 1] padding = [0, 0, 0, 0] dilations = [1, 1] groups = 2
        : tensor<1x2x2x2xf64>, tensor<2x1x1x1xf64> -> tensor<1x2x2x2xf64>
    return %r : tensor<1x2x2x2xf64>
  })",
      {D({1, 2, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 40}), D({2, 1, 1, 1}, {2, 3})});
  expectValues(g, {1, 2, 2, 2}, {2, 4, 6, 8, 30, 60, 90, 120});
}

TEST_F(EvaluatorTest, Pooling) {
  std::optional<std::vector<Tensor>> r = run(
      R"(func.func @main(%x: tensor<1x1x4x4xf64>, %y: tensor<1x1x2x2xf64>) -> (tensor<1x1x2x2xf64>, tensor<1x1x2x2xf64>, tensor<1x1x2x2xf64>, tensor<1x1x2x2xf64>) {
    %m = nn.max_pool2d %x kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<1x1x4x4xf64> -> tensor<1x1x2x2xf64>
    %a = nn.avg_pool2d %x kernel = [2, 2] strides = [2, 2] padding = [0, 0, 0, 0] : tensor<1x1x4x4xf64> -> tensor<1x1x2x2xf64>
    %pm = nn.max_pool2d %y kernel = [2, 2] strides = [2, 2] padding = [1, 1, 1, 1] : tensor<1x1x2x2xf64> -> tensor<1x1x2x2xf64>
    %pa = nn.avg_pool2d %y kernel = [2, 2] strides = [2, 2] padding = [1, 1, 1, 1] : tensor<1x1x2x2xf64> -> tensor<1x1x2x2xf64>
    return %m, %a, %pm, %pa : tensor<1x1x2x2xf64>, tensor<1x1x2x2xf64>, tensor<1x1x2x2xf64>, tensor<1x1x2x2xf64>
  })",
      {D({1, 1, 4, 4}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}),
       D({1, 1, 2, 2}, {-1, -2, -3, -4})});
  ASSERT_TRUE(r) << errors;
  expectValues((*r)[0], {1, 1, 2, 2}, {6, 8, 14, 16});
  expectValues((*r)[1], {1, 1, 2, 2}, {3.5, 5.5, 11.5, 13.5});
  // Padding never wins a max (all values are negative) and counts in the average.
  expectValues((*r)[2], {1, 1, 2, 2}, {-1, -2, -3, -4});
  expectValues((*r)[3], {1, 1, 2, 2}, {-0.25, -0.5, -0.75, -1});
}

//===----------------------------------------------------------------------===//
// Softmax, losses, batch norm
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, SoftmaxIsStable) {
  std::optional<std::vector<Tensor>> r = run(
      R"(func.func @main(%x: tensor<2x3xf64>) -> (tensor<2x3xf64>, tensor<2x3xf64>) {
    %s = nn.softmax %x axis = 1 : tensor<2x3xf64>
    %l = nn.log_softmax %x axis = 1 : tensor<2x3xf64>
    return %s, %l : tensor<2x3xf64>, tensor<2x3xf64>
  })",
      {D({2, 3}, {1, 2, 3, 1000, 1000, 1000})});
  ASSERT_TRUE(r) << errors;
  double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  expectValues((*r)[0], {2, 3},
               {std::exp(1.0) / z, std::exp(2.0) / z, std::exp(3.0) / z, 1. / 3, 1. / 3, 1. / 3});
  expectValues((*r)[1], {2, 3},
               {1 - std::log(z), 2 - std::log(z), 3 - std::log(z), -std::log(3.0), -std::log(3.0),
                -std::log(3.0)});
}

TEST_F(EvaluatorTest, CrossEntropyAndMse) {
  const char *ir =
      R"(func.func @main(%l: tensor<2x2xf64>, %y: tensor<2xi32>, %p: tensor<3xf64>, %t: tensor<3xf64>) -> (tensor<f64>, tensor<f64>) {
    %ce = nn.cross_entropy %l, %y : tensor<2x2xf64>, tensor<2xi32> -> tensor<f64>
    %m = nn.mse %p, %t : tensor<3xf64> -> tensor<f64>
    return %ce, %m : tensor<f64>, tensor<f64>
  })";
  // Row 0: logsumexp(0, 0) - 0 = ln 2. Row 1: logsumexp(0, ln 3) - ln 3 = ln(4/3).
  std::optional<std::vector<Tensor>> r =
      run(ir, {D({2, 2}, {0, 0, 0, std::log(3.0)}), I32({2}, {0, 1}), D({3}, {1, 2, 3}),
               D({3}, {1, 0, 6})});
  ASSERT_TRUE(r) << errors;
  expectValues((*r)[0], {}, {(std::log(2.0) + std::log(4.0 / 3.0)) / 2});
  expectValues((*r)[1], {}, {(0 + 4 + 9) / 3.0});

  // A label outside [0, C) is an evaluation error at the op.
  EXPECT_FALSE(
      run(ir, {D({2, 2}, {0, 0, 0, 0}), I32({2}, {0, 2}), D({3}, {1, 2, 3}), D({3}, {1, 0, 6})}));
  EXPECT_THAT(errors, HasSubstr("label 2 of batch element 1 is out of range [0, 2)"));
  EXPECT_THAT(errors, HasSubstr("t.mlir\":2:11"));
}

TEST_F(EvaluatorTest, BatchNormTrainAndInfer) {
  // Channels along axis 1: [1, 3] (mean 2, var 1) and [2, 6] (mean 4, var 4).
  std::optional<std::vector<Tensor>> r = run(
      R"(func.func @main(%x: tensor<2x2xf64>, %g: tensor<2xf64>, %b: tensor<2xf64>) -> (tensor<2x2xf64>, tensor<2xf64>, tensor<2xf64>, tensor<2x2xf64>) {
    %y, %mean, %var = nn.batch_norm_train %x, %g, %b epsilon = 1.000000e-05 axis = 1 : tensor<2x2xf64>, tensor<2xf64>
    %i = nn.batch_norm_infer %x, %mean, %var, %g, %b epsilon = 1.000000e-05 axis = 1 : tensor<2x2xf64>, tensor<2xf64>
    return %y, %mean, %var, %i : tensor<2x2xf64>, tensor<2xf64>, tensor<2xf64>, tensor<2x2xf64>
  })",
      {D({2, 2}, {1, 2, 3, 6}), D({2}, {1, 2}), D({2}, {0, 1})});
  ASSERT_TRUE(r) << errors;
  double r0 = 1 / std::sqrt(1 + 1e-5), r1 = 1 / std::sqrt(4 + 1e-5);
  std::vector<double> y = {-r0, -2 * r1 * 2 + 1, r0, 2 * r1 * 2 + 1};
  expectValues((*r)[0], {2, 2}, y);
  expectValues((*r)[1], {2}, {2, 4});
  expectValues((*r)[2], {2}, {1, 4});
  expectValues((*r)[3], {2, 2}, y);
}

//===----------------------------------------------------------------------===//
// Control flow
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, ForLoopWithIterArgsAndIndexArithmetic) {
  // acc accumulates x four times; rev reverses x along axis 0 through
  // take/put at index 2 - t.
  std::optional<std::vector<Tensor>> r = run(
      R"(func.func @main(%x: tensor<3x2xf64>) -> (tensor<3x2xf64>, tensor<3x2xf64>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c3 = arith.constant 3 : index
    %c8 = arith.constant 8 : index
    %z = nn.constant dense<0.0> : tensor<3x2xf64>
    %acc = scf.for %i = %c0 to %c8 step %c2 iter_args(%a = %z) -> (tensor<3x2xf64>) {
      %s = nn.add %a, %x : tensor<3x2xf64>
      scf.yield %s : tensor<3x2xf64>
    }
    %rev = scf.for %t = %c0 to %c3 step %c1 iter_args(%o = %z) -> (tensor<3x2xf64>) {
      %src = arith.subi %c2, %t : index
      %row = nn.take %x[%src] axis = 0 : tensor<3x2xf64> -> tensor<2xf64>
      %p = nn.put %o[%t], %row axis = 0 : tensor<3x2xf64>, tensor<2xf64>
      scf.yield %p : tensor<3x2xf64>
    }
    return %acc, %rev : tensor<3x2xf64>, tensor<3x2xf64>
  })",
      {D({3, 2}, {1, 2, 3, 4, 5, 6})});
  ASSERT_TRUE(r) << errors;
  expectValues((*r)[0], {3, 2}, {4, 8, 12, 16, 20, 24});
  expectValues((*r)[1], {3, 2}, {5, 6, 3, 4, 1, 2});
}

TEST_F(EvaluatorTest, CallsAndScalars) {
  std::optional<std::vector<Tensor>> r = run(
      R"(func.func @twice(%x: tensor<2xf64>, %n: index) -> (tensor<2xf64>, index) {
    %y = nn.add %x, %x : tensor<2xf64>
    %m = arith.muli %n, %n : index
    return %y, %m : tensor<2xf64>, index
  }
  func.func @main(%x: tensor<2xf64>) -> (tensor<2xf64>, index, f64) {
    %c5 = arith.constant 5 : index
    %y, %m = func.call @twice(%x, %c5) : (tensor<2xf64>, index) -> (tensor<2xf64>, index)
    %a = arith.constant 1.5 : f64
    %b = arith.mulf %a, %a : f64
    return %y, %m, %b : tensor<2xf64>, index, f64
  })",
      {D({2}, {1, -3})});
  ASSERT_TRUE(r) << errors;
  expectValues((*r)[0], {2}, {2, -6});
  EXPECT_EQ((*r)[1].i, std::vector<int64_t>{25});
  EXPECT_TRUE((*r)[1].elementType.isIndex());
  expectValues((*r)[2], {}, {2.25});
}

//===----------------------------------------------------------------------===//
// Random numbers and initialization
//===----------------------------------------------------------------------===//

/// docs/dialect.md's formula, written out again independently of the
/// evaluator's helper.
double specUniform(uint64_t key, uint64_t s, uint64_t i) {
  uint64_t z = key + 0x9E3779B97F4A7C15ull * (s * 4294967296ull + i + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z = z ^ (z >> 31);
  return double(z >> 40) / 16777216.0;
}

TEST_F(EvaluatorTest, RandomUniformFollowsTheSpec) {
  // A key with the top bit set: all 64 bits must survive.
  uint64_t key = 0xF123456789ABCDEFull;
  Tensor r = run1(R"(func.func @main(%k: i64) -> tensor<4x8xf32> {
    %u = nn.random_uniform %k stream = 3 : tensor<4x8xf32>
    return %u : tensor<4x8xf32>
  })",
                  {Tensor::scalar(i64(), int64_t(key))});
  ASSERT_EQ(r.numel(), 32);
  EXPECT_EQ(r.f[0], specUniform(key, 3, 0));
  EXPECT_EQ(r.f[1], specUniform(key, 3, 1));
  EXPECT_EQ(r.f[31], specUniform(key, 3, 31));
  for (double v : r.f) {
    EXPECT_GE(v, 0.0);
    EXPECT_LT(v, 1.0);
  }
  EXPECT_NE(r.f[0], r.f[1]);
}

TEST_F(EvaluatorTest, InitTensor) {
  auto type = RankedTensorType::get({1000}, f32());
  Builder b(&ctx);
  auto uniform = b.getDictionaryAttr({b.getNamedAttr("dist", b.getStringAttr("uniform")),
                                      b.getNamedAttr("low", b.getF64FloatAttr(-0.5)),
                                      b.getNamedAttr("high", b.getF64FloatAttr(0.25))});
  FailureOr<Tensor> u = eval::initTensor(type, uniform, 7, 2);
  ASSERT_TRUE(succeeded(u));
  double mean = 0;
  for (double v : u->f) {
    EXPECT_GE(v, -0.5);
    EXPECT_LE(v, 0.25);
    EXPECT_EQ(v, double(float(v)));
    mean += v / 1000;
  }
  EXPECT_NEAR(mean, -0.125, 0.03);
  EXPECT_EQ(u->f[5],
            double(float(-0.5 + 0.75 * double(eval::splitMix64(7, 2, 5) >> 11) * 0x1p-53)));
  // Deterministic in (seed, index), different across indices.
  EXPECT_EQ(eval::initTensor(type, uniform, 7, 2)->f, u->f);
  EXPECT_NE(eval::initTensor(type, uniform, 7, 3)->f, u->f);

  auto normal = b.getDictionaryAttr({b.getNamedAttr("dist", b.getStringAttr("normal")),
                                     b.getNamedAttr("mean", b.getF64FloatAttr(1)),
                                     b.getNamedAttr("std", b.getF64FloatAttr(2))});
  FailureOr<Tensor> n = eval::initTensor(type, normal, 1, 0);
  ASSERT_TRUE(succeeded(n));
  double m = 0, sq = 0;
  for (double v : n->f) {
    m += v / 1000;
    sq += v * v / 1000;
  }
  EXPECT_NEAR(m, 1, 0.2);
  EXPECT_NEAR(std::sqrt(sq - m * m), 2, 0.2);

  auto constant = b.getDictionaryAttr({b.getNamedAttr("dist", b.getStringAttr("constant")),
                                       b.getNamedAttr("value", b.getF64FloatAttr(0.1))});
  EXPECT_EQ(eval::initTensor(type, constant, 0, 0)->f[999], double(0.1f));

  std::string why;
  auto bad = b.getDictionaryAttr({b.getNamedAttr("dist", b.getStringAttr("xavier"))});
  EXPECT_TRUE(failed(eval::initTensor(type, bad, 0, 0, &why)));
  EXPECT_EQ(why, "unknown init distribution 'xavier'");
}

//===----------------------------------------------------------------------===//
// Gradient ops
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, CrossEntropyGrad) {
  // softmax([0, 0]) - onehot(1) = [0.5, -0.5]; times g = 2, over B = 1.
  Tensor r = run1(
      R"(func.func @main(%l: tensor<1x2xf64>, %y: tensor<1xi32>, %g: tensor<f64>) -> tensor<1x2xf64> {
    %d = nn.cross_entropy_grad %l, %y, %g : tensor<1x2xf64>, tensor<1xi32>, tensor<f64>
    return %d : tensor<1x2xf64>
  })",
      {D({1, 2}, {0, 0}), I32({1}, {1}), D({}, {2})});
  expectValues(r, {1, 2}, {1, -1});
}

TEST_F(EvaluatorTest, PoolGrads) {
  // One row of two 2x2 windows over [[1,3,3],[2,0,1]]: both windows' first
  // maximum is (0,1), which receives both gradients.
  Tensor m = run1(
      R"(func.func @main(%x: tensor<1x1x2x3xf64>, %g: tensor<1x1x1x2xf64>) -> tensor<1x1x2x3xf64> {
    %d = nn.max_pool2d_grad %x, %g kernel = [2, 2] strides = [1, 1] padding = [0, 0, 0, 0] : tensor<1x1x2x3xf64>, tensor<1x1x1x2xf64>
    return %d : tensor<1x1x2x3xf64>
  })",
      {D({1, 1, 2, 3}, {1, 3, 3, 2, 0, 1}), D({1, 1, 1, 2}, {10, 100})});
  expectValues(m, {1, 1, 2, 3}, {0, 110, 0, 0, 0, 0});
  // Each input position gets 1/4 per covering window.
  Tensor a = run1(R"(func.func @main(%g: tensor<1x1x2x2xf64>) -> tensor<1x1x3x3xf64> {
    %d = nn.avg_pool2d_grad %g kernel = [2, 2] strides = [1, 1] padding = [0, 0, 0, 0] : tensor<1x1x2x2xf64> -> tensor<1x1x3x3xf64>
    return %d : tensor<1x1x3x3xf64>
  })",
                  {D({1, 1, 2, 2}, {1, 1, 1, 1})});
  expectValues(a, {1, 1, 3, 3}, {0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25});
}

/// Deterministic pseudo-random test data in [-1, 1).
std::vector<double> data(int64_t n, uint64_t seed) {
  std::vector<double> v(n);
  for (int64_t k = 0; k < n; ++k)
    v[k] = 2 * eval::randomUniform(seed, 0, uint64_t(k)) - 1;
  return v;
}

double dot(const Tensor &a, const Tensor &b) {
  double s = 0;
  for (int64_t k = 0; k < a.numel(); ++k)
    s += a.f[k] * b.f[k];
  return s;
}

TEST_F(EvaluatorTest, ConvGradsSatisfyTheAdjointIdentity) {
  // conv2d is bilinear, so <conv(x, w), g> = <x, grad_input(g, w)>
  // = <w, grad_filter(x, g)> for any x, w, g: with stride, asymmetric
  // padding, dilation and groups all in play.
  std::optional<std::vector<Tensor>> r = run(
      R"(func.func @main(%x: tensor<2x4x7x6xf64>, %w: tensor<6x2x3x2xf64>, %g: tensor<2x6x4x5xf64>) -> (tensor<2x6x4x5xf64>, tensor<2x4x7x6xf64>, tensor<6x2x3x2xf64>) {
    %y = nn.conv2d %x, %w strides = [2, 1] padding = [1, 0, 2, 1] dilations = [1, 2] groups = 2
        : tensor<2x4x7x6xf64>, tensor<6x2x3x2xf64> -> tensor<2x6x4x5xf64>
    %dx = nn.conv2d_grad_input %g, %w strides = [2, 1] padding = [1, 0, 2, 1] dilations = [1, 2] groups = 2
        : tensor<2x6x4x5xf64>, tensor<6x2x3x2xf64> -> tensor<2x4x7x6xf64>
    %dw = nn.conv2d_grad_filter %x, %g strides = [2, 1] padding = [1, 0, 2, 1] dilations = [1, 2] groups = 2
        : tensor<2x4x7x6xf64>, tensor<2x6x4x5xf64> -> tensor<6x2x3x2xf64>
    return %y, %dx, %dw : tensor<2x6x4x5xf64>, tensor<2x4x7x6xf64>, tensor<6x2x3x2xf64>
  })",
      {D({2, 4, 7, 6}, data(2 * 4 * 7 * 6, 1)), D({6, 2, 3, 2}, data(6 * 2 * 3 * 2, 2)),
       D({2, 6, 4, 5}, data(2 * 6 * 4 * 5, 3))});
  ASSERT_TRUE(r) << errors;
  Tensor x = D({2, 4, 7, 6}, data(2 * 4 * 7 * 6, 1)), w = D({6, 2, 3, 2}, data(72, 2)),
         g = D({2, 6, 4, 5}, data(2 * 6 * 4 * 5, 3));
  double lhs = dot((*r)[0], g);
  EXPECT_NEAR(dot(x, (*r)[1]), lhs, 1e-9);
  EXPECT_NEAR(dot(w, (*r)[2]), lhs, 1e-9);
  EXPECT_GT(std::fabs(lhs), 1e-3);

  // And a case small enough to do by hand: a 1x1 filter of 3.
  std::optional<std::vector<Tensor>> s = run(
      R"(func.func @main(%x: tensor<1x1x2x2xf64>, %w: tensor<1x1x1x1xf64>, %g: tensor<1x1x2x2xf64>) -> (tensor<1x1x2x2xf64>, tensor<1x1x1x1xf64>) {
    %dx = nn.conv2d_grad_input %g, %w strides = [1, 1] padding = [0, 0, 0, 0] dilations = [1, 1] groups = 1
        : tensor<1x1x2x2xf64>, tensor<1x1x1x1xf64> -> tensor<1x1x2x2xf64>
    %dw = nn.conv2d_grad_filter %x, %g strides = [1, 1] padding = [0, 0, 0, 0] dilations = [1, 1] groups = 1
        : tensor<1x1x2x2xf64>, tensor<1x1x2x2xf64> -> tensor<1x1x1x1xf64>
    return %dx, %dw : tensor<1x1x2x2xf64>, tensor<1x1x1x1xf64>
  })",
      {D({1, 1, 2, 2}, {1, 2, 3, 4}), D({1, 1, 1, 1}, {3}), D({1, 1, 2, 2}, {1, 1, 1, 2})});
  ASSERT_TRUE(s) << errors;
  expectValues((*s)[0], {1, 1, 2, 2}, {3, 3, 3, 6});
  expectValues((*s)[1], {1, 1, 1, 1}, {1 + 2 + 3 + 8});
}

TEST_F(EvaluatorTest, BatchNormGradMatchesFiniteDifferences) {
  // L(x, gamma, beta) = sum(batch_norm_train(x, gamma, beta).y * g); the
  // gradient op must agree with central differences of L in f64.
  const char *forward =
      R"(func.func @main(%x: tensor<3x2x2xf64>, %gm: tensor<2xf64>, %b: tensor<2xf64>, %g: tensor<3x2x2xf64>) -> tensor<f64> {
    %y, %m, %v = nn.batch_norm_train %x, %gm, %b epsilon = 1.000000e-03 axis = 1 : tensor<3x2x2xf64>, tensor<2xf64>
    %p = nn.mul %y, %g : tensor<3x2x2xf64>
    %l = nn.reduce_sum %p axes = [0, 1, 2] : tensor<3x2x2xf64> -> tensor<f64>
    return %l : tensor<f64>
  })";
  const char *backward =
      R"(func.func @main(%x: tensor<3x2x2xf64>, %gm: tensor<2xf64>, %b: tensor<2xf64>, %g: tensor<3x2x2xf64>) -> (tensor<3x2x2xf64>, tensor<2xf64>, tensor<2xf64>) {
    %y, %m, %v = nn.batch_norm_train %x, %gm, %b epsilon = 1.000000e-03 axis = 1 : tensor<3x2x2xf64>, tensor<2xf64>
    %dx, %dgm, %db = nn.batch_norm_grad %x, %gm, %m, %v, %g epsilon = 1.000000e-03 axis = 1 : tensor<3x2x2xf64>, tensor<2xf64>
    return %dx, %dgm, %db : tensor<3x2x2xf64>, tensor<2xf64>, tensor<2xf64>
  })";
  std::vector<Tensor> args = {D({3, 2, 2}, data(12, 4)), D({2}, {1.5, -0.5}), D({2}, {0.2, 0.1}),
                              D({3, 2, 2}, data(12, 5))};
  std::optional<std::vector<Tensor>> grads = run(backward, args);
  ASSERT_TRUE(grads) << errors;
  // dbeta is the plain sum of g per channel (axis 1).
  const std::vector<double> &g = args[3].f;
  expectValues((*grads)[2], {2},
               {g[0] + g[1] + g[4] + g[5] + g[8] + g[9], g[2] + g[3] + g[6] + g[7] + g[10] + g[11]},
               1e-12);
  double h = 1e-6;
  for (int which = 0; which < 3; ++which) {
    for (int64_t k = 0; k < args[which].numel(); ++k) {
      std::vector<Tensor> plus = args, minus = args;
      plus[which].f[k] += h;
      minus[which].f[k] -= h;
      double fd = (run1(forward, plus).f[0] - run1(forward, minus).f[0]) / (2 * h);
      EXPECT_NEAR((*grads)[which].f[k], fd, 1e-6) << "operand " << which << " element " << k;
    }
  }
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST_F(EvaluatorTest, UnknownOpIsAnErrorAtItsLocation) {
  ctx.allowUnregisteredDialects();
  EXPECT_FALSE(run(R"(func.func @main() -> tensor<2xf32> {
    %r = "foo.bar"() : () -> tensor<2xf32>
    return %r : tensor<2xf32>
  })"));
  EXPECT_THAT(errors, HasSubstr("t.mlir\":2:10): the evaluator does not support the op 'foo.bar'"));
}

TEST_F(EvaluatorTest, WrongArgumentsAreErrors) {
  const char *ir = R"(func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> {
    return %x : tensor<2xf32>
  })";
  EXPECT_FALSE(run(ir, {}));
  EXPECT_THAT(errors, HasSubstr("'main' expects 1 arguments, got 0"));
  EXPECT_FALSE(run(ir, {F({3}, {1, 2, 3})}));
  EXPECT_THAT(errors, HasSubstr("argument 0 of 'main' expects 'tensor<2xf32>', got f32[3]"));
  EXPECT_FALSE(run(ir, {D({2}, {1, 2})}));
  EXPECT_THAT(errors, HasSubstr("got f64[2]"));
}

TEST_F(EvaluatorTest, TakeIndexOutOfRange) {
  EXPECT_FALSE(run(R"(func.func @main(%x: tensor<2x3xf32>) -> tensor<2xf32> {
    %c3 = arith.constant 3 : index
    %t = nn.take %x[%c3] axis = 1 : tensor<2x3xf32> -> tensor<2xf32>
    return %t : tensor<2xf32>
  })",
                   {F({2, 3}, {1, 2, 3, 4, 5, 6})}));
  EXPECT_THAT(errors, HasSubstr("index 3 is out of range [0, 3)"));
}

} // namespace
