//===- Json.h - A small JSON reader and writer ------------------*- C++ -*-===//
//
// The runtime reads JSON in two places: the header of a safetensors file and the
// description of a compiled model that an AOT trainer carries (Trainer.h). Both come
// from outside the process, so the reader checks everything and never crashes: nesting
// is bounded, numbers are validated against the grammar and kept as text until a use
// asks for an integer or a double (so "1e3" in a shape is refused, not rounded), objects
// keep their keys in order and refuse duplicates.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_JSON_H
#define NNC_RUNTIME_JSON_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace nnc::runtime {

struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  bool boolean = false;
  /// Number: the literal text; String: the decoded UTF-8 value.
  std::string text;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;

  static Json string(std::string s);
  /// A number written so that it reads back as the same double (17 digits).
  static Json number(double v);
  static Json integer(int64_t v);
  static Json boolValue(bool b);
  static Json object() { return withKind(Object); }
  static Json array() { return withKind(Array); }

  /// Appends a member to an object (keys must be unique) and returns it.
  Json &add(std::string key, Json value);

  /// The value of an integer literal in [0, 2^63), or false.
  bool asIndex(uint64_t &value) const;
  /// A number's value; a boolean is 0 or 1; anything else is `def`.
  double asDouble(double def = 0) const;

  /// An object's member, or null when this is not an object or has no such key.
  const Json *find(const std::string &key) const;
  /// The member `key` as a number (see asDouble), or `def`.
  double number(const std::string &key, double def = 0) const;
  /// The member `key` when it is a string, else "".
  std::string str(const std::string &key) const;
  /// The member `key` when it is an object, else null.
  const Json *record(const std::string &key) const;

  /// Compact JSON text: `{"a": 1, "b": [2, 3]}`.
  std::string write() const;

private:
  static Json withKind(Kind k) {
    Json j;
    j.kind = k;
    return j;
  }
};

/// "null", "a boolean", "a number", "a string", "an array", "an object".
const char *jsonKindName(Json::Kind kind);

/// Parses `text` as one JSON value (surrounding whitespace allowed). Returns "" or
/// "malformed <what> JSON at offset N: reason".
std::string parseJson(const std::string &text, Json &out, const std::string &what);

/// Appends `s` to `out` as a quoted JSON string.
void appendJsonString(std::string &out, const std::string &s);

} // namespace nnc::runtime

#endif // NNC_RUNTIME_JSON_H
