//===- Trainer.cpp - The training loop of nnc-train and AOT trainers ------===//
//
// Epochs of shuffled batches through the compiled training step, a progress line, the
// training loss and the test accuracy per epoch, checkpoints, validation and early
// stopping, Ctrl-C, --json and --metrics. Flags override the train block.
//
// Parameters, state and optimizer state live in two arenas used in turn (the step reads
// one and writes the other), so the compiled step never writes a buffer it reads.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Trainer.h"
#include "nnc/Runtime/Allocations.h"
#include "nnc/Runtime/Batches.h"
#include "nnc/Runtime/Data.h"
#include "nnc/Runtime/Npy.h"
#include "nnc/Runtime/Random.h"
#include "nnc/Runtime/Safetensors.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>

#include <fnmatch.h>
#include <malloc.h>
#include <unistd.h>

// libomp's (the runtime links it; omp.h is clang's, not on every include path).
extern "C" void omp_set_num_threads(int);

namespace nnc::runtime {

//===----------------------------------------------------------------------===//
// The model description
//===----------------------------------------------------------------------===//

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
  return err;
}

//===----------------------------------------------------------------------===//
// Flags
//===----------------------------------------------------------------------===//

std::string parseTrainerFlags(int argc, char **argv, bool wantModelFile, TrainerFlags &out) {
  out = TrainerFlags();
  auto integer = [](const std::string &flag, const std::string &v, int64_t &dst) -> std::string {
    char *end = nullptr;
    errno = 0;
    long long x = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end || errno)
      return "--" + flag + ": expected a number, found '" + v + "'";
    dst = x;
    return "";
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.size() < 2 || a[0] != '-') {
      if (!wantModelFile || !out.modelFile.empty())
        return "unexpected argument '" + a + "' (see --help)";
      out.modelFile = a;
      continue;
    }
    std::string name = a.substr(a[1] == '-' ? 2 : 1), value;
    bool hasValue = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      hasValue = true;
    }
    if (name == "help" || name == "h") {
      out.help = true;
      continue;
    }
    if (name == "evaluate") {
      out.evaluate = true;
      continue;
    }
    if (name == "json") {
      if (hasValue && value != "true" && value != "false" && value != "1" && value != "0")
        return "--json: expected true or false, found '" + value + "'";
      out.json = !hasValue || value == "true" || value == "1";
      continue;
    }
    // The options with a value: text, integers, and --lr and --threads.
    using TF = TrainerFlags;
    static const std::pair<const char *, std::string TF::*> texts[] = {
        {"data", &TF::data},       {"save", &TF::save},      {"resume", &TF::resume},
        {"metrics", &TF::metrics}, {"plot", &TF::plot},      {"predict", &TF::predict},
        {"out", &TF::out},         {"weights", &TF::weights}};
    static const std::pair<const char *, int64_t TF::*> integers[] = {
        {"epochs", &TF::epochs},
        {"batch", &TF::batch},
        {"limit", &TF::limit},
        {"seed", &TF::seed},
        {"checkpoint-every", &TF::checkpointEvery}};
    auto named = [&](const auto &entry) { return name == entry.first; };
    const auto *text = std::find_if(std::begin(texts), std::end(texts), named);
    const auto *num = std::find_if(std::begin(integers), std::end(integers), named);
    if (text == std::end(texts) && num == std::end(integers) && name != "lr" && name != "threads")
      return "unknown option '" + a + "' (see --help)";
    if (!hasValue) {
      if (i + 1 >= argc)
        return "--" + name + " needs a value";
      value = argv[++i];
    }
    std::string err;
    if (text != std::end(texts)) {
      out.*(text->second) = value;
    } else if (num != std::end(integers)) {
      err = integer(name, value, out.*(num->second));
      // 0 means "not given" in TrainerFlags: an explicit 0 would silently fall back to
      // the train block's setting.
      if (err.empty() && name != "seed" && out.*(num->second) == 0)
        err = "--" + name + ": expected a positive number, found '" + value + "'";
    } else if (name == "threads") {
      int64_t t = 0;
      if (!integer(name, value, t).empty() || t < 1)
        return "--threads: expected a positive number, found '" + value + "'";
      out.threads = int(t);
    } else {
      char *end = nullptr;
      out.lr = std::strtod(value.c_str(), &end);
      if (value.empty() || *end)
        err = "--lr: expected a number, found '" + value + "'";
      else if (!(out.lr > 0) || !std::isfinite(out.lr))
        err = "--lr: expected a positive number, found '" + value + "'";
    }
    if (!err.empty())
      return err;
  }
  if (out.help)
    return "";
  if (wantModelFile && out.modelFile.empty())
    return "no model file given (usage: nnc-train <model.nn> [options]; see --help)";
  if (out.batch < 0 || out.epochs < 0 || out.limit < 0 || out.lr < 0)
    return "--batch, --epochs, --limit and --lr must not be negative";
  return "";
}

std::string trainerHelp(const std::string &tool, const std::string &overview, bool wantModelFile) {
  std::string usage = tool + (wantModelFile ? " <model.nn>" : "") + " [options]";
  return overview + "\n\nUSAGE: " + usage +
         "\n\nOPTIONS:\n"
         "  --epochs <n>            Epochs (default: the train block's)\n"
         "  --batch <n>             Batch size (default: the train block's)" +
         (wantModelFile ? "" : "; fixed when compiling (nnc --batch)") +
         "\n"
         "  --lr <x>                Learning rate (default: the optimizer's)" +
         (wantModelFile ? "" : "; fixed when compiling (nnc --lr)") +
         "\n"
         "  --limit <n>             Train on the first N samples only\n"
         "  --seed <n>              Seed of the initialization, shuffling and dropout (default: "
         "the train block's)\n"
         "  --data <path>           Data path (overrides the train block's)\n"
         "  --save <file>           Write a checkpoint (safetensors: parameters, state, optimizer "
         "state, step) to <file> after every epoch and at the end\n"
         "  --resume <file>         Continue the run saved in <file> (--save)\n"
         "  --checkpoint-every <n>  Write the checkpoint every N epochs (default 1)\n"
         "  --metrics <file.jsonl>  Append a JSON line per logged step (every 'log_every' steps, "
         "default 50) and per epoch to <file.jsonl>\n"
         "  --json                  Print one final JSON line with the results\n"
         "  --plot <file.svg>       Draw the loss and accuracy per epoch into <file.svg>\n"
         "  --evaluate              Evaluate the --weights on the test set (loss, accuracy) "
         "instead of training\n"
         "  --predict <in.npy>      Write the outputs (a classifier's probabilities) for the "
         "samples of <in.npy> to --out instead of training\n"
         "  --out <file.npy>        Where --predict writes\n"
         "  --weights <file>        The checkpoint (--save) that --evaluate and --predict use\n"
         "  --threads <n>           Threads that share the step's parallel loops (default 1; "
         "the results are the same)\n"
         "  --help                  Print this help\n";
}

//===----------------------------------------------------------------------===//
// The loop
//===----------------------------------------------------------------------===//

namespace {

volatile std::sig_atomic_t interrupted = 0;
void onInterrupt(int) { interrupted = 1; }

std::string toolName = "nnc-train";

[[noreturn]] void fail(const std::string &msg) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: %s\n", toolName.c_str(), msg.c_str());
  std::exit(1);
}

/// Fills a float buffer from an initializer record with the generator shared with the
/// reference evaluator (nnc-eval --init-params), so both start from the same parameters.
void initialize(float *data, int64_t n, const Json &init, uint64_t seed, uint64_t index) {
  std::string d = init.str("dist");
  InitDist kind = d == "uniform"  ? InitDist::Uniform
                  : d == "normal" ? InitDist::Normal
                                  : InitDist::Constant;
  double a = init.number(d == "uniform" ? "low" : d == "normal" ? "mean" : "value");
  double b = d == "uniform" ? init.number("high") : d == "normal" ? init.number("std") : 0.0;
  for (int64_t j = 0; j < n; ++j)
    data[j] = float(initValue(kind, a, b, seed, index, uint64_t(j)));
}

std::string joinPath(const std::string &dir, const std::string &path) {
  if (dir.empty() || path.empty() || path[0] == '/')
    return path;
  return dir.back() == '/' ? dir + path : dir + "/" + path;
}

struct Buffers {
  std::vector<std::vector<char>> storage;
  std::vector<void *> ptrs;
};

bool isWeight(const SlotDesc &s) {
  return s.role == SlotDesc::Param || s.role == SlotDesc::State || s.role == SlotDesc::OptState;
}

std::string slotKey(const SlotDesc &s) { return s.name + "#" + std::to_string(int(s.role)); }

/// Images as a step compiled for f32 inputs takes them: the bytes times 1/255 in float,
/// exactly what a step compiled for bytes computes itself (nn.dequantize).
void scaleBytes(const uint8_t *bytes, float *out, int64_t n) {
  for (int64_t j = 0; j < n; ++j)
    out[j] = bytes[j] * (1.0f / 255.0f);
}

/// `--predict`: the evaluation function over the samples of an .npy file (f32, f64 or u8
/// images, scaled to [0, 1] as in training), batch by batch, the last one padded; writes the
/// outputs ([N, C] f32), as probabilities (softmax) for a classifier. A function compiled
/// for bytes (`bytesIn`) takes u8 images as they are, and floats that are images scaled by
/// 1/255 as the bytes they were.
int predict(const std::string &inPath, const std::string &outPath, int64_t batch,
            int64_t sampleElems, bool bytesIn, bool classifier, int64_t cols,
            const std::function<void(void *, void *)> &run) {
  NpyArray in;
  std::string err = readNpy(inPath, in);
  if (!err.empty())
    fail("--predict: " + err);
  int64_t n = in.shape.empty() ? 0 : in.shape[0];
  if (n == 0 || in.numel() != n * sampleElems)
    fail("--predict: " + inPath + ": expected samples of " + std::to_string(sampleElems) +
         " values each ([N, ...] with the model's input shape), found " +
         std::to_string(in.numel()) + " values in " + std::to_string(n) + " rows");
  // The samples as the function takes them: bytes, or floats.
  std::vector<uint8_t> bytes;
  std::vector<float> floats;
  if (in.dtype == "|u1" && bytesIn) {
    bytes = std::move(in.bytes);
  } else if (in.dtype == "|u1") {
    floats.resize(in.bytes.size());
    scaleBytes(in.bytes.data(), floats.data(), int64_t(floats.size()));
  } else if (bytesIn) {
    std::vector<double> x = in.toDoubles();
    bytes.resize(x.size());
    for (size_t j = 0; j < x.size(); ++j) {
      double v = x[j] * 255, k = std::nearbyint(v);
      if (!(k >= 0 && k <= 255 && std::fabs(v - k) < 1e-3)) {
        char buf[64];
        std::snprintf(buf, sizeof(buf), "%.9g", x[j]);
        fail("--predict: " + inPath + ": this model takes images as bytes (u8, as its train "
             "block's data holds them), but element " + std::to_string(j) + " of this " +
             in.dtype + " array, " + buf + ", is not a byte divided by 255; pass the images as "
             "u8");
      }
      bytes[j] = uint8_t(k);
    }
  } else {
    std::vector<double> x = in.toDoubles();
    floats.assign(x.begin(), x.end());
  }
  size_t width = bytesIn ? 1 : sizeof(float);
  const char *samples = bytesIn ? reinterpret_cast<const char *>(bytes.data())
                                : reinterpret_cast<const char *>(floats.data());
  std::vector<char> x(batch * sampleElems * width);
  std::vector<float> out(batch * cols);
  std::vector<double> result;
  result.reserve(n * cols);
  for (int64_t first = 0; first < n; first += batch) {
    int64_t rows = std::min(batch, n - first);
    std::fill(x.begin(), x.end(), 0);
    std::memcpy(x.data(), samples + first * sampleElems * width, rows * sampleElems * width);
    run(x.data(), out.data());
    for (int64_t r = 0; r < rows; ++r) {
      const float *row = out.data() + r * cols;
      if (!classifier) {
        result.insert(result.end(), row, row + cols);
        continue;
      }
      float top = *std::max_element(row, row + cols);
      double sum = 0;
      for (int64_t c = 0; c < cols; ++c)
        sum += std::exp(double(row[c]) - top);
      for (int64_t c = 0; c < cols; ++c)
        result.push_back(std::exp(double(row[c]) - top) / sum);
    }
  }
  err = writeNpy(outPath, NpyArray::fromDoubles("<f4", {n, cols}, result));
  if (!err.empty())
    fail("--out: " + err);
  std::printf("wrote %s of %lld samples to %s\n", classifier ? "the probabilities" : "the outputs",
              (long long)n, outPath.c_str());
  return 0;
}

/// One epoch's values for --plot; negative means absent.
struct EpochPoint {
  int64_t epoch;
  double trainLoss, valLoss, valAcc, testAcc;
};

/// `--plot`: the loss (training, validation) and accuracy (validation, test) curves per
/// epoch as a self-contained SVG, one panel each (the accuracy panel only for classifiers).
std::string writePlot(const std::string &path, const std::string &modelName,
                      const std::vector<EpochPoint> &points) {
  struct Series {
    const char *name, *color;
    double EpochPoint::*field;
  };
  const Series lossSeries[] = {{"train_loss", "#1f77b4", &EpochPoint::trainLoss},
                               {"val_loss", "#ff7f0e", &EpochPoint::valLoss}};
  const Series accSeries[] = {{"val_acc", "#2ca02c", &EpochPoint::valAcc},
                              {"test_acc", "#d62728", &EpochPoint::testAcc}};
  auto present = [&](const Series &se) {
    return std::any_of(points.begin(), points.end(),
                       [&](const EpochPoint &p) { return p.*se.field >= 0; });
  };
  bool accPanel = present(accSeries[0]) || present(accSeries[1]);
  const double width = accPanel ? 960 : 520, height = 420;
  std::string svg;
  char buf[512];
  auto add = [&](const char *fmt, auto... xs) {
    std::snprintf(buf, sizeof(buf), fmt, xs...);
    svg += buf;
  };
  add("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
      "viewBox=\"0 0 %.0f %.0f\" font-family=\"sans-serif\" font-size=\"12\">\n",
      width, height, width, height);
  std::string title = modelName + (accPanel ? ": loss and accuracy per epoch" : ": loss per epoch");
  std::string escaped;
  for (char c : title)
    escaped += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  svg += "<title>" + escaped + "</title>\n";
  add("<rect width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n", width, height);
  add("<text x=\"%.0f\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">", width / 2);
  svg += escaped + "</text>\n";
  int64_t firstEpoch = points.empty() ? 0 : points.front().epoch;
  int64_t lastEpoch = points.empty() ? 1 : points.back().epoch;
  if (lastEpoch == firstEpoch)
    ++lastEpoch;
  auto panel = [&](const char *id, const char *label, double left, const Series *series, int count,
                   bool unitRange) {
    const double top = 40, w = 400, h = 300;
    double lo = 0, hi = unitRange ? 1 : 0;
    for (int k = 0; k < count; ++k)
      for (const EpochPoint &p : points)
        if (p.*series[k].field >= 0)
          hi = std::max(hi, p.*series[k].field);
    if (hi <= lo)
      hi = lo + 1;
    // Round ticks: steps of 1, 2 or 5 times a power of ten, the top on a tick.
    double raw = (hi - lo) / 4, mag = std::pow(10, std::floor(std::log10(raw)));
    double tick = (raw / mag <= 1 ? 1 : raw / mag <= 2 ? 2 : raw / mag <= 5 ? 5 : 10) * mag;
    int ticks = int(std::ceil((hi - lo) / tick - 1e-9));
    hi = lo + ticks * tick;
    auto xOf = [&](int64_t e) {
      return left + w * double(e - firstEpoch) / (lastEpoch - firstEpoch);
    };
    auto yOf = [&](double v) { return top + h * (1 - (v - lo) / (hi - lo)); };
    add("<g class=\"panel\" id=\"%s\">\n", id);
    add("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
        "stroke=\"#444\"/>\n",
        left, top, w, h);
    for (int t = 0; t <= ticks; ++t) {
      double v = lo + tick * t, y = yOf(v);
      add("<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
          "stroke=\"#ddd\"/>\n",
          left, y, left + w, y);
      add("<text class=\"ytick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>\n", left - 6,
          y + 4, v);
    }
    int64_t span = lastEpoch - firstEpoch, stepE = std::max<int64_t>(1, (span + 9) / 10);
    for (int64_t e = firstEpoch; e <= lastEpoch; e += stepE)
      add("<text class=\"xtick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%lld</text>\n",
          xOf(e), top + h + 16, (long long)e);
    add("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">epoch</text>\n", left + w / 2,
        top + h + 34);
    add("<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
        "transform=\"rotate(-90 %.1f %.1f)\">%s</text>\n",
        left - 46, top + h / 2, left - 46, top + h / 2, label);
    int legend = 0;
    for (int k = 0; k < count; ++k) {
      if (!present(series[k]))
        continue;
      add("<polyline class=\"series\" data-name=\"%s\" fill=\"none\" stroke=\"%s\" "
          "stroke-width=\"2\" points=\"",
          series[k].name, series[k].color);
      bool first = true;
      for (const EpochPoint &p : points) {
        if (p.*series[k].field < 0)
          continue;
        add(first ? "%.1f,%.1f" : " %.1f,%.1f", xOf(p.epoch), yOf(p.*series[k].field));
        first = false;
      }
      svg += "\"/>\n";
      // The legend, in a row under the panel.
      double lx = left + 120 * legend++, ly = top + h + 58;
      add("<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
          "stroke-width=\"2\"/>\n",
          lx, ly - 4, lx + 20, ly - 4, series[k].color);
      add("<text class=\"legend\" x=\"%.1f\" y=\"%.1f\">%s</text>\n", lx + 26, ly, series[k].name);
    }
    svg += "</g>\n";
  };
  panel("loss", "loss", 70, lossSeries, 2, false);
  if (accPanel)
    panel("accuracy", "accuracy", 530, accSeries, 2, true);
  svg += "</svg>\n";
  std::FILE *f = std::fopen(path.c_str(), "w");
  if (!f)
    return path + ": " + std::strerror(errno);
  bool ok = std::fwrite(svg.data(), 1, svg.size(), f) == svg.size();
  ok = std::fclose(f) == 0 && ok;
  return ok ? "" : path + ": cannot write: " + std::strerror(errno);
}

} // namespace

int train(const ModelDescription &model, PackedFn stepFn, PackedFn evalFn,
          const TrainerFlags &flags, const std::string &tool, double compileSeconds) {
  toolName = tool;
  // The compiled step still allocates its temporaries on the heap (the static memory plan
  // is to come). Large blocks would be mmap'ed and returned to the system at every free:
  // page faults on every step. Keep freed memory for reuse instead.
  std::signal(SIGINT, onInterrupt);
  // A file size limit (ulimit -f) would kill the process with SIGXFSZ in the middle of a
  // checkpoint; ignored, the write fails with EFBIG like a full disk's ENOSPC, the save is
  // abandoned and the previous checkpoint stays intact.
  std::signal(SIGXFSZ, SIG_IGN);
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  // The step's parallel loops (OpenMP, compiled in for --threads above 1) share the work
  // among this many threads; the results do not depend on it.
  omp_set_num_threads(flags.threads);

  const Json &train = model.train;
  const EntryDesc &step = model.trainStep;
  const EntryDesc &eval = model.eval;
  const SlotDesc *labelSlot = nullptr, *inputSlot = nullptr;
  for (const SlotDesc &s : step.args) {
    if (s.role == SlotDesc::Labels)
      labelSlot = &s;
    if (s.role == SlotDesc::Input && !inputSlot)
      inputSlot = &s;
  }
  if (!labelSlot || !inputSlot || inputSlot->shape.empty())
    fail("the training step has no input or no labels");
  // Images go to a step compiled for bytes as they are (it scales them itself, as
  // nn-byte-inputs made it); a step compiled for floats gets them scaled here.
  bool bytesIn = inputSlot->dtype == "u8";
  int64_t batch = inputSlot->shape[0];
  // The batch size and the learning rate are compiled into the step.
  if (flags.batch && flags.batch != batch)
    fail("--batch " + std::to_string(flags.batch) + ": this trainer was compiled for batch " +
         std::to_string(batch) + " (recompile with nnc --batch " + std::to_string(flags.batch) +
         ")");
  const Json *optimizer = train.record("optimizer");
  double compiledLr = optimizer ? optimizer->number("lr") : 0;
  if (flags.lr > 0 && compiledLr != flags.lr) {
    char buf[96];
    std::snprintf(buf, sizeof(buf), "--lr %g: this trainer was compiled with lr %g", flags.lr,
                  compiledLr);
    fail(buf + std::string(" (recompile with nnc --lr)"));
  }
  int64_t epochs = flags.epochs ? flags.epochs : int64_t(train.number("epochs", 1));
  uint64_t seed = flags.seed >= 0 ? uint64_t(flags.seed) : uint64_t(train.number("seed", 0));

  int64_t sampleElems = 1;
  for (size_t i = 1; i < inputSlot->shape.size(); ++i)
    sampleElems *= inputSlot->shape[i];
  // Two arenas of parameters and state, used in turn.
  Buffers args[2];
  std::map<std::string, int> argIndex;
  uint64_t initIndex = 0;
  for (int k = 0; k < 2; ++k) {
    args[k].storage.resize(step.args.size());
    args[k].ptrs.resize(step.args.size());
    for (size_t i = 0; i < step.args.size(); ++i) {
      args[k].storage[i].assign(step.args[i].bytes() + 64, 0);
      args[k].ptrs[i] = args[k].storage[i].data();
    }
  }
  for (size_t i = 0; i < step.args.size(); ++i) {
    const SlotDesc &s = step.args[i];
    if (isWeight(s)) {
      argIndex[slotKey(s)] = i;
      if (s.dtype != "f32")
        fail("only f32 parameters are supported by the trainer");
      initialize(static_cast<float *>(args[0].ptrs[i]), s.numElements(), s.init, seed, initIndex++);
    }
  }
  // Where each result goes: the other arena's slot of the same name, or a scratch buffer.
  std::vector<std::vector<char>> scratch(step.results.size());
  std::vector<void *> resultPtrs[2];
  for (int k = 0; k < 2; ++k) {
    for (size_t r = 0; r < step.results.size(); ++r) {
      const SlotDesc &s = step.results[r];
      auto it = argIndex.find(slotKey(s));
      if (it != argIndex.end()) {
        resultPtrs[k].push_back(args[1 - k].ptrs[it->second]);
      } else {
        scratch[r].assign(s.bytes() + 64, 0);
        resultPtrs[k].push_back(scratch[r].data());
      }
    }
  }
  // Frozen parameters are not results: both arenas hold them.
  for (size_t i = 0; i < step.args.size(); ++i)
    if (step.args[i].role == SlotDesc::Param || step.args[i].role == SlotDesc::State)
      std::memcpy(args[1].ptrs[i], args[0].ptrs[i], step.args[i].bytes());
  // `ema = DECAY`: a shadow copy of each trainable parameter, after every step
  // shadow = DECAY * shadow + (1 - DECAY) * weight, which evaluation (validation, the test
  // accuracy, early stopping, --evaluate, --predict) uses instead of the weights. State
  // (batch-norm running statistics) and frozen parameters are used as they are.
  double emaDecay = train.number("ema", 0);
  bool useEma = emaDecay > 0;
  std::vector<std::vector<float>> ema(step.args.size());
  auto hasEma = [&](const SlotDesc &sl) {
    return useEma && sl.role == SlotDesc::Param && !sl.frozen;
  };
  for (size_t i = 0; i < step.args.size(); ++i)
    if (hasEma(step.args[i]))
      ema[i].resize(step.args[i].numElements());
  auto emaFromWeights = [&](int arena) {
    for (size_t i = 0; i < step.args.size(); ++i)
      if (!ema[i].empty())
        std::memcpy(ema[i].data(), args[arena].ptrs[i], step.args[i].bytes());
  };
  auto updateEma = [&](int arena) {
    for (size_t i = 0; i < step.args.size(); ++i) {
      float *shadow = ema[i].data();
      const float *w = static_cast<const float *>(args[arena].ptrs[i]);
      // In double, rounded once; two statements, so that no compiler fuses them into an FMA
      // (the tests recompute the shadows bit for bit).
      for (size_t j = 0, n = ema[i].size(); j < n; ++j) {
        double kept = emaDecay * double(shadow[j]);
        double added = (1 - emaDecay) * double(w[j]);
        shadow[j] = float(kept + added);
      }
    }
  };
  // The buffers evaluation reads: the arena's, with the shadows in place of the weights.
  auto evalView = [&](int arena, bool withEma) {
    Buffers view;
    view.ptrs = args[arena].ptrs;
    if (withEma)
      for (size_t i = 0; i < step.args.size(); ++i)
        if (!ema[i].empty())
          view.ptrs[i] = ema[i].data();
    return view;
  };
  int lossResult = -1;
  for (size_t r = 0; r < step.results.size(); ++r)
    if (step.results[r].role == SlotDesc::Loss)
      lossResult = r;
  if (lossResult < 0)
    fail("the training step returns no loss");

  // Checkpoints hold every parameter, state and optimizer-state buffer by name (state
  // prefixed "state.", the EMA shadows "ema.").
  auto emaName = [](const SlotDesc &sl) { return "ema." + sl.name; };
  auto checkpointName = [&](const SlotDesc &sl) {
    return sl.role == SlotDesc::State ? "state." + sl.name : sl.name;
  };
  /// The tensors of a safetensors file by name (`what` prefixes a load error).
  using LoadedMap = std::map<std::string, const LoadedTensor *>;
  auto readTensors = [&](const std::string &path, std::vector<LoadedTensor> &tensors,
                         std::map<std::string, std::string> &meta,
                         const std::string &what) -> LoadedMap {
    std::string e = loadSafetensors(path, tensors, meta);
    if (!e.empty())
      fail(what + e);
    LoadedMap byName;
    for (const auto &t : tensors)
      byName[t.name] = &t;
    return byName;
  };
  auto loadSlot = [&](size_t i, const LoadedTensor &t) {
    std::memcpy(args[0].ptrs[i], t.bytes.data(), t.bytes.size());
    std::memcpy(args[1].ptrs[i], t.bytes.data(), t.bytes.size());
  };
  using MoreFn = std::function<void(const LoadedMap &, std::map<std::string, std::string> &)>;
  /// Loads a checkpoint of this model into both arenas, and its EMA shadows when the model
  /// keeps some and the file holds them all (`emaLoaded`); `more` reads what else the caller
  /// needs from the tensors and the metadata. Returns the metadata.
  auto loadCheckpoint = [&](const std::string &path, const std::string &loadError,
                            const std::string &from, bool &emaLoaded,
                            const MoreFn &more = nullptr) {
    std::vector<LoadedTensor> tensors;
    std::map<std::string, std::string> meta;
    LoadedMap byName = readTensors(path, tensors, meta, loadError);
    if (meta["model"] != model.model)
      fail(from + "it is a checkpoint of model '" + meta["model"] + "', not '" + model.model + "'");
    for (size_t i = 0; i < step.args.size(); ++i) {
      const SlotDesc &sl = step.args[i];
      if (!isWeight(sl))
        continue;
      auto it = byName.find(checkpointName(sl));
      if (it == byName.end())
        fail(from + "it has no tensor '" + checkpointName(sl) + "'");
      const LoadedTensor &t = *it->second;
      if (t.dtype != DType::F32 || t.shape != sl.shape || t.bytes.size() != sl.bytes())
        fail(from + "tensor '" + t.name + "' does not have the model's shape and type (f32)");
      loadSlot(i, t);
    }
    emaLoaded = useEma;
    for (size_t i = 0; i < step.args.size() && emaLoaded; ++i) {
      if (ema[i].empty())
        continue;
      auto it = byName.find(emaName(step.args[i]));
      emaLoaded = it != byName.end();
      if (!emaLoaded)
        break;
      const LoadedTensor &t = *it->second;
      if (t.dtype != DType::F32 || t.shape != step.args[i].shape)
        fail(from + "tensor '" + t.name + "' does not have the model's shape and type (f32)");
      std::memcpy(ema[i].data(), t.bytes.data(), t.bytes.size());
    }
    if (more)
      more(byName, meta);
    return meta;
  };
  // The arguments of the evaluation function: the input, the parameters and state of
  // `params`, the output buffer.
  auto evalArgs = [&](const Buffers &params, void *input, void *output) {
    std::vector<void *> ptrs;
    for (const SlotDesc &s : eval.args) {
      if (s.role == SlotDesc::Input) {
        ptrs.push_back(input);
        continue;
      }
      auto it = argIndex.find(slotKey(s));
      if (it == argIndex.end())
        fail("internal error: the evaluation function reads '" + s.name + "', unknown to the step");
      ptrs.push_back(params.ptrs[it->second]);
    }
    ptrs.push_back(output);
    return ptrs;
  };
  bool classifier = labelSlot->dtype == "i32";
  if (!flags.predict.empty()) {
    if (flags.weights.empty() || flags.out.empty())
      fail(
          "--predict needs --weights FILE.safetensors (a checkpoint of --save) and --out FILE.npy");
    bool emaLoaded = false;
    loadCheckpoint(flags.weights, "--weights: ", "--weights '" + flags.weights + "': ", emaLoaded);
    Buffers weights = evalView(0, emaLoaded);
    return predict(flags.predict, flags.out, batch, sampleElems, bytesIn, classifier,
                   eval.results[0].numElements() / batch, [&](void *input, void *output) {
                     std::vector<void *> ptrs = evalArgs(weights, input, output);
                     std::vector<void *> packed;
                     for (void *&p : ptrs)
                       packed.push_back(&p);
                     evalFn(packed.data());
                   });
  }

  // The data.
  DataConfig dc = dataConfigOf(train, model.baseDir);
  if (!flags.data.empty())
    dc.path = flags.data;
  LoadOptions lo;
  lo.wantIntLabels = labelSlot->dtype == "i32";
  if (lo.wantIntLabels && !eval.results.empty() && eval.results[0].shape.size() == 2)
    lo.numClasses = eval.results[0].shape[1];
  lo.limit = flags.limit;
  Dataset trainSet, testSet;
  std::string err = loadData(dc, lo, trainSet, testSet);
  if (!err.empty())
    fail(err);
  if (trainSet.sampleNumel() != sampleElems)
    fail("the data's samples have " + std::to_string(trainSet.sampleNumel()) +
         " values, the model's input '" + inputSlot->name + "' expects " +
         std::to_string(sampleElems));
  if (trainSet.size < batch)
    fail("the training set has " + std::to_string(trainSet.size) +
         " samples, fewer than one batch of " + std::to_string(batch));
  // A step compiled for bytes takes no floats: the data changed since compiling (or a test
  // or validation file holds another type than the training file).
  auto requireBytes = [&](const Dataset &ds, const DataConfig &c, bool test) {
    if (!bytesIn || ds.size == 0 || ds.isU8)
      return;
    std::string path = c.kind == "idx"   ? (test ? c.testImages : c.images)
                       : c.kind == "npy" ? (test ? c.testX : c.x)
                       : test && !c.test.empty() ? c.test
                                                 : c.path;
    fail(joinPath(c.baseDir, path) + ": the samples are f32, but this trainer was compiled "
         "for u8 images (the train block's data held bytes then); pass the images as u8, or "
         "compile the trainer for this data");
  };
  requireBytes(trainSet, dc, false);
  requireBytes(testSet, dc, true);

  float stepCounter = 0;
  int cur = 0;
  bool tty = isatty(fileno(stdout));
  double trainSeconds = 0, lastLoss = 0, testAcc = -1;
  int64_t samples = 0;

  // Loss and accuracy of the model on a data set (accuracy -1 for regression), with the
  // evaluation function (no dropout, batch-norm running statistics).
  struct Metrics {
    double loss = -1, acc = -1;
  };
  auto evaluateOn = [&](const Dataset &ds, const Buffers &params) -> Metrics {
    Metrics m;
    if (ds.size == 0)
      return m;
    Batcher tb(ds, batch, 0, /*shuffle=*/false, /*dropLast=*/false);
    tb.startEpoch(0);
    int64_t width = ds.intLabels ? 1 : ds.targetWidth;
    std::vector<uint8_t> tx(tb.featureBytes());
    std::vector<int32_t> ty(batch * width);
    // The batch goes to the function as the batcher writes it, unless it is bytes and the
    // function takes floats.
    bool scale = ds.isU8 && !bytesIn;
    std::vector<float> xf(scale ? batch * sampleElems : 0), out(eval.results[0].numElements());
    std::vector<void *> ptrs =
        evalArgs(params, scale ? static_cast<void *>(xf.data()) : tx.data(), out.data());
    std::vector<void *> packed;
    for (void *&p : ptrs)
      packed.push_back(&p);
    int64_t correct = 0, total = 0, cols = out.size() / batch;
    double lossSum = 0;
    while (tb.next(tx.data(), ty.data())) {
      int64_t n = tb.lastCount();
      // The last batch is padded with zeros.
      std::fill(tx.begin() + n * ds.sampleBytes(), tx.end(), 0);
      if (scale)
        scaleBytes(tx.data(), xf.data(), batch * sampleElems);
      evalFn(packed.data());
      for (int64_t r = 0; r < n; ++r) {
        const float *row = out.data() + r * cols;
        if (ds.intLabels) {
          // Cross-entropy from the logits, stably, and the arg-max.
          int64_t best = 0;
          for (int64_t c = 1; c < cols; ++c)
            if (row[c] > row[best])
              best = c;
          double sum = 0;
          for (int64_t c = 0; c < cols; ++c)
            sum += std::exp(double(row[c]) - row[best]);
          lossSum += std::log(sum) + row[best] - row[ty[r]];
          correct += best == ty[r];
        } else {
          const float *target = reinterpret_cast<const float *>(ty.data()) + r * width;
          for (int64_t c = 0; c < cols; ++c)
            lossSum += (row[c] - target[c]) * (row[c] - target[c]) / double(cols);
        }
      }
      total += n;
    }
    m.loss = lossSum / double(total);
    if (ds.intLabels)
      m.acc = double(correct) / double(total);
    return m;
  };
  auto runEval = [&](const Buffers &params) { return evaluateOn(testSet, params).acc; };
  if (flags.evaluate) {
    if (flags.weights.empty())
      fail("--evaluate needs --weights FILE.safetensors (a checkpoint of --save)");
    bool emaLoaded = false;
    loadCheckpoint(flags.weights, "--weights: ", "--weights '" + flags.weights + "': ", emaLoaded);
    if (testSet.size == 0)
      fail("--evaluate: the train block's data has no test set");
    Metrics m = evaluateOn(testSet, evalView(0, emaLoaded));
    std::printf("test loss %.4f", m.loss);
    if (m.acc >= 0)
      std::printf("  test acc %.4f", m.acc);
    std::printf("  (%lld samples%s)\n", (long long)testSet.size,
                emaLoaded ? ", the EMA of the weights" : "");
    if (flags.json)
      std::printf("{\"model\": \"%s\", \"test_samples\": %lld, \"test_loss\": %.6f, "
                  "\"test_acc\": %.4f}\n",
                  model.model.c_str(), (long long)testSet.size, m.loss, m.acc);
    std::fflush(stdout);
    return 0;
  }

  // The validation set: a split of the training data (shuffled with a fixed seed first, as
  // sorted files are common) or another data source; and early stopping on it.
  Dataset valSet;
  if (const Json *val = train.record("validation")) {
    if (val->str("kind") == "split") {
      shuffleRows(trainSet, 0x5EED);
      std::string e = splitOff(trainSet, val->number("fraction"), valSet);
      if (!e.empty())
        fail("validation: " + e);
    } else {
      DataConfig vc = dc;
      vc.kind = val->str("kind");
      vc.path = val->str("path");
      vc.test.clear();
      vc.testFraction = 0;
      Dataset unused;
      LoadOptions vo = lo;
      vo.limit = 0;
      std::string e = loadData(vc, vo, valSet, unused);
      if (!e.empty())
        fail("validation: " + e);
      requireBytes(valSet, vc, false);
    }
    if (valSet.size < 1)
      fail("validation: the validation set is empty");
  }
  const Json *stopping = train.record("early_stopping");
  if (stopping && valSet.size == 0 && stopping->str("metric") != "train_loss")
    fail("early_stopping on '" + stopping->str("metric") +
         "' needs a validation set ('validation = split(0.1)' in the train block)");
  if (trainSet.size < batch)
    fail("the training set has " + std::to_string(trainSet.size) +
         " samples after the validation split, fewer than one batch of " + std::to_string(batch));
  Batcher batcher(trainSet, batch, seed, /*shuffle=*/true, /*dropLast=*/true);
  std::vector<uint8_t> rawX(batcher.featureBytes());
  std::vector<int32_t> labels(batch * std::max<int64_t>(1, trainSet.targetWidth));

  // Checkpoints: every parameter, state and optimizer-state buffer by name, the EMA
  // shadows, the step and the epochs done. The batch order and the dropout keys are
  // functions of (seed, epoch) and (seed, step), so a resumed run continues exactly as the
  // uninterrupted one would. One saved in the middle of an epoch (Ctrl-C) also records the
  // steps of that epoch done ("epoch_step") and the sum of their losses ("epoch_loss", a
  // hexadecimal float, exact); a resumed run skips those batches.
  //
  // Saving is atomic (saveSafetensors): a kill at any moment leaves the previous file or the
  // new one. A save that fails (a full disk, a file size limit, an unwritable folder) ends
  // the run with exit code 1, naming the file, the reason and the last good checkpoint,
  // which is intact: training on without a way to keep its result would only waste it.
  //
  // With early stopping they also hold its state: the best epoch so far ("best_epoch"), its
  // value ("best_value", exact), the epochs since ("bad_epochs") and its parameters, state and
  // shadows ("best.NAME"), so that a resumed run stops when and where the uninterrupted one
  // would.
  int64_t bestEpoch = -1, badEpochs = 0;
  double bestValue = 0;
  std::vector<std::vector<char>> bestCopy(step.args.size());
  std::vector<std::vector<float>> bestEma(step.args.size());
  auto isBestKept = [&](const SlotDesc &sl) {
    return stopping && (sl.role == SlotDesc::Param || sl.role == SlotDesc::State);
  };
  for (size_t i = 0; i < step.args.size(); ++i)
    if (isBestKept(step.args[i]))
      bestCopy[i].resize(step.args[i].bytes());
  std::string lastSaved;
  auto saveCheckpoint = [&](const std::string &path, int64_t epochsDone, int64_t epochStep,
                            double epochLoss) {
    std::vector<TensorView> views;
    for (size_t i = 0; i < step.args.size(); ++i) {
      const SlotDesc &sl = step.args[i];
      if (isWeight(sl))
        views.push_back({checkpointName(sl), DType::F32, sl.shape, args[cur].ptrs[i]});
    }
    for (size_t i = 0; i < step.args.size(); ++i)
      if (!ema[i].empty())
        views.push_back({emaName(step.args[i]), DType::F32, step.args[i].shape, ema[i].data()});
    std::map<std::string, std::string> meta = {{"format", "nnc-checkpoint-1"},
                                               {"model", model.model},
                                               {"step", std::to_string(int64_t(stepCounter))},
                                               {"epoch", std::to_string(epochsDone)},
                                               {"seed", std::to_string(seed)}};
    if (stopping && bestEpoch >= 0) {
      for (size_t i = 0; i < step.args.size(); ++i) {
        const SlotDesc &sl = step.args[i];
        if (isBestKept(sl))
          views.push_back({"best." + checkpointName(sl), DType::F32, sl.shape, bestCopy[i].data()});
        if (!bestEma[i].empty())
          views.push_back({"best." + emaName(sl), DType::F32, sl.shape, bestEma[i].data()});
      }
      char value[64];
      std::snprintf(value, sizeof(value), "%a", bestValue);
      meta["best_epoch"] = std::to_string(bestEpoch + 1);
      meta["best_value"] = value;
      meta["bad_epochs"] = std::to_string(badEpochs);
    }
    std::string when = "after epoch " + std::to_string(epochsDone);
    if (epochStep > 0) {
      char hex[64];
      std::snprintf(hex, sizeof(hex), "%a", epochLoss);
      meta["epoch_step"] = std::to_string(epochStep);
      meta["epoch_loss"] = hex;
      when = "at step " + std::to_string(int64_t(stepCounter)) + ", in epoch " +
             std::to_string(epochsDone + 1);
    }
    if (useEma) {
      char decay[64];
      std::snprintf(decay, sizeof(decay), "%.17g", emaDecay);
      meta["ema"] = decay;
    }
    std::string e = saveSafetensors(path, views, meta);
    if (!e.empty())
      fail("could not save the checkpoint (the previous one, if any, is intact): " + e + ". " +
           (lastSaved.empty() ? std::string("No checkpoint of this run was written before.")
                              : "The last good checkpoint is " + lastSaved + "."));
    lastSaved = path + " (" + when + ")";
  };
  int64_t firstEpoch = 0, resumeStep = 0;
  double resumeLoss = 0;
  bool emaLoaded = false;
  if (!flags.resume.empty()) {
    std::string from = "cannot resume from '" + flags.resume + "': ";
    // Early stopping's state, when the file has it.
    auto loadBest = [&](const LoadedMap &byName, std::map<std::string, std::string> &meta) {
      if (!stopping || !meta.count("best_epoch"))
        return;
      auto load = [&](const std::string &name, void *dst, size_t bytes) {
        auto it = byName.find(name);
        if (it == byName.end() || it->second->dtype != DType::F32 ||
            it->second->bytes.size() != bytes)
          fail(from + "its early-stopping state has no tensor '" + name + "' of the model's shape");
        std::memcpy(dst, it->second->bytes.data(), bytes);
      };
      for (size_t i = 0; i < step.args.size(); ++i) {
        const SlotDesc &sl = step.args[i];
        if (isBestKept(sl))
          load("best." + checkpointName(sl), bestCopy[i].data(), bestCopy[i].size());
        if (!ema[i].empty()) {
          bestEma[i].resize(ema[i].size());
          load("best." + emaName(sl), bestEma[i].data(), ema[i].size() * sizeof(float));
        }
      }
      bestEpoch = std::atoll(meta["best_epoch"].c_str()) - 1;
      bestValue = std::strtod(meta["best_value"].c_str(), nullptr);
      badEpochs = std::atoll(meta["bad_epochs"].c_str());
    };
    std::map<std::string, std::string> meta =
        loadCheckpoint(flags.resume, "cannot resume: ", from, emaLoaded, loadBest);
    if (useEma && !emaLoaded)
      fail(from + "it holds no EMA of the weights ('ema.*' tensors), which the train block's "
                  "'ema' keeps; it was saved without 'ema'");
    stepCounter = float(std::atoll(meta["step"].c_str()));
    firstEpoch = std::atoll(meta["epoch"].c_str());
    resumeStep = std::atoll(meta["epoch_step"].c_str());
    resumeLoss = std::strtod(meta["epoch_loss"].c_str(), nullptr);
    if (resumeStep < 0 || resumeStep > batcher.numBatches())
      fail(from + "it was saved at step " + std::to_string(resumeStep) +
           " of an epoch, which now has " + std::to_string(batcher.numBatches()) +
           " (another --limit, batch size or data?)");
    cur = 0;
    lastSaved = flags.resume + " (after epoch " + meta["epoch"] + ")";
    if (resumeStep > 0)
      lastSaved = flags.resume + " (at step " + meta["step"] + ", in epoch " +
                  std::to_string(firstEpoch + 1) + ")";
  }
  // The train block's `checkpoint` when no --save is given.
  std::string savePath = flags.save;
  int64_t every = flags.checkpointEvery;
  if (const Json *ck = train.record("checkpoint")) {
    if (savePath.empty())
      savePath = ck->str("path");
    if (every <= 0)
      every = int64_t(ck->number("every", 1));
  }
  if (every <= 0)
    every = 1;
  // `init_from`: parameters by name from a safetensors file (fine-tuning), unless resuming.
  if (const Json *init = train.record("init_from"); init && flags.resume.empty()) {
    std::string path = joinPath(dc.baseDir, init->str("path"));
    std::vector<std::string> only;
    if (const Json *list = init->find("only"))
      for (const Json &p : list->items)
        only.push_back(p.text);
    std::vector<LoadedTensor> tensors;
    std::map<std::string, std::string> meta;
    LoadedMap byName = readTensors(path, tensors, meta, "init_from: ");
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
      auto it = byName.find(sl.name);
      if (it == byName.end()) {
        if (!only.empty())
          fail("init_from: '" + path + "' has no parameter '" + sl.name + "'");
        continue;
      }
      const LoadedTensor &t = *it->second;
      if (t.dtype != DType::F32 || t.shape != sl.shape)
        fail("init_from: '" + path + "': parameter '" + sl.name +
             "' has another shape or type than the model's (f32)");
      loadSlot(i, t);
      ++loaded;
    }
    if (loaded == 0)
      fail("init_from: '" + path + "' holds none of the model's parameters");
  }

  // The shadows start as the weights (initialized, or loaded by init_from).
  if (useEma && !emaLoaded)
    emaFromWeights(cur);

  Metrics val;
  bool plotting = !flags.plot.empty();
  std::vector<EpochPoint> plotPoints;
  int64_t epochsRun = firstEpoch;

  // Metrics for plotting: one JSON object per line, flushed each epoch.
  std::FILE *metrics = nullptr;
  int64_t logEvery = std::max<int64_t>(1, int64_t(train.number("log_every", 50)));
  if (!flags.metrics.empty() && !(metrics = std::fopen(flags.metrics.c_str(), "a")))
    fail("--metrics: cannot open '" + flags.metrics + "': " + std::strerror(errno));

  bool scale = trainSet.isU8 && !bytesIn;
  std::vector<float> xf(scale ? batch * sampleElems : 0);
  int64_t steps = batcher.numBatches();
  // Whether testAcc and val are those of the weights as they are now (the last epoch's
  // evaluation), so that the final report does not evaluate the same weights again.
  bool evaluatedFinal = false;
  // The step's arguments and results, and the pointers to them that the packed calling
  // convention takes: set in place each step, nothing allocated.
  std::vector<void *> stepPtrs(step.args.size() + resultPtrs[0].size());
  std::vector<void *> stepPacked;
  for (void *&p : stepPtrs)
    stepPacked.push_back(&p);
  // Heap allocations in the steady state (Allocations.h), for --json.
  uint64_t steadyAllocs = 0, steadySteps = 0;
  for (int64_t epoch = firstEpoch; epoch < epochs; ++epoch) {
    evaluatedFinal = false;
    batcher.startEpoch(epoch);
    double lossSum = 0;
    // Resuming from the middle of this epoch: skip the batches already trained on.
    int64_t firstStep = 0;
    if (epoch == firstEpoch && resumeStep > 0) {
      for (; firstStep < resumeStep; ++firstStep)
        batcher.next(rawX.data(), labels.data());
      lossSum = resumeLoss;
    }
    auto e0 = std::chrono::steady_clock::now();
    for (int64_t s = firstStep; s < steps; ++s) {
      std::optional<uint64_t> allocsBefore = heapAllocations();
      batcher.next(rawX.data(), labels.data());
      if (scale)
        scaleBytes(rawX.data(), xf.data(), batch * sampleElems);
      stepCounter += 1;
      int64_t key = int64_t(splitMix64(seed, 1u << 20, uint64_t(stepCounter)));
      for (size_t i = 0; i < step.args.size(); ++i) {
        const SlotDesc &sl = step.args[i];
        if (sl.role == SlotDesc::Input)
          stepPtrs[i] = scale ? static_cast<void *>(xf.data()) : rawX.data();
        else if (sl.role == SlotDesc::Labels)
          stepPtrs[i] = labels.data();
        else if (sl.role == SlotDesc::Step)
          stepPtrs[i] = &stepCounter;
        else if (sl.role == SlotDesc::Rng)
          stepPtrs[i] = reinterpret_cast<void *>(key);
        else
          stepPtrs[i] = args[cur].ptrs[i];
      }
      std::copy(resultPtrs[cur].begin(), resultPtrs[cur].end(),
                stepPtrs.begin() + step.args.size());
      stepFn(stepPacked.data());
      // The steady state: every step but the run's first (which faults the static memory in).
      if (std::optional<uint64_t> allocsAfter = heapAllocations();
          allocsAfter && s > firstStep) {
        steadyAllocs += *allocsAfter - *allocsBefore;
        steadySteps += 1;
      }
      float loss = *static_cast<float *>(resultPtrs[cur][lossResult]);
      if (!std::isfinite(loss))
        fail("the loss is " + std::string(std::isnan(loss) ? "NaN" : "infinite") + " at step " +
             std::to_string(int64_t(stepCounter)) + " (epoch " + std::to_string(epoch + 1) +
             "); lower the learning rate. " +
             (lastSaved.empty() ? std::string("No checkpoint was written.")
                                : "The last good checkpoint is " + lastSaved + "."));
      lossSum += loss;
      if (metrics && int64_t(stepCounter) % logEvery == 0)
        std::fprintf(metrics, "{\"step\": %lld, \"epoch\": %lld, \"loss\": %.6f}\n",
                     (long long)stepCounter, (long long)epoch + 1, loss);
      cur = 1 - cur;
      if (useEma)
        updateEma(cur);
      if (interrupted) {
        // Ctrl-C: finish the step, keep what was learned, leave cleanly.
        std::string path = savePath.empty() ? model.model + ".interrupted.safetensors" : savePath;
        saveCheckpoint(path, epoch, s + 1, lossSum);
        std::fflush(stdout);
        std::fprintf(stderr,
                     "\n%s: interrupted at step %lld (epoch %lld); saved %s (resume with "
                     "--resume %s: it goes on from that step)\n",
                     toolName.c_str(), (long long)stepCounter, (long long)epoch + 1, path.c_str(),
                     path.c_str());
        if (metrics)
          std::fclose(metrics);
        return 130;
      }
      if (tty && (s % 50 == 0 || s + 1 == steps)) {
        double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
        std::printf("\repoch %lld/%lld  step %lld/%lld  loss %.4f  %.0f samples/s   ",
                    (long long)epoch + 1, (long long)epochs, (long long)s + 1, (long long)steps,
                    lossSum / (s + 1), (s + 1) * batch / std::max(el, 1e-9));
        std::fflush(stdout);
      }
    }
    double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - e0).count();
    trainSeconds += el;
    samples += (steps - firstStep) * batch;
    lastLoss = lossSum / steps;
    epochsRun = epoch + 1;
    if (valSet.size > 0)
      val = evaluateOn(valSet, evalView(cur, useEma));
    if (metrics) {
      std::fprintf(metrics, "{\"epoch\": %lld, \"step\": %lld, \"train_loss\": %.6f",
                   (long long)epoch + 1, (long long)stepCounter, lastLoss);
      if (valSet.size > 0)
        std::fprintf(metrics, ", \"val_loss\": %.6f", val.loss);
      if (val.acc >= 0)
        std::fprintf(metrics, ", \"val_acc\": %.4f", val.acc);
      std::fprintf(metrics, "}\n");
      std::fflush(metrics);
    }
    if (plotting)
      plotPoints.push_back({epoch + 1, lastLoss, valSet.size > 0 ? val.loss : -1, val.acc, -1});
    bool stop = false;
    if (stopping) {
      // Lower is better for every watched value.
      std::string metric = stopping->str("metric");
      double value = metric == "val_acc" ? -val.acc : metric == "train_loss" ? lastLoss : val.loss;
      if (bestEpoch < 0 || value < bestValue - stopping->number("min_delta")) {
        bestValue = value;
        bestEpoch = epoch;
        badEpochs = 0;
        for (size_t i = 0; i < step.args.size(); ++i)
          if (step.args[i].role == SlotDesc::Param || step.args[i].role == SlotDesc::State)
            std::memcpy(bestCopy[i].data(), args[cur].ptrs[i], step.args[i].bytes());
        bestEma = ema;
      } else if (++badEpochs >= int64_t(stopping->number("patience", 3))) {
        stop = true;
        // Back to the best weights, in both arenas.
        for (size_t i = 0; i < step.args.size(); ++i)
          if (step.args[i].role == SlotDesc::Param || step.args[i].role == SlotDesc::State)
            for (int k = 0; k < 2; ++k)
              std::memcpy(args[k].ptrs[i], bestCopy[i].data(), step.args[i].bytes());
        ema = bestEma;
      }
    }
    if (!savePath.empty() && (stop || (epoch + 1) % every == 0 || epoch + 1 == epochs))
      saveCheckpoint(savePath, epoch + 1, 0, 0);
    if (stop) {
      if (tty)
        std::printf("\r");
      std::printf("epoch %lld/%lld  train loss %.4f  val loss %.4f", (long long)epoch + 1,
                  (long long)epochs, lastLoss, val.loss);
      if (val.acc >= 0)
        std::printf("  val acc %.4f", val.acc);
      std::printf("\nearly stopping: no improvement of %s for %lld epochs; restored the "
                  "weights of epoch %lld\n",
                  stopping->str("metric").c_str(), (long long)badEpochs, (long long)bestEpoch + 1);
      break;
    }
    // Long runs of short epochs (the small CSV models) print ten summaries, not hundreds.
    bool show = epochs <= 20 || (epoch + 1) % (epochs / 10) == 0 || epoch + 1 == epochs;
    if (show || plotting) {
      testAcc = runEval(evalView(cur, useEma));
      evaluatedFinal = true;
      if (plotting)
        plotPoints.back().testAcc = testAcc;
    }
    if (tty)
      std::printf("\r");
    if (!show)
      continue;
    std::printf("epoch %lld/%lld  train loss %.4f", (long long)epoch + 1, (long long)epochs,
                lastLoss);
    if (valSet.size > 0)
      std::printf("  val loss %.4f", val.loss);
    if (val.acc >= 0)
      std::printf("  val acc %.4f", val.acc);
    if (testAcc >= 0)
      std::printf("  test acc %.4f", testAcc);
    std::printf("  %.0f samples/s  %.1fs\n", (steps - firstStep) * batch / el, el);
    std::fflush(stdout);
  }
  if (metrics)
    std::fclose(metrics);
  // Of the final (or restored best) weights.
  if (!evaluatedFinal) {
    testAcc = runEval(evalView(cur, useEma));
    if (valSet.size > 0)
      val = evaluateOn(valSet, evalView(cur, useEma));
  }
  if (bestEpoch < 0)
    bestEpoch = epochsRun - 1;
  if (plotting) {
    std::string e = writePlot(flags.plot, model.model, plotPoints);
    if (!e.empty())
      fail("--plot: " + e);
  }
  if (flags.json)
    std::printf("{\"model\": \"%s\", \"threads\": %d, \"batch\": %lld, \"epochs\": %lld, "
                "\"samples_per_s\": %.1f, \"test_acc\": %.4f, \"train_loss\": %.6f, "
                "\"val_loss\": %.6f, \"val_acc\": %.4f, \"best_epoch\": %lld, "
                "\"ema\": %g, \"compile_s\": %.3f, \"heap_allocs_per_step\": %s}\n",
                model.model.c_str(), flags.threads, (long long)batch, (long long)epochsRun,
                samples / std::max(trainSeconds, 1e-9), testAcc, lastLoss, val.loss, val.acc,
                (long long)bestEpoch + 1, emaDecay, compileSeconds,
                heapAllocations() && steadySteps > 0
                    ? std::to_string(double(steadyAllocs) / double(steadySteps)).c_str()
                    : "null");
  std::fflush(stdout);
  return 0;
}

} // namespace nnc::runtime
