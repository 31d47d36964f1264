//===- OnnxGraph.cpp - An ONNX graph being built ---------------------------===//
//
// Field numbers from onnx.proto (ONNX 1.12, IR version 8).
//
//===----------------------------------------------------------------------===//

#include "OnnxGraph.h"

#include <set>

namespace nnc::onnx {

namespace {
// AttributeProto.AttributeType.
enum AttributeType { Float = 1, Int = 2, Ints = 7 };
} // namespace

Attribute Attribute::integer(llvm::StringRef name, int64_t v) {
  Attribute a;
  a.msg.bytes(1, name).integer(20, Int).integer(3, v);
  return a;
}

Attribute Attribute::integers(llvm::StringRef name, llvm::ArrayRef<int64_t> v) {
  Attribute a;
  a.msg.bytes(1, name).integer(20, Ints).packed(8, v);
  return a;
}

Attribute Attribute::f32(llvm::StringRef name, float v) {
  Attribute a;
  a.msg.bytes(1, name).integer(20, Float).f32(2, v);
  return a;
}

std::string Graph::fresh() { return "v" + std::to_string(counter++); }

void Graph::nodeTo(llvm::StringRef output, llvm::StringRef op,
                   llvm::ArrayRef<std::string> inputs, llvm::ArrayRef<Attribute> attrs) {
  proto::Message n;
  for (const std::string &in : inputs)
    n.bytes(1, in);
  n.bytes(2, output);
  n.bytes(3, op.str() + "_" + std::to_string(nodes.size()));
  n.bytes(4, op);
  for (const Attribute &a : attrs)
    n.message(5, a.msg);
  nodes.push_back({std::move(n), inputs.vec(), output.str()});
}

std::string Graph::node(llvm::StringRef op, llvm::ArrayRef<std::string> inputs,
                        llvm::ArrayRef<Attribute> attrs) {
  std::string out = fresh();
  nodeTo(out, op, inputs, attrs);
  return out;
}

void Graph::initializer(llvm::StringRef name, DataType type, llvm::ArrayRef<int64_t> dims,
                        llvm::StringRef raw) {
  proto::Message t;
  for (int64_t d : dims)
    t.integer(1, d);
  t.integer(2, int64_t(type)).bytes(8, name).bytes(9, raw);
  initializers.push_back({std::move(t), name.str()});
}

std::string Graph::int64s(llvm::ArrayRef<int64_t> values) {
  auto [it, inserted] = int64Names.try_emplace(values.vec(), "");
  if (!inserted)
    return it->second;
  std::string name = it->second = fresh();
  std::string raw;
  for (int64_t v : values)
    for (int i = 0; i < 8; ++i)
      raw.push_back(char(uint64_t(v) >> (8 * i)));
  initializer(name, DataType::Int64, {int64_t(values.size())}, raw);
  return name;
}

proto::Message Graph::valueInfo(llvm::StringRef name, DataType type,
                                llvm::ArrayRef<int64_t> dims) {
  proto::Message shape;
  for (int64_t d : dims)
    shape.message(1, proto::Message().integer(1, d)); // Dimension.dim_value
  proto::Message tensor;
  tensor.integer(1, int64_t(type)).message(2, shape); // TypeProto.Tensor
  proto::Message typeProto;
  typeProto.message(1, tensor); // TypeProto.tensor_type
  proto::Message info;
  info.bytes(1, name).message(2, typeProto);
  return info;
}

void Graph::input(llvm::StringRef name, DataType type, llvm::ArrayRef<int64_t> dims) {
  inputs.push_back(valueInfo(name, type, dims));
}

void Graph::output(llvm::StringRef name, DataType type, llvm::ArrayRef<int64_t> dims) {
  outputs.push_back(valueInfo(name, type, dims));
  outputNames.push_back(name.str());
}

std::vector<bool> Graph::liveNodes() const {
  std::set<std::string> needed(outputNames.begin(), outputNames.end());
  std::vector<bool> live(nodes.size());
  for (size_t i = nodes.size(); i-- > 0;) {
    if (!needed.count(nodes[i].output))
      continue;
    live[i] = true;
    needed.insert(nodes[i].inputs.begin(), nodes[i].inputs.end());
  }
  return live;
}

std::string Graph::model(llvm::StringRef name, int64_t opset, llvm::StringRef doc) const {
  std::vector<bool> live = liveNodes();
  std::set<std::string> used;
  proto::Message g;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!live[i])
      continue;
    g.message(1, nodes[i].msg);
    used.insert(nodes[i].inputs.begin(), nodes[i].inputs.end());
  }
  g.bytes(2, name);
  for (const Initializer &t : initializers)
    if (used.count(t.name))
      g.message(5, t.msg);
  for (const proto::Message &i : inputs)
    g.message(11, i);
  for (const proto::Message &o : outputs)
    g.message(12, o);
  proto::Message opsetId;
  opsetId.bytes(1, "").integer(2, opset);
  proto::Message m;
  m.integer(1, 8) // ir_version: IR version 8 (ONNX 1.10 to 1.12)
      .bytes(2, "nnc")
      .bytes(3, "0.1")
      .bytes(6, doc)
      .message(7, g)
      .message(8, opsetId);
  return m.str();
}

} // namespace nnc::onnx
