//===- DataReaders.h - What the data loaders share (private) -----*- C++ -*-===//
//
// The pieces of Data.cpp's loaders that the file formats share: the bounds that keep
// sizes from overflowing, a reader through zlib (gzip or plain), IDX arrays, and the
// central check of labels. Private to the runtime library.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_LIB_DATAREADERS_H
#define NNC_RUNTIME_LIB_DATAREADERS_H

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

namespace nnc::runtime::detail {

/// The largest array a file may describe (2^40 bytes): bounds every product
/// of dimensions below so that none can overflow.
constexpr uint64_t kMaxBytes = uint64_t(1) << 40;
/// Reads and buffer growth happen in chunks of this size.
constexpr size_t kChunk = size_t(1) << 24;
/// When the number of classes is inferred, a larger label is taken for a
/// mistake (regression data given to a classifier) rather than a class.
constexpr int64_t kMaxInferredClasses = int64_t(1) << 24;

/// `path` relative to `baseDir`.
std::string resolve(const std::string &baseDir, const std::string &path);
bool fileExists(const std::string &path);
/// "%g" of a value, for messages.
std::string num(double v);
std::string dimsString(const std::vector<int64_t> &dims, const char *sep = "x");

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
size_t idxTypeSize(uint8_t type);
/// Element `k` of an IDX array as a double.
double idxElement(const IdxArray &a, size_t k);
/// Reads the IDX file at `path`; `noun` names its items in messages ("images", "labels").
std::string readIdx(const std::string &path, const char *noun, IdxArray &out);

/// Fills the labels (classification) or targets (regression) of `ds` from `values`, `width`
/// per sample, checking each label against `options.numClasses`.
std::string setLabels(const std::string &path, const std::vector<double> &values, int64_t width,
                      const LoadOptions &options, Dataset &ds);
/// Converts the elements of a .npy array to floats (any dtype) and checks that they are
/// finite.
std::string npyToFloats(const std::string &path, const NpyArray &a, int64_t sampleNumel,
                        std::vector<float> &out);
/// Keeps the first `n` samples.
void keepFirst(Dataset &ds, int64_t n);

/// The sources (DataSources.cpp).
std::string loadIdxPair(const std::string &imagesPath, const std::string &labelsPath,
                        bool mnistLayout, const LoadOptions &options, Dataset &ds);
std::string loadNpyPair(const std::string &xPath, const std::string &yPath,
                        const LoadOptions &options, Dataset &ds);

/// The settings of a CSV source, shared by its training and test files.
struct CsvSettings {
  int64_t skipRows = 0;
  bool header = false;
  char delimiter = ',';
  int64_t label = -1;
  bool wantIntLabels = true;
};

/// Reads the CSV file at `path` into `ds`. `numFields` is the field count of the training
/// file (0 when this is the training file; then it is set).
std::string loadCsv(const std::string &path, const CsvSettings &s, const LoadOptions &options,
                    int64_t &numFields, Dataset &ds);
/// The MNIST-layout file `dir/base`, gzipped or not; "" when neither exists.
std::string mnistFile(const std::string &dir, const char *base);
std::string loadMnist(const std::string &dir, const LoadOptions &options, Dataset &train,
                      Dataset &test);

} // namespace nnc::runtime::detail

#endif // NNC_RUNTIME_LIB_DATAREADERS_H
