//===- FuzzUtil.h - Shared helpers of the fuzz targets ----------*- C++ -*-===//
//
// The runtime's readers take paths (they stream, and gzip decompression goes through zlib's
// file API), so the file-based targets write each input to a private folder on /dev/shm (or
// $TMPDIR) and hand the reader its path. The folder is created once per process and removed at
// exit.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_FUZZ_FUZZUTIL_H
#define NNC_FUZZ_FUZZUTIL_H

#include "nnc/Runtime/Data.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

namespace nnc::fuzz {

inline std::string &scratchDir() {
  static std::string dir;
  return dir;
}

inline void removeScratch() {
  std::string cmd = "rm -rf '" + scratchDir() + "'";
  if (std::system(cmd.c_str()) != 0)
    std::fprintf(stderr, "fuzz: cannot remove %s\n", scratchDir().c_str());
}

/// The path of `name` in the scratch folder (created on first use).
inline std::string scratchPath(const std::string &name) {
  if (scratchDir().empty()) {
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : std::getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/nnc-fuzz-XXXXXX";
    if (!mkdtemp(tmpl.data())) {
      std::perror("fuzz: mkdtemp");
      std::abort();
    }
    scratchDir() = tmpl;
    std::atexit(removeScratch);
  }
  return scratchDir() + "/" + name;
}

/// Writes `data[0, size)` to `path`, replacing it.
inline void writeFile(const std::string &path, const uint8_t *data, size_t size) {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::perror(("fuzz: cannot write " + path).c_str());
    std::abort();
  }
}

/// Stops the run with a message: the fuzzer reports it as a crash with its reproducer.
[[noreturn]] inline void bug(const std::string &what) {
  std::fprintf(stderr, "fuzz: BUG: %s\n", what.c_str());
  std::abort();
}

/// The invariants of a data set that loadData accepted: samples exist, and the features and the
/// labels or targets match the sample count. `source` names the data source in the message.
inline void checkDataset(const runtime::Dataset &ds, const std::string &source) {
  if (ds.size <= 0 || ds.sampleNumel() <= 0)
    bug(source + ": accepted an empty data set");
  size_t features = ds.isU8 ? ds.u8.size() : ds.f32.size();
  if (features != size_t(ds.size) * size_t(ds.sampleNumel()))
    bug(source + ": features do not match size x sample shape");
  size_t labels = ds.intLabels ? ds.labels.size() : ds.targets.size();
  if (labels != size_t(ds.size) * size_t(ds.targetWidth))
    bug(source + ": labels do not match the sample count");
}

} // namespace nnc::fuzz

#endif // NNC_FUZZ_FUZZUTIL_H
