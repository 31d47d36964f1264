//===- Protobuf.h - Writing protocol buffer messages ------------*- C++ -*-===//
//
// The encoding of protocol buffers (https://protobuf.dev/programming-guides/encoding/), enough
// to write ONNX: varints, 32-bit floats, length-delimited strings and messages, packed int64s.
// A message is built field by field into a byte string; nesting one in another copies it with
// its length. Fields are written in the order they are added.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_EXPORT_PROTOBUF_H
#define NNC_EXPORT_PROTOBUF_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>

namespace nnc::proto {

class Message {
public:
  /// An integer field (int32, int64, enum, bool): a varint. Negative values take ten bytes,
  /// as two's complement, as protobuf's int64 does.
  Message &integer(uint32_t field, int64_t value);
  /// A float field: four bytes, little-endian.
  Message &f32(uint32_t field, float value);
  /// A string or bytes field.
  Message &bytes(uint32_t field, llvm::StringRef data);
  /// A nested message.
  Message &message(uint32_t field, const Message &m) { return bytes(field, m.data); }
  /// A packed repeated int64 field.
  Message &packed(uint32_t field, llvm::ArrayRef<int64_t> values);

  const std::string &str() const { return data; }

private:
  void tag(uint32_t field, unsigned wireType);
  static void varint(std::string &out, uint64_t value);

  std::string data;
};

} // namespace nnc::proto

#endif // NNC_EXPORT_PROTOBUF_H
