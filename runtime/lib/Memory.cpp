//===- Memory.cpp - The memory a training run needs -----------------------===//
//
// Sizes are summed in 64 bits with saturation, so that an absurd configuration (a batch of
// 10^12) is reported as too large rather than wrapping around to something small.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Memory.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <limits>

namespace nnc::runtime {

namespace {

uint64_t addSat(uint64_t a, uint64_t b) {
  return a > std::numeric_limits<uint64_t>::max() - b ? std::numeric_limits<uint64_t>::max()
                                                      : a + b;
}

uint64_t mulSat(uint64_t a, uint64_t b) {
  return b && a > std::numeric_limits<uint64_t>::max() / b ? std::numeric_limits<uint64_t>::max()
                                                          : a * b;
}

/// "12.3 MB" (powers of 1000, as memory is usually quoted to users) and the exact bytes.
std::string human(uint64_t bytes) {
  const char *units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double v = double(bytes);
  int u = 0;
  while (v >= 1000 && u < 6) {
    v /= 1000;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof(buf), u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

} // namespace

MemoryNeeds memoryOf(const ModelDescription &model) {
  MemoryNeeds m;
  bool ema = model.train.number("ema", 0) > 0;
  bool stopping = model.train.record("early_stopping") != nullptr;
  for (const SlotDesc &s : model.trainStep.args) {
    uint64_t bytes = s.bytes();
    if (s.role == SlotDesc::Param || s.role == SlotDesc::State) {
      bool shadowed = ema && s.role == SlotDesc::Param && !s.frozen;
      // Both arenas, early stopping's best weights, the shadow and early stopping's copy of it.
      uint64_t copies = 2 + (stopping ? 1 : 0) + (shadowed ? 1 + (stopping ? 1 : 0) : 0);
      m.parameters = addSat(m.parameters, mulSat(bytes, copies));
    } else if (s.role == SlotDesc::OptState) {
      m.optimizerState = addSat(m.optimizerState, mulSat(bytes, 2));
    } else if (s.role == SlotDesc::Input || s.role == SlotDesc::Labels) {
      m.batch = addSat(m.batch, bytes);
    }
  }
  for (const SlotDesc &s : model.trainStep.results)
    if (s.role == SlotDesc::Loss || s.role == SlotDesc::Output)
      m.batch = addSat(m.batch, s.bytes());
  for (const SlotDesc &s : model.eval.results)
    m.batch = addSat(m.batch, s.bytes());
  m.temporaries = model.temporaryBytes;
  m.constants = model.constantBytes;
  return m;
}

Error dataBytes(const ModelDescription &model, const std::string &dataPath, uint64_t &out) {
  DataConfig dc = dataConfigOf(model.train, model.baseDir);
  if (!dataPath.empty())
    dc.path = dataPath;
  Dataset train, test;
  if (Error e = Error(loadData(dc, loadOptionsOf(model, 0), train, test)))
    return e;
  out = 0;
  for (const Dataset *ds : {&train, &test})
    out += ds->u8.size() + 4 * (ds->f32.size() + ds->labels.size() + ds->targets.size());
  return Error();
}

uint64_t availableMemory() {
  std::FILE *f = std::fopen("/proc/meminfo", "r");
  if (!f)
    return 0;
  char line[256];
  unsigned long long kb = 0;
  while (std::fgets(line, sizeof(line), f))
    if (std::sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
      break;
  std::fclose(f);
  return mulSat(kb, 1024);
}

std::string describeMemory(const MemoryNeeds &m) {
  std::string s;
  auto row = [&](const char *name, uint64_t bytes) {
    char buf[160];
    std::snprintf(buf, sizeof(buf), "  %-18s %10s  (%llu bytes)\n", name, human(bytes).c_str(),
                  (unsigned long long)bytes);
    s += buf;
  };
  row("parameters", m.parameters);
  row("optimizer state", m.optimizerState);
  row("temporaries", m.temporaries);
  row("constants", m.constants);
  row("batch", m.batch);
  if (m.data)
    row("data", m.data);
  row("total", m.total());
  return s;
}

Error checkMemory(const MemoryNeeds &needs, uint64_t limit) {
  bool given = limit != 0;
  if (!given)
    limit = availableMemory();
  if (limit == 0 || needs.total() <= limit)
    return Error();
  return Error("this run needs " + human(needs.total()) + " of memory, more than " +
               (given ? "the --memory-limit of " + human(limit)
                      : "the " + human(limit) + " this machine has available") +
               " (a smaller --batch or smaller layers need less; --memory-limit sets the "
               "limit):\n" +
               describeMemory(needs));
}

bool parseByteCount(const std::string &text, uint64_t &out) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < text.size() && std::isdigit((unsigned char)text[i])) {
    uint64_t d = uint64_t(text[i++] - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10)
      return false;
    v = v * 10 + d;
  }
  if (i == 0)
    return false;
  std::string unit = text.substr(i);
  const char *units[] = {"", "K", "M", "G", "T"};
  for (int k = 0; k < 5; ++k) {
    if (unit == units[k] || (k && unit == std::string(units[k]) + "B") || (!k && unit == "B")) {
      uint64_t scale = uint64_t(1) << (10 * k);
      if (v > std::numeric_limits<uint64_t>::max() / scale)
        return false;
      out = v * scale;
      return true;
    }
  }
  return false;
}

} // namespace nnc::runtime
