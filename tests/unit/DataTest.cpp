//===- DataTest.cpp - Unit tests of the data set loaders ------------------===//
//
// The loaders on real data (Fashion-MNIST, iris), on small hand-made files of
// every kind, and on one broken file per way a user's data can be wrong:
// each must be refused with the path and the specific reason, never a crash.
// A last test feeds every truncation and many corruptions of valid files to
// the loaders to back the "never a crash" promise.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Data.h"

#include "nnc/Runtime/Npy.h"

#include "TestFiles.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <algorithm>

#include <random>
#include <sys/stat.h>

using namespace nnc::runtime;
using nnc::test::gzipBytes;
using nnc::test::ScratchDir;
using nnc::test::writeBytes;
using nnc::test::writeText;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

const char *kFashion = "/usr/share/datasets/fashion-mnist";
const char *kIris = "/usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv";

bool exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

/// An IDX image: magic 00 00 `type` rank, big-endian dimensions, `payload`.
std::vector<uint8_t> idx(uint8_t type, const std::vector<uint32_t> &dims,
                         const std::vector<uint8_t> &payload) {
  std::vector<uint8_t> out = {0, 0, type, uint8_t(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(uint8_t(d >> shift));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::vector<uint8_t> iota(size_t n, uint8_t mod = 251) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = uint8_t(i % mod);
  return v;
}

/// Writes a valid idx pair of `n` 2x3 images with labels i % 4.
void writeIdxPair(const ScratchDir &dir, uint32_t n, bool gzip = false) {
  std::vector<uint8_t> labels(n);
  for (uint32_t i = 0; i < n; ++i)
    labels[i] = uint8_t(i % 4);
  std::vector<uint8_t> images = idx(0x08, {n, 2, 3}, iota(n * 6));
  std::vector<uint8_t> labelFile = idx(0x08, {n}, labels);
  writeBytes(dir.path("images"), gzip ? gzipBytes(images) : images);
  writeBytes(dir.path("labels"), gzip ? gzipBytes(labelFile) : labelFile);
}

DataConfig idxConfig(const ScratchDir &dir) {
  DataConfig c;
  c.kind = "idx";
  c.images = dir.path("images");
  c.labels = dir.path("labels");
  return c;
}

DataConfig csvConfig(const std::string &path) {
  DataConfig c;
  c.kind = "csv";
  c.path = path;
  return c;
}

std::string load(const DataConfig &c, LoadOptions options = {}) {
  Dataset train, test;
  return loadData(c, options, train, test);
}

} // namespace

//===----------------------------------------------------------------------===//
// Real data sets
//===----------------------------------------------------------------------===//

TEST(Data, FashionMnist) {
  if (!exists(kFashion))
    GTEST_SKIP() << kFashion << " is absent";
  DataConfig c; // fashion_mnist() with its default path
  Dataset train, test;
  ASSERT_EQ(loadData(c, {}, train, test), "");
  EXPECT_EQ(train.size, 60000);
  EXPECT_EQ(test.size, 10000);
  EXPECT_EQ(train.sampleShape, (std::vector<int64_t>{1, 28, 28}));
  EXPECT_EQ(test.sampleShape, (std::vector<int64_t>{1, 28, 28}));
  EXPECT_TRUE(train.isU8);
  EXPECT_EQ(train.u8.size(), size_t(60000 * 784));
  EXPECT_EQ(test.u8.size(), size_t(10000 * 784));
  EXPECT_TRUE(train.intLabels);
  EXPECT_EQ(train.numClasses, 10);
  EXPECT_EQ(test.numClasses, 10);
  // Fashion-MNIST is balanced: 6000 and 1000 of each class.
  std::vector<int> counts(10), testCounts(10);
  for (int32_t l : train.labels) {
    ASSERT_TRUE(l >= 0 && l < 10) << l;
    ++counts[size_t(l)];
  }
  for (int32_t l : test.labels) {
    ASSERT_TRUE(l >= 0 && l < 10) << l;
    ++testCounts[size_t(l)];
  }
  EXPECT_EQ(counts, std::vector<int>(10, 6000));
  EXPECT_EQ(testCounts, std::vector<int>(10, 1000));
  // Values NumPy reads from the same files.
  EXPECT_EQ(train.labels[0], 9);
  EXPECT_EQ(test.labels[1], 2);
  uint64_t first = 0;
  for (int i = 0; i < 784; ++i)
    first += train.u8[size_t(i)];
  EXPECT_EQ(first, 76247u);
}

TEST(Data, FashionMnistLimit) {
  if (!exists(kFashion))
    GTEST_SKIP() << kFashion << " is absent";
  DataConfig c;
  c.kind = "fashion_mnist";
  c.path = kFashion;
  LoadOptions o;
  o.limit = 1000;
  Dataset train, test;
  ASSERT_EQ(loadData(c, o, train, test), "");
  EXPECT_EQ(train.size, 1000);
  EXPECT_EQ(train.u8.size(), size_t(1000 * 784));
  EXPECT_EQ(train.labels.size(), 1000u);
  EXPECT_EQ(test.size, 10000); // the limit caps training only
}

TEST(Data, IrisCsv) {
  if (!exists(kIris))
    GTEST_SKIP() << kIris << " is absent";
  DataConfig c = csvConfig(kIris);
  c.skipRows = 1; // "150,4,setosa,versicolor,virginica"
  c.label = -1;
  Dataset train, test;
  ASSERT_EQ(loadData(c, {}, train, test), "");
  EXPECT_EQ(train.size, 150);
  EXPECT_EQ(train.sampleShape, (std::vector<int64_t>{4}));
  EXPECT_FALSE(train.isU8);
  EXPECT_EQ(train.numClasses, 3);
  EXPECT_EQ(test.size, 0);
  EXPECT_EQ(test.sampleShape, (std::vector<int64_t>{4}));
  EXPECT_EQ(std::vector<float>(train.f32.begin(), train.f32.begin() + 4),
            (std::vector<float>{5.1f, 3.5f, 1.4f, 0.2f}));
  EXPECT_EQ(train.labels[0], 0);
  EXPECT_EQ(train.labels[149], 2);

  // The file is sorted by class: a held-out tail would be all virginica. The held-out
  // rows are a seeded shuffle's, so every class is in both parts, the same rows every run.
  c.testFraction = 0.2;
  ASSERT_EQ(loadData(c, {}, train, test), "");
  EXPECT_EQ(train.size, 120);
  EXPECT_EQ(test.size, 30);
  EXPECT_EQ(train.f32.size(), 480u);
  EXPECT_EQ(test.f32.size(), 120u);
  for (int32_t cls = 0; cls < 3; ++cls)
    EXPECT_GT(std::count(test.labels.begin(), test.labels.end(), cls), 3) << cls;
  std::vector<int32_t> first = test.labels;
  ASSERT_EQ(loadData(c, {}, train, test), "");
  EXPECT_EQ(test.labels, first);
  EXPECT_EQ(train.numClasses, 3);
  EXPECT_EQ(test.numClasses, 3);

  // Regression on the same column: float targets.
  LoadOptions regression;
  regression.wantIntLabels = false;
  ASSERT_EQ(loadData(c, regression, train, test), "");
  EXPECT_FALSE(train.intLabels);
  EXPECT_EQ(train.targetWidth, 1);
  EXPECT_EQ(train.targets.size(), 120u);
  EXPECT_EQ(test.targets.size(), 30u);
}

//===----------------------------------------------------------------------===//
// Small files of every kind
//===----------------------------------------------------------------------===//

TEST(Data, IdxPlainAndGzipped) {
  for (bool gzip : {false, true}) {
    ScratchDir dir;
    writeIdxPair(dir, 5, gzip);
    Dataset train, test;
    ASSERT_EQ(loadData(idxConfig(dir), {}, train, test), "") << gzip;
    EXPECT_EQ(train.size, 5);
    EXPECT_EQ(train.sampleShape, (std::vector<int64_t>{1, 2, 3}));
    EXPECT_EQ(train.u8, iota(30));
    EXPECT_EQ(train.labels, (std::vector<int32_t>{0, 1, 2, 3, 0}));
    EXPECT_EQ(train.numClasses, 4); // inferred
    EXPECT_EQ(test.size, 0);
  }
}

TEST(Data, IdxFloatFeaturesAndRegressionTargets) {
  ScratchDir dir;
  // Two samples of 2 big-endian floats; targets are 2 x 1 signed shorts.
  std::vector<uint8_t> floats = {0x3F, 0x80, 0, 0, 0x40, 0, 0, 0, 0xC0, 0x40, 0, 0, 0, 0, 0, 0};
  writeBytes(dir.path("images"), idx(0x0D, {2, 2}, floats));
  writeBytes(dir.path("labels"), idx(0x0B, {2, 1}, {0xFF, 0xFE, 0x00, 0x07}));
  LoadOptions o;
  o.wantIntLabels = false;
  Dataset train, test;
  ASSERT_EQ(loadData(idxConfig(dir), o, train, test), "");
  EXPECT_FALSE(train.isU8);
  EXPECT_EQ(train.sampleShape, (std::vector<int64_t>{2}));
  EXPECT_EQ(train.f32, (std::vector<float>{1, 2, -3, 0}));
  EXPECT_EQ(train.targets, (std::vector<float>{-2, 7}));
}

TEST(Data, MnistFolderAcceptsPlainAndGzippedNames) {
  ScratchDir dir;
  std::vector<uint8_t> images = idx(0x08, {3, 2, 2}, iota(12));
  std::vector<uint8_t> labels = idx(0x08, {3}, {1, 9, 0});
  writeBytes(dir.path("train-images-idx3-ubyte.gz"), gzipBytes(images));
  writeBytes(dir.path("train-labels-idx1-ubyte"), labels);
  writeBytes(dir.path("t10k-images-idx3-ubyte"), images);
  writeBytes(dir.path("t10k-labels-idx1-ubyte.gz"), gzipBytes(labels));
  DataConfig c;
  c.kind = "mnist";
  c.path = dir.str();
  Dataset train, test;
  ASSERT_EQ(loadData(c, {}, train, test), "");
  EXPECT_EQ(train.size, 3);
  EXPECT_EQ(test.size, 3);
  EXPECT_EQ(train.numClasses, 10);
  EXPECT_EQ(test.labels, (std::vector<int32_t>{1, 9, 0}));
}

TEST(Data, RelativePathsResolveAgainstBaseDir) {
  ScratchDir dir;
  writeText(dir.path("d.csv"), "1,2,0\n3,4,1\n");
  DataConfig c = csvConfig("d.csv");
  c.baseDir = dir.str();
  Dataset train, test;
  ASSERT_EQ(loadData(c, {}, train, test), "");
  EXPECT_EQ(train.size, 2);
  c.baseDir = dir.str() + "/";
  ASSERT_EQ(loadData(c, {}, train, test), "");
  EXPECT_EQ(train.size, 2);
}

TEST(Data, CsvSettings) {
  ScratchDir dir;
  // A header line, ';' separators, CRLF, blank lines, quotes, spaces, the
  // label first, and integral float labels.
  writeText(dir.path("d.csv"), "a;b;c\r\n2.0; 1.5 ;\"-2\"\r\n\r\n0;+3;4e1\r\n");
  writeText(dir.path("t.csv"), "a;b;c\n1;0;0\n");
  DataConfig c = csvConfig(dir.path("d.csv"));
  c.header = true;
  c.delimiter = ";";
  c.label = 0;
  c.test = dir.path("t.csv");
  Dataset train, test;
  ASSERT_EQ(loadData(c, {}, train, test), "");
  EXPECT_EQ(train.size, 2);
  EXPECT_EQ(train.f32, (std::vector<float>{1.5f, -2, 3, 40}));
  EXPECT_EQ(train.labels, (std::vector<int32_t>{2, 0}));
  EXPECT_EQ(test.size, 1);
  EXPECT_EQ(test.labels, (std::vector<int32_t>{1}));
  EXPECT_EQ(train.numClasses, 3);
}

TEST(Data, GzippedCsv) {
  ScratchDir dir;
  std::string text = "1,2,0\n3,4,1\n";
  writeBytes(dir.path("d.csv.gz"), gzipBytes(std::vector<uint8_t>(text.begin(), text.end())));
  Dataset train, test;
  ASSERT_EQ(loadData(csvConfig(dir.path("d.csv.gz")), {}, train, test), "");
  EXPECT_EQ(train.f32, (std::vector<float>{1, 2, 3, 4}));
}

TEST(Data, Npy) {
  ScratchDir dir;
  std::vector<int64_t> pixels(12);
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = int64_t(i) * 20;
  ASSERT_EQ(writeNpy(dir.path("x.npy"), NpyArray::fromInt64s("|u1", {3, 2, 2}, pixels)), "");
  ASSERT_EQ(writeNpy(dir.path("y.npy"), NpyArray::fromInt64s("<i8", {3}, {2, 0, 1})), "");
  ASSERT_EQ(writeNpy(dir.path("tx.npy"), NpyArray::fromDoubles("<f8", {1, 2, 2}, {1, 2, 3, 4})),
            "");
  ASSERT_EQ(writeNpy(dir.path("ty.npy"), NpyArray::fromDoubles("<f4", {1, 1}, {4.0})), "");
  DataConfig c;
  c.kind = "npy";
  c.x = dir.path("x.npy");
  c.y = dir.path("y.npy");
  Dataset train, test;
  ASSERT_EQ(loadData(c, {}, train, test), "");
  EXPECT_TRUE(train.isU8);
  EXPECT_EQ(train.u8[11], 220);
  EXPECT_EQ(train.sampleShape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(train.labels, (std::vector<int32_t>{2, 0, 1}));
  EXPECT_EQ(train.numClasses, 3);

  // Float test features must match the training shape, not the dtype; a
  // float label 4.0 is a class index and widens the inferred class count.
  c.testX = dir.path("tx.npy");
  c.testY = dir.path("ty.npy");
  ASSERT_EQ(loadData(c, {}, train, test), "");
  EXPECT_FALSE(test.isU8);
  EXPECT_EQ(test.f32, (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(test.labels, (std::vector<int32_t>{4}));
  EXPECT_EQ(train.numClasses, 5);

  // Regression: targets of width 4 per sample.
  ASSERT_EQ(writeNpy(dir.path("y2.npy"),
                     NpyArray::fromDoubles("<f4", {3, 2, 2}, std::vector<double>(12, 0.5))),
            "");
  c.testX = c.testY = "";
  c.y = dir.path("y2.npy");
  LoadOptions o;
  o.wantIntLabels = false;
  ASSERT_EQ(loadData(c, o, train, test), "");
  EXPECT_EQ(train.targetWidth, 4);
  EXPECT_EQ(train.targets, std::vector<float>(12, 0.5f));
}

TEST(Data, FeatureDtypeFromTheHeaders) {
  ScratchDir dir;
  writeIdxPair(dir, 2, /*gzip=*/true);
  EXPECT_EQ(featureDtype(idxConfig(dir)), "u8");
  writeBytes(dir.path("images"), idx(0x0D, {1, 1}, {0x3F, 0x80, 0, 0}));
  EXPECT_EQ(featureDtype(idxConfig(dir)), "f32");
  writeBytes(dir.path("images"), {0, 0, 7, 3});
  EXPECT_EQ(featureDtype(idxConfig(dir)), ""); // Not IDX: loading will say so.

  ASSERT_EQ(writeNpy(dir.path("x.npy"), NpyArray::fromInt64s("|u1", {2, 2}, {0, 1, 2, 255})), "");
  ASSERT_EQ(writeNpy(dir.path("xf.npy"), NpyArray::fromDoubles("<f8", {1, 2}, {1, 2})), "");
  DataConfig c;
  c.kind = "npy";
  c.baseDir = dir.path("");
  c.x = "x.npy";
  EXPECT_EQ(featureDtype(c), "u8");
  c.x = "xf.npy";
  EXPECT_EQ(featureDtype(c), "f32");
  c.x = "missing.npy";
  EXPECT_EQ(featureDtype(c), "");

  DataConfig mnist;
  mnist.kind = "mnist";
  mnist.path = dir.path("nowhere"); // The MNIST layout is bytes; no file is read.
  EXPECT_EQ(featureDtype(mnist), "u8");
  EXPECT_EQ(featureDtype(csvConfig(dir.path("d.csv"))), "f32");
}

TEST(Data, SplitOff) {
  ScratchDir dir;
  writeIdxPair(dir, 10);
  Dataset train, test, val;
  ASSERT_EQ(loadData(idxConfig(dir), {}, train, test), "");
  ASSERT_EQ(splitOff(train, 0.2, val), "");
  EXPECT_EQ(train.size, 8);
  EXPECT_EQ(val.size, 2);
  EXPECT_EQ(train.u8, iota(48));
  std::vector<uint8_t> all = iota(60);
  EXPECT_EQ(val.u8, std::vector<uint8_t>(all.begin() + 48, all.end()));
  EXPECT_EQ(val.labels, (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(val.sampleShape, train.sampleShape);
  EXPECT_EQ(val.numClasses, 4);

  EXPECT_THAT(splitOff(train, 0.01, val), HasSubstr("leaves the split empty"));
  EXPECT_THAT(splitOff(train, 0.99, val), HasSubstr("leaves the rest empty"));
  EXPECT_THAT(splitOff(train, 1.5, val), HasSubstr("must be in (0, 1)"));
  EXPECT_EQ(train.size, 8); // untouched by the refusals
}

//===----------------------------------------------------------------------===//
// Broken files: each names the path and the specific reason.
//===----------------------------------------------------------------------===//

TEST(DataErrors, MissingFile) {
  ScratchDir dir;
  DataConfig c = idxConfig(dir);
  EXPECT_THAT(load(c), AllOf(HasSubstr(dir.path("images") + ": cannot open the file"),
                             HasSubstr("No such file")));
}

TEST(DataErrors, DirectoryInsteadOfFile) {
  ScratchDir dir;
  EXPECT_THAT(load(csvConfig(dir.str())), HasSubstr(dir.str() + ": is a directory"));
}

TEST(DataErrors, MnistFolderMissingOrIncomplete) {
  ScratchDir dir;
  DataConfig c;
  c.kind = "mnist";
  c.path = dir.path("nothing");
  EXPECT_THAT(load(c), HasSubstr(dir.path("nothing") + ": cannot open the data folder"));
  c.path = dir.str();
  EXPECT_THAT(load(c), HasSubstr(dir.path("train-images-idx3-ubyte") +
                                 ": no such file, gzipped (.gz) or not"));
  c.path = "";
  EXPECT_THAT(load(c), HasSubstr("mnist(): 'path' is not set"));
}

TEST(DataErrors, WrongIdxMagic) {
  ScratchDir dir;
  writeIdxPair(dir, 2);
  writeBytes(dir.path("images"), {0x08, 0x03, 0, 0, 1, 2, 3, 4});
  EXPECT_THAT(load(idxConfig(dir)),
              AllOf(HasSubstr(dir.path("images") + ": not an IDX file: bad magic 08 03 00 00")));
  writeBytes(dir.path("images"), idx(0x07, {2}, {1, 2}));
  EXPECT_THAT(load(idxConfig(dir)), HasSubstr("bad magic 00 00 07 01"));
}

TEST(DataErrors, TruncatedIdxHeader) {
  ScratchDir dir;
  writeIdxPair(dir, 2);
  writeBytes(dir.path("labels"), {0, 0, 8, 3, 0, 0, 0, 2, 0});
  EXPECT_THAT(load(idxConfig(dir)),
              HasSubstr(dir.path("labels") +
                        ": truncated IDX header: 3 dimensions need 12 bytes, found 5"));
  writeBytes(dir.path("labels"), {0, 0});
  EXPECT_THAT(load(idxConfig(dir)),
              HasSubstr("truncated IDX header: expected 4 magic bytes, found 2"));
}

TEST(DataErrors, TruncatedIdxData) {
  ScratchDir dir;
  writeIdxPair(dir, 4);
  std::vector<uint8_t> images = idx(0x08, {4, 2, 3}, iota(4 * 6));
  images.resize(images.size() - 8);
  writeBytes(dir.path("images"), images);
  EXPECT_THAT(load(idxConfig(dir)),
              HasSubstr(dir.path("images") + ": truncated: the header announces 4 images of 6 "
                                             "bytes (24 bytes), found 16 bytes (2 complete "
                                             "images)"));
}

TEST(DataErrors, TruncatedGzip) {
  ScratchDir dir;
  writeIdxPair(dir, 200);
  // Random pixels do not compress: half the archive is about half the data.
  std::mt19937 rng(1);
  std::vector<uint8_t> pixels(1200);
  for (uint8_t &p : pixels)
    p = uint8_t(rng());
  std::vector<uint8_t> gz = gzipBytes(idx(0x08, {200, 2, 3}, pixels));
  gz.resize(gz.size() / 2);
  writeBytes(dir.path("images"), gz);
  EXPECT_THAT(load(idxConfig(dir)),
              AllOf(HasSubstr(dir.path("images") + ": truncated: the header announces 200 images"),
                    HasSubstr("the gzip stream is truncated")));
}

TEST(DataErrors, BadGzip) {
  ScratchDir dir;
  writeIdxPair(dir, 200);
  std::vector<uint8_t> gz = gzipBytes(idx(0x08, {200, 2, 3}, iota(1200)));
  gz[gz.size() - 6] ^= 0xFF; // the CRC
  writeBytes(dir.path("images"), gz);
  EXPECT_THAT(load(idxConfig(dir)),
              HasSubstr(dir.path("images") + ": bad gzip data (incorrect data check)"));
  // A gzip header followed by garbage.
  writeBytes(dir.path("images"), {0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF, 0xFF});
  EXPECT_THAT(load(idxConfig(dir)), HasSubstr(dir.path("images") + ": bad gzip data"));
}

TEST(DataErrors, ExtraIdxData) {
  ScratchDir dir;
  writeIdxPair(dir, 2);
  std::vector<uint8_t> labels = idx(0x08, {2}, {0, 1});
  labels.push_back(7);
  writeBytes(dir.path("labels"), labels);
  EXPECT_THAT(load(idxConfig(dir)),
              HasSubstr(dir.path("labels") + ": unexpected data after the 2 labels"));
}

TEST(DataErrors, ImageLabelCountMismatch) {
  ScratchDir dir;
  writeIdxPair(dir, 3);
  writeBytes(dir.path("labels"), idx(0x08, {2}, {0, 1}));
  EXPECT_THAT(load(idxConfig(dir)),
              HasSubstr(dir.path("labels") + ": 2 labels for 3 images in " + dir.path("images")));
}

TEST(DataErrors, LabelOutOfRange) {
  ScratchDir dir;
  writeIdxPair(dir, 3);
  writeBytes(dir.path("labels"), idx(0x08, {3}, {0, 1, 12}));
  LoadOptions o;
  o.numClasses = 10;
  EXPECT_THAT(load(idxConfig(dir), o),
              HasSubstr(dir.path("labels") +
                        ": label 12 at index 2 is out of range: expected 0 <= label < 10"));
}

TEST(DataErrors, HugeIdxDimensions) {
  ScratchDir dir;
  writeIdxPair(dir, 2);
  writeBytes(dir.path("images"), idx(0x08, {0xFFFFFFFF, 0xFFFFFFFF, 2}, {}));
  EXPECT_THAT(load(idxConfig(dir)),
              HasSubstr(dir.path("images") + ": IDX dimensions 4294967295x4294967295"));
  // Large but plausible: refused for what is missing, without allocating it.
  writeBytes(dir.path("images"), idx(0x08, {1u << 30, 28, 28}, iota(100)));
  EXPECT_THAT(load(idxConfig(dir)),
              HasSubstr("truncated: the header announces 1073741824 images of 784 bytes"));
}

TEST(DataErrors, EmptyDataSet) {
  ScratchDir dir;
  writeBytes(dir.path("images"), idx(0x08, {0, 2, 2}, {}));
  writeBytes(dir.path("labels"), idx(0x08, {0}, {}));
  EXPECT_THAT(load(idxConfig(dir)),
              HasSubstr(dir.path("images") + ": the data set is empty (0 images)"));
  writeText(dir.path("d.csv"), "# only a header\n\n");
  DataConfig c = csvConfig(dir.path("d.csv"));
  c.skipRows = 1;
  EXPECT_THAT(load(c), HasSubstr(dir.path("d.csv") + ": the data set is empty (no data rows"));
}

TEST(DataErrors, RaggedCsvRow) {
  ScratchDir dir;
  writeText(dir.path("d.csv"), "1,2,3,4,0\n1,2,3,4,1\n1,2,3,1\n");
  EXPECT_THAT(load(csvConfig(dir.path("d.csv"))),
              HasSubstr(dir.path("d.csv") + ":3: expected 5 fields, found 4"));
}

TEST(DataErrors, NonNumericCsvField) {
  ScratchDir dir;
  writeText(dir.path("d.csv"), "1,2,0\n1,x2,1\n");
  EXPECT_THAT(load(csvConfig(dir.path("d.csv"))),
              HasSubstr(dir.path("d.csv") + ":2:3: expected a number in field 2, found 'x2'"));
  writeText(dir.path("d.csv"), "1,,0\n");
  EXPECT_THAT(load(csvConfig(dir.path("d.csv"))),
              HasSubstr(dir.path("d.csv") + ":1:3: expected a number in field 2, found an "
                                            "empty field"));
  writeText(dir.path("d.csv"), "1,nan,0\n");
  EXPECT_THAT(load(csvConfig(dir.path("d.csv"))),
              HasSubstr(dir.path("d.csv") + ":1:3: expected a finite number in field 2"));
}

TEST(DataErrors, NonIntegerCsvLabel) {
  ScratchDir dir;
  writeText(dir.path("d.csv"), "1,2,0\n1,2,2.5\n");
  EXPECT_THAT(load(csvConfig(dir.path("d.csv"))),
              HasSubstr(dir.path("d.csv") + ":2:5: expected an integer class label, found '2.5'"));
  writeText(dir.path("d.csv"), "1,2,setosa\n");
  EXPECT_THAT(load(csvConfig(dir.path("d.csv"))),
              HasSubstr(":1:5: expected an integer class label, found 'setosa'"));
  writeText(dir.path("d.csv"), "1,2,-1\n");
  EXPECT_THAT(load(csvConfig(dir.path("d.csv"))),
              HasSubstr(dir.path("d.csv") +
                        ": label -1 at index 0 is out of range: expected 0 <= label < "));
}

TEST(DataErrors, CsvLabelColumnOutOfRange) {
  ScratchDir dir;
  writeText(dir.path("d.csv"), "1,2,0\n");
  DataConfig c = csvConfig(dir.path("d.csv"));
  c.label = 3;
  EXPECT_THAT(load(c), HasSubstr(dir.path("d.csv") + ": label column 3 is out of range for "
                                                     "rows of 3 fields (expected -3 to 2)"));
  c.label = -4;
  EXPECT_THAT(load(c), HasSubstr("label column -4 is out of range"));
}

TEST(DataErrors, CsvWithoutFeatures) {
  ScratchDir dir;
  writeText(dir.path("d.csv"), "0\n1\n");
  EXPECT_THAT(load(csvConfig(dir.path("d.csv"))),
              HasSubstr(dir.path("d.csv") +
                        ":1: expected a label and at least one feature, found 1 field"));
}

TEST(DataErrors, CsvTestFileMismatch) {
  ScratchDir dir;
  writeText(dir.path("d.csv"), "1,2,0\n");
  writeText(dir.path("t.csv"), "1,0\n");
  DataConfig c = csvConfig(dir.path("d.csv"));
  c.test = dir.path("t.csv");
  EXPECT_THAT(load(c), HasSubstr(dir.path("t.csv") + ":1: expected 3 fields, found 2"));
}

TEST(DataErrors, CsvTestFractionTooSmall) {
  ScratchDir dir;
  writeText(dir.path("d.csv"), "1,2,0\n1,2,1\n");
  DataConfig c = csvConfig(dir.path("d.csv"));
  c.testFraction = 0.1;
  EXPECT_THAT(load(c), HasSubstr(dir.path("d.csv") + ": test_fraction: a fraction of 0.1 of 2 "
                                                     "samples leaves the split empty"));
  c.testFraction = 1;
  EXPECT_THAT(load(c), HasSubstr("'test_fraction' must be in [0, 1), found 1"));
}

TEST(DataErrors, NpyCountMismatch) {
  ScratchDir dir;
  ASSERT_EQ(writeNpy(dir.path("x.npy"), NpyArray::fromDoubles("<f4", {3, 2}, {1, 2, 3, 4, 5, 6})),
            "");
  ASSERT_EQ(writeNpy(dir.path("y.npy"), NpyArray::fromInt64s("<i4", {2}, {0, 1})), "");
  DataConfig c;
  c.kind = "npy";
  c.x = dir.path("x.npy");
  c.y = dir.path("y.npy");
  EXPECT_THAT(load(c),
              HasSubstr(dir.path("y.npy") + ": 2 labels for 3 samples in " + dir.path("x.npy")));
}

TEST(DataErrors, NpyBadLabels) {
  ScratchDir dir;
  ASSERT_EQ(writeNpy(dir.path("x.npy"), NpyArray::fromDoubles("<f4", {2, 1}, {1, 2})), "");
  ASSERT_EQ(writeNpy(dir.path("y.npy"), NpyArray::fromDoubles("<f4", {2}, {0, 0.5})), "");
  DataConfig c;
  c.kind = "npy";
  c.x = dir.path("x.npy");
  c.y = dir.path("y.npy");
  EXPECT_THAT(load(c), HasSubstr(dir.path("y.npy") +
                                 ": label 0.5 at index 1 is not an integer class index"));
  // Labels [N, T]: one class per position of a sequence; each is checked.
  ASSERT_EQ(writeNpy(dir.path("y.npy"), NpyArray::fromDoubles("<f4", {2, 2}, {0, 1, 1, 0})), "");
  Dataset train, test;
  ASSERT_EQ(loadData(c, {}, train, test), "");
  EXPECT_EQ(train.targetWidth, 2);
  EXPECT_EQ(train.labels, (std::vector<int32_t>{0, 1, 1, 0}));
  ASSERT_EQ(writeNpy(dir.path("y.npy"), NpyArray::fromDoubles("<f4", {2, 2}, {0, 1, 1, 2.5})), "");
  EXPECT_THAT(load(c), HasSubstr(dir.path("y.npy") +
                                 ": label 2.5 at index 3 is not an integer class index"));
  ASSERT_EQ(writeNpy(dir.path("y.npy"), NpyArray::fromDoubles("<f4", {2, 0}, {})), "");
  EXPECT_THAT(load(c), HasSubstr(dir.path("y.npy") + ": the labels hold no value per sample"));
  // The .npy reader's own errors keep their path.
  writeText(dir.path("y.npy"), "not numpy");
  EXPECT_THAT(load(c), HasSubstr(dir.path("y.npy") + ": bad magic"));
}

TEST(DataErrors, TestShapeMismatch) {
  ScratchDir dir;
  writeIdxPair(dir, 2);
  writeBytes(dir.path("timages"), idx(0x08, {1, 3, 3}, iota(9)));
  writeBytes(dir.path("tlabels"), idx(0x08, {1}, {0}));
  DataConfig c = idxConfig(dir);
  c.testImages = dir.path("timages");
  c.testLabels = dir.path("tlabels");
  EXPECT_THAT(load(c), HasSubstr("the test samples have shape 1x3x3, the training samples 1x2x3"));
}

TEST(DataErrors, BadConfig) {
  DataConfig c;
  c.kind = "parquet";
  EXPECT_THAT(load(c), HasSubstr("unknown data source 'parquet'"));
  c = csvConfig("x.csv");
  c.delimiter = ";;";
  EXPECT_THAT(load(c), HasSubstr("'delimiter' must be one character"));
  c = DataConfig();
  c.kind = "idx";
  c.images = "a";
  EXPECT_THAT(load(c), HasSubstr("idx(): 'labels' is not set"));
}

//===----------------------------------------------------------------------===//
// No input crashes the loaders.
//===----------------------------------------------------------------------===//

TEST(DataErrors, EveryTruncationAndCorruptionIsHandled) {
  ScratchDir dir;
  std::vector<uint8_t> images = idx(0x08, {4, 2, 3}, iota(24));
  std::vector<uint8_t> labels = idx(0x08, {4}, {0, 1, 2, 3});
  std::mt19937 rng(7);
  for (bool gzip : {false, true}) {
    std::vector<uint8_t> file = gzip ? gzipBytes(images) : images;
    writeBytes(dir.path("labels"), labels);
    for (size_t n = 0; n < file.size(); ++n) {
      writeBytes(dir.path("images"), std::vector<uint8_t>(file.begin(), file.begin() + n));
      std::string err = load(idxConfig(dir));
      EXPECT_THAT(err, HasSubstr(dir.path("images") + ": ")) << "truncated at " << n;
    }
    for (int trial = 0; trial < 300; ++trial) {
      std::vector<uint8_t> bad = file;
      bad[rng() % bad.size()] = uint8_t(rng());
      writeBytes(dir.path("images"), bad);
      load(idxConfig(dir)); // must return, whatever it says
    }
  }
  std::string csv = "1,2.5,0\n3,4,1\n";
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = csv;
    bad[rng() % bad.size()] = char(rng());
    writeText(dir.path("d.csv"), bad);
    load(csvConfig(dir.path("d.csv")));
  }
}
