//===- TestFiles.h - Scratch files for the runtime's unit tests -*- C++ -*-===//
//
// The loaders and the checkpoint writer are tested on real files, many of
// them deliberately broken. Each test gets its own fresh folder (removed
// afterwards), so tests can run in parallel and leave nothing behind.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TESTS_UNIT_TESTFILES_H
#define NNC_TESTS_UNIT_TESTFILES_H

#include "gtest/gtest.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <stdlib.h>
#include <zlib.h>

namespace nnc::test {

/// A fresh folder under gtest's temporary folder, removed with its contents.
class ScratchDir {
public:
  ScratchDir() {
    std::string pattern = testing::TempDir() + "nnc-runtime-XXXXXX";
    std::vector<char> buf(pattern.begin(), pattern.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()))
      dir = buf.data();
    EXPECT_FALSE(dir.empty()) << "cannot create a scratch folder from " << pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  /// The path of `name` inside the folder.
  std::string path(const std::string &name) const { return dir + "/" + name; }
  const std::string &str() const { return dir; }

private:
  std::string dir;
};

inline void writeBytes(const std::string &path, const std::vector<uint8_t> &bytes) {
  std::ofstream os(path, std::ios::binary | std::ios::trunc);
  os.write(reinterpret_cast<const char *>(bytes.data()), std::streamsize(bytes.size()));
  ASSERT_TRUE(os.good()) << "cannot write " << path;
}

inline void writeText(const std::string &path, const std::string &text) {
  writeBytes(path, std::vector<uint8_t>(text.begin(), text.end()));
}

inline std::vector<uint8_t> readBytes(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

/// `bytes` compressed as one gzip member.
inline std::vector<uint8_t> gzipBytes(const std::vector<uint8_t> &bytes) {
  z_stream s{};
  deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::vector<uint8_t> out(deflateBound(&s, uLong(bytes.size())) + 64);
  s.next_in = const_cast<Bytef *>(bytes.data());
  s.avail_in = uInt(bytes.size());
  s.next_out = out.data();
  s.avail_out = uInt(out.size());
  deflate(&s, Z_FINISH);
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

} // namespace nnc::test

#endif // NNC_TESTS_UNIT_TESTFILES_H
