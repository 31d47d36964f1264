//===- ProgressTest.cpp - Unit tests of the progress display --------------===//
//
// The exact bytes the reporter writes, with a fake clock: the redraw rate
// limit on a terminal, only summaries elsewhere, the time-left estimate and
// the summary line.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Progress.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cmath>
#include <limits>

using namespace nnc::runtime;

namespace {

/// A reporter writing to a temporary file, driven by a clock the test sets.
struct Harness {
  std::FILE *file = std::tmpfile();
  double now = 100;
  Progress progress;

  explicit Harness(bool terminal) : progress(file, terminal, [this] { return now; }) {}
  ~Harness() { std::fclose(file); }

  std::string output() {
    std::fflush(file);
    std::rewind(file);
    std::string text;
    char buf[256];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), file)) > 0)
      text.append(buf, n);
    return text;
  }
};

} // namespace

TEST(Progress, StatusAndSummaryLines) {
  Harness h(false);
  h.progress.startEpoch(0, 3, 100);
  EXPECT_EQ(h.progress.statusLine(25, 0.51234, 6400.4, 110),
            "epoch 1/3  step 25/100  loss 0.5123  6400 samples/s  ETA 0:30");
  EXPECT_EQ(h.progress.statusLine(1, std::nan(""), 1, 100 + 3600),
            "epoch 1/3  step 1/100  loss nan  1 samples/s  ETA 99:00:00");
  EXPECT_EQ(h.progress.statusLine(100, 0.25, 6400, 140),
            "epoch 1/3  step 100/100  loss 0.2500  6400 samples/s");

  EpochSummary s;
  s.trainLoss = 0.41237;
  s.seconds = 12.345;
  EXPECT_EQ(h.progress.summaryLine(s), "epoch 1/3  train loss 0.4124  12.3s");
  s.valLoss = 0.5;
  s.valAccuracy = 0.8;
  s.testLoss = std::numeric_limits<double>::infinity();
  s.testAccuracy = 0.85923;
  s.samplesPerSec = 6400.4;
  EXPECT_EQ(h.progress.summaryLine(s), "epoch 1/3  train loss 0.4124  val loss 0.5000  val acc "
                                       "0.8000  test loss inf  test acc 0.8592  6400 samples/s  "
                                       "12.3s");
  EpochSummary stopped;
  stopped.trainLoss = 0.5;
  stopped.valLoss = 0.25;
  EXPECT_EQ(h.progress.summaryLine(stopped), "epoch 1/3  train loss 0.5000  val loss 0.2500");
}

TEST(Progress, TerminalRedrawsOneLineAtMostTenTimesASecond) {
  Harness h(true);
  h.progress.startEpoch(1, 2, 4);
  h.now = 101;
  h.progress.update(1, 2.0, 100); // drawn
  h.now = 101.05;
  h.progress.update(2, 1.5, 100); // too soon: skipped
  h.now = 102;
  h.progress.update(3, 1.25, 100); // drawn
  h.now = 102.01;
  h.progress.update(4, 1.0, 100); // the last step is always drawn
  // Each line blanks what is left of the longer one before it.
  EpochSummary s;
  s.trainLoss = 1.0;
  s.seconds = 2.01;
  h.progress.endEpoch(s);
  EXPECT_EQ(h.output(), "\repoch 2/2  step 1/4  loss 2.0000  100 samples/s  ETA 0:03"
                        "\repoch 2/2  step 3/4  loss 1.2500  100 samples/s  ETA 0:01"
                        "\repoch 2/2  step 4/4  loss 1.0000  100 samples/s          "
                        "\repoch 2/2  train loss 1.0000  2.0s             \n");
}

TEST(Progress, SummariesOnlyWithoutATerminal) {
  Harness h(false);
  h.progress.startEpoch(0, 2, 20);
  for (int step = 1; step <= 20; ++step) {
    h.now += 0.5;
    h.progress.update(step, 1.0 / step, 40);
  }
  h.progress.endEpoch();
  h.progress.startEpoch(1, 2, 20);
  h.progress.update(20, 0.5, 40);
  EpochSummary s;
  s.trainLoss = 0.5;
  h.progress.endEpoch(s);
  EXPECT_EQ(h.output(), "epoch 2/2  train loss 0.5000\n");
}

TEST(Progress, AnEpochWithoutSummaryLeavesTheLineToTheNext) {
  Harness h(true);
  h.progress.startEpoch(0, 1, 2);
  h.progress.update(2, 1.0, 10);
  h.progress.endEpoch();
  h.progress.endEpoch();
  EXPECT_EQ(h.output(), "\repoch 1/1  step 2/2  loss 1.0000  10 samples/s\r");
}
