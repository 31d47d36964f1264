//===- RandomOps.cpp - Random numbers and initialization ------------------===//
//
// Everything random in the evaluator, which is counter-based and so
// deterministic: nn.random_uniform, and the initial values of parameters and
// states from their nn.init dictionaries (initTensor, for nnc-eval
// --init-params). The numbers come from nnc/Runtime/Random.h, which the
// runtime uses too.
//
//===----------------------------------------------------------------------===//

#include "EvaluatorInternal.h"
#include "nnc/Dialect/NN/NNOps.h"
#include "nnc/Runtime/Random.h"

using namespace mlir;

namespace nnc::eval {

uint64_t splitMix64(uint64_t key, uint64_t stream, uint64_t counter) {
  return runtime::splitMix64(key, stream, counter);
}

double randomUniform(uint64_t key, uint64_t stream, uint64_t counter) {
  return runtime::randomUniform(key, stream, counter);
}

namespace {

LogicalResult randomUniformOp(Operation *op, Inputs in, Outputs out) {
  if (failed(arity(op, in, out, 1, 1)) || failed(expectInt(op, *in[0], "the key")) ||
      failed(expectShape(op, *in[0], {}, "the key")) ||
      failed(expectFloat(op, out[0], "the result")))
    return failure();
  FailureOr<int64_t> stream = i64Attr(op, "stream");
  if (failed(stream))
    return failure();
  uint64_t key = uint64_t(in[0]->i[0]);
  for (int64_t k = 0, n = out[0].numel(); k < n; ++k)
    out[0].f[k] = randomUniform(key, uint64_t(*stream), uint64_t(k));
  return success();
}

} // namespace

void registerRandomOps(OpRegistry &registry) {
  registry.add(nn::RandomUniformOp::getOperationName(), randomUniformOp);
}

//===----------------------------------------------------------------------===//
// Parameter initialization
//===----------------------------------------------------------------------===//

FailureOr<Tensor> initTensor(RankedTensorType type, DictionaryAttr init, uint64_t seed,
                             uint64_t index, std::string *error) {
  auto fail = [&](const Twine &reason) -> FailureOr<Tensor> {
    if (error)
      *error = reason.str();
    return failure();
  };
  if (!type || !type.hasStaticShape() || !isa<FloatType>(type.getElementType()))
    return fail("only static float tensors can be initialized");
  if (!init)
    return fail("missing nn.init dictionary");
  auto number = [&](StringRef key) -> std::optional<double> {
    Attribute a = init.get(key);
    if (auto f = dyn_cast_or_null<FloatAttr>(a))
      return f.getValueAsDouble();
    if (auto i = dyn_cast_or_null<IntegerAttr>(a))
      return double(i.getValue().getSExtValue());
    return std::nullopt;
  };
  auto dist = init.getAs<StringAttr>("dist");
  if (!dist)
    return fail("nn.init has no string 'dist'");
  Tensor t = Tensor::zeros(type.getElementType(), type.getShape());
  int64_t n = t.numel();
  if (dist.getValue() == "uniform") {
    std::optional<double> low = number("low"), high = number("high");
    if (!low || !high)
      return fail("uniform init needs numbers 'low' and 'high'");
    for (int64_t j = 0; j < n; ++j)
      t.f[j] = runtime::initValue(runtime::InitDist::Uniform, *low, *high, seed, index, j);
  } else if (dist.getValue() == "normal") {
    std::optional<double> mean = number("mean"), stddev = number("std");
    if (!mean || !stddev)
      return fail("normal init needs numbers 'mean' and 'std'");
    for (int64_t j = 0; j < n; ++j)
      t.f[j] = runtime::initValue(runtime::InitDist::Normal, *mean, *stddev, seed, index, j);
  } else if (dist.getValue() == "constant") {
    std::optional<double> value = number("value");
    if (!value)
      return fail("constant init needs a number 'value'");
    std::fill(t.f.begin(), t.f.end(), *value);
  } else {
    return fail("unknown init distribution '" + dist.getValue() + "'");
  }
  finalize(t);
  return t;
}

} // namespace nnc::eval
