//===- FuzzCsv.cpp - Fuzzing the CSV reader ---------------------------------===//
//
// The first byte of the input picks the settings of the csv() source: bit 0 `header`, bit 1
// classification or regression, bits 2-3 `skip_rows`, bits 4-5 the label column (-1, 0, 1, -2),
// bit 6 the delimiter (',' or ';'), bit 7 `test_fraction = 0.25`. The rest is the file (gzipped
// or not).
//
//===----------------------------------------------------------------------===//

#include "FuzzUtil.h"

#include "nnc/Runtime/Data.h"

using namespace nnc::runtime;
using namespace nnc::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  uint8_t flags = data[0];
  std::string path = scratchPath("data.csv");
  writeFile(path, data + 1, size - 1);

  DataConfig config;
  config.kind = "csv";
  config.path = path;
  config.header = flags & 1;
  config.skipRows = (flags >> 2) & 3;
  static const int64_t labels[] = {-1, 0, 1, -2};
  config.label = labels[(flags >> 4) & 3];
  config.delimiter = (flags & 64) ? ";" : ",";
  config.testFraction = (flags & 128) ? 0.25 : 0;
  LoadOptions options;
  options.wantIntLabels = flags & 2;
  Dataset train, test;
  if (loadData(config, options, train, test).empty()) {
    checkDataset(train, "csv()");
    if (test.size > 0)
      checkDataset(test, "csv() test split");
  }
  return 0;
}
