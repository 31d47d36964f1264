//===- OnnxGraph.h - An ONNX graph being built ------------------*- C++ -*-===//
//
// The ONNX messages (onnx.proto: ModelProto, GraphProto, NodeProto, TensorProto,
// ValueInfoProto) that the exporter writes, built with proto::Message. A node's outputs get
// fresh names ("v12"); inputs, outputs and initializers keep the names they are given.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_EXPORT_ONNXGRAPH_H
#define NNC_EXPORT_ONNXGRAPH_H

#include "Protobuf.h"

#include <map>
#include <vector>

namespace nnc::onnx {

/// TensorProto.DataType.
enum class DataType { Float = 1, UInt8 = 2, Int32 = 6, Int64 = 7, Bool = 9, Double = 11 };

/// One attribute of a node (AttributeProto).
struct Attribute {
  static Attribute integer(llvm::StringRef name, int64_t v);
  static Attribute integers(llvm::StringRef name, llvm::ArrayRef<int64_t> v);
  static Attribute f32(llvm::StringRef name, float v);
  proto::Message msg;
};

class Graph {
public:
  /// Adds a node; returns the name of its (one) output.
  std::string node(llvm::StringRef op, llvm::ArrayRef<std::string> inputs,
                   llvm::ArrayRef<Attribute> attrs = {});
  /// Adds a node whose output has the given name.
  void nodeTo(llvm::StringRef output, llvm::StringRef op, llvm::ArrayRef<std::string> inputs,
              llvm::ArrayRef<Attribute> attrs = {});
  /// An initializer of raw little-endian data.
  void initializer(llvm::StringRef name, DataType type, llvm::ArrayRef<int64_t> dims,
                   llvm::StringRef raw);
  /// A 1-D int64 initializer (shapes, axes, indices); returns its name. Equal ones share
  /// one.
  std::string int64s(llvm::ArrayRef<int64_t> values);
  void input(llvm::StringRef name, DataType type, llvm::ArrayRef<int64_t> dims);
  void output(llvm::StringRef name, DataType type, llvm::ArrayRef<int64_t> dims);
  std::string fresh();

  /// The whole model (ModelProto) with this graph, for `opset` of the default domain.
  std::string model(llvm::StringRef name, int64_t opset, llvm::StringRef doc) const;


private:
  static proto::Message valueInfo(llvm::StringRef name, DataType type,
                                  llvm::ArrayRef<int64_t> dims);

  struct Node {
    proto::Message msg;
    std::vector<std::string> inputs;
    std::string output;
  };
  struct Initializer {
    proto::Message msg;
    std::string name;
  };
  /// Whether each node is needed by an output (those the exporter wrote and a fusion left
  /// unused are not written).
  std::vector<bool> liveNodes() const;

  std::vector<Node> nodes;
  std::vector<Initializer> initializers;
  std::vector<proto::Message> inputs, outputs;
  std::vector<std::string> outputNames;
  /// The int64s() written, by value: each once.
  std::map<std::vector<int64_t>, std::string> int64Names;
  unsigned counter = 0;
};

} // namespace nnc::onnx

#endif // NNC_EXPORT_ONNXGRAPH_H
