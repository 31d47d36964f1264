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

#include "DataReaders.h"

namespace nnc::runtime {

using namespace detail;

namespace {

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
  if (test.size > 0 && test.targetWidth != train.targetWidth)
    return "the test set has " + std::to_string(test.targetWidth) +
           (train.intLabels ? " labels" : " targets") + " per sample, the training set " +
           std::to_string(train.targetWidth);
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

/// The first dimension of an IDX file's header; -1 when it cannot be read or is not an IDX
/// header (loading says why).
static int64_t idxCount(const std::string &path) {
  GzReader in;
  uint8_t header[8];
  if (path.empty() || !in.open(path).empty() || in.read(header, 8) != 8 || header[0] != 0 ||
      header[1] != 0 || !idxTypeSize(header[2]) || header[3] == 0)
    return -1;
  return int64_t(header[4]) << 24 | int64_t(header[5]) << 16 | int64_t(header[6]) << 8 |
         int64_t(header[7]);
}

int64_t trainingSamples(const DataConfig &config) {
  if (config.kind == "fashion_mnist" || config.kind == "mnist")
    return idxCount(detail::mnistFile(resolve(config.baseDir, config.path),
                                      "train-images-idx3-ubyte"));
  if (config.kind == "idx")
    return idxCount(resolve(config.baseDir, config.images));
  if (config.kind == "npy" && !config.x.empty()) {
    NpyArray x;
    if (!readNpyHeader(resolve(config.baseDir, config.x), x).empty() || x.shape.empty())
      return -1;
    return x.shape[0];
  }
  return -1;
}

void shuffleRows(Dataset &d, uint64_t seed) {
  auto mix = [](uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  size_t numel = size_t(d.sampleNumel());
  int64_t width = d.targetWidth;
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
    for (int64_t k = 0; k < width; ++k) {
      if (d.intLabels)
        std::swap(d.labels[i * width + k], d.labels[j * width + k]);
      else
        std::swap(d.targets[i * width + k], d.targets[j * width + k]);
    }
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
    part.labels.assign(from.labels.begin() + ptrdiff_t(keep * from.targetWidth),
                       from.labels.end());
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
