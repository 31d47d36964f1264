//===- TrainingPartsTest.cpp - Unit tests of the training loop's parts ----===//
//
// The parts of a training run, each on its own: the arenas route every result into the
// other copy and keep frozen parameters in both, early stopping keeps and restores the best
// weights, and a checkpoint saved from the arenas loads back bit for bit, refusing another
// model's with the reason.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Arenas.h"
#include "nnc/Runtime/Checkpoint.h"
#include "nnc/Runtime/EarlyStopping.h"
#include "nnc/Runtime/Memory.h"

#include "TestFiles.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstring>

using namespace nnc::runtime;
using ::testing::HasSubstr;

namespace {

SlotDesc slot(SlotDesc::Role role, const std::string &name, std::vector<int64_t> shape,
              double init = 0) {
  SlotDesc s;
  s.role = role;
  s.name = name;
  s.dtype = "f32";
  s.shape = std::move(shape);
  s.init = Json::object();
  s.init.add("dist", Json::string("constant"));
  s.init.add("value", Json::number(init));
  return s;
}

/// A step with a trained parameter `w`, a frozen parameter `f`, the optimizer state of `w`
/// and a loss; `w` and its state are results.
ModelDescription model() {
  ModelDescription m;
  m.model = "parts";
  SlotDesc frozen = slot(SlotDesc::Param, "f", {2}, 3);
  frozen.frozen = true;
  m.trainStep.args = {slot(SlotDesc::Input, "x", {4, 2}), slot(SlotDesc::Param, "w", {2}, 0.5),
                      frozen, slot(SlotDesc::OptState, "sgd.momentum.w", {2})};
  m.trainStep.results = {slot(SlotDesc::Loss, "", {}), slot(SlotDesc::Param, "w", {2}),
                         slot(SlotDesc::OptState, "sgd.momentum.w", {2})};
  return m;
}

float at(const Arenas &a, int arena, size_t i, size_t k = 0) {
  return static_cast<const float *>(a.arg(arena, i))[k];
}

} // namespace

TEST(Arenas, ResultsGoToTheOtherCopyAndFrozenParametersLiveInBoth) {
  ModelDescription m = model();
  Arenas a;
  ASSERT_FALSE(Arenas::create(m.trainStep, 1, 0, a));
  EXPECT_EQ(at(a, 0, 1), 0.5f);
  EXPECT_EQ(at(a, 0, 2), 3.0f);
  EXPECT_EQ(at(a, 1, 2), 3.0f); // Frozen: no result writes it, both copies hold it.
  ASSERT_EQ(a.results().size(), 3u);
  EXPECT_EQ(a.results()[1], a.arg(1, 1)); // Reading arena 0, w goes to arena 1.
  EXPECT_EQ(a.results()[2], a.arg(1, 3));
  EXPECT_NE(a.results()[0], a.arg(1, 0)); // The loss has a scratch buffer.
  a.flip();
  EXPECT_EQ(a.current(), 1);
  EXPECT_EQ(a.results()[1], a.arg(0, 1));
  EXPECT_FALSE(a.keepsEma());
  EXPECT_TRUE(a.ema(1).empty());
}

TEST(Arenas, ShadowsFollowTheTrainedWeightsOnly) {
  ModelDescription m = model();
  Arenas a;
  ASSERT_FALSE(Arenas::create(m.trainStep, 1, 0.5, a));
  EXPECT_EQ(a.ema(1).size(), 2u);
  EXPECT_TRUE(a.ema(2).empty()); // Frozen.
  EXPECT_TRUE(a.ema(3).empty()); // Optimizer state.
  a.emaFromWeights();
  float w[2] = {1.5f, 2.5f};
  a.load(1, w, sizeof(w));
  a.updateEma();
  EXPECT_EQ(a.ema(1)[0], 1.0f); // 0.5 * 0.5 + 0.5 * 1.5
  EXPECT_EQ(a.evalView(true)[1], a.ema(1).data());
  EXPECT_EQ(a.evalView(false)[1], a.arg(1));
}

TEST(Arenas, RefusesParametersOtherThanF32) {
  ModelDescription m = model();
  m.trainStep.args[1].dtype = "f64";
  Arenas a;
  Error e = Arenas::create(m.trainStep, 1, 0, a);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.message(), "only f32 parameters are supported by the trainer");
}

TEST(EarlyStopping, StopsAfterThePatienceAndRestoresTheBestWeights) {
  ModelDescription m = model();
  Arenas a;
  ASSERT_FALSE(Arenas::create(m.trainStep, 1, 0, a));
  Json record = Json::object();
  record.add("metric", Json::string("val_loss"));
  record.add("patience", Json::integer(2));
  EarlyStopping stopping(&record, m.trainStep);
  auto epoch = [&](int64_t e, double valLoss, float w) {
    float v[2] = {w, w};
    a.load(1, v, sizeof(v));
    Metrics val;
    val.loss = valLoss;
    return stopping.observe(e, val, 0, a);
  };
  EXPECT_FALSE(epoch(0, 1.0, 10));
  EXPECT_FALSE(epoch(1, 0.5, 11)); // The best.
  EXPECT_FALSE(epoch(2, 0.7, 12));
  EXPECT_TRUE(epoch(3, 0.8, 13));  // Two epochs without improvement.
  EXPECT_EQ(stopping.bestEpoch(), 1);
  EXPECT_EQ(stopping.badEpochs(), 2);
  EXPECT_EQ(at(a, 0, 1), 11.0f); // Both arenas hold the best weights again.
  EXPECT_EQ(at(a, 1, 1, 1), 11.0f);
}

TEST(Checkpoint, SavesAndLoadsBitForBitAndRefusesAnotherModel) {
  nnc::test::ScratchDir dir;
  ModelDescription m = model();
  Arenas a;
  ASSERT_FALSE(Arenas::create(m.trainStep, 1, 0, a));
  float w[2] = {0.1f, -7.25f};
  a.load(1, w, sizeof(w));
  EarlyStopping off(nullptr, m.trainStep);
  std::string lastSaved;
  std::string path = dir.path("c.safetensors");
  ASSERT_FALSE(saveCheckpoint(path, m, a, 5, {42, 3, 0, 0}, off, lastSaved));
  EXPECT_EQ(lastSaved, path + " (after epoch 3)");

  Arenas b;
  ASSERT_FALSE(Arenas::create(m.trainStep, 9, 0, b));
  LoadedFile file;
  ASSERT_FALSE(readTensors(path, "", file));
  EXPECT_EQ(file.meta["step"], "42");
  EXPECT_EQ(file.meta["epoch"], "3");
  bool emaLoaded = true;
  ASSERT_FALSE(loadWeights(file, m, b, "from: ", emaLoaded));
  EXPECT_FALSE(emaLoaded);
  EXPECT_EQ(std::memcmp(b.arg(0, 1), w, sizeof(w)), 0);
  EXPECT_EQ(std::memcmp(b.arg(1, 1), w, sizeof(w)), 0);

  ModelDescription other = m;
  other.model = "other";
  Error e = loadWeights(file, other, b, "from: ", emaLoaded);
  ASSERT_TRUE(e);
  EXPECT_EQ(e.message(), "from: it is a checkpoint of model 'parts', not 'other'");

  // A save that fails names the last good checkpoint.
  e = saveCheckpoint(dir.path("no/such/c.safetensors"), m, a, 5, {43, 3, 1, 0.5}, off,
                     lastSaved);
  ASSERT_TRUE(e);
  EXPECT_THAT(e.message(), HasSubstr("The last good checkpoint is " + path + " (after epoch 3)."));
}

TEST(Memory, CountsEveryCopyAndRefusesWhatIsOverTheLimit) {
  ModelDescription m = model();
  m.temporaryBytes = 100;
  MemoryNeeds needs = memoryOf(m);
  EXPECT_EQ(needs.parameters, 2u * (8 + 8)); // w and the frozen f, in both arenas.
  EXPECT_EQ(needs.optimizerState, 2u * 8);
  EXPECT_EQ(needs.batch, 4u * 2 * 4 + 4); // The input and the loss.
  EXPECT_EQ(needs.total(), 32u + 16 + 100 + 36);
  m.train = Json::object();
  m.train.add("ema", Json::number(0.9));
  EXPECT_EQ(memoryOf(m).parameters, 2u * 16 + 8); // A shadow of w; the frozen f has none.
  EXPECT_FALSE(checkMemory(needs, 1000));
  Error e = checkMemory(needs, 100);
  ASSERT_TRUE(e);
  EXPECT_THAT(e.message(), HasSubstr("this run needs 184 B of memory, more than the "
                                     "--memory-limit of 100 B"));
  EXPECT_THAT(e.message(), HasSubstr("temporaries"));
}

TEST(Memory, ParsesByteCounts) {
  uint64_t v = 0;
  EXPECT_TRUE(parseByteCount("8G", v));
  EXPECT_EQ(v, uint64_t(8) << 30);
  EXPECT_TRUE(parseByteCount("512MB", v));
  EXPECT_EQ(v, uint64_t(512) << 20);
  EXPECT_TRUE(parseByteCount("1000000", v));
  EXPECT_EQ(v, 1000000u);
  EXPECT_FALSE(parseByteCount("12Q", v));
  EXPECT_FALSE(parseByteCount("", v));
  EXPECT_FALSE(parseByteCount("-1", v));
  EXPECT_FALSE(parseByteCount("99999999999999999999", v)); // Past 2^64.
  EXPECT_FALSE(parseByteCount("20000000000T", v));         // Past 2^64 once scaled.
}
