//===- SafetensorsTest.cpp - Unit tests of the checkpoint format ----------===//
//
// Round trips of every dtype, the exact layout other readers rely on, a
// read-back by PyTorch (json + numpy.frombuffer + torch.from_numpy, as the
// `safetensors` package is not installed) and a file laid out like the
// reference writer's read back by us; atomic saving under real failures (a
// blocked temporary name, a full disk simulated with RLIMIT_FSIZE, an
// unwritable folder, a failing rename); the cleanup after killed saves; and
// one refusal per way a file can be corrupt, plus every truncation and many
// byte flips of a valid file.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Safetensors.h"

#include "TestFiles.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <csignal>
#include <cstring>
#include <random>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace nnc::runtime;
using nnc::test::readBytes;
using nnc::test::ScratchDir;
using nnc::test::writeBytes;
using nnc::test::writeText;
using ::testing::HasSubstr;

namespace {

/// Tensors of every dtype with recognizable values: element i of the F32
/// tensor is i * 0.5 - 1, of F64 i / 3, of I32 i * 1000 - 7, of I64
/// i * 2^40, of U8 255 - i.
struct Fixture {
  std::vector<float> f32;
  std::vector<double> f64;
  std::vector<int32_t> i32;
  std::vector<int64_t> i64;
  std::vector<uint8_t> u8;
  float scalar = 3.25f;

  Fixture() {
    for (int i = 0; i < 6; ++i)
      f32.push_back(float(i) * 0.5f - 1);
    for (int i = 0; i < 4; ++i)
      f64.push_back(double(i) / 3);
    for (int i = 0; i < 3; ++i)
      i32.push_back(i * 1000 - 7);
    for (int i = 0; i < 2; ++i)
      i64.push_back(int64_t(i) << 40);
    for (int i = 0; i < 5; ++i)
      u8.push_back(uint8_t(255 - i));
  }

  std::vector<TensorView> views() const {
    return {
        {"dense_0.w", DType::F32, {2, 3}, f32.data()}, {"dense_0.b", DType::F64, {4}, f64.data()},
        {"step", DType::I32, {3}, i32.data()},         {"big", DType::I64, {2, 1}, i64.data()},
        {"mask", DType::U8, {5}, u8.data()},           {"scale", DType::F32, {}, &scalar},
        {"empty", DType::F32, {0, 4}, nullptr}};
  }
};

const std::map<std::string, std::string> kMetadata = {
    {"format", "pt"}, {"nnc.epoch", "3"}, {"quote\"and\\slash", "line\nbreak"}};

/// A safetensors file from a hand-written header and data.
std::vector<uint8_t> file(const std::string &header, size_t dataBytes) {
  std::vector<uint8_t> out(8);
  for (int i = 0; i < 8; ++i)
    out[size_t(i)] = uint8_t(uint64_t(header.size()) >> (8 * i));
  out.insert(out.end(), header.begin(), header.end());
  out.resize(out.size() + dataBytes, 0x11);
  return out;
}

std::string loadError(const std::string &path) {
  std::vector<LoadedTensor> tensors;
  std::map<std::string, std::string> metadata;
  return loadSafetensors(path, tensors, metadata);
}

/// Loads a file made of `header` and `dataBytes` bytes of data.
std::string headerError(const ScratchDir &dir, const std::string &header, size_t dataBytes) {
  writeBytes(dir.path("c.safetensors"), file(header, dataBytes));
  return loadError(dir.path("c.safetensors"));
}

bool pythonHasTorch() {
  return std::system("/usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1") == 0;
}

} // namespace

TEST(Safetensors, RoundTrip) {
  ScratchDir dir;
  Fixture f;
  std::string path = dir.path("m.safetensors");
  ASSERT_EQ(saveSafetensors(path, f.views(), kMetadata), "");
  std::vector<LoadedTensor> tensors;
  std::map<std::string, std::string> metadata;
  ASSERT_EQ(loadSafetensors(path, tensors, metadata), "");
  EXPECT_EQ(metadata, kMetadata);
  std::vector<TensorView> views = f.views();
  ASSERT_EQ(tensors.size(), views.size());
  for (size_t i = 0; i < views.size(); ++i) {
    EXPECT_EQ(tensors[i].name, views[i].name);
    EXPECT_EQ(tensors[i].dtype, views[i].dtype);
    EXPECT_EQ(tensors[i].shape, views[i].shape);
    size_t bytes = size_t(tensors[i].numel()) * dtypeSize(views[i].dtype);
    ASSERT_EQ(tensors[i].bytes.size(), bytes) << views[i].name;
    if (bytes)
      EXPECT_EQ(std::memcmp(tensors[i].bytes.data(), views[i].data, bytes), 0) << views[i].name;
  }
  // No temporary file is left behind.
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(getpid())));
}

TEST(Safetensors, Layout) {
  ScratchDir dir;
  float v[2] = {1, 2};
  std::string path = dir.path("l.safetensors");
  ASSERT_EQ(saveSafetensors(path, {{"a\"b", DType::F32, {2}, v}}, {{"k", "v"}}), "");
  std::vector<uint8_t> bytes = readBytes(path);
  std::string expected =
      "{\"__metadata__\":{\"k\":\"v\"},\"a\\\"b\":{\"dtype\":\"F32\",\"shape\":[2],"
      "\"data_offsets\":[0,8]}}";
  expected.append((8 - expected.size() % 8) % 8, ' ');
  std::vector<uint8_t> want = file(expected, 0);
  want.insert(want.end(), reinterpret_cast<uint8_t *>(v), reinterpret_cast<uint8_t *>(v) + 8);
  EXPECT_EQ(bytes, want);
  EXPECT_EQ((bytes.size() - 8 - 8) % 8, 0u) << "the data starts 8-byte aligned";
}

TEST(Safetensors, PyTorchReadsOurFile) {
  if (!pythonHasTorch())
    GTEST_SKIP() << "/usr/bin/python3 cannot import torch and numpy";
  ScratchDir dir;
  Fixture f;
  std::string path = dir.path("m.safetensors");
  ASSERT_EQ(saveSafetensors(path, f.views(), kMetadata), "");
  writeText(dir.path("check.py"), R"PY(
import json, struct, sys
import numpy as np, torch
data = open(sys.argv[1], 'rb').read()
(n,) = struct.unpack('<Q', data[:8])
header = json.loads(data[8:8 + n])
body = data[8 + n:]
meta = header.pop('__metadata__')
assert meta == {'format': 'pt', 'nnc.epoch': '3', 'quote"and\\slash': 'line\nbreak'}, meta
dtypes = {'F32': np.float32, 'F64': np.float64, 'I32': np.int32, 'I64': np.int64, 'U8': np.uint8}
t = {}
for name, info in header.items():
    b, e = info['data_offsets']
    a = np.frombuffer(body[b:e], dtype=dtypes[info['dtype']]).reshape(info['shape'])
    t[name] = torch.from_numpy(a.copy())
i = torch.arange
assert t['dense_0.w'].dtype == torch.float32 and t['dense_0.w'].shape == (2, 3)
assert torch.equal(t['dense_0.w'], (i(6, dtype=torch.float32) * 0.5 - 1).reshape(2, 3))
assert t['dense_0.b'].dtype == torch.float64
assert torch.allclose(t['dense_0.b'], i(4, dtype=torch.float64) / 3, rtol=0, atol=1e-15)
assert torch.equal(t['step'], i(3, dtype=torch.int32) * 1000 - 7)
assert torch.equal(t['big'], (i(2, dtype=torch.int64) << 40).reshape(2, 1))
assert torch.equal(t['mask'], (255 - i(5)).to(torch.uint8))
assert t['scale'].shape == () and t['scale'].item() == 3.25
assert t['empty'].shape == (0, 4)
assert sorted(t) == sorted(['dense_0.w', 'dense_0.b', 'step', 'big', 'mask', 'scale', 'empty'])
print('ok')
)PY");
  std::string command = "/usr/bin/python3 " + dir.path("check.py") + " " + path + " 2>&1";
  std::FILE *pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), pipe))
    output += buf;
  int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << output;
  EXPECT_THAT(output, HasSubstr("ok"));
}

TEST(Safetensors, ReadsAFileLaidOutLikeTheReferenceWriter) {
  if (!pythonHasTorch())
    GTEST_SKIP() << "/usr/bin/python3 cannot import torch and numpy";
  ScratchDir dir;
  std::string path = dir.path("ref.safetensors");
  // The reference writer: __metadata__ first, tensors sorted by alignment
  // then name, header padded with spaces to a multiple of 8.
  writeText(dir.path("write.py"), R"PY(
import json, struct, sys
import torch
ts = {'w': torch.arange(6, dtype=torch.float32).reshape(3, 2) / 4,
      'n': torch.tensor([5, -6], dtype=torch.int64)}
order = ['n', 'w']
header, body = {'__metadata__': {'format': 'pt'}}, b''
for k in order:
    raw = ts[k].numpy().tobytes()
    header[k] = {'dtype': {torch.float32: 'F32', torch.int64: 'I64'}[ts[k].dtype],
                 'shape': list(ts[k].shape), 'data_offsets': [len(body), len(body) + len(raw)]}
    body += raw
h = json.dumps(header, separators=(',', ':')).encode()
h += b' ' * ((8 - len(h) % 8) % 8)
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(h)) + h + body)
)PY");
  std::string command = "/usr/bin/python3 " + dir.path("write.py") + " " + path;
  ASSERT_EQ(std::system(command.c_str()), 0);
  std::vector<LoadedTensor> tensors;
  std::map<std::string, std::string> metadata;
  ASSERT_EQ(loadSafetensors(path, tensors, metadata), "");
  EXPECT_EQ(metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
  ASSERT_EQ(tensors.size(), 2u);
  EXPECT_EQ(tensors[0].name, "n");
  EXPECT_EQ(tensors[0].dtype, DType::I64);
  int64_t n[2];
  std::memcpy(n, tensors[0].bytes.data(), 16);
  EXPECT_EQ(n[0], 5);
  EXPECT_EQ(n[1], -6);
  EXPECT_EQ(tensors[1].name, "w");
  EXPECT_EQ(tensors[1].shape, (std::vector<int64_t>{3, 2}));
  float w[6];
  std::memcpy(w, tensors[1].bytes.data(), 24);
  EXPECT_EQ(w[5], 1.25f);
}

//===----------------------------------------------------------------------===//
// Atomic saving
//===----------------------------------------------------------------------===//

namespace {

/// Saves a first checkpoint at `path` and returns its bytes.
std::vector<uint8_t> saveOld(const std::string &path) {
  float old[3] = {7, 8, 9};
  EXPECT_EQ(saveSafetensors(path, {{"w", DType::F32, {3}, old}}, {{"epoch", "1"}}), "");
  return readBytes(path);
}

} // namespace

TEST(SafetensorsAtomic, BlockedTemporaryFileLeavesOldFile) {
  ScratchDir dir;
  std::string path = dir.path("m.safetensors");
  std::vector<uint8_t> old = saveOld(path);
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  ASSERT_TRUE(std::filesystem::create_directory(tmp));
  Fixture f;
  std::string err = saveSafetensors(path, f.views(), {});
  EXPECT_THAT(err, HasSubstr(path + ": cannot create the temporary file " + tmp));
  EXPECT_THAT(err, HasSubstr("Is a directory"));
  EXPECT_EQ(readBytes(path), old);
}

TEST(SafetensorsAtomic, FullDiskLeavesOldFile) {
  ScratchDir dir;
  std::string path = dir.path("m.safetensors");
  std::vector<uint8_t> old = saveOld(path);
  // A file size limit makes write() fail with EFBIG part-way, as a full disk
  // fails it with ENOSPC; SIGXFSZ would otherwise kill the process.
  std::vector<float> big(1 << 16, 1.0f);
  struct rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  void (*oldHandler)(int) = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 4096;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  std::string err = saveSafetensors(path, {{"w", DType::F32, {1 << 16}, big.data()}}, {});
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, oldHandler);
  EXPECT_THAT(err, HasSubstr(path + ": cannot write " + path + ".tmp."));
  EXPECT_THAT(err, HasSubstr("File too large; the previous file, if any, is unchanged"));
  EXPECT_EQ(readBytes(path), old);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(getpid())));
}

TEST(SafetensorsAtomic, UnwritableFolderLeavesOldFile) {
  ScratchDir dir;
  std::string sub = dir.path("ro");
  ASSERT_TRUE(std::filesystem::create_directory(sub));
  std::string path = sub + "/m.safetensors";
  std::vector<uint8_t> old = saveOld(path);
  ASSERT_EQ(::chmod(dir.str().c_str(), 0755), 0);
  ASSERT_EQ(::chmod(sub.c_str(), 0555), 0);
  // Root ignores folder permissions, so as root the save runs in a child
  // process that has become the unprivileged user "nobody".
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    std::string result;
    if (geteuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) {
      result = "SKIP cannot become nobody";
    } else {
      Fixture f;
      result = saveSafetensors(path, f.views(), {});
    }
    ssize_t written = ::write(fds[1], result.data(), result.size());
    ::_exit(written == ssize_t(result.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string err;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fds[0], buf, sizeof(buf))) > 0)
    err.append(buf, size_t(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::chmod(sub.c_str(), 0755);
  if (err.rfind("SKIP ", 0) == 0)
    GTEST_SKIP() << err.substr(5);
  EXPECT_THAT(err, HasSubstr(path + ": cannot create the temporary file"));
  EXPECT_THAT(err, HasSubstr("Permission denied"));
  EXPECT_EQ(readBytes(path), old);
}

TEST(SafetensorsAtomic, RemovesTemporariesOfKilledSaves) {
  // A save killed (SIGKILL) before its rename leaves "PATH.tmp.<pid>"; the next successful
  // save of PATH removes those of processes that no longer run, and no other file.
  ScratchDir dir;
  std::string path = dir.path("m.safetensors");
  pid_t dead = ::fork();
  ASSERT_GE(dead, 0);
  if (dead == 0)
    ::_exit(0);
  ASSERT_EQ(::waitpid(dead, nullptr, 0), dead);
  std::string stale = path + ".tmp." + std::to_string(dead);
  std::string live = path + ".tmp." + std::to_string(getppid());
  std::string other = dir.path("other.safetensors.tmp." + std::to_string(dead));
  std::string notPid = path + ".tmp.x" + std::to_string(dead);
  for (const std::string &f : {stale, live, other, notPid})
    writeText(f, "torn");
  Fixture f;
  ASSERT_EQ(saveSafetensors(path, f.views(), {}), "");
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::exists(live));
  EXPECT_TRUE(std::filesystem::exists(other));
  EXPECT_TRUE(std::filesystem::exists(notPid));
}

TEST(SafetensorsAtomic, MissingFolderAndFailedRename) {
  ScratchDir dir;
  Fixture f;
  std::string missing = dir.path("no/such/m.safetensors");
  EXPECT_THAT(saveSafetensors(missing, f.views(), {}),
              HasSubstr(missing + ": cannot create the temporary file"));
  // A non-empty folder in the way: the rename fails, the temporary goes.
  std::string path = dir.path("taken");
  ASSERT_TRUE(std::filesystem::create_directory(path));
  writeText(path + "/inside", "x");
  std::string err = saveSafetensors(path, f.views(), {});
  EXPECT_THAT(err, HasSubstr(path + ": cannot rename " + path + ".tmp."));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp." + std::to_string(getpid())));
  EXPECT_TRUE(std::filesystem::exists(path + "/inside"));
}

TEST(SafetensorsAtomic, RefusesBadTensors) {
  ScratchDir dir;
  std::string path = dir.path("m.safetensors");
  float v = 1;
  EXPECT_THAT(saveSafetensors(path, {{"a", DType::F32, {}, &v}, {"a", DType::F32, {}, &v}}, {}),
              HasSubstr(path + ": duplicate tensor name 'a'"));
  EXPECT_THAT(saveSafetensors(path, {{"__metadata__", DType::F32, {}, &v}}, {}),
              HasSubstr("invalid tensor name '__metadata__'"));
  EXPECT_THAT(saveSafetensors(path, {{"a", DType::F32, {-1}, &v}}, {}),
              HasSubstr("tensor 'a' has an invalid shape [-1]"));
  EXPECT_THAT(saveSafetensors(path, {{"a", DType::F32, {2}, nullptr}}, {}),
              HasSubstr("tensor 'a' has no data"));
  EXPECT_FALSE(std::filesystem::exists(path));
}

//===----------------------------------------------------------------------===//
// Corrupt files: each refused with its own reason.
//===----------------------------------------------------------------------===//

const char *kGood = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";

TEST(SafetensorsErrors, GoodHeaderLoads) {
  ScratchDir dir;
  EXPECT_EQ(headerError(dir, kGood, 8), "");
  EXPECT_EQ(headerError(dir, std::string(kGood) + "   ", 8), "") << "padding";
  EXPECT_EQ(headerError(dir, "{}", 0), "") << "no tensors";
}

TEST(SafetensorsErrors, MissingFile) {
  ScratchDir dir;
  EXPECT_THAT(loadError(dir.path("none.safetensors")),
              HasSubstr(dir.path("none.safetensors") + ": cannot open the file: No such file"));
  EXPECT_THAT(loadError(dir.str()), HasSubstr(dir.str() + ": is a directory"));
}

TEST(SafetensorsErrors, TooShort) {
  ScratchDir dir;
  writeBytes(dir.path("c.safetensors"), {1, 0, 0});
  EXPECT_THAT(loadError(dir.path("c.safetensors")),
              HasSubstr(dir.path("c.safetensors") +
                        ": truncated: 3 bytes, too short for the 8-byte header length"));
}

TEST(SafetensorsErrors, HeaderLengthBeyondFile) {
  ScratchDir dir;
  std::vector<uint8_t> bytes = file(kGood, 8);
  bytes[0] = uint8_t(bytes[0] + 100);
  writeBytes(dir.path("c.safetensors"), bytes);
  EXPECT_THAT(loadError(dir.path("c.safetensors")),
              HasSubstr(dir.path("c.safetensors") + ": header length " +
                        std::to_string(std::strlen(kGood) + 100) +
                        " runs past the end of the file"));
  bytes[7] = 0x40;
  writeBytes(dir.path("c.safetensors"), bytes);
  EXPECT_THAT(loadError(dir.path("c.safetensors")), HasSubstr("exceeds the limit of 100000000"));
}

TEST(SafetensorsErrors, MalformedJson) {
  ScratchDir dir;
  EXPECT_THAT(headerError(dir, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})", 8),
              HasSubstr("malformed header JSON at offset 53: expected ',' or '}' in an object"));
  EXPECT_THAT(headerError(dir, R"({"a" {}})", 0),
              HasSubstr("malformed header JSON at offset 5: expected ':' after key \"a\""));
  EXPECT_THAT(headerError(dir, R"({"a":{"dtype":"F32","shape":[02],"data_offsets":[0,8]}})", 8),
              HasSubstr("expected ',' or ']' in an array"));
  EXPECT_THAT(headerError(dir, R"({"a":tru})", 0), HasSubstr("unexpected character 't'"));
  EXPECT_THAT(headerError(dir, "{\"a\x01\":1}", 0), HasSubstr("control character in a string"));
  EXPECT_THAT(headerError(dir, R"({"\ud800":1})", 0), HasSubstr("unpaired UTF-16 surrogate"));
  EXPECT_THAT(headerError(dir, R"({"a":1} x)", 0),
              HasSubstr("unexpected text after the header object"));
  EXPECT_THAT(headerError(dir, std::string(100, '[') + std::string(100, ']'), 0),
              HasSubstr("the header does not start with '{'"));
  EXPECT_THAT(headerError(dir, "{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}", 0),
              HasSubstr("nested more than 64 deep"));
  EXPECT_THAT(headerError(dir, R"({"a":1,"a":2})", 0), HasSubstr("duplicate key \"a\""));
  EXPECT_THAT(headerError(dir, R"({"a":1)", 0), HasSubstr("expected ',' or '}' in an object"));
}

// Found by the fuzzer (fuzz/FuzzSafetensors.cpp): a tensor named "" loaded, but saving it back
// was refused.
TEST(SafetensorsErrors, EmptyTensorName) {
  ScratchDir dir;
  EXPECT_THAT(headerError(dir, R"({"":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8),
              HasSubstr("a tensor has an empty name"));
}

TEST(SafetensorsErrors, WrongStructure) {
  ScratchDir dir;
  EXPECT_THAT(headerError(dir, R"({"a":[1]})", 0),
              HasSubstr("tensor 'a' is an array, expected an object"));
  EXPECT_THAT(headerError(dir, R"({"a":{"dtype":"F32","shape":[2]}})", 0),
              HasSubstr("tensor 'a' lacks \"data_offsets\""));
  EXPECT_THAT(headerError(dir, R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8),
              HasSubstr("tensor 'a': shape holds '-2', expected non-negative integers"));
  EXPECT_THAT(headerError(dir, R"({"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}})", 8),
              HasSubstr("shape holds '2.0'"));
  EXPECT_THAT(headerError(dir, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8),
              HasSubstr("data_offsets must be an array of two non-negative integers"));
  EXPECT_THAT(headerError(dir, R"({"__metadata__":{"k":1}})", 0),
              HasSubstr("__metadata__ entry \"k\" is a number, expected a string"));
  EXPECT_THAT(headerError(dir, R"({"__metadata__":[]})", 0),
              HasSubstr("__metadata__ is an array, expected an object"));
}

TEST(SafetensorsErrors, UnknownAndUnsupportedDtypes) {
  ScratchDir dir;
  EXPECT_THAT(headerError(dir, R"({"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", 8),
              HasSubstr(dir.path("c.safetensors") + ": tensor 'a': unknown dtype 'Q7'"));
  EXPECT_THAT(headerError(dir, R"({"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}})", 4),
              HasSubstr("tensor 'a': unsupported dtype 'BF16' (supported: F32, F64, I32, I64, "
                        "U8)"));
}

TEST(SafetensorsErrors, OffsetsOutOfRange) {
  ScratchDir dir;
  EXPECT_THAT(headerError(dir, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4),
              HasSubstr("tensor 'a': data_offsets [0, 8] run past the end of the data (4 bytes)"));
  EXPECT_THAT(headerError(dir, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8),
              HasSubstr("data_offsets [8, 0] end before they begin"));
}

TEST(SafetensorsErrors, OffsetsDoNotMatchShape) {
  ScratchDir dir;
  EXPECT_THAT(headerError(dir, R"({"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}})", 8),
              HasSubstr("tensor 'a': data_offsets [0, 8] hold 8 bytes, but shape [2] of F64 "
                        "needs 16"));
}

TEST(SafetensorsErrors, OverlapGapAndTrailingBytes) {
  ScratchDir dir;
  EXPECT_THAT(headerError(dir,
                          R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                          R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                          12),
              HasSubstr("tensors 'a' and 'b' overlap (bytes 4 to 8)"));
  EXPECT_THAT(headerError(dir,
                          R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                          R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                          12),
              HasSubstr("a gap of 4 bytes before tensor 'b' (at offset 4)"));
  EXPECT_THAT(headerError(dir, kGood, 11),
              HasSubstr("3 bytes after the last tensor belong to none"));
}

TEST(SafetensorsErrors, EveryTruncationAndCorruptionIsHandled) {
  ScratchDir dir;
  Fixture f;
  std::string path = dir.path("m.safetensors");
  ASSERT_EQ(saveSafetensors(path, f.views(), kMetadata), "");
  std::vector<uint8_t> good = readBytes(path);
  for (size_t n = 0; n < good.size(); ++n) {
    writeBytes(dir.path("c.safetensors"), std::vector<uint8_t>(good.begin(), good.begin() + n));
    EXPECT_THAT(loadError(dir.path("c.safetensors")), HasSubstr(dir.path("c.safetensors") + ": "))
        << "truncated at " << n;
  }
  // Flipping a byte of the header or its length must be refused or, where
  // it stays valid JSON describing a valid layout, load; never crash.
  std::mt19937 rng(11);
  size_t headerEnd = 8 + size_t(good[0] | good[1] << 8);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<uint8_t> bad = good;
    bad[rng() % headerEnd] = uint8_t(rng());
    writeBytes(dir.path("c.safetensors"), bad);
    loadError(dir.path("c.safetensors"));
  }
}
