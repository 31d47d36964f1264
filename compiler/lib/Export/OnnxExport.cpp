//===- OnnxExport.cpp - The nn dialect to ONNX ------------------------------===//
//
// Walks the evaluation function op by op, in order, and writes an ONNX node (or a few) per
// op. `names` maps each SSA value to its ONNX name; loops are unrolled by walking their body
// once per iteration with the induction variable known (`indices`), so a value inside a loop
// names its current iteration's tensor.
//
// Two ops are written lazily, when a user needs them:
//   - nn.broadcast: an elementwise op with one broadcast operand takes it rank-aligned (ONNX
//     ops broadcast as NumPy does), anything else gets an Expand;
//   - an nn.matmul or nn.conv2d whose one user adds a bias broadcast along dimension 1:
//     the add writes them as one Gemm or Conv with the bias.
//
//===----------------------------------------------------------------------===//

#include "nnc/Export/Onnx.h"

#include "OnnxGraph.h"
#include "nnc/Dialect/NN/NNDialect.h"
#include "nnc/Dialect/NN/NNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using Attr = nnc::onnx::Attribute;
using nnc::onnx::DataType;

namespace nnc {

namespace {

FailureOr<DataType> dataTypeOf(Operation *op, Type t) {
  if (auto tt = dyn_cast<RankedTensorType>(t))
    t = tt.getElementType();
  if (t.isF32())
    return DataType::Float;
  if (t.isF64())
    return DataType::Double;
  if (t.isInteger(32))
    return DataType::Int32;
  if (t.isInteger(64))
    return DataType::Int64;
  if (t.isInteger(1))
    return DataType::Bool;
  if (t.isInteger(8))
    return DataType::UInt8;
  return op->emitError() << "ONNX export: no ONNX type for " << t;
}

ArrayRef<int64_t> shapeOf(Value v) { return cast<RankedTensorType>(v.getType()).getShape(); }


/// The ONNX op of each nn unary and binary elementwise op that has one of the same meaning.
const llvm::StringMap<StringRef> &elementwiseOps() {
  static const llvm::StringMap<StringRef> table = {
      {nn::NegOp::getOperationName(), "Neg"},
      {nn::ExpOp::getOperationName(), "Exp"},
      {nn::LogOp::getOperationName(), "Log"},
      {nn::TanhOp::getOperationName(), "Tanh"},
      {nn::SigmoidOp::getOperationName(), "Sigmoid"},
      {nn::ReluOp::getOperationName(), "Relu"},
      {nn::SqrtOp::getOperationName(), "Sqrt"},
      {nn::AbsOp::getOperationName(), "Abs"},
      {nn::SignOp::getOperationName(), "Sign"},
      {nn::AddOp::getOperationName(), "Add"},
      {nn::SubOp::getOperationName(), "Sub"},
      {nn::MulOp::getOperationName(), "Mul"},
      {nn::DivOp::getOperationName(), "Div"},
      {nn::MaxOp::getOperationName(), "Max"},
      {nn::MinOp::getOperationName(), "Min"},
      {nn::PowOp::getOperationName(), "Pow"},
  };
  return table;
}

/// The 1-D tensor that `v` broadcasts along dimension 1 (a bias of a matmul's columns or of
/// a convolution's channels), directly or reshaped to [C, 1, 1]; null if it is not one.
Value biasVector(Value v) {
  auto b = v.getDefiningOp<nn::BroadcastOp>();
  if (!b)
    return {};
  ArrayRef<int64_t> in = shapeOf(b.getInput()), out = shapeOf(b.getResult());
  ArrayRef<int64_t> dims = b.getDims();
  if (out.size() < 2 || dims.empty() || dims[0] != 1 || in[0] != out[1] ||
      llvm::any_of(in.drop_front(), [](int64_t d) { return d != 1; }))
    return {};
  Value x = b.getInput();
  if (in.size() > 1)
    if (auto r = x.getDefiningOp<nn::ReshapeOp>(); r && shapeOf(r.getInput()).size() == 1)
      x = r.getInput();
  return shapeOf(x).size() == 1 ? x : Value();
}

/// The add that takes `producer` (a matmul or convolution) and a bias as one Gemm or Conv.
nn::AddOp biasAddOf(Operation *producer) {
  if (!isa<nn::MatmulOp, nn::Conv2dOp>(producer) || !producer->getResult(0).hasOneUse())
    return {};
  auto add = dyn_cast<nn::AddOp>(*producer->getResult(0).getUsers().begin());
  if (!add)
    return {};
  Value other = add.getLhs() == producer->getResult(0) ? add.getRhs() : add.getLhs();
  return biasVector(other) ? add : nn::AddOp();
}

class Exporter {
public:
  explicit Exporter(const OnnxOptions &opts) : opts(opts) {}
  FailureOr<std::string> run(func::FuncOp f);

private:
  LogicalResult signature(func::FuncOp f);
  LogicalResult block(Block &b);
  LogicalResult translate(Operation *op);
  LogicalResult elementwise(Operation *op, StringRef onnxOp);
  LogicalResult biasAdd(nn::AddOp add, Operation *producer, Value bias);
  void matmul(nn::MatmulOp op, std::optional<std::string> bias, Value result);
  std::optional<std::string> transposedWeight(Value v);
  void conv(nn::Conv2dOp op, std::optional<std::string> bias, Value result);
  LogicalResult shapeOp(Operation *op);
  LogicalResult layerOp(Operation *op);
  LogicalResult unsupported(Operation *op);
  LogicalResult reduction(Operation *op);
  LogicalResult constant(nn::ConstantOp op);
  FailureOr<std::string> constantData(Operation *op, DenseElementsAttr attr);
  /// A splat constant as a tensor of one element of its rank.
  std::string scalar(Value v);
  /// The value of a splat nn.constant; null for anything else.
  DenseElementsAttr splatOf(Value v);
  LogicalResult forLoop(scf::ForOp op);
  LogicalResult indexOp(Operation *op);
  LogicalResult returnOp(func::ReturnOp op);

  /// The name of `v`, writing a pending broadcast now.
  std::string name(Value v);
  /// A broadcast operand rank-aligned to its result, for ONNX's NumPy broadcasting.
  std::string aligned(nn::BroadcastOp b);
  void set(Value v, std::string n) { names[v] = std::move(n); }
  FailureOr<int64_t> index(Operation *op, Value v);

  const OnnxOptions &opts;
  onnx::Graph g;
  DenseMap<Value, std::string> names;
  DenseMap<Value, int64_t> indices;
  /// The weights' data, those written as they are and those written transposed.
  DenseMap<Value, std::string> weightData;
  DenseSet<Value> written, transposed;
  /// The constants written, and splats written as one element.
  DenseMap<Value, std::string> constants, scalars;
  /// The initial values of the loop-carried values, during a loop's first iteration.
  DenseMap<Value, Value> loopInits;
};

std::string Exporter::name(Value v) {
  auto it = names.find(v);
  if (it != names.end()) {
    auto w = weightData.find(v);
    if (w != weightData.end() && written.insert(v).second)
      g.initializer(it->second, *dataTypeOf(nullptr, v.getType()), shapeOf(v), w->second);
    return it->second;
  }
  // Only a broadcast is written lazily: Expand its aligned operand to the full shape.
  auto b = v.getDefiningOp<nn::BroadcastOp>();
  assert(b && "a value used before it was translated");
  std::string out = g.node("Expand", {aligned(b), g.int64s(shapeOf(v))});
  set(v, out);
  return out;
}

std::string Exporter::aligned(nn::BroadcastOp b) {
  ArrayRef<int64_t> in = shapeOf(b.getInput());
  size_t rank = shapeOf(b.getResult()).size();
  SmallVector<int64_t> shape(rank, 1);
  for (auto [i, d] : llvm::enumerate(b.getDims()))
    shape[d] = in[i];
  // The operand's dimensions already end the result's: NumPy broadcasting lines them up.
  bool trailing = true;
  for (auto [i, d] : llvm::enumerate(b.getDims()))
    trailing &= d == int64_t(rank - in.size() + i);
  if (trailing)
    return name(b.getInput());
  return g.node("Reshape", {name(b.getInput()), g.int64s(shape)});
}

FailureOr<int64_t> Exporter::index(Operation *op, Value v) {
  auto it = indices.find(v);
  if (it != indices.end())
    return it->second;
  return op->emitError() << "ONNX export: the index is not known when exporting (only loops "
                            "of constant bounds are unrolled)";
}

LogicalResult Exporter::signature(func::FuncOp f) {
  for (BlockArgument arg : f.getArguments()) {
    FailureOr<DataType> type = dataTypeOf(f, arg.getType());
    if (failed(type))
      return failure();
    unsigned i = arg.getArgNumber();
    if (auto input = f.getArgAttrOfType<StringAttr>(i, nn::NNDialect::kInputAttr)) {
      g.input(input.getValue(), *type, shapeOf(arg));
      set(arg, input.str());
      continue;
    }
    auto param = f.getArgAttrOfType<StringAttr>(i, nn::NNDialect::kParamAttr);
    if (!param)
      param = f.getArgAttrOfType<StringAttr>(i, nn::NNDialect::kStateAttr);
    if (!param)
      return f.emitError() << "ONNX export: argument " << i
                           << " is neither an input nor a weight";
    set(arg, param.str());
    if (arg.use_empty())
      continue;
    std::string raw = opts.weight(i);
    if (raw.empty())
      return failure();
    // Written when first used (name()): a weight used only transposed is written so only.
    weightData[arg] = std::move(raw);
  }
  return success();
}

LogicalResult Exporter::block(Block &b) {
  for (Operation &op : b)
    if (failed(translate(&op)))
      return failure();
  return success();
}

LogicalResult Exporter::translate(Operation *op) {
  // Written by their users (see the file comment).
  if (isa<nn::BroadcastOp>(op) || biasAddOf(op))
    return success();
  auto it = elementwiseOps().find(op->getName().getStringRef());
  if (it != elementwiseOps().end())
    return elementwise(op, it->second);
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<nn::MatmulOp>([&](auto m) {
        matmul(m, std::nullopt, m.getResult());
        return success();
      })
      .Case<nn::Conv2dOp>([&](auto c) {
        conv(c, std::nullopt, c.getResult());
        return success();
      })
      .Case<nn::ConstantOp>([&](auto c) { return constant(c); })
      .Case<scf::ForOp>([&](auto f) { return forLoop(f); })
      .Case<arith::ConstantOp, arith::AddIOp, arith::SubIOp, arith::MulIOp>(
          [&](Operation *o) { return indexOp(o); })
      .Case<func::ReturnOp>([&](auto r) { return returnOp(r); })
      .Case<nn::ReduceSumOp, nn::ReduceMeanOp, nn::ReduceMaxOp, nn::ArgmaxOp>(
          [&](Operation *o) { return reduction(o); })
      .Default([&](Operation *o) { return shapeOp(o); });
}

LogicalResult Exporter::elementwise(Operation *op, StringRef onnxOp) {
  Value result = op->getResult(0);
  if (auto add = dyn_cast<nn::AddOp>(op)) {
    for (auto [x, bias] : {std::pair(add.getLhs(), add.getRhs()),
                           std::pair(add.getRhs(), add.getLhs())})
      if (Operation *producer = x.getDefiningOp(); producer && biasAddOf(producer) == add)
        return biasAdd(add, producer, bias);
  }
  SmallVector<std::string> ins;
  bool oneBroadcast = llvm::count_if(op->getOperands(), [](Value v) {
                        return v.getDefiningOp<nn::BroadcastOp>();
                      }) == 1 && op->getNumOperands() == 2;
  // A splat constant beside an operand of the result's shape goes in as one element, which
  // ONNX broadcasts: smaller, and OpenCV 4.6 multiplies by a full-shape constant wrongly.
  bool fullOther = op->getNumOperands() == 2 && llvm::any_of(op->getOperands(), [&](Value v) {
                     return !splatOf(v) && shapeOf(v) == shapeOf(result);
                   });
  for (Value v : op->getOperands()) {
    auto b = v.getDefiningOp<nn::BroadcastOp>();
    if (oneBroadcast && b && !names.count(v))
      ins.push_back(aligned(b));
    else if (fullOther && splatOf(v))
      ins.push_back(scalar(v));
    else
      ins.push_back(name(v));
  }
  set(result, g.node(onnxOp, ins));
  return success();
}

LogicalResult Exporter::biasAdd(nn::AddOp add, Operation *producer, Value bias) {
  std::string b = name(biasVector(bias));
  if (auto m = dyn_cast<nn::MatmulOp>(producer))
    matmul(m, b, add.getResult());
  else
    conv(cast<nn::Conv2dOp>(producer), b, add.getResult());
  return success();
}

void Exporter::matmul(nn::MatmulOp op, std::optional<std::string> bias, Value result) {
  std::string a = name(op.getLhs());
  // A weight goes in as Gemm's constant B, transposed (transB = 1, the layout PyTorch
  // exports and the one OpenCV 4.6 reads right); an activation as MatMul's second input.
  std::optional<std::string> b =
      op.getTransposeB() ? std::optional(name(op.getRhs())) : transposedWeight(op.getRhs());
  if (b && isa<BlockArgument>(op.getRhs())) {
    SmallVector<std::string> ins = {a, *b};
    if (bias)
      ins.push_back(*bias);
    set(result, g.node("Gemm", ins,
                       {Attr::integer("transA", op.getTransposeA()),
                        Attr::integer("transB", 1)}));
    return;
  }
  std::string rhs = name(op.getRhs());
  if (op.getTransposeA())
    a = g.node("Transpose", {a}, {Attr::integers("perm", {1, 0})});
  if (op.getTransposeB())
    rhs = g.node("Transpose", {rhs}, {Attr::integers("perm", {1, 0})});
  std::string product = g.node("MatMul", {a, rhs});
  set(result, bias ? g.node("Add", {product, *bias}) : product);
}

std::optional<std::string> Exporter::transposedWeight(Value v) {
  auto it = weightData.find(v);
  if (it == weightData.end())
    return std::nullopt;
  std::string n = names[v] + ".T";
  if (transposed.insert(v).second) {
    ArrayRef<int64_t> shape = shapeOf(v);
    size_t rows = shape[0], cols = shape[1], size = it->second.size() / (rows * cols);
    std::string t(it->second.size(), '\0');
    for (size_t r = 0; r < rows; ++r)
      for (size_t c = 0; c < cols; ++c)
        std::copy_n(&it->second[(r * cols + c) * size], size, &t[(c * rows + r) * size]);
    g.initializer(n, *dataTypeOf(nullptr, v.getType()), {shape[1], shape[0]}, t);
  }
  return n;
}

void Exporter::conv(nn::Conv2dOp op, std::optional<std::string> bias, Value result) {
  SmallVector<std::string> ins = {name(op.getInput()), name(op.getFilter())};
  if (bias)
    ins.push_back(*bias);
  ArrayRef<int64_t> filter = shapeOf(op.getFilter());
  // nn's padding is [top, left, bottom, right]: ONNX's [H begin, W begin, H end, W end].
  set(result, g.node("Conv", ins,
                     {Attr::integers("kernel_shape", filter.drop_front(2)),
                      Attr::integers("strides", op.getStrides()),
                      Attr::integers("pads", op.getPadding()),
                      Attr::integers("dilations", op.getDilations()),
                      Attr::integer("group", op.getGroups())}));
}

LogicalResult Exporter::shapeOp(Operation *op) {
  if (op->getNumResults() != 1 || !isa<RankedTensorType>(op->getResult(0).getType()))
    return unsupported(op);
  Value result = op->getResult(0);
  ArrayRef<int64_t> shape = shapeOf(result);
  auto same = [&](StringRef onnxOp, ArrayRef<Attr> attrs = {}) {
    set(result, g.node(onnxOp, {name(op->getOperand(0))}, attrs));
    return success();
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<nn::ReshapeOp>([&](auto r) {
        set(result, g.node("Reshape", {name(r.getInput()), g.int64s(shape)}));
        return success();
      })
      .Case<nn::TransposeOp>(
          [&](auto t) { return same("Transpose", {Attr::integers("perm", t.getPerm())}); })
      .Case<nn::SliceOp>([&](auto s) {
        SmallVector<int64_t> axes, ends;
        for (auto [i, o] : llvm::enumerate(s.getOffsets())) {
          axes.push_back(i);
          ends.push_back(o + (s.getSizes()[i] - 1) * s.getStrides()[i] + 1);
        }
        set(result, g.node("Slice", {name(s.getInput()), g.int64s(s.getOffsets()),
                                     g.int64s(ends), g.int64s(axes), g.int64s(s.getStrides())}));
        return success();
      })
      .Case<nn::TakeOp>([&](auto t) -> LogicalResult {
        FailureOr<int64_t> i = index(op, t.getIndex());
        if (failed(i))
          return failure();
        // A slice one wide, then the axis dropped.
        std::string s = g.node("Slice", {name(t.getInput()), g.int64s({*i}),
                                         g.int64s({*i + 1}), g.int64s({int64_t(t.getAxis())})});
        set(result, g.node("Reshape", {s, g.int64s(shape)}));
        return success();
      })
      .Case<nn::ConcatOp>([&](auto c) {
        SmallVector<std::string> ins;
        for (Value v : c.getInputs())
          ins.push_back(name(v));
        set(result, g.node("Concat", ins, {Attr::integer("axis", c.getAxis())}));
        return success();
      })
      .Case<nn::CastOp>([&](auto) -> LogicalResult {
        FailureOr<DataType> to = dataTypeOf(op, result.getType());
        if (failed(to))
          return failure();
        return same("Cast", {Attr::integer("to", int64_t(*to))});
      })
      .Case<nn::SquareOp>([&](auto) {
        std::string x = name(op->getOperand(0));
        set(result, g.node("Mul", {x, x}));
        return success();
      })
      .Case<nn::RsqrtOp>([&](auto) {
        set(result, g.node("Reciprocal", {g.node("Sqrt", {name(op->getOperand(0))})}));
        return success();
      })
      .Default([&](Operation *o) { return layerOp(o); });
}

LogicalResult Exporter::layerOp(Operation *op) {
  Value result = op->getResult(0);
  auto pool = [&](StringRef onnxOp, auto p, ArrayRef<Attr> extra) {
    SmallVector<Attr> attrs = {Attr::integers("kernel_shape", p.getKernel()),
                                    Attr::integers("strides", p.getStrides()),
                                    Attr::integers("pads", p.getPadding())};
    attrs.append(extra.begin(), extra.end());
    set(result, g.node(onnxOp, {name(p.getInput())}, attrs));
    return success();
  };
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<nn::SoftmaxOp, nn::LogSoftmaxOp>([&](auto s) {
        StringRef onnxOp = isa<nn::SoftmaxOp>(op) ? "Softmax" : "LogSoftmax";
        set(result, g.node(onnxOp, {name(s.getInput())},
                           {Attr::integer("axis", s.getAxis())}));
        return success();
      })
      .Case<nn::MaxPool2dOp>([&](auto p) { return pool("MaxPool", p, {}); })
      // nn's average divides by the whole window, padding included.
      .Case<nn::AvgPool2dOp>([&](auto p) {
        return pool("AveragePool", p, {Attr::integer("count_include_pad", 1)});
      })
      .Case<nn::BatchNormInferOp>([&](auto b) -> LogicalResult {
        if (b.getAxis() != 1)
          return op->emitError() << "ONNX export: ONNX normalizes dimension 1, this batch norm "
                                    "dimension "
                                 << b.getAxis();
        set(result, g.node("BatchNormalization",
                           {name(b.getInput()), name(b.getGamma()), name(b.getBeta()),
                            name(b.getMean()), name(b.getVar())},
                           {Attr::f32("epsilon", float(b.getEpsilon().convertToDouble()))}));
        return success();
      })
      .Default([&](Operation *o) { return unsupported(o); });
}

LogicalResult Exporter::unsupported(Operation *op) {
  return op->emitError() << "ONNX export: '" << op->getName()
                         << "' has no ONNX translation in nnc";
}

LogicalResult Exporter::reduction(Operation *op) {
  Value result = op->getResult(0);
  std::string x = name(op->getOperand(0));
  if (auto a = dyn_cast<nn::ArgmaxOp>(op)) {
    // ONNX's ArgMax gives int64 (and the first maximum, as nn's); nn's index is i32.
    std::string i = g.node("ArgMax", {x}, {Attr::integer("axis", a.getAxis()),
                                          Attr::integer("keepdims", 0)});
    set(result, g.node("Cast", {i}, {Attr::integer("to", int64_t(DataType::Int32))}));
    return success();
  }
  ArrayRef<int64_t> axes = op->getAttrOfType<DenseI64ArrayAttr>("axes").asArrayRef();
  int64_t keep = op->hasAttr("keep_dims");
  // Opset 13 takes ReduceSum's axes as an input, the others' as an attribute.
  if (isa<nn::ReduceSumOp>(op)) {
    set(result, g.node("ReduceSum", {x, g.int64s(axes)}, {Attr::integer("keepdims", keep)}));
    return success();
  }
  StringRef onnxOp = isa<nn::ReduceMeanOp>(op) ? "ReduceMean" : "ReduceMax";
  set(result, g.node(onnxOp, {x}, {Attr::integers("axes", axes),
                                   Attr::integer("keepdims", keep)}));
  return success();
}

/// The raw little-endian bytes of a dense constant, splats expanded.
template <typename T> std::string rawData(DenseElementsAttr attr) {
  std::string raw;
  raw.reserve(attr.getNumElements() * sizeof(T));
  for (T v : attr.getValues<T>())
    raw.append(reinterpret_cast<const char *>(&v), sizeof(T));
  return raw;
}

DenseElementsAttr Exporter::splatOf(Value v) {
  // A loop's carried value is, in the first iteration, its initial value.
  if (Value init = loopInits.lookup(v))
    v = init;
  auto c = v.getDefiningOp<nn::ConstantOp>();
  auto attr = c ? dyn_cast<DenseElementsAttr>(c.getValue()) : DenseElementsAttr();
  return attr && attr.isSplat() ? attr : DenseElementsAttr();
}

std::string Exporter::scalar(Value v) {
  if (Value init = loopInits.lookup(v))
    v = init;
  auto [it, inserted] = scalars.try_emplace(v, "");
  if (!inserted)
    return it->second;
  DenseElementsAttr attr = splatOf(v);
  auto type = RankedTensorType::get(SmallVector<int64_t>(shapeOf(v).size(), 1),
                                    attr.getElementType());
  it->second = *constantData(v.getDefiningOp(), attr.resizeSplat(type));
  return it->second;
}

LogicalResult Exporter::constant(nn::ConstantOp op) {
  // Constants are written once (not once per iteration of an unrolled loop).
  auto [it, inserted] = constants.try_emplace(op.getResult(), "");
  if (inserted) {
    FailureOr<std::string> n = constantData(op, dyn_cast<DenseElementsAttr>(op.getValue()));
    if (failed(n))
      return failure();
    it->second = *n;
  }
  set(op.getResult(), it->second);
  return success();
}

FailureOr<std::string> Exporter::constantData(Operation *op, DenseElementsAttr attr) {
  if (!attr)
    return op->emitError() << "ONNX export: only dense constants are exported";
  Type elem = attr.getElementType();
  FailureOr<DataType> type = dataTypeOf(op, elem);
  if (failed(type))
    return failure();
  std::string raw;
  if (elem.isF32())
    raw = rawData<float>(attr);
  else if (elem.isF64())
    raw = rawData<double>(attr);
  else if (elem.isInteger(32))
    raw = rawData<int32_t>(attr);
  else if (elem.isInteger(64))
    raw = rawData<int64_t>(attr);
  else
    return op->emitError() << "ONNX export: constants of " << elem << " are not exported";
  std::string n = g.fresh();
  g.initializer(n, *type, attr.getType().getShape(), raw);
  return n;
}

LogicalResult Exporter::indexOp(Operation *op) {
  if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    auto i = dyn_cast<IntegerAttr>(c.getValue());
    if (!i || !c.getType().isIndex())
      return op->emitError() << "ONNX export: only index constants are exported";
    indices[c.getResult()] = i.getInt();
    return success();
  }
  FailureOr<int64_t> a = index(op, op->getOperand(0)), b = index(op, op->getOperand(1));
  if (failed(a) || failed(b))
    return failure();
  int64_t r = isa<arith::AddIOp>(op) ? *a + *b : isa<arith::SubIOp>(op) ? *a - *b : *a * *b;
  indices[op->getResult(0)] = r;
  return success();
}

LogicalResult Exporter::forLoop(scf::ForOp op) {
  FailureOr<int64_t> lb = index(op, op.getLowerBound()), ub = index(op, op.getUpperBound()),
                     step = index(op, op.getStep());
  if (failed(lb) || failed(ub) || failed(step))
    return failure();
  if (*step <= 0)
    return op.emitError() << "ONNX export: a loop with step " << *step;
  Block &body = *op.getBody();
  SmallVector<std::string> carried;
  for (Value init : op.getInitArgs())
    carried.push_back(name(init));
  for (int64_t iv = *lb; iv < *ub; iv += *step) {
    indices[op.getInductionVar()] = iv;
    for (auto [arg, n, init] : llvm::zip(op.getRegionIterArgs(), carried, op.getInitArgs())) {
      set(arg, n);
      if (iv == *lb)
        loopInits[arg] = init;
      else
        loopInits.erase(arg);
    }
    for (Operation &inner : body.without_terminator())
      if (failed(translate(&inner)))
        return failure();
    for (auto [i, v] : llvm::enumerate(body.getTerminator()->getOperands()))
      carried[i] = name(v);
  }
  for (auto [r, n] : llvm::zip(op.getResults(), carried))
    set(r, n);
  return success();
}

LogicalResult Exporter::returnOp(func::ReturnOp op) {
  for (auto [i, v] : llvm::enumerate(op.getOperands())) {
    FailureOr<DataType> type = dataTypeOf(op, v.getType());
    if (failed(type))
      return failure();
    std::string out = op.getNumOperands() == 1 ? "output" : "output" + std::to_string(i);
    if (opts.probabilities) {
      out = "probabilities";
      g.nodeTo(out, "Softmax", {name(v)}, {Attr::integer("axis", -1)});
    } else {
      g.nodeTo(out, "Identity", {name(v)});
    }
    g.output(out, *type, shapeOf(v));
  }
  return success();
}

FailureOr<std::string> Exporter::run(func::FuncOp f) {
  if (opts.probabilities && f.getNumResults() != 1)
    return f.emitError() << "ONNX export: a classifier has one output";
  if (failed(signature(f)) || failed(block(f.getBody().front())))
    return failure();
  StringRef model = f.getSymName();
  return g.model(model, /*opset=*/13, opts.doc);
}

} // namespace

FailureOr<std::string> exportOnnx(func::FuncOp eval, const OnnxOptions &opts) {
  return Exporter(opts).run(eval);
}

} // namespace nnc
