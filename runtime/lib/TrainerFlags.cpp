//===- TrainerFlags.cpp - The command line of nnc-train and AOT trainers --===//
//
// Options take their value as the next argument or after '='; an explicit 0 where 0 means
// "not given" is refused rather than silently falling back to the train block's setting.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/TrainerFlags.h"
#include "nnc/Runtime/Memory.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <utility>

namespace nnc::runtime {

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
        {"checkpoint-every", &TF::checkpointEvery},
        {"steps", &TF::steps}};
    auto named = [&](const auto &entry) { return name == entry.first; };
    const auto *text = std::find_if(std::begin(texts), std::end(texts), named);
    const auto *num = std::find_if(std::begin(integers), std::end(integers), named);
    if (text == std::end(texts) && num == std::end(integers) && name != "lr" &&
        name != "threads" && name != "memory-limit")
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
    } else if (name == "memory-limit") {
      if (!parseByteCount(value, out.memoryLimit) || out.memoryLimit == 0)
        return "--memory-limit: expected a positive number of bytes (such as 8G, 512M or "
               "1000000), found '" + value + "'";
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
  if (out.steps < 0)
    return "--steps: expected a positive number, found '" + std::to_string(out.steps) + "'";
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
         "  --steps <n>             Stop after N optimizer steps of the whole run, in the middle "
         "of an epoch perhaps (instead of --epochs)\n"
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
         "  --memory-limit <bytes>  Refuse a run that needs more memory (such as 8G; default: "
         "what the machine has available)\n"
         "  --help                  Print this help\n";
}

} // namespace nnc::runtime
