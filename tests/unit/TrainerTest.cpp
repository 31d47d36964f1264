//===- TrainerTest.cpp - Unit tests of the trainer's description and flags ===//
//
// The model description an AOT trainer carries reads back exactly as written (doubles bit
// for bit: initializer bounds decide the parameters), malformed descriptions are refused
// with a reason, and the trainer's command line parses as nnc-train's always has.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Trainer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <cstring>

using namespace nnc::runtime;
using ::testing::HasSubstr;

namespace {

ModelDescription sample() {
  ModelDescription m;
  m.model = "tiny";
  m.baseDir = "/data/\"quoted\"\n";
  m.train = Json::object();
  m.train.add("epochs", Json::integer(3));
  Json &opt = m.train.add("optimizer", Json::object());
  opt.add("kind", Json::string("adam"));
  opt.add("lr", Json::number(1e-3));
  Json &only = m.train.add("only", Json::array());
  only.items.push_back(Json::string("dense_0.*"));
  m.train.add("header", Json::boolValue(true));
  SlotDesc w;
  w.role = SlotDesc::Param;
  w.name = "dense_0.w";
  w.dtype = "f32";
  w.shape = {784, 32};
  w.init = Json::object();
  w.init.add("dist", Json::string("uniform"));
  w.init.add("low", Json::number(-1 / 28.0));
  w.init.add("high", Json::number(1 / 28.0));
  w.frozen = true;
  SlotDesc key;
  key.role = SlotDesc::Rng;
  key.dtype = "i64";
  SlotDesc loss;
  loss.role = SlotDesc::Loss;
  loss.dtype = "f32";
  m.trainStep = {"tiny_train_step", {w, key}, {loss}};
  m.eval = {"tiny", {w}, {SlotDesc()}};
  return m;
}

TEST(ModelDescription, RoundTrips) {
  ModelDescription m = sample();
  std::string text = writeModelDescription(m);
  ModelDescription back;
  ASSERT_EQ(parseModelDescription(text, back), "");
  EXPECT_EQ(back.model, "tiny");
  EXPECT_EQ(back.baseDir, m.baseDir);
  EXPECT_EQ(back.train.number("epochs"), 3);
  EXPECT_EQ(back.train.record("optimizer")->str("kind"), "adam");
  EXPECT_EQ(back.train.record("optimizer")->number("lr"), 1e-3);
  EXPECT_EQ(back.train.find("only")->items.at(0).text, "dense_0.*");
  EXPECT_EQ(back.train.number("header"), 1);
  ASSERT_EQ(back.trainStep.args.size(), 2u);
  const SlotDesc &w = back.trainStep.args[0];
  EXPECT_EQ(w.role, SlotDesc::Param);
  EXPECT_EQ(w.name, "dense_0.w");
  EXPECT_EQ(w.shape, (std::vector<int64_t>{784, 32}));
  EXPECT_EQ(w.bytes(), 784u * 32 * 4);
  EXPECT_TRUE(w.frozen);
  // Bit for bit, as the parameters are drawn from these bounds.
  double low = w.init.number("low");
  double expected = -1 / 28.0;
  EXPECT_EQ(std::memcmp(&low, &expected, sizeof low), 0);
  EXPECT_EQ(back.trainStep.args[1].role, SlotDesc::Rng);
  EXPECT_EQ(back.trainStep.args[1].shape.size(), 0u);
  EXPECT_EQ(back.trainStep.results[0].role, SlotDesc::Loss);
  EXPECT_EQ(back.eval.function, "tiny");
  EXPECT_EQ(back.eval.results[0].role, SlotDesc::Output);
  // Written again, the same text.
  EXPECT_EQ(writeModelDescription(back), text);
}

TEST(ModelDescription, RefusesMalformedText) {
  ModelDescription out;
  EXPECT_THAT(parseModelDescription("{\"format\": ", out),
              HasSubstr("malformed model description JSON at offset 11"));
  EXPECT_THAT(parseModelDescription("{\"format\": \"other\"}", out),
              HasSubstr("not a model description of format nnc-model-1"));
  std::string text = writeModelDescription(sample());
  std::string badRole = text;
  badRole.replace(badRole.find("\"param\""), 7, "\"weird\"");
  EXPECT_THAT(parseModelDescription(badRole, out), HasSubstr("unknown role 'weird'"));
  std::string badShape = text;
  badShape.replace(badShape.find("[784, 32]"), 9, "[-1, 32]");
  EXPECT_THAT(parseModelDescription(badShape, out), HasSubstr("something other than a size"));
  std::string noEval = text.substr(0, text.find(", \"eval\"")) + "}";
  EXPECT_THAT(parseModelDescription(noEval, out), HasSubstr("no entry point 'eval'"));
}

std::string parse(std::vector<const char *> args, bool wantModel, TrainerFlags &flags) {
  args.insert(args.begin(), "trainer");
  return parseTrainerFlags(int(args.size()), const_cast<char **>(args.data()), wantModel, flags);
}

TEST(TrainerFlags, Parses) {
  TrainerFlags f;
  ASSERT_EQ(parse({"m.nn", "--epochs", "3", "-batch=8", "--lr=0.01", "--json", "--seed", "-1",
                   "--save", "a.st", "-threads", "1", "--checkpoint-every=2"},
                  true, f),
            "");
  EXPECT_EQ(f.modelFile, "m.nn");
  EXPECT_EQ(f.epochs, 3);
  EXPECT_EQ(f.batch, 8);
  EXPECT_EQ(f.lr, 0.01);
  EXPECT_TRUE(f.json);
  EXPECT_EQ(f.seed, -1);
  EXPECT_EQ(f.save, "a.st");
  EXPECT_EQ(f.checkpointEvery, 2);
  ASSERT_EQ(parse({"--evaluate", "--weights", "w.st", "--plot=c.svg", "--predict", "x.npy",
                   "--out", "p.npy"},
                  false, f),
            "");
  EXPECT_TRUE(f.evaluate);
  EXPECT_EQ(f.weights, "w.st");
  EXPECT_EQ(f.plot, "c.svg");
  EXPECT_EQ(f.predict, "x.npy");
  EXPECT_EQ(f.out, "p.npy");
  ASSERT_EQ(parse({"--help"}, false, f), "");
  EXPECT_TRUE(f.help);
}

TEST(TrainerFlags, RefusesBadCommandLines) {
  TrainerFlags f;
  EXPECT_EQ(parse({"--epochs", "3"}, true, f),
            "no model file given (usage: nnc-train <model.nn> [options]; see --help)");
  EXPECT_EQ(parse({"m.nn"}, false, f), "unexpected argument 'm.nn' (see --help)");
  EXPECT_EQ(parse({"--frob"}, false, f), "unknown option '--frob' (see --help)");
  EXPECT_EQ(parse({"--epochs", "x"}, false, f), "--epochs: expected a number, found 'x'");
  EXPECT_EQ(parse({"--epochs"}, false, f), "--epochs needs a value");
  EXPECT_EQ(parse({"--lr", "1e"}, false, f), "--lr: expected a number, found '1e'");
  EXPECT_EQ(parse({"--threads=0"}, false, f), "--threads: expected a positive number, found '0'");
  EXPECT_EQ(parse({"--epochs", "0"}, false, f), "--epochs: expected a positive number, found '0'");
  EXPECT_EQ(parse({"--lr=0"}, false, f), "--lr: expected a positive number, found '0'");
  EXPECT_EQ(parse({"--seed", "0"}, false, f), "");
  EXPECT_EQ(parse({"--limit", "-5"}, false, f),
            "--batch, --epochs, --limit and --lr must not be negative");
}

} // namespace
