//===- ModelDescription.cpp - The model description and its JSON text ----===//
//
// An AOT trainer carries its model's description as JSON text (format "nnc-model-1"),
// written with 17 digits so that initializer bounds read back bit for bit; a broken
// description is refused with a reason instead of crashing.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/ModelDescription.h"

#include <algorithm>

namespace nnc::runtime {

int64_t SlotDesc::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

size_t SlotDesc::bytes() const {
  size_t width = dtype == "f64" || dtype == "i64" ? 8 : dtype == "u8" || dtype == "i1" ? 1 : 4;
  return size_t(numElements()) * width;
}

namespace {

const char *const kRoleNames[] = {"input", "labels", "param", "state", "opt_state",
                                  "rng",   "step",   "loss",  "output"};
const char *const kFormat = "nnc-model-1";

Json writeSlot(const SlotDesc &s) {
  Json j = Json::object();
  j.add("role", Json::string(kRoleNames[s.role]));
  j.add("name", Json::string(s.name));
  j.add("dtype", Json::string(s.dtype));
  Json &shape = j.add("shape", Json::array());
  for (int64_t d : s.shape)
    shape.items.push_back(Json::integer(d));
  if (s.init.kind == Json::Object)
    j.add("init", s.init);
  if (s.frozen)
    j.add("frozen", Json::boolValue(true));
  return j;
}

Json writeEntry(const EntryDesc &e) {
  Json j = Json::object();
  j.add("function", Json::string(e.function));
  for (auto [key, slots] :
       {std::make_pair("args", &e.args), std::make_pair("results", &e.results)}) {
    Json &list = j.add(key, Json::array());
    for (const SlotDesc &s : *slots)
      list.items.push_back(writeSlot(s));
  }
  return j;
}

std::string readEntry(const Json *j, const std::string &what, EntryDesc &out) {
  if (!j)
    return "no entry point '" + what + "'";
  out.function = j->str("function");
  if (out.function.empty())
    return what + ": no function name";
  for (auto [key, slots] :
       {std::make_pair("args", &out.args), std::make_pair("results", &out.results)}) {
    const Json *list = j->find(key);
    if (!list || list->kind != Json::Array)
      return what + ": '" + key + "' is not a list";
    for (const Json &js : list->items) {
      SlotDesc s;
      std::string role = js.str("role");
      auto it = std::find_if(std::begin(kRoleNames), std::end(kRoleNames),
                             [&](const char *r) { return role == r; });
      if (it == std::end(kRoleNames))
        return what + ": unknown role '" + role + "'";
      s.role = SlotDesc::Role(it - std::begin(kRoleNames));
      s.name = js.str("name");
      s.dtype = js.str("dtype");
      const Json *shape = js.find("shape");
      if (!shape || shape->kind != Json::Array)
        return what + ": a slot without a shape";
      for (const Json &d : shape->items) {
        uint64_t v;
        if (!d.asIndex(v))
          return what + ": a shape holds something other than a size";
        s.shape.push_back(int64_t(v));
      }
      if (const Json *init = js.record("init"))
        s.init = *init;
      s.frozen = js.number("frozen") != 0;
      slots->push_back(std::move(s));
    }
  }
  return "";
}

} // namespace

DataConfig dataConfigOf(const Json &train, const std::string &baseDir) {
  const Json *data = train.record("data");
  Json none = Json::object();
  if (!data)
    data = &none;
  DataConfig dc;
  dc.kind = data->str("kind");
  dc.path = data->str("path");
  dc.images = data->str("images");
  dc.labels = data->str("labels");
  dc.testImages = data->str("test_images");
  dc.testLabels = data->str("test_labels");
  dc.x = data->str("x");
  dc.y = data->str("y");
  dc.testX = data->str("test_x");
  dc.testY = data->str("test_y");
  dc.test = data->str("test");
  dc.label = int64_t(data->number("label", -1));
  dc.skipRows = int64_t(data->number("skip_rows"));
  dc.header = data->number("header") != 0;
  if (!data->str("delimiter").empty())
    dc.delimiter = data->str("delimiter");
  dc.testFraction = data->number("test_fraction");
  dc.baseDir = baseDir;
  return dc;
}

std::string writeModelDescription(const ModelDescription &model) {
  Json j = Json::object();
  j.add("format", Json::string(kFormat));
  j.add("model", Json::string(model.model));
  j.add("base_dir", Json::string(model.baseDir));
  j.add("train", model.train);
  j.add("train_step", writeEntry(model.trainStep));
  j.add("eval", writeEntry(model.eval));
  Json &memory = j.add("memory", Json::object());
  memory.add("temporaries", Json::integer(int64_t(model.temporaryBytes)));
  memory.add("constants", Json::integer(int64_t(model.constantBytes)));
  return j.write();
}

std::string parseModelDescription(const std::string &text, ModelDescription &out) {
  Json j;
  std::string err = parseJson(text, j, "model description");
  if (!err.empty())
    return err;
  if (j.str("format") != kFormat)
    return "not a model description of format " + std::string(kFormat);
  out = ModelDescription();
  out.model = j.str("model");
  out.baseDir = j.str("base_dir");
  if (const Json *train = j.record("train"))
    out.train = *train;
  err = readEntry(j.record("train_step"), "train_step", out.trainStep);
  if (err.empty())
    err = readEntry(j.record("eval"), "eval", out.eval);
  if (const Json *memory = j.record("memory")) {
    out.temporaryBytes = uint64_t(memory->number("temporaries"));
    out.constantBytes = uint64_t(memory->number("constants"));
  }
  return err;
}

LoadOptions loadOptionsOf(const ModelDescription &model, int64_t limit) {
  LoadOptions lo;
  for (const SlotDesc &s : model.trainStep.args)
    if (s.role == SlotDesc::Labels)
      lo.wantIntLabels = s.dtype == "i32";
  const std::vector<SlotDesc> &out = model.eval.results;
  // The classes are the output's last axis ([B, C], or [B, T, C] for a label per position).
  if (lo.wantIntLabels && !out.empty() && out[0].shape.size() >= 2)
    lo.numClasses = out[0].shape.back();
  lo.limit = limit;
  return lo;
}

std::string joinPath(const std::string &dir, const std::string &path) {
  if (dir.empty() || path.empty() || path[0] == '/')
    return path;
  return dir.back() == '/' ? dir + path : dir + "/" + path;
}

std::vector<void *> packArgs(std::vector<void *> &ptrs) {
  std::vector<void *> packed;
  for (void *&p : ptrs)
    packed.push_back(&p);
  return packed;
}

} // namespace nnc::runtime
