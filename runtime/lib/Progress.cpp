//===- Progress.cpp - Training progress display ---------------------------===//
//
// Formatting goes through snprintf with fixed precision and spells non-finite
// values "nan"/"inf" itself (glibc prints "-nan" for some NaNs), so that the
// same numbers always give the same bytes. The time left is extrapolated
// from the epoch's elapsed time rather than from the reported throughput,
// which already includes data loading and evaluation pauses.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Progress.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace nnc::runtime {

namespace {

/// Terminal redraws are at least this far apart (seconds).
constexpr double kRedrawInterval = 0.1;

double steadySeconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::string fixed(double v, int digits) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

/// "m:ss", or "h:mm:ss" from an hour on.
std::string duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0)
    return "?";
  long long s = std::llround(seconds);
  char buf[48];
  if (s >= 3600)
    std::snprintf(buf, sizeof(buf), "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  else
    std::snprintf(buf, sizeof(buf), "%lld:%02lld", s / 60, s % 60);
  return buf;
}

} // namespace

Progress::Progress(std::FILE *out, bool isTerminal, Clock clock)
    : out(out), isTerminal(isTerminal), clock(clock ? std::move(clock) : Clock(steadySeconds)) {}

void Progress::startEpoch(int64_t epochIndex, int64_t numEpochs, int64_t stepsPerEpoch) {
  epoch = epochIndex;
  epochs = numEpochs;
  steps = stepsPerEpoch;
  epochStart = clock();
  lastOutput = -1;
  drawn = 0;
}

std::string Progress::statusLine(int64_t step, double loss, double samplesPerSec,
                                 double now) const {
  std::string line = "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(epochs) +
                     "  step " + std::to_string(step) + "/" + std::to_string(steps) + "  loss " +
                     fixed(loss, 4) + "  " + fixed(samplesPerSec, 0) + " samples/s";
  if (step > 0 && step < steps) {
    double elapsed = now - epochStart;
    line += "  ETA " + duration(elapsed / double(step) * double(steps - step));
  }
  return line;
}

std::string Progress::summaryLine(const EpochSummary &s) const {
  std::string line = "epoch " + std::to_string(epoch + 1) + "/" + std::to_string(epochs) +
                     "  train loss " + fixed(s.trainLoss, 4);
  auto field = [&](const char *name, const std::optional<double> &v, int digits) {
    if (v)
      line += std::string("  ") + name + " " + fixed(*v, digits);
  };
  field("val loss", s.valLoss, 4);
  field("val acc", s.valAccuracy, 4);
  field("test loss", s.testLoss, 4);
  field("test acc", s.testAccuracy, 4);
  if (s.samplesPerSec)
    line += "  " + fixed(*s.samplesPerSec, 0) + " samples/s";
  if (s.seconds)
    line += "  " + fixed(*s.seconds, 1) + "s";
  return line;
}

void Progress::write(const std::string &text) {
  std::fputs(text.c_str(), out);
  std::fflush(out);
}

void Progress::update(int64_t step, double loss, double samplesPerSec) {
  if (!isTerminal)
    return;
  double now = clock();
  if (lastOutput >= 0 && now - lastOutput < kRedrawInterval && step != steps)
    return;
  std::string line = statusLine(step, loss, samplesPerSec, now);
  size_t length = line.size();
  // Blank what is left of a longer previous line.
  if (length < drawn)
    line.append(drawn - length, ' ');
  drawn = length;
  lastOutput = now;
  write("\r" + line);
}

void Progress::endEpoch(const EpochSummary &summary) {
  std::string line = summaryLine(summary);
  if (isTerminal && drawn > 0) {
    size_t length = line.size();
    if (length < drawn)
      line.append(drawn - length, ' ');
    line = "\r" + line;
  }
  drawn = 0;
  write(line + "\n");
}

void Progress::endEpoch() {
  if (isTerminal && drawn > 0)
    write("\r");
  drawn = 0;
}

} // namespace nnc::runtime
