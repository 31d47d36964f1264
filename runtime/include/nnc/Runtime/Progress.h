//===- Progress.h - Training progress display -------------------*- C++ -*-===//
//
// What a trainer shows while it runs. On a terminal, one status line per epoch is redrawn
// in place with '\r' (epoch, step, loss, throughput, time left), at most ten times a second
// so that printing never slows training. When the output is a file or a pipe (CI logs,
// --json readers), '\r' would pile up into one enormous line, so only the epochs' summary
// lines are written.
//
// The clock is injectable and all numbers are formatted with fixed precision, so the exact
// output is testable.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_PROGRESS_H
#define NNC_RUNTIME_PROGRESS_H

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

namespace nnc::runtime {

/// The results of one epoch, as the summary line shows them. Accuracies are fractions in
/// [0, 1]; absent values are not shown.
struct EpochSummary {
  double trainLoss = 0;
  std::optional<double> valLoss, valAccuracy;
  std::optional<double> testLoss, testAccuracy;
  std::optional<double> samplesPerSec, seconds;
};

class Progress {
public:
  /// Seconds since an arbitrary origin; a monotonic clock by default.
  using Clock = std::function<double()>;

  /// Reports to `out`, redrawing one line when `isTerminal`, summaries only otherwise.
  /// `clock` replaces the monotonic clock (tests).
  Progress(std::FILE *out, bool isTerminal, Clock clock = nullptr);

  /// Starts epoch `epoch` (counting from 0; shown from 1) of `epochs`, which has
  /// `stepsPerEpoch` steps.
  void startEpoch(int64_t epoch, int64_t epochs, int64_t stepsPerEpoch);

  /// `step` steps of the epoch are done (1 after the first); `loss` is the running training
  /// loss and `samplesPerSec` the throughput.
  void update(int64_t step, double loss, double samplesPerSec);

  /// Ends the epoch with its summary line.
  void endEpoch(const EpochSummary &summary);
  /// Ends the epoch without one (the status line is overwritten by the next).
  void endEpoch();

  /// The status line for `step` (no '\r', no newline): exposed for tests.
  std::string statusLine(int64_t step, double loss, double samplesPerSec, double now) const;
  /// The summary line of an epoch (no newline).
  std::string summaryLine(const EpochSummary &summary) const;

private:
  void write(const std::string &text);

  std::FILE *out;
  bool isTerminal;
  Clock clock;

  int64_t epoch = 0, epochs = 0, steps = 0;
  double epochStart = 0;
  /// When the last line was drawn; negative before the first.
  double lastOutput = -1;
  /// Length of the status line on screen, to blank its remains.
  size_t drawn = 0;
};

} // namespace nnc::runtime

#endif // NNC_RUNTIME_PROGRESS_H
