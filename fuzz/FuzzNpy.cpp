//===- FuzzNpy.cpp - Fuzzing the .npy reader --------------------------------===//
//
// The input is a .npy image. It goes through parseNpy in memory; an accepted array must survive
// encodeNpy + parseNpy unchanged (the writer and the reader agree) and convert with toDoubles /
// toInt64s. The same bytes, written to a file, then go through loadData's npy() source as both x
// and y, for classification and for regression, which adds the data set checks.
//
//===----------------------------------------------------------------------===//

#include "FuzzUtil.h"

#include "nnc/Runtime/Data.h"
#include "nnc/Runtime/Npy.h"

using namespace nnc::runtime;
using namespace nnc::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  NpyArray a;
  if (parseNpy(data, size, "fuzz.npy", a).empty()) {
    if (!isSupportedNpyDtype(a.dtype) || a.numel() < 0 ||
        a.bytes.size() != size_t(a.numel()) * a.elementSize())
      bug("parseNpy accepted an inconsistent array");
    if (a.toDoubles().size() != a.bytes.size() / a.elementSize() ||
        a.toInt64s().size() != a.bytes.size() / a.elementSize())
      bug("toDoubles/toInt64s disagree with the element count");
    std::vector<uint8_t> encoded;
    if (!encodeNpy(a, encoded).empty())
      bug("encodeNpy refused an array parseNpy accepted");
    NpyArray b;
    std::string err = parseNpy(encoded.data(), encoded.size(), "re-encoded", b);
    if (!err.empty())
      bug("parseNpy refused what encodeNpy wrote: " + err);
    if (b.dtype != a.dtype || b.shape != a.shape || b.bytes != a.bytes)
      bug("encodeNpy + parseNpy changed the array");
  }

  std::string path = scratchPath("x.npy");
  writeFile(path, data, size);
  DataConfig config;
  config.kind = "npy";
  config.x = config.y = path;
  for (bool intLabels : {true, false}) {
    LoadOptions options;
    options.wantIntLabels = intLabels;
    Dataset train, test;
    if (loadData(config, options, train, test).empty())
      checkDataset(train, "npy()");
  }
  return 0;
}
