//===- Plot.h - The loss and accuracy curves of a run as SVG -----*- C++ -*-===//
//
// `--plot FILE.svg`: a self-contained SVG with a loss panel (training, validation) and, for
// classifiers, an accuracy panel (validation, test), one polyline per series
// (tests/Execution/check_svg.py reads them back).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_PLOT_H
#define NNC_RUNTIME_PLOT_H

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::runtime {

/// One epoch's values for --plot; negative means absent.
struct EpochPoint {
  int64_t epoch;
  double trainLoss, valLoss, valAcc, testAcc;
};

/// The SVG of `points`, titled after the model.
std::string plotSvg(const std::string &modelName, const std::vector<EpochPoint> &points);

/// Writes plotSvg to `path`; returns "" or the reason it could not.
std::string writePlot(const std::string &path, const std::string &modelName,
                      const std::vector<EpochPoint> &points);

} // namespace nnc::runtime

#endif // NNC_RUNTIME_PLOT_H
