//===- EarlyStopping.cpp - Stopping when validation stops improving -------===//
//
// The best weights are copies of the parameters and state (not the optimizer state: a run
// that stops does not train on), kept only when early stopping is on.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/EarlyStopping.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace nnc::runtime {

EarlyStopping::EarlyStopping(const Json *record, const EntryDesc &step)
    : record(record), step(step), bestCopy(step.args.size()), bestEma(step.args.size()) {
  for (size_t i = 0; i < step.args.size(); ++i)
    if (keeps(step.args[i]))
      bestCopy[i].resize(step.args[i].bytes());
}

bool EarlyStopping::keeps(const SlotDesc &slot) const {
  return record && (slot.role == SlotDesc::Param || slot.role == SlotDesc::State);
}

bool EarlyStopping::observe(int64_t epoch, const Metrics &val, double trainLoss,
                            Arenas &arenas) {
  if (!record)
    return false;
  // Lower is better for every watched value.
  std::string m = metric();
  double value = m == "val_acc"      ? -val.acc.value_or(-1)
                 : m == "train_loss" ? trainLoss
                                     : val.loss.value_or(-1);
  if (best < 0 || value < bestValue - record->number("min_delta")) {
    bestValue = value;
    best = epoch;
    bad = 0;
    for (size_t i = 0; i < step.args.size(); ++i)
      if (keeps(step.args[i]))
        std::memcpy(bestCopy[i].data(), arenas.arg(i), step.args[i].bytes());
    bestEma = arenas.allEma();
    return false;
  }
  if (++bad < int64_t(record->number("patience", 3)))
    return false;
  // Back to the best weights, in both arenas.
  for (size_t i = 0; i < step.args.size(); ++i)
    if (keeps(step.args[i]))
      arenas.load(i, bestCopy[i].data(), step.args[i].bytes());
  arenas.allEma() = bestEma;
  return true;
}

void EarlyStopping::save(std::vector<TensorView> &views,
                         std::map<std::string, std::string> &meta) const {
  if (!record || best < 0)
    return;
  for (size_t i = 0; i < step.args.size(); ++i) {
    const SlotDesc &sl = step.args[i];
    if (keeps(sl))
      views.push_back({"best." + checkpointName(sl), DType::F32, sl.shape, bestCopy[i].data()});
    if (!bestEma[i].empty())
      views.push_back({"best." + emaName(sl), DType::F32, sl.shape, bestEma[i].data()});
  }
  char value[64];
  std::snprintf(value, sizeof(value), "%a", bestValue);
  meta["best_epoch"] = std::to_string(best + 1);
  meta["best_value"] = value;
  meta["bad_epochs"] = std::to_string(bad);
}

Error EarlyStopping::load(const LoadedFile &file, const std::string &from,
                          const Arenas &arenas) {
  if (!record || !file.meta.count("best_epoch"))
    return Error();
  auto load = [&](const std::string &name, void *dst, size_t bytes) {
    const LoadedTensor *t = file.find(name);
    if (!t || t->dtype != DType::F32 || t->bytes.size() != bytes)
      return Error(from + "its early-stopping state has no tensor '" + name +
                   "' of the model's shape");
    std::memcpy(dst, t->bytes.data(), bytes);
    return Error();
  };
  for (size_t i = 0; i < step.args.size(); ++i) {
    const SlotDesc &sl = step.args[i];
    if (keeps(sl))
      if (Error e = load("best." + checkpointName(sl), bestCopy[i].data(), bestCopy[i].size()))
        return e;
    if (!arenas.ema(i).empty()) {
      bestEma[i].resize(arenas.ema(i).size());
      if (Error e = load("best." + emaName(sl), bestEma[i].data(),
                         arenas.ema(i).size() * sizeof(float)))
        return e;
    }
  }
  best = std::atoll(file.metaValue("best_epoch").c_str()) - 1;
  bestValue = std::strtod(file.metaValue("best_value").c_str(), nullptr);
  bad = std::atoll(file.metaValue("bad_epochs").c_str());
  return Error();
}

} // namespace nnc::runtime
