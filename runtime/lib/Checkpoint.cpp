//===- Checkpoint.cpp - Saving and loading a run ---------------------------===//
//
// A loaded tensor must have the model's shape and type (f32) exactly; a file of another
// model, or one without a tensor the model needs, is refused naming it.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Checkpoint.h"
#include "nnc/Runtime/EarlyStopping.h"

#include <algorithm>
#include <cstdio>

#include <fnmatch.h>

namespace nnc::runtime {

std::string checkpointName(const SlotDesc &slot) {
  return slot.role == SlotDesc::State ? "state." + slot.name : slot.name;
}

std::string emaName(const SlotDesc &slot) { return "ema." + slot.name; }

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

const LoadedTensor *LoadedFile::find(const std::string &name) const {
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : it->second;
}

std::string LoadedFile::metaValue(const std::string &key) const {
  auto it = meta.find(key);
  return it == meta.end() ? std::string() : it->second;
}

Error readTensors(const std::string &path, const std::string &what, LoadedFile &out) {
  std::string e = loadSafetensors(path, out.tensors, out.meta);
  if (!e.empty())
    return Error(what + e);
  for (const auto &t : out.tensors)
    out.byName[t.name] = &t;
  return Error();
}

Error loadWeights(const LoadedFile &file, const ModelDescription &model, Arenas &arenas,
                  const std::string &from, bool &emaLoaded, bool withOptState) {
  std::string of = file.metaValue("model");
  if (of != model.model)
    return Error(from + "it is a checkpoint of model '" + of + "', not '" + model.model + "'");
  const std::vector<SlotDesc> &args = model.trainStep.args;
  for (size_t i = 0; i < args.size(); ++i) {
    const SlotDesc &sl = args[i];
    if (!sl.isWeight() || (!withOptState && sl.role == SlotDesc::OptState))
      continue;
    const LoadedTensor *t = file.find(checkpointName(sl));
    if (!t)
      return Error(from + "it has no tensor '" + checkpointName(sl) + "'");
    if (t->dtype != DType::F32 || t->shape != sl.shape || t->bytes.size() != sl.bytes())
      return Error(from + "tensor '" + t->name +
                   "' does not have the model's shape and type (f32)");
    arenas.load(i, t->bytes.data(), t->bytes.size());
  }
  emaLoaded = arenas.keepsEma();
  for (size_t i = 0; i < args.size() && emaLoaded; ++i) {
    if (arenas.ema(i).empty())
      continue;
    const LoadedTensor *t = file.find(emaName(args[i]));
    emaLoaded = t != nullptr;
    if (!emaLoaded)
      break;
    if (t->dtype != DType::F32 || t->shape != args[i].shape)
      return Error(from + "tensor '" + t->name +
                   "' does not have the model's shape and type (f32)");
    std::copy_n(reinterpret_cast<const char *>(t->bytes.data()), t->bytes.size(),
                reinterpret_cast<char *>(arenas.ema(i).data()));
  }
  return Error();
}

namespace {

std::string hexFloat(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%a", v);
  return buf;
}

} // namespace

Error saveCheckpoint(const std::string &path, const ModelDescription &model,
                     const Arenas &arenas, uint64_t seed, const RunPosition &at,
                     const EarlyStopping &stopping, std::string &lastSaved) {
  const std::vector<SlotDesc> &args = model.trainStep.args;
  std::vector<TensorView> views;
  for (size_t i = 0; i < args.size(); ++i)
    if (args[i].isWeight())
      views.push_back({checkpointName(args[i]), DType::F32, args[i].shape, arenas.arg(i)});
  for (size_t i = 0; i < args.size(); ++i)
    if (!arenas.ema(i).empty())
      views.push_back({emaName(args[i]), DType::F32, args[i].shape, arenas.ema(i).data()});
  std::map<std::string, std::string> meta = {{"format", "nnc-checkpoint-1"},
                                             {"model", model.model},
                                             {"step", std::to_string(at.step)},
                                             {"epoch", std::to_string(at.epochsDone)},
                                             {"seed", std::to_string(seed)}};
  stopping.save(views, meta);
  std::string when = "after epoch " + std::to_string(at.epochsDone);
  if (at.epochStep > 0) {
    meta["epoch_step"] = std::to_string(at.epochStep);
    meta["epoch_loss"] = hexFloat(at.epochLoss);
    when = "at step " + std::to_string(at.step) + ", in epoch " +
           std::to_string(at.epochsDone + 1);
  }
  if (arenas.keepsEma()) {
    char decay[64];
    std::snprintf(decay, sizeof(decay), "%.17g", arenas.emaDecay());
    meta["ema"] = decay;
  }
  std::string e = saveSafetensors(path, views, meta);
  if (!e.empty())
    return Error("could not save the checkpoint (the previous one, if any, is intact): " + e +
                 ". " +
                 (lastSaved.empty() ? std::string("No checkpoint of this run was written before.")
                                    : "The last good checkpoint is " + lastSaved + "."));
  lastSaved = path + " (" + when + ")";
  return Error();
}

Error initFrom(const Json &init, const std::string &baseDir, const EntryDesc &step,
               Arenas &arenas) {
  std::string path = joinPath(baseDir, init.str("path"));
  std::vector<std::string> only;
  if (const Json *list = init.find("only"))
    for (const Json &p : list->items)
      only.push_back(p.text);
  LoadedFile file;
  if (Error e = readTensors(path, "init_from: ", file))
    return e;
  int loaded = 0;
  for (size_t i = 0; i < step.args.size(); ++i) {
    const SlotDesc &sl = step.args[i];
    if (sl.role != SlotDesc::Param)
      continue;
    bool wanted = only.empty() || std::any_of(only.begin(), only.end(), [&](auto &p) {
                    return fnmatch(p.c_str(), sl.name.c_str(), 0) == 0;
                  });
    if (!wanted)
      continue;
    const LoadedTensor *t = file.find(sl.name);
    if (!t) {
      if (!only.empty())
        return Error("init_from: '" + path + "' has no parameter '" + sl.name + "'");
      continue;
    }
    if (t->dtype != DType::F32 || t->shape != sl.shape)
      return Error("init_from: '" + path + "': parameter '" + sl.name +
                   "' has another shape or type than the model's: " + dtypeName(t->dtype) +
                   " " + shapeString(t->shape) + " in the file, F32 " + shapeString(sl.shape) +
                   " in the model");
    arenas.load(i, t->bytes.data(), t->bytes.size());
    ++loaded;
  }
  if (loaded == 0)
    return Error("init_from: '" + path + "' holds none of the model's parameters");
  return Error();
}

} // namespace nnc::runtime
