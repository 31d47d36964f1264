//===- Protobuf.cpp - Writing protocol buffer messages ---------------------===//

#include "Protobuf.h"

#include <cstring>

namespace nnc::proto {

namespace {
enum WireType { Varint = 0, Fixed32 = 5, Delimited = 2 };
} // namespace

void Message::varint(std::string &out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(char((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(char(value));
}

void Message::tag(uint32_t field, unsigned wireType) {
  varint(data, uint64_t(field) << 3 | wireType);
}

Message &Message::integer(uint32_t field, int64_t value) {
  tag(field, Varint);
  varint(data, uint64_t(value));
  return *this;
}

Message &Message::f32(uint32_t field, float value) {
  tag(field, Fixed32);
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  for (int i = 0; i < 4; ++i)
    data.push_back(char(bits >> (8 * i)));
  return *this;
}

Message &Message::bytes(uint32_t field, llvm::StringRef s) {
  tag(field, Delimited);
  varint(data, s.size());
  data.append(s.data(), s.size());
  return *this;
}

Message &Message::packed(uint32_t field, llvm::ArrayRef<int64_t> values) {
  std::string body;
  for (int64_t v : values)
    varint(body, uint64_t(v));
  return bytes(field, body);
}

} // namespace nnc::proto
