//===- Data.cpp - Loading training data sets ------------------------------===//
//
// Every source is read through zlib's gz* interface, which decompresses gzip
// files and passes other files through unchanged: "train-images-idx3-ubyte"
// and "train-images-idx3-ubyte.gz" are read by the same code, and so is a
// gzipped CSV. zlib checks the gzip CRC, so a corrupted archive is refused
// rather than silently turned into wrong pixels.
//
// Sizes announced by a file (IDX dimensions, .npy shapes) are never trusted
// for an allocation: data is read in bounded chunks and buffers grow only as
// bytes actually arrive, so a corrupted header claiming 2^40 images costs a
// precise error, not a crash. Labels are validated once, centrally
// (`setLabels`), so that every source reports a bad label the same way:
// which sample, which value, and the range that was expected.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Data.h"

#include "nnc/Runtime/Npy.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

namespace nnc::runtime {

namespace {

/// The largest array a file may describe (2^40 bytes): bounds every product
/// of dimensions below so that none can overflow.
constexpr uint64_t kMaxBytes = uint64_t(1) << 40;
/// Reads and buffer growth happen in chunks of this size.
constexpr size_t kChunk = size_t(1) << 24;
/// When the number of classes is inferred, a larger label is taken for a
/// mistake (regression data given to a classifier) rather than a class.
constexpr int64_t kMaxInferredClasses = int64_t(1) << 24;

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

std::string dimsString(const std::vector<int64_t> &dims, const char *sep = "x") {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      s += sep;
    s += std::to_string(dims[i]);
  }
  return s.empty() ? "scalar" : s;
}

/// A file read through zlib: gzip members are decompressed, anything else is
/// passed through. Errors are reasons without the path.
class GzReader {
public:
  GzReader() = default;
  GzReader(const GzReader &) = delete;
  GzReader &operator=(const GzReader &) = delete;
  ~GzReader() {
    if (file)
      gzclose(file);
  }

  std::string open(const std::string &path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return std::string("cannot open the file: ") + std::strerror(errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      std::string reason = std::string("cannot read the file: ") + std::strerror(errno);
      ::close(fd);
      return reason;
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return S_ISDIR(st.st_mode) ? "is a directory, not a file" : "not a regular file";
    }
    file = gzdopen(fd, "rb");
    if (!file) {
      ::close(fd);
      return "cannot open the file: out of memory";
    }
    gzbuffer(file, 1 << 18);
    return "";
  }

  /// Reads up to `n` bytes; fewer means the end of the data or an error, and
  /// then `error` holds the reason ("" at a clean end).
  size_t read(void *buffer, size_t n) {
    uint8_t *out = static_cast<uint8_t *>(buffer);
    size_t done = 0;
    while (done < n) {
      unsigned chunk = unsigned(std::min<size_t>(n - done, size_t(1) << 30));
      int got = gzread(file, out + done, chunk);
      if (got < 0) {
        error = describeError();
        return done;
      }
      if (got == 0) {
        int errnum = Z_OK;
        gzerror(file, &errnum);
        if (errnum != Z_OK)
          error = describeError();
        return done;
      }
      done += size_t(got);
    }
    return done;
  }

  /// Appends up to `n` bytes to `out`, growing it chunk by chunk so that
  /// only bytes actually present are ever allocated. Chunks start at 64 KiB
  /// and double up to kChunk, so a small file does not zero-fill 16 MiB (the
  /// CSV reader asks for "everything": n is 2^40 there).
  size_t readInto(std::vector<uint8_t> &out, uint64_t n) {
    uint64_t done = 0;
    size_t step = size_t(1) << 16;
    for (; done < n; step = std::min(step * 2, kChunk)) {
      size_t chunk = size_t(std::min<uint64_t>(n - done, step));
      size_t old = out.size();
      out.resize(old + chunk);
      size_t got = read(out.data() + old, chunk);
      out.resize(old + got);
      done += got;
      if (got < chunk)
        break;
    }
    return size_t(done);
  }

  bool isGzip() const { return file && !gzdirect(file); }

  std::string error;

private:
  std::string describeError() {
    int errnum = Z_OK;
    const char *msg = gzerror(file, &errnum);
    // gzerror prefixes the message with the file name zlib knows, which for
    // gzdopen is "<fd:N>"; keep only zlib's reason.
    std::string text = msg ? msg : "";
    size_t colon = text.find(": ");
    if (colon != std::string::npos)
      text = text.substr(colon + 2);
    if (errnum == Z_ERRNO)
      return std::string("read error: ") + std::strerror(errno);
    if (errnum == Z_BUF_ERROR)
      return "the gzip stream is truncated (" + text + ")";
    if (errnum == Z_MEM_ERROR)
      return "out of memory while decompressing";
    return "bad gzip data (" + text + ")";
  }

  gzFile file = nullptr;
};

//===----------------------------------------------------------------------===//
// IDX
//===----------------------------------------------------------------------===//

/// An IDX file: big-endian dimensions, an element type code and the raw
/// big-endian elements.
struct IdxArray {
  uint8_t type = 0;
  std::vector<int64_t> dims;
  std::vector<uint8_t> raw;

  int64_t count() const { return dims.empty() ? 0 : dims[0]; }
  int64_t itemNumel() const {
    int64_t n = 1;
    for (size_t i = 1; i < dims.size(); ++i)
      n *= dims[i];
    return n;
  }
};

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
  if (width != 1)
    return path + ": classification needs one integer label per sample, found " +
           std::to_string(width) + " values per sample";
  ds.targetWidth = 1;
  ds.labels.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) {
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
    ds.labels.resize(size_t(n));
  else
    ds.targets.resize(size_t(n * ds.targetWidth));
}

//===----------------------------------------------------------------------===//
// Sources
//===----------------------------------------------------------------------===//

std::string loadIdxPair(const std::string &imagesPath, const std::string &labelsPath,
                        bool mnistLayout, const LoadOptions &options, Dataset &ds) {
  IdxArray images, labels;
  std::string err = readIdx(imagesPath, "images", images);
  if (!err.empty())
    return err;
  err = readIdx(labelsPath, "labels", labels);
  if (!err.empty())
    return err;
  if (mnistLayout) {
    if (images.type != 0x08 || images.dims.size() != 3)
      return imagesPath +
             ": expected unsigned-byte images of rank 3 (count, rows, columns), "
             "found rank " +
             std::to_string(images.dims.size());
    if (labels.dims.size() != 1)
      return labelsPath + ": expected labels of rank 1, found rank " +
             std::to_string(labels.dims.size());
  }
  if (labels.count() != images.count())
    return labelsPath + ": " + std::to_string(labels.count()) + " labels for " +
           std::to_string(images.count()) + " images in " + imagesPath;
  if (images.count() == 0)
    return imagesPath + ": the data set is empty (0 images)";

  ds.size = images.count();
  if (images.dims.size() == 3)
    ds.sampleShape = {1, images.dims[1], images.dims[2]}; // channel first
  else if (images.dims.size() == 1)
    ds.sampleShape = {1};
  else
    ds.sampleShape.assign(images.dims.begin() + 1, images.dims.end());
  if (ds.sampleNumel() == 0)
    return imagesPath + ": the samples are empty (shape " + dimsString(ds.sampleShape) + ")";
  if (images.type == 0x08) {
    ds.isU8 = true;
    ds.u8 = std::move(images.raw);
  } else {
    ds.isU8 = false;
    size_t n = images.raw.size() / idxTypeSize(images.type);
    ds.f32.resize(n);
    for (size_t k = 0; k < n; ++k) {
      double v = idxElement(images, k);
      if (!std::isfinite(v))
        return imagesPath + ": element " + std::to_string(k) + " is " + num(v) +
               ", not a finite number";
      ds.f32[k] = float(v);
    }
  }
  std::vector<double> values(labels.raw.size() / idxTypeSize(labels.type));
  for (size_t k = 0; k < values.size(); ++k)
    values[k] = idxElement(labels, k);
  return setLabels(labelsPath, values, labels.itemNumel(), options, ds);
}

std::string loadNpyPair(const std::string &xPath, const std::string &yPath,
                        const LoadOptions &options, Dataset &ds) {
  NpyArray x, y;
  std::string err = readNpy(xPath, x);
  if (!err.empty())
    return err;
  err = readNpy(yPath, y);
  if (!err.empty())
    return err;
  if (x.shape.empty())
    return xPath + ": expected an array of samples (rank >= 1), found a scalar";
  if (y.shape.empty())
    return yPath + ": expected one label or target row per sample (rank >= 1), found a scalar";
  if (y.shape[0] != x.shape[0])
    return yPath + ": " + std::to_string(y.shape[0]) + " labels for " + std::to_string(x.shape[0]) +
           " samples in " + xPath;
  if (x.shape[0] == 0)
    return xPath + ": the data set is empty (0 samples)";

  ds.size = x.shape[0];
  ds.sampleShape.assign(x.shape.begin() + 1, x.shape.end());
  if (ds.sampleShape.empty())
    ds.sampleShape = {1};
  if (ds.sampleNumel() == 0)
    return xPath + ": the samples are empty (shape " + dimsString(ds.sampleShape) + ")";
  if (x.dtype == "|u1") {
    ds.isU8 = true;
    ds.u8 = std::move(x.bytes);
  } else {
    ds.isU8 = false;
    err = npyToFloats(xPath, x, ds.sampleNumel(), ds.f32);
    if (!err.empty())
      return err;
  }
  int64_t width = 1;
  for (size_t i = 1; i < y.shape.size(); ++i)
    width *= y.shape[i];
  return setLabels(yPath, y.toDoubles(), width, options, ds);
}

/// The settings of a CSV source, shared by its training and test files.
struct CsvSettings {
  int64_t skipRows = 0;
  bool header = false;
  char delimiter = ',';
  int64_t label = -1;
  bool wantIntLabels = true;
};

/// Parses one numeric field. from_chars is locale-independent and rejects
/// trailing garbage; a leading '+' is allowed as spreadsheets write it.
bool parseNumber(const char *begin, const char *end, double &value) {
  if (begin < end && *begin == '+')
    ++begin;
  if (begin == end)
    return false;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  return ec == std::errc() && ptr == end;
}

/// Reads the CSV file at `path` into `ds`. `numFields` is the field count of
/// the training file (0 when this is the training file; then it is set).
std::string loadCsv(const std::string &path, const CsvSettings &s, const LoadOptions &options,
                    int64_t &numFields, Dataset &ds) {
  auto fail = [&](const std::string &reason) { return path + ": " + reason; };
  GzReader in;
  std::string err = in.open(path);
  if (!err.empty())
    return fail(err);
  std::vector<uint8_t> bytes;
  in.readInto(bytes, kMaxBytes);
  if (!in.error.empty())
    return fail(in.error);
  const char *text = reinterpret_cast<const char *>(bytes.data());
  size_t size = bytes.size();

  ds.isU8 = false;
  ds.f32.clear();
  std::vector<double> labelValues;
  int64_t labelColumn = -1;
  int64_t lineNo = 0, rows = 0;
  size_t pos = 0;
  std::vector<std::pair<const char *, const char *>> fields;
  while (pos < size) {
    size_t eol = pos;
    while (eol < size && text[eol] != '\n')
      ++eol;
    const char *lineBegin = text + pos, *lineEnd = text + eol;
    pos = eol + 1;
    ++lineNo;
    if (lineEnd > lineBegin && lineEnd[-1] == '\r')
      --lineEnd;
    if (lineNo <= s.skipRows || (s.header && lineNo == s.skipRows + 1))
      continue;
    auto isBlank = [](char c) { return c == ' ' || c == '\t'; };
    const char *p = lineBegin;
    while (p < lineEnd && isBlank(*p))
      ++p;
    if (p == lineEnd)
      continue; // blank lines separate nothing; skip them as pandas does

    fields.clear();
    const char *fieldBegin = lineBegin;
    for (const char *q = lineBegin;; ++q) {
      if (q == lineEnd || *q == s.delimiter) {
        fields.push_back({fieldBegin, q});
        if (q == lineEnd)
          break;
        fieldBegin = q + 1;
      }
    }
    std::string where = path + ":" + std::to_string(lineNo);
    if (numFields == 0) {
      numFields = int64_t(fields.size());
      if (numFields < 2)
        return where + ": expected a label and at least one feature, found " +
               std::to_string(numFields) + " field";
    }
    if (int64_t(fields.size()) != numFields)
      return where + ": expected " + std::to_string(numFields) + " fields, found " +
             std::to_string(fields.size());
    if (labelColumn < 0) {
      labelColumn = s.label < 0 ? numFields + s.label : s.label;
      if (labelColumn < 0 || labelColumn >= numFields)
        return fail("label column " + std::to_string(s.label) + " is out of range for rows of " +
                    std::to_string(numFields) + " fields (expected " + std::to_string(-numFields) +
                    " to " + std::to_string(numFields - 1) + ")");
    }
    for (int64_t f = 0; f < numFields; ++f) {
      const char *b = fields[size_t(f)].first, *e = fields[size_t(f)].second;
      while (b < e && isBlank(*b))
        ++b;
      while (e > b && isBlank(e[-1]))
        --e;
      if (e - b >= 2 && *b == '"' && e[-1] == '"')
        ++b, --e;
      double v;
      std::string col = where + ":" + std::to_string(fields[size_t(f)].first - lineBegin + 1);
      if (!parseNumber(b, e, v)) {
        std::string found = b == e ? "an empty field" : "'" + std::string(b, e) + "'";
        if (f == labelColumn && s.wantIntLabels)
          return col + ": expected an integer class label, found " + found;
        return col + ": expected a number in field " + std::to_string(f + 1) + ", found " + found;
      }
      if (!std::isfinite(v))
        return col + ": expected a finite number in field " + std::to_string(f + 1) + ", found '" +
               std::string(b, e) + "'";
      if (f == labelColumn) {
        if (s.wantIntLabels && v != std::floor(v))
          return col + ": expected an integer class label, found '" + std::string(b, e) + "'";
        labelValues.push_back(v);
      } else {
        ds.f32.push_back(float(v));
      }
    }
    ++rows;
  }
  if (rows == 0)
    return fail("the data set is empty (no data rows after " + std::to_string(lineNo) +
                " line(s))");
  ds.size = rows;
  ds.sampleShape = {numFields - 1};
  return setLabels(path, labelValues, 1, options, ds);
}

/// The MNIST-layout file `dir/base`, gzipped or not; "" when neither exists.
std::string mnistFile(const std::string &dir, const char *base) {
  std::string plain = dir + "/" + base;
  if (fileExists(plain))
    return plain;
  if (fileExists(plain + ".gz"))
    return plain + ".gz";
  return "";
}

std::string loadMnist(const std::string &dir, const LoadOptions &options, Dataset &train,
                      Dataset &test) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0)
    return dir + ": cannot open the data folder: " + std::strerror(errno);
  if (!S_ISDIR(st.st_mode))
    return dir + ": expected a folder holding the MNIST-layout files, found a file";
  const char *names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  std::string paths[4];
  for (int i = 0; i < 4; ++i) {
    paths[i] = mnistFile(dir, names[i]);
    if (paths[i].empty())
      return dir + "/" + names[i] + ": no such file, gzipped (.gz) or not";
  }
  std::string err = loadIdxPair(paths[0], paths[1], true, options, train);
  if (!err.empty())
    return err;
  return loadIdxPair(paths[2], paths[3], true, options, test);
}

/// The largest label of a data set, -1 when it has none.
int64_t maxLabel(const Dataset &ds) {
  int64_t m = -1;
  for (int32_t l : ds.labels)
    m = std::max<int64_t>(m, l);
  return m;
}

} // namespace

int64_t Dataset::sampleNumel() const {
  int64_t n = 1;
  for (int64_t d : sampleShape)
    n *= d;
  return n;
}

int64_t Dataset::sampleBytes() const { return sampleNumel() * (isU8 ? 1 : 4); }

std::string loadData(const DataConfig &config, const LoadOptions &options, Dataset &train,
                     Dataset &test) {
  train = Dataset();
  test = Dataset();
  if (options.limit < 0)
    return "limit must be >= 0, found " + std::to_string(options.limit);
  if (options.numClasses < 0)
    return "the number of classes must be >= 0, found " + std::to_string(options.numClasses);
  auto path = [&](const std::string &p) { return resolve(config.baseDir, p); };
  auto required = [&](const std::string &value, const char *name) -> std::string {
    if (value.empty())
      return config.kind + "(): '" + name + "' is not set";
    return "";
  };

  LoadOptions effective = options;
  std::string err;
  if (config.kind == "fashion_mnist" || config.kind == "mnist") {
    std::string dir = config.path;
    if (dir.empty() && config.kind == "fashion_mnist")
      dir = "/usr/share/datasets/fashion-mnist";
    if (!(err = required(dir, "path")).empty())
      return err;
    if (effective.wantIntLabels && effective.numClasses == 0)
      effective.numClasses = 10;
    err = loadMnist(path(dir), effective, train, test);
  } else if (config.kind == "idx") {
    if (!(err = required(config.images, "images")).empty() ||
        !(err = required(config.labels, "labels")).empty())
      return err;
    if (config.testImages.empty() != config.testLabels.empty())
      return "idx(): 'test_images' and 'test_labels' go together; only one is set";
    err = loadIdxPair(path(config.images), path(config.labels), false, effective, train);
    if (err.empty() && !config.testImages.empty())
      err = loadIdxPair(path(config.testImages), path(config.testLabels), false, effective, test);
  } else if (config.kind == "npy") {
    if (!(err = required(config.x, "x")).empty() || !(err = required(config.y, "y")).empty())
      return err;
    if (config.testX.empty() != config.testY.empty())
      return "npy(): 'test_x' and 'test_y' go together; only one is set";
    err = loadNpyPair(path(config.x), path(config.y), effective, train);
    if (err.empty() && !config.testX.empty())
      err = loadNpyPair(path(config.testX), path(config.testY), effective, test);
  } else if (config.kind == "csv") {
    if (!(err = required(config.path, "path")).empty())
      return err;
    if (config.delimiter.size() != 1)
      return "csv(): 'delimiter' must be one character, found '" + config.delimiter + "'";
    if (config.skipRows < 0)
      return "csv(): 'skip_rows' must be >= 0, found " + std::to_string(config.skipRows);
    if (!(config.testFraction >= 0 && config.testFraction < 1))
      return "csv(): 'test_fraction' must be in [0, 1), found " + num(config.testFraction);
    if (config.testFraction > 0 && !config.test.empty())
      return "csv(): 'test' and 'test_fraction' exclude each other";
    CsvSettings s;
    s.skipRows = config.skipRows;
    s.header = config.header;
    s.delimiter = config.delimiter[0];
    s.label = config.label;
    s.wantIntLabels = effective.wantIntLabels;
    int64_t numFields = 0;
    std::string trainPath = path(config.path);
    err = loadCsv(trainPath, s, effective, numFields, train);
    if (err.empty() && !config.test.empty())
      err = loadCsv(path(config.test), s, effective, numFields, test);
    if (err.empty() && config.testFraction > 0) {
      // Files are often sorted by class (iris.csv is): a held-out tail would be one class.
      // The rows are shuffled with a fixed seed first, so the split is the same every run.
      shuffleRows(train, 0x5EED);
      err = splitOff(train, config.testFraction, test);
      if (!err.empty())
        err = trainPath + ": test_fraction: " + err;
    }
  } else {
    return "unknown data source '" + config.kind +
           "' (expected fashion_mnist, mnist, idx, csv or npy)";
  }
  if (!err.empty())
    return err;

  if (test.size > 0 && test.sampleShape != train.sampleShape)
    return "the test samples have shape " + dimsString(test.sampleShape) +
           ", the training samples " + dimsString(train.sampleShape);
  if (test.size > 0 && !train.intLabels && test.targetWidth != train.targetWidth)
    return "the test set has " + std::to_string(test.targetWidth) +
           " targets per sample, the training set " + std::to_string(train.targetWidth);
  if (test.size == 0) {
    // An empty test set still describes the same samples.
    test.sampleShape = train.sampleShape;
    test.isU8 = train.isU8;
    test.intLabels = train.intLabels;
    test.targetWidth = train.targetWidth;
  }
  if (train.intLabels) {
    int64_t classes = effective.numClasses;
    if (classes == 0)
      classes = std::max(maxLabel(train), maxLabel(test)) + 1;
    train.numClasses = test.numClasses = classes;
  }
  if (options.limit > 0)
    keepFirst(train, options.limit);
  return "";
}

std::string featureDtype(const DataConfig &config) {
  if (config.kind == "fashion_mnist" || config.kind == "mnist")
    return "u8"; // The MNIST layout holds bytes (loadIdxPair checks it).
  if (config.kind == "idx" && !config.images.empty()) {
    GzReader in;
    uint8_t magic[4];
    if (!in.open(resolve(config.baseDir, config.images)).empty() || in.read(magic, 4) != 4 ||
        magic[0] != 0 || magic[1] != 0 || !idxTypeSize(magic[2]))
      return "";
    return magic[2] == 0x08 ? "u8" : "f32";
  }
  if (config.kind == "npy" && !config.x.empty()) {
    NpyArray x;
    if (!readNpyHeader(resolve(config.baseDir, config.x), x).empty())
      return "";
    return x.dtype == "|u1" ? "u8" : "f32";
  }
  return config.kind == "csv" ? "f32" : "";
}

void shuffleRows(Dataset &d, uint64_t seed) {
  auto mix = [](uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  size_t numel = size_t(d.sampleNumel());
  int64_t width = d.intLabels ? 1 : d.targetWidth;
  for (int64_t i = d.size - 1; i > 0; --i) {
    int64_t j = int64_t(mix(seed ^ uint64_t(i)) % uint64_t(i + 1));
    if (i == j)
      continue;
    for (size_t k = 0; k < numel; ++k) {
      if (d.isU8)
        std::swap(d.u8[size_t(i) * numel + k], d.u8[size_t(j) * numel + k]);
      else
        std::swap(d.f32[size_t(i) * numel + k], d.f32[size_t(j) * numel + k]);
    }
    if (d.intLabels)
      std::swap(d.labels[i], d.labels[j]);
    else
      for (int64_t k = 0; k < width; ++k)
        std::swap(d.targets[i * width + k], d.targets[j * width + k]);
  }
}

std::string splitOff(Dataset &from, double fraction, Dataset &part) {
  if (!(fraction > 0 && fraction < 1))
    return "the split fraction must be in (0, 1), found " + num(fraction);
  int64_t n = int64_t(std::llround(fraction * double(from.size)));
  if (n < 1 || n >= from.size)
    return "a fraction of " + num(fraction) + " of " + std::to_string(from.size) +
           " samples leaves " + (n < 1 ? "the split" : "the rest") + " empty";
  int64_t keep = from.size - n;
  part = Dataset();
  part.sampleShape = from.sampleShape;
  part.isU8 = from.isU8;
  part.intLabels = from.intLabels;
  part.targetWidth = from.targetWidth;
  part.numClasses = from.numClasses;
  part.size = n;
  size_t numel = size_t(from.sampleNumel());
  if (from.isU8)
    part.u8.assign(from.u8.begin() + ptrdiff_t(size_t(keep) * numel), from.u8.end());
  else
    part.f32.assign(from.f32.begin() + ptrdiff_t(size_t(keep) * numel), from.f32.end());
  if (from.intLabels)
    part.labels.assign(from.labels.begin() + keep, from.labels.end());
  else
    part.targets.assign(from.targets.begin() + ptrdiff_t(keep * from.targetWidth),
                        from.targets.end());
  keepFirst(from, keep);
  // Give the moved memory back: the training set may be large.
  from.u8.shrink_to_fit();
  from.f32.shrink_to_fit();
  return "";
}

} // namespace nnc::runtime
