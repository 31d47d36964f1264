//===- NpyTest.cpp - Unit tests of the .npy reader and writer -------------===//
//
// Round trips for every supported dtype and shape kind, the exact byte layout
// NumPy expects, version 2.0 input, and one test per way a file can be
// malformed: each must give its own precise reason, never a crash.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Npy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstdio>
#include <cstring>
#include <fstream>

using namespace nnc::runtime;
using ::testing::HasSubstr;

namespace {

/// A .npy image with a hand-written header: `version` is 1 or 2, the header
/// padded like NumPy's, followed by `data`.
std::vector<uint8_t> image(const std::string &dict, const std::vector<uint8_t> &data,
                           int version = 1) {
  size_t prefix = version == 1 ? 10 : 12;
  std::string header = dict;
  header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', uint8_t(version), 0};
  for (size_t i = 0; i < prefix - 8; ++i)
    out.push_back(uint8_t(header.size() >> (8 * i)));
  out.insert(out.end(), header.begin(), header.end());
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

std::string parse(const std::vector<uint8_t> &bytes, NpyArray &out) {
  return parseNpy(bytes.data(), bytes.size(), "t.npy", out);
}

std::string parseError(const std::vector<uint8_t> &bytes) {
  NpyArray out;
  return parse(bytes, out);
}

TEST(Npy, RoundTripFloats) {
  for (const char *dtype : {"<f4", "<f8"}) {
    NpyArray a = NpyArray::fromDoubles(dtype, {2, 3}, {1.5, -2, 0, 3.25, 1e10, -0.125});
    std::vector<uint8_t> bytes;
    ASSERT_EQ(encodeNpy(a, bytes), "");
    NpyArray b;
    ASSERT_EQ(parse(bytes, b), "");
    EXPECT_EQ(b.dtype, dtype);
    EXPECT_EQ(b.shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(b.toDoubles(), (std::vector<double>{1.5, -2, 0, 3.25, 1e10, -0.125}));
  }
}

TEST(Npy, RoundTripIntegersAndBools) {
  struct Case {
    const char *dtype;
    std::vector<int64_t> in, out;
  };
  for (const Case &c : std::vector<Case>{
           {"<i4", {1, -2, 2147483647, -2147483648LL}, {1, -2, 2147483647, -2147483648LL}},
           {"<i8", {INT64_MIN, -1, 0, INT64_MAX}, {INT64_MIN, -1, 0, INT64_MAX}},
           {"|u1", {0, 1, 200, 255}, {0, 1, 200, 255}},
           {"|b1", {0, 1, 0, 7}, {0, 1, 0, 1}}}) {
    NpyArray a = NpyArray::fromInt64s(c.dtype, {4}, c.in);
    std::vector<uint8_t> bytes;
    ASSERT_EQ(encodeNpy(a, bytes), "") << c.dtype;
    NpyArray b;
    ASSERT_EQ(parse(bytes, b), "") << c.dtype;
    EXPECT_EQ(b.dtype, c.dtype);
    EXPECT_EQ(b.shape, (std::vector<int64_t>{4}));
    EXPECT_EQ(b.toInt64s(), c.out) << c.dtype;
  }
}

TEST(Npy, ScalarsAndEmptyArrays) {
  NpyArray scalar = NpyArray::fromDoubles("<f8", {}, {42.5});
  std::vector<uint8_t> bytes;
  ASSERT_EQ(encodeNpy(scalar, bytes), "");
  NpyArray b;
  ASSERT_EQ(parse(bytes, b), "");
  EXPECT_TRUE(b.shape.empty());
  EXPECT_EQ(b.numel(), 1);
  EXPECT_EQ(b.toDoubles(), std::vector<double>{42.5});

  NpyArray empty = NpyArray::fromDoubles("<f4", {0, 3}, {});
  ASSERT_EQ(encodeNpy(empty, bytes), "");
  ASSERT_EQ(parse(bytes, b), "");
  EXPECT_EQ(b.shape, (std::vector<int64_t>{0, 3}));
  EXPECT_TRUE(b.bytes.empty());
}

TEST(Npy, LayoutMatchesNumPy) {
  NpyArray a = NpyArray::fromDoubles("<f4", {3}, {1, 2, 3});
  std::vector<uint8_t> bytes;
  ASSERT_EQ(encodeNpy(a, bytes), "");
  ASSERT_GE(bytes.size(), 10u);
  EXPECT_EQ(std::memcmp(bytes.data(), "\x93NUMPY\x01\x00", 8), 0);
  size_t headerSize = bytes[8] | (bytes[9] << 8);
  EXPECT_EQ((10 + headerSize) % 64, 0u);
  std::string header(bytes.begin() + 10, bytes.begin() + 10 + headerSize);
  EXPECT_THAT(header, HasSubstr("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"));
  EXPECT_EQ(header.back(), '\n');
  EXPECT_EQ(bytes.size(), 10 + headerSize + 12);
}

TEST(Npy, ReadsVersion2AndPythonVariants) {
  std::vector<uint8_t> data(8, 0);
  data[0] = 7;
  NpyArray b;
  // Version 2.0 (4-byte header length), keys in another order, double
  // quotes, extra spaces and Python 2 longs.
  ASSERT_EQ(parse(image("{\"shape\": (2L, 1L), 'fortran_order':False,'descr':'<i4'}", data, 2), b),
            "");
  EXPECT_EQ(b.dtype, "<i4");
  EXPECT_EQ(b.shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(b.toInt64s(), (std::vector<int64_t>{7, 0}));
}

TEST(Npy, FileRoundTrip) {
  std::string path = testing::TempDir() + "nnc_npy_roundtrip.npy";
  NpyArray a = NpyArray::fromDoubles("<f8", {2, 2}, {1, 2, 3, 4});
  ASSERT_EQ(writeNpy(path, a), "");
  NpyArray b;
  ASSERT_EQ(readNpy(path, b), "");
  EXPECT_EQ(b.toDoubles(), (std::vector<double>{1, 2, 3, 4}));
  std::remove(path.c_str());
}

//===----------------------------------------------------------------------===//
// Malformed input: each gives its own reason.
//===----------------------------------------------------------------------===//

const std::string kDict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";

TEST(NpyErrors, MissingFile) {
  NpyArray b;
  std::string err = readNpy("/nonexistent/dir/x.npy", b);
  EXPECT_THAT(err, HasSubstr("/nonexistent/dir/x.npy: cannot open the file"));
}

TEST(NpyErrors, BadMagic) {
  std::vector<uint8_t> bytes = image(kDict, std::vector<uint8_t>(8));
  bytes[1] = 'X';
  EXPECT_THAT(parseError(bytes), HasSubstr("t.npy: bad magic"));
  EXPECT_THAT(parseError({}), HasSubstr("bad magic"));
}

TEST(NpyErrors, UnsupportedVersion) {
  std::vector<uint8_t> bytes = image(kDict, std::vector<uint8_t>(8));
  bytes[6] = 3;
  EXPECT_THAT(parseError(bytes), HasSubstr("unsupported .npy format version 3.0"));
}

TEST(NpyErrors, UnsupportedDtype) {
  std::vector<uint8_t> data(16);
  EXPECT_THAT(parseError(image("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", data)),
              HasSubstr("unsupported dtype '>f4'"));
  EXPECT_THAT(parseError(image("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", data)),
              HasSubstr("unsupported dtype '<c8'"));
}

TEST(NpyErrors, FortranOrder) {
  EXPECT_THAT(parseError(image("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",
                               {0, 0, 0, 0, 0, 0, 0, 0})),
              HasSubstr("fortran_order is True"));
}

TEST(NpyErrors, TruncatedData) {
  EXPECT_THAT(parseError(image(kDict, std::vector<uint8_t>(5))),
              HasSubstr("truncated data: shape (2,) of <f4 needs 8 bytes, 5 present"));
}

TEST(NpyErrors, SizeMismatch) {
  EXPECT_THAT(parseError(image(kDict, std::vector<uint8_t>(12))),
              HasSubstr("shape/size mismatch: shape (2,) of <f4 needs 8 bytes, but 12 follow"));
}

TEST(NpyErrors, HeaderTooLong) {
  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0, 0xFF, 0xFF, 0xFF, 0x7F};
  EXPECT_THAT(parseError(bytes), HasSubstr("header too long (2147483647 bytes"));
}

TEST(NpyErrors, TruncatedHeader) {
  std::vector<uint8_t> bytes = image(kDict, {});
  bytes.resize(30);
  EXPECT_THAT(parseError(bytes), HasSubstr("truncated header"));
  EXPECT_THAT(parseError({0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 5}),
              HasSubstr("truncated header: the header length is missing"));
}

TEST(NpyErrors, MalformedHeader) {
  std::vector<uint8_t> data(8);
  EXPECT_THAT(parseError(image("['descr', '<f4']", data)), HasSubstr("expected '{'"));
  EXPECT_THAT(parseError(image("{'descr': '<f4', 'fortran_order': False}", data)),
              HasSubstr("missing key 'shape'"));
  EXPECT_THAT(parseError(image("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1)}", data)),
              HasSubstr("'shape' holds something other than non-negative integers"));
  EXPECT_THAT(parseError(image("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", data)),
              HasSubstr("'fortran_order' is not True or False"));
  EXPECT_THAT(
      parseError(image("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", data)),
      HasSubstr("unexpected key 'x'"));
  // A header whose last byte is not a newline.
  std::vector<uint8_t> bytes = image(kDict, data);
  bytes[10 + (bytes[8] | (bytes[9] << 8)) - 1] = ' ';
  EXPECT_THAT(parseError(bytes), HasSubstr("does not end with a newline"));
}

TEST(NpyErrors, HugeShape) {
  EXPECT_THAT(parseError(image("{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000, "
                               "100000000000), }",
                               {})),
              HasSubstr("is too large"));
}

TEST(NpyErrors, WriteRefusesInconsistentArrays) {
  NpyArray a;
  a.dtype = "<f4";
  a.shape = {3};
  a.bytes.resize(8);
  std::vector<uint8_t> out;
  EXPECT_THAT(encodeNpy(a, out), HasSubstr("needs 12 bytes, 8 given"));
  a.dtype = "<u2";
  EXPECT_THAT(encodeNpy(a, out), HasSubstr("unsupported dtype '<u2'"));
  EXPECT_THAT(writeNpy("/nonexistent/dir/y.npy", NpyArray::fromDoubles("<f4", {1}, {1})),
              HasSubstr("/nonexistent/dir/y.npy: cannot create the file"));
}

} // namespace
