//===- Npy.cpp - Reading and writing NumPy .npy files ---------------------===//
//
// The header of a .npy file is a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// NumPy writes it with `repr`, so a tiny recursive-descent reader for exactly
// that subset (strings, True/False, tuples of non-negative integers) is
// enough, and it can reject anything else with a precise reason instead of
// guessing. Every length and product is checked before it is used: files
// come from users and must never make the reader crash or allocate wildly.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Npy.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

namespace nnc::runtime {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
/// NumPy itself refuses headers above 10000 bytes by default; allow more, but
/// bound it so that a corrupted length cannot ask for gigabytes.
constexpr uint64_t kMaxHeaderSize = 1 << 20;
/// Bound on the data size a shape may describe (2^48 bytes): guards the
/// products below against overflow.
constexpr uint64_t kMaxDataSize = uint64_t(1) << 48;

/// The reader of the header dict. Positions index into `text`.
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : text(text) {}

  /// Parses the whole dict into the three fields; returns "" or a reason.
  std::string parse(std::string &descr, bool &fortran, std::vector<int64_t> &shape) {
    bool haveDescr = false, haveFortran = false, haveShape = false;
    skipSpace();
    if (!consume('{'))
      return "malformed header: expected '{' at the start of the header dict";
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (!parseString(key))
        return "malformed header: expected a quoted key at offset " + std::to_string(pos);
      skipSpace();
      if (!consume(':'))
        return "malformed header: expected ':' after key '" + key + "'";
      skipSpace();
      if (key == "descr") {
        if (haveDescr)
          return "malformed header: duplicate key 'descr'";
        if (!parseString(descr))
          return "malformed header: 'descr' is not a string";
        haveDescr = true;
      } else if (key == "fortran_order") {
        if (haveFortran)
          return "malformed header: duplicate key 'fortran_order'";
        if (text.compare(pos, 4, "True") == 0) {
          fortran = true;
          pos += 4;
        } else if (text.compare(pos, 5, "False") == 0) {
          fortran = false;
          pos += 5;
        } else {
          return "malformed header: 'fortran_order' is not True or False";
        }
        haveFortran = true;
      } else if (key == "shape") {
        if (haveShape)
          return "malformed header: duplicate key 'shape'";
        std::string err = parseShape(shape);
        if (!err.empty())
          return err;
        haveShape = true;
      } else {
        return "malformed header: unexpected key '" + key + "'";
      }
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (consume('}'))
        break;
      return "malformed header: expected ',' or '}' at offset " + std::to_string(pos);
    }
    skipSpace();
    if (pos != text.size())
      return "malformed header: unexpected text after the header dict";
    if (!haveDescr)
      return "malformed header: missing key 'descr'";
    if (!haveFortran)
      return "malformed header: missing key 'fortran_order'";
    if (!haveShape)
      return "malformed header: missing key 'shape'";
    return "";
  }

private:
  void skipSpace() {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\t' || text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool consume(char c) {
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  /// A '...' or "..." string without escapes (dtype strings have none).
  bool parseString(std::string &out) {
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return false;
    char quote = text[pos];
    size_t end = text.find(quote, pos + 1);
    if (end == std::string::npos)
      return false;
    out = text.substr(pos + 1, end - pos - 1);
    if (out.find('\\') != std::string::npos)
      return false;
    pos = end + 1;
    return true;
  }

  /// A tuple of non-negative integers: (), (3,), (2, 3) and so on. Python 2
  /// NumPy wrote longs as `3L`; that suffix is accepted.
  std::string parseShape(std::vector<int64_t> &shape) {
    shape.clear();
    if (!consume('('))
      return "malformed header: 'shape' is not a tuple";
    while (true) {
      skipSpace();
      if (consume(')'))
        return "";
      if (pos >= text.size() || text[pos] < '0' || text[pos] > '9')
        return "malformed header: 'shape' holds something other than non-negative integers";
      uint64_t value = 0;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        value = value * 10 + uint64_t(text[pos] - '0');
        if (value > kMaxDataSize)
          return "malformed header: a dimension of 'shape' is too large";
        ++pos;
      }
      consume('L');
      shape.push_back(int64_t(value));
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (consume(')'))
        return "";
      return "malformed header: expected ',' or ')' in 'shape'";
    }
  }

  const std::string &text;
  size_t pos = 0;
};

uint64_t readLE(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v |= uint64_t(p[i]) << (8 * i);
  return v;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(shape[i]);
  }
  if (shape.size() == 1)
    s += ",";
  return s + ")";
}

template <typename T> T load(const uint8_t *p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T> void store(uint8_t *p, T v) { std::memcpy(p, &v, sizeof(T)); }

/// Float to integer conversion that never invokes undefined behaviour:
/// truncates toward zero, saturates, and maps NaN to 0.
int64_t truncToInt64(double v) {
  if (std::isnan(v))
    return 0;
  if (v >= 9223372036854775807.0)
    return std::numeric_limits<int64_t>::max();
  if (v <= -9223372036854775808.0)
    return std::numeric_limits<int64_t>::min();
  return int64_t(v);
}

} // namespace

bool isSupportedNpyDtype(const std::string &dtype) {
  return dtype == "<f4" || dtype == "<f8" || dtype == "<i4" || dtype == "<i8" || dtype == "|u1" ||
         dtype == "|b1";
}

int64_t NpyArray::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

size_t NpyArray::elementSize() const {
  if (dtype == "<f8" || dtype == "<i8")
    return 8;
  if (dtype == "<f4" || dtype == "<i4")
    return 4;
  if (dtype == "|u1" || dtype == "|b1")
    return 1;
  return 0;
}

namespace {

/// A float element as a double, or as an integer truncated.
template <typename T> T fromFloating(double v);
template <> double fromFloating<double>(double v) { return v; }
template <> int64_t fromFloating<int64_t>(double v) { return truncToInt64(v); }

/// The elements of `a` as doubles or integers.
template <typename T> std::vector<T> toValues(const NpyArray &a) {
  size_t size = a.elementSize();
  size_t n = size ? a.bytes.size() / size : 0;
  std::vector<T> out(n);
  for (size_t k = 0; k < n; ++k) {
    const uint8_t *p = a.bytes.data() + k * size;
    if (a.dtype == "<f4")
      out[k] = fromFloating<T>(load<float>(p));
    else if (a.dtype == "<f8")
      out[k] = fromFloating<T>(load<double>(p));
    else if (a.dtype == "<i4")
      out[k] = T(load<int32_t>(p));
    else if (a.dtype == "<i8")
      out[k] = T(load<int64_t>(p));
    else if (a.dtype == "|u1")
      out[k] = T(*p);
    else
      out[k] = T(*p != 0);
  }
  return out;
}

} // namespace

std::vector<double> NpyArray::toDoubles() const { return toValues<double>(*this); }

std::vector<int64_t> NpyArray::toInt64s() const { return toValues<int64_t>(*this); }

namespace {

int64_t toInt64(double v) { return truncToInt64(v); }
int64_t toInt64(int64_t v) { return v; }

/// An array of `dtype` holding `values` (doubles or integers), converted as C++ converts
/// them, integers from doubles truncated.
template <typename T>
NpyArray fromValues(const std::string &dtype, std::vector<int64_t> shape,
                    const std::vector<T> &values) {
  NpyArray a;
  a.dtype = dtype;
  a.shape = std::move(shape);
  size_t size = a.elementSize();
  a.bytes.resize(values.size() * size);
  for (size_t k = 0; k < values.size(); ++k) {
    uint8_t *p = a.bytes.data() + k * size;
    T v = values[k];
    if (dtype == "<f4")
      store<float>(p, float(v));
    else if (dtype == "<f8")
      store<double>(p, double(v));
    else if (dtype == "<i4")
      store<int32_t>(p, int32_t(uint32_t(uint64_t(toInt64(v)))));
    else if (dtype == "<i8")
      store<int64_t>(p, toInt64(v));
    else if (dtype == "|u1")
      *p = uint8_t(uint64_t(toInt64(v)));
    else if (dtype == "|b1")
      *p = v != 0;
  }
  return a;
}

} // namespace

NpyArray NpyArray::fromDoubles(const std::string &dtype, std::vector<int64_t> shape,
                               const std::vector<double> &values) {
  return fromValues(dtype, std::move(shape), values);
}

NpyArray NpyArray::fromInt64s(const std::string &dtype, std::vector<int64_t> shape,
                              const std::vector<int64_t> &values) {
  return fromValues(dtype, std::move(shape), values);
}

/// The header of the .npy image `data[0, size)`: `out`'s dtype and shape, and in `dataOffset`
/// where the data begin. Returns "" or "NAME: reason".
static std::string parseNpyHeader(const uint8_t *data, size_t size, const std::string &name,
                                  NpyArray &out, size_t &dataOffset) {
  auto fail = [&](const std::string &reason) { return name + ": " + reason; };
  if (size < kMagicSize || std::memcmp(data, kMagic, kMagicSize) != 0)
    return fail("bad magic: not a .npy file (expected \\x93NUMPY)");
  if (size < kMagicSize + 2)
    return fail("truncated header: the version is missing");
  unsigned major = data[6], minor = data[7];
  size_t lengthSize;
  if (major == 1 && minor == 0)
    lengthSize = 2;
  else if (major == 2 && minor == 0)
    lengthSize = 4;
  else
    return fail("unsupported .npy format version " + std::to_string(major) + "." +
                std::to_string(minor) + " (expected 1.0 or 2.0)");
  size_t prefix = kMagicSize + 2 + lengthSize;
  if (size < prefix)
    return fail("truncated header: the header length is missing");
  uint64_t headerSize = readLE(data + kMagicSize + 2, lengthSize);
  if (headerSize > kMaxHeaderSize)
    return fail("header too long (" + std::to_string(headerSize) + " bytes; at most " +
                std::to_string(kMaxHeaderSize) + ")");
  if (size - prefix < headerSize)
    return fail("truncated header: " + std::to_string(headerSize) + " header bytes announced, " +
                std::to_string(size - prefix) + " present");
  std::string header(reinterpret_cast<const char *>(data + prefix), size_t(headerSize));
  if (header.empty() || header.back() != '\n')
    return fail("malformed header: it does not end with a newline");

  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
  std::string err = HeaderParser(header).parse(descr, fortran, shape);
  if (!err.empty())
    return fail(err);
  if (!isSupportedNpyDtype(descr))
    return fail("unsupported dtype '" + descr + "' (expected <f4, <f8, <i4, <i8, |u1 or |b1)");
  if (fortran)
    return fail("fortran_order is True; only C-order arrays are supported");

  out.dtype = descr;
  out.shape = shape;
  dataOffset = prefix + size_t(headerSize);
  return "";
}

std::string parseNpy(const uint8_t *data, size_t size, const std::string &name, NpyArray &out) {
  auto fail = [&](const std::string &reason) { return name + ": " + reason; };
  size_t offset = 0;
  std::string err = parseNpyHeader(data, size, name, out, offset);
  if (!err.empty())
    return err;
  const std::string &descr = out.dtype;
  const std::vector<int64_t> &shape = out.shape;
  uint64_t expected = out.elementSize();
  for (int64_t d : shape) {
    if (d != 0 && expected > kMaxDataSize / uint64_t(d))
      return fail("shape " + shapeString(shape) + " is too large");
    expected *= uint64_t(d);
  }
  uint64_t present = size - offset;
  if (present < expected)
    return fail("truncated data: shape " + shapeString(shape) + " of " + descr + " needs " +
                std::to_string(expected) + " bytes, " + std::to_string(present) + " present");
  if (present > expected)
    return fail("shape/size mismatch: shape " + shapeString(shape) + " of " + descr + " needs " +
                std::to_string(expected) + " bytes, but " + std::to_string(present) +
                " follow the header");
  const uint8_t *begin = data + offset;
  out.bytes.assign(begin, begin + expected);
  return "";
}

std::string readNpyHeader(const std::string &path, NpyArray &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return path + ": cannot open the file: " + std::strerror(errno);
  // The magic, the version and a 4-byte length at most, then the header.
  std::vector<uint8_t> data(kMagicSize + 2 + 4 + kMaxHeaderSize);
  in.read(reinterpret_cast<char *>(data.data()), std::streamsize(data.size()));
  if (in.bad())
    return path + ": read error";
  size_t offset = 0;
  return parseNpyHeader(data.data(), size_t(in.gcount()), path, out, offset);
}

std::string readNpy(const std::string &path, NpyArray &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return path + ": cannot open the file: " + std::strerror(errno);
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad())
    return path + ": read error";
  return parseNpy(data.data(), data.size(), path, out);
}

std::string encodeNpy(const NpyArray &array, std::vector<uint8_t> &out) {
  if (!isSupportedNpyDtype(array.dtype))
    return "unsupported dtype '" + array.dtype + "'";
  for (int64_t d : array.shape)
    if (d < 0)
      return "negative dimension in shape " + shapeString(array.shape);
  if (uint64_t(array.numel()) * array.elementSize() != array.bytes.size())
    return "shape " + shapeString(array.shape) + " of " + array.dtype + " needs " +
           std::to_string(uint64_t(array.numel()) * array.elementSize()) + " bytes, " +
           std::to_string(array.bytes.size()) + " given";
  std::string header = "{'descr': '" + array.dtype +
                       "', 'fortran_order': False, 'shape': " + shapeString(array.shape) + ", }";
  // Pad with spaces so that the data starts on a 64-byte boundary, as NumPy
  // does; the header ends with a newline.
  size_t total = kMagicSize + 2 + 2 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  if (header.size() > 0xFFFF)
    return "header too long for format version 1.0";
  out.clear();
  out.insert(out.end(), kMagic, kMagic + kMagicSize);
  out.push_back(1);
  out.push_back(0);
  out.push_back(uint8_t(header.size() & 0xFF));
  out.push_back(uint8_t(header.size() >> 8));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), array.bytes.begin(), array.bytes.end());
  return "";
}

std::string writeNpy(const std::string &path, const NpyArray &array) {
  std::vector<uint8_t> image;
  std::string err = encodeNpy(array, image);
  if (!err.empty())
    return path + ": " + err;
  std::ofstream os(path, std::ios::binary | std::ios::trunc);
  if (!os)
    return path + ": cannot create the file: " + std::strerror(errno);
  os.write(reinterpret_cast<const char *>(image.data()), std::streamsize(image.size()));
  os.close();
  if (!os)
    return path + ": write error";
  return "";
}

} // namespace nnc::runtime
