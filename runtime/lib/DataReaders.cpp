//===- DataReaders.cpp - What the data loaders share ------------------------===//
//
// The reader through zlib, IDX arrays and the central check of labels (DataReaders.h).
// Sizes announced by a file are never trusted for an allocation: data is read in bounded
// chunks and buffers grow only as bytes actually arrive.
//
//===----------------------------------------------------------------------===//

#include "DataReaders.h"

namespace nnc::runtime::detail {

std::string resolve(const std::string &baseDir, const std::string &path) {
  if (path.empty() || path[0] == '/' || baseDir.empty())
    return path;
  if (baseDir.back() == '/')
    return baseDir + path;
  return baseDir + "/" + path;
}

bool fileExists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

/// "%g" of a value, for messages.
std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

std::string dimsString(const std::vector<int64_t> &dims, const char *sep) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      s += sep;
    s += std::to_string(dims[i]);
  }
  return s.empty() ? "scalar" : s;
}
//===----------------------------------------------------------------------===//
// IDX
//===----------------------------------------------------------------------===//


/// The size of an IDX element type, 0 for an unknown code.
size_t idxTypeSize(uint8_t type) {
  switch (type) {
  case 0x08: // unsigned byte
  case 0x09: // signed byte
    return 1;
  case 0x0B: // short
    return 2;
  case 0x0C: // int
  case 0x0D: // float
    return 4;
  case 0x0E: // double
    return 8;
  default:
    return 0;
  }
}

uint64_t readBE(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i)
    v = (v << 8) | p[i];
  return v;
}

/// Element `k` of an IDX array as a double.
double idxElement(const IdxArray &a, size_t k) {
  size_t size = idxTypeSize(a.type);
  uint64_t bits = readBE(a.raw.data() + k * size, size);
  switch (a.type) {
  case 0x08:
    return double(uint8_t(bits));
  case 0x09:
    return double(int8_t(uint8_t(bits)));
  case 0x0B:
    return double(int16_t(uint16_t(bits)));
  case 0x0C:
    return double(int32_t(uint32_t(bits)));
  case 0x0D: {
    uint32_t b = uint32_t(bits);
    float f;
    std::memcpy(&f, &b, 4);
    return f;
  }
  default: {
    double d;
    std::memcpy(&d, &bits, 8);
    return d;
  }
  }
}

/// Reads the IDX file at `path`; `noun` names its items in messages
/// ("images", "labels").
std::string readIdx(const std::string &path, const char *noun, IdxArray &out) {
  auto fail = [&](const std::string &reason) { return path + ": " + reason; };
  GzReader in;
  std::string err = in.open(path);
  if (!err.empty())
    return fail(err);

  uint8_t magic[4];
  size_t got = in.read(magic, 4);
  if (!in.error.empty())
    return fail(in.error);
  if (got < 4)
    return fail("truncated IDX header: expected 4 magic bytes, found " + std::to_string(got));
  if (magic[0] != 0 || magic[1] != 0 || !idxTypeSize(magic[2]) || magic[3] == 0) {
    char buf[160];
    std::snprintf(buf, sizeof(buf),
                  "not an IDX file: bad magic %02x %02x %02x %02x (expected 00 00, a type code "
                  "08/09/0b/0c/0d/0e and a non-zero number of dimensions)",
                  magic[0], magic[1], magic[2], magic[3]);
    return fail(buf);
  }
  out.type = magic[2];
  unsigned rank = magic[3];
  uint8_t dimBytes[4 * 255];
  got = in.read(dimBytes, 4 * rank);
  if (!in.error.empty())
    return fail(in.error);
  if (got < 4 * rank)
    return fail("truncated IDX header: " + std::to_string(rank) + " dimensions need " +
                std::to_string(4 * rank) + " bytes, found " + std::to_string(got));

  out.dims.clear();
  uint64_t bytes = idxTypeSize(out.type);
  for (unsigned i = 0; i < rank; ++i) {
    uint64_t d = readBE(dimBytes + 4 * i, 4);
    out.dims.push_back(int64_t(d));
    if (d != 0 && bytes > kMaxBytes / d)
      return fail("IDX dimensions " + dimsString(out.dims) + " describe more than 2^40 bytes");
    bytes *= d;
  }

  out.raw.clear();
  uint64_t present = in.readInto(out.raw, bytes);
  if (present < bytes) {
    uint64_t itemBytes = out.count() ? bytes / uint64_t(out.count()) : 0;
    std::string reason = "truncated: the header announces " + std::to_string(out.count()) + " " +
                         noun + " of " + std::to_string(itemBytes) + " bytes (" +
                         std::to_string(bytes) + " bytes), found " + std::to_string(present) +
                         " bytes (" + std::to_string(itemBytes ? present / itemBytes : 0) +
                         " complete " + noun + ")";
    if (!in.error.empty())
      reason += ": " + in.error;
    return fail(reason);
  }
  // Reading past the end makes zlib check the gzip trailer (CRC and size)
  // and reveals data the header does not account for.
  uint8_t extra;
  got = in.read(&extra, 1);
  if (!in.error.empty())
    return fail(in.error);
  if (got)
    return fail("unexpected data after the " + std::to_string(out.count()) + " " + noun +
                " the header announces");
  return "";
}

//===----------------------------------------------------------------------===//
// Labels and features
//===----------------------------------------------------------------------===//

/// Fills the labels (classification) or targets (regression) of `ds` from
/// `values`, `width` per sample, checking each label against
/// `options.numClasses`.
std::string setLabels(const std::string &path, const std::vector<double> &values, int64_t width,
                      const LoadOptions &options, Dataset &ds) {
  if (width < 1)
    return path + ": the labels hold no value per sample";
  int64_t n = int64_t(values.size()) / width;
  ds.intLabels = options.wantIntLabels;
  ds.labels.clear();
  ds.targets.clear();
  if (!options.wantIntLabels) {
    ds.targetWidth = width;
    ds.targets.resize(values.size());
    for (size_t k = 0; k < values.size(); ++k) {
      if (!std::isfinite(values[k]))
        return path + ": target " + num(values[k]) + " at index " + std::to_string(k) +
               " is not finite";
      ds.targets[k] = float(values[k]);
    }
    return "";
  }
  // One class index per sample, or per position of a sequence ([N, T] labels).
  ds.targetWidth = width;
  ds.labels.resize(size_t(n * width));
  for (int64_t i = 0; i < n * width; ++i) {
    double v = values[size_t(i)];
    if (!std::isfinite(v) || v != std::floor(v))
      return path + ": label " + num(v) + " at index " + std::to_string(i) +
             " is not an integer class index";
    if (options.numClasses > 0 && (v < 0 || v >= double(options.numClasses)))
      return path + ": label " + num(v) + " at index " + std::to_string(i) +
             " is out of range: expected 0 <= label < " + std::to_string(options.numClasses);
    if (v < 0 || v >= double(kMaxInferredClasses))
      return path + ": label " + num(v) + " at index " + std::to_string(i) +
             " is out of range: expected 0 <= label < " + std::to_string(kMaxInferredClasses);
    ds.labels[size_t(i)] = int32_t(v);
  }
  return "";
}

/// Converts the elements of a .npy array to floats (any dtype) and checks
/// that they are finite.
std::string npyToFloats(const std::string &path, const NpyArray &a, int64_t sampleNumel,
                        std::vector<float> &out) {
  std::vector<double> values = a.toDoubles();
  out.resize(values.size());
  for (size_t k = 0; k < values.size(); ++k) {
    if (!std::isfinite(values[k]))
      return path + ": element " + std::to_string(k) + " (sample " +
             std::to_string(sampleNumel ? int64_t(k) / sampleNumel : 0) + ") is " + num(values[k]) +
             ", not a finite number";
    out[k] = float(values[k]);
  }
  return "";
}

/// Keeps the first `n` samples.
void keepFirst(Dataset &ds, int64_t n) {
  if (n >= ds.size)
    return;
  size_t numel = size_t(ds.sampleNumel());
  ds.size = n;
  if (ds.isU8)
    ds.u8.resize(size_t(n) * numel);
  else
    ds.f32.resize(size_t(n) * numel);
  if (ds.intLabels)
    ds.labels.resize(size_t(n * ds.targetWidth));
  else
    ds.targets.resize(size_t(n * ds.targetWidth));
}

} // namespace nnc::runtime::detail
