//===- Json.cpp - A small JSON reader and writer --------------------------===//
//
// A recursive-descent reader that builds a tree of values, and a compact writer.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Json.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

namespace nnc::runtime {

namespace {

/// Nesting bound of the reader (a safetensors header nests 3 deep, a model description 5).
constexpr int kMaxDepth = 64;

class JsonParser {
public:
  JsonParser(const std::string &text, const std::string &what) : text(text), what(what) {}

  /// Parses the whole text as one value (trailing whitespace allowed: the
  /// header's padding). Returns "" or a reason with the offset.
  std::string parse(Json &out) {
    skipSpace();
    std::string err = parseValue(out, 0);
    if (!err.empty())
      return err;
    skipSpace();
    if (pos != text.size())
      return fail("unexpected text after the " + what + " object");
    return "";
  }

private:
  std::string fail(const std::string &reason) const {
    return "malformed " + what + " JSON at offset " + std::to_string(pos) + ": " + reason;
  }

  void skipSpace() {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool literal(const char *word) {
    size_t n = std::strlen(word);
    if (text.compare(pos, n, word) != 0)
      return false;
    pos += n;
    return true;
  }

  std::string parseValue(Json &out, int depth) {
    if (depth > kMaxDepth)
      return fail("nested more than " + std::to_string(kMaxDepth) + " deep");
    if (pos >= text.size())
      return fail("expected a value, found the end of the " + what);
    char c = text[pos];
    if (c == '{')
      return parseObject(out, depth);
    if (c == '[')
      return parseArray(out, depth);
    if (c == '"') {
      out.kind = Json::String;
      return parseString(out.text);
    }
    if (c == '-' || (c >= '0' && c <= '9'))
      return parseNumber(out);
    if (literal("true") || literal("false")) {
      out.kind = Json::Bool;
      out.boolean = c == 't';
      return "";
    }
    if (literal("null")) {
      out.kind = Json::Null;
      return "";
    }
    return fail(std::string("unexpected character '") + c + "'");
  }

  /// The members of an object or the items of an array up to `close`, separated by commas;
  /// `item` parses one. `what` names the container in messages.
  template <typename F> std::string parseItems(char close, const char *what, F item) {
    ++pos; // The opening bracket.
    skipSpace();
    if (pos < text.size() && text[pos] == close) {
      ++pos;
      return "";
    }
    while (true) {
      skipSpace();
      std::string err = item();
      if (!err.empty())
        return err;
      skipSpace();
      if (pos < text.size() && text[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < text.size() && text[pos] == close) {
        ++pos;
        return "";
      }
      return fail(std::string("expected ',' or '") + close + "' in " + what);
    }
  }

  std::string parseObject(Json &out, int depth) {
    out.kind = Json::Object;
    std::set<std::string> seen;
    return parseItems('}', "an object", [&]() -> std::string {
      if (pos >= text.size() || text[pos] != '"')
        return fail("expected a quoted key");
      std::string key;
      std::string err = parseString(key);
      if (!err.empty())
        return err;
      if (!seen.insert(key).second)
        return fail("duplicate key \"" + key + "\"");
      skipSpace();
      if (pos >= text.size() || text[pos] != ':')
        return fail("expected ':' after key \"" + key + "\"");
      ++pos;
      skipSpace();
      out.members.emplace_back(key, Json());
      return parseValue(out.members.back().second, depth + 1);
    });
  }

  std::string parseArray(Json &out, int depth) {
    out.kind = Json::Array;
    return parseItems(']', "an array", [&] {
      out.items.emplace_back();
      return parseValue(out.items.back(), depth + 1);
    });
  }

  /// A JSON number; validated against the grammar, kept as text.
  std::string parseNumber(Json &out) {
    size_t start = pos;
    auto digits = [&] {
      size_t from = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9')
        ++pos;
      return pos > from;
    };
    if (text[pos] == '-')
      ++pos;
    if (pos < text.size() && text[pos] == '0')
      ++pos;
    else if (!digits())
      return fail("malformed number");
    if (pos < text.size() && text[pos] == '.') {
      ++pos;
      if (!digits())
        return fail("malformed number");
    }
    if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
      ++pos;
      if (pos < text.size() && (text[pos] == '+' || text[pos] == '-'))
        ++pos;
      if (!digits())
        return fail("malformed number");
    }
    out.kind = Json::Number;
    out.text = text.substr(start, pos - start);
    return "";
  }

  static void appendUtf8(std::string &out, uint32_t cp) {
    if (cp < 0x80) {
      out += char(cp);
    } else if (cp < 0x800) {
      out += char(0xC0 | (cp >> 6));
      out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += char(0xE0 | (cp >> 12));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    } else {
      out += char(0xF0 | (cp >> 18));
      out += char(0x80 | ((cp >> 12) & 0x3F));
      out += char(0x80 | ((cp >> 6) & 0x3F));
      out += char(0x80 | (cp & 0x3F));
    }
  }

  bool hex4(uint32_t &value) {
    if (text.size() - pos < 4)
      return false;
    value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text[pos++];
      value <<= 4;
      if (c >= '0' && c <= '9')
        value |= uint32_t(c - '0');
      else if (c >= 'a' && c <= 'f')
        value |= uint32_t(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        value |= uint32_t(c - 'A' + 10);
      else
        return false;
    }
    return true;
  }

  std::string parseString(std::string &out) {
    ++pos; // '"'
    out.clear();
    while (true) {
      if (pos >= text.size())
        return fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(text[pos]);
      if (c == '"') {
        ++pos;
        return "";
      }
      if (c < 0x20)
        return fail("control character in a string");
      if (c != '\\') {
        out += char(c);
        ++pos;
        continue;
      }
      if (++pos >= text.size())
        return fail("unterminated string");
      char e = text[pos++];
      switch (e) {
      case '"':
      case '\\':
      case '/':
        out += e;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t cp;
        if (!hex4(cp))
          return fail("malformed \\u escape");
        if (cp >= 0xD800 && cp < 0xDC00) {
          uint32_t low;
          if (text.compare(pos, 2, "\\u") != 0 || (pos += 2, !hex4(low)) || low < 0xDC00 ||
              low >= 0xE000)
            return fail("unpaired UTF-16 surrogate in a \\u escape");
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          return fail("unpaired UTF-16 surrogate in a \\u escape");
        }
        appendUtf8(out, cp);
        break;
      }
      default:
        return fail(std::string("unknown escape '\\") + e + "'");
      }
    }
  }

  const std::string &text;
  const std::string &what;
  size_t pos = 0;
};

} // namespace

const char *jsonKindName(Json::Kind kind) {
  switch (kind) {
  case Json::Null:
    return "null";
  case Json::Bool:
    return "a boolean";
  case Json::Number:
    return "a number";
  case Json::String:
    return "a string";
  case Json::Array:
    return "an array";
  case Json::Object:
    return "an object";
  }
  return "a value";
}

void appendJsonString(std::string &out, const std::string &s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  out += '"';
}

std::string parseJson(const std::string &text, Json &out, const std::string &what) {
  out = Json();
  return JsonParser(text, what).parse(out);
}

Json Json::string(std::string s) {
  Json j = withKind(String);
  j.text = std::move(s);
  return j;
}

Json Json::number(double v) {
  if (!std::isfinite(v)) // JSON has no infinities: the nearest finite value.
    v = std::isnan(v) ? 0 : v > 0 ? 1.7976931348623157e308 : -1.7976931348623157e308;
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  Json j = withKind(Number);
  j.text = buf;
  return j;
}

Json Json::integer(int64_t v) {
  Json j = withKind(Number);
  j.text = std::to_string(v);
  return j;
}

Json Json::boolValue(bool b) {
  Json j = withKind(Bool);
  j.boolean = b;
  return j;
}

Json &Json::add(std::string key, Json value) {
  members.emplace_back(std::move(key), std::move(value));
  return members.back().second;
}

bool Json::asIndex(uint64_t &value) const {
  if (kind != Number || text.empty() || text.size() > 19)
    return false;
  value = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return false;
    value = value * 10 + uint64_t(c - '0');
  }
  return text.size() == 1 || text[0] != '0';
}

double Json::asDouble(double def) const {
  if (kind == Bool)
    return boolean ? 1 : 0;
  if (kind != Number)
    return def;
  return std::strtod(text.c_str(), nullptr);
}

const Json *Json::find(const std::string &key) const {
  if (kind != Object)
    return nullptr;
  for (const auto &m : members)
    if (m.first == key)
      return &m.second;
  return nullptr;
}

double Json::number(const std::string &key, double def) const {
  const Json *v = find(key);
  return v ? v->asDouble(def) : def;
}

std::string Json::str(const std::string &key) const {
  const Json *v = find(key);
  return v && v->kind == String ? v->text : std::string();
}

const Json *Json::record(const std::string &key) const {
  const Json *v = find(key);
  return v && v->kind == Object ? v : nullptr;
}

static void writeTo(const Json &j, std::string &out) {
  switch (j.kind) {
  case Json::Null:
    out += "null";
    return;
  case Json::Bool:
    out += j.boolean ? "true" : "false";
    return;
  case Json::Number:
    out += j.text;
    return;
  case Json::String:
    appendJsonString(out, j.text);
    return;
  case Json::Array:
    out += '[';
    for (size_t i = 0; i < j.items.size(); ++i) {
      if (i)
        out += ", ";
      writeTo(j.items[i], out);
    }
    out += ']';
    return;
  case Json::Object:
    out += '{';
    for (size_t i = 0; i < j.members.size(); ++i) {
      if (i)
        out += ", ";
      appendJsonString(out, j.members[i].first);
      out += ": ";
      writeTo(j.members[i].second, out);
    }
    out += '}';
    return;
  }
}

std::string Json::write() const {
  std::string out;
  writeTo(*this, out);
  return out;
}

} // namespace nnc::runtime
