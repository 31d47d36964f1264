//===- FuzzIdx.cpp - Fuzzing the IDX reader ---------------------------------===//
//
// The input holds two files: a 4-byte little-endian length N (taken modulo what is left), then
// N bytes of the images file and the rest, the labels file. Either may be gzipped (zlib detects
// the gzip magic). Both go through loadData's idx() source for classification and regression,
// which reads the headers, the (decompressed) data, and checks counts, shapes and labels.
//
//===----------------------------------------------------------------------===//

#include "FuzzUtil.h"

#include "nnc/Runtime/Data.h"

#include <cstring>

using namespace nnc::runtime;
using namespace nnc::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 4)
    return 0;
  uint32_t n;
  std::memcpy(&n, data, 4);
  data += 4;
  size -= 4;
  n = uint32_t(n % (size + 1));
  std::string images = scratchPath("images.idx"), labels = scratchPath("labels.idx");
  writeFile(images, data, n);
  writeFile(labels, data + n, size - n);

  DataConfig config;
  config.kind = "idx";
  config.images = images;
  config.labels = labels;
  for (bool intLabels : {true, false}) {
    LoadOptions options;
    options.wantIntLabels = intLabels;
    Dataset train, test;
    if (loadData(config, options, train, test).empty())
      checkDataset(train, "idx()");
  }
  return 0;
}
