//===- Arenas.cpp - The buffers the training step reads and writes --------===//
//
// Every buffer has 64 bytes of slack past its end, zeroed, so that vector code reading a
// whole register at the last element stays in memory the trainer owns.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Arenas.h"
#include "nnc/Runtime/Random.h"

#include <cstring>

namespace nnc::runtime {

namespace {

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

} // namespace

Error Arenas::create(const EntryDesc &step, uint64_t seed, double emaDecay, Arenas &out) {
  size_t n = step.args.size();
  for (int k = 0; k < 2; ++k) {
    out.storage[k].resize(n);
    out.args[k].resize(n);
    for (size_t i = 0; i < n; ++i) {
      out.storage[k][i].assign(step.args[i].bytes() + 64, 0);
      out.args[k][i] = out.storage[k][i].data();
    }
  }
  uint64_t initIndex = 0;
  for (size_t i = 0; i < n; ++i) {
    const SlotDesc &s = step.args[i];
    if (!s.isWeight())
      continue;
    out.index[s.key()] = i;
    if (s.dtype != "f32")
      return Error("only f32 parameters are supported by the trainer");
    initialize(static_cast<float *>(out.args[0][i]), s.numElements(), s.init, seed,
               initIndex++);
  }
  // Where each result goes: the other arena's slot of the same name, or a scratch buffer.
  out.scratch.resize(step.results.size());
  for (int k = 0; k < 2; ++k) {
    for (size_t r = 0; r < step.results.size(); ++r) {
      const SlotDesc &s = step.results[r];
      if (const size_t *i = out.indexOf(s)) {
        out.resultPtrs[k].push_back(out.args[1 - k][*i]);
      } else {
        out.scratch[r].assign(s.bytes() + 64, 0);
        out.resultPtrs[k].push_back(out.scratch[r].data());
      }
    }
  }
  // Frozen parameters are not results: both arenas hold them.
  for (size_t i = 0; i < n; ++i)
    if (step.args[i].role == SlotDesc::Param || step.args[i].role == SlotDesc::State)
      std::memcpy(out.args[1][i], out.args[0][i], step.args[i].bytes());
  out.decay = emaDecay;
  out.shadows.resize(n);
  for (size_t i = 0; i < n; ++i)
    if (emaDecay > 0 && step.args[i].role == SlotDesc::Param && !step.args[i].frozen)
      out.shadows[i].resize(step.args[i].numElements());
  return Error();
}

const size_t *Arenas::indexOf(const SlotDesc &slot) const {
  auto it = index.find(slot.key());
  return it == index.end() ? nullptr : &it->second;
}

void Arenas::load(size_t i, const void *bytes, size_t n) {
  std::memcpy(args[0][i], bytes, n);
  std::memcpy(args[1][i], bytes, n);
}

void Arenas::emaFromWeights() {
  for (size_t i = 0; i < shadows.size(); ++i)
    if (!shadows[i].empty())
      std::memcpy(shadows[i].data(), args[cur][i], shadows[i].size() * sizeof(float));
}

void Arenas::updateEma() {
  for (size_t i = 0; i < shadows.size(); ++i) {
    float *shadow = shadows[i].data();
    const float *w = static_cast<const float *>(args[cur][i]);
    // In double, rounded once; two statements, so that no compiler fuses them into an FMA
    // (the tests recompute the shadows bit for bit).
    for (size_t j = 0, n = shadows[i].size(); j < n; ++j) {
      double kept = decay * double(shadow[j]);
      double added = (1 - decay) * double(w[j]);
      shadow[j] = float(kept + added);
    }
  }
}

std::vector<void *> Arenas::evalView(bool withEma) const {
  std::vector<void *> view = args[cur];
  if (withEma)
    for (size_t i = 0; i < shadows.size(); ++i)
      if (!shadows[i].empty())
        view[i] = const_cast<float *>(shadows[i].data());
  return view;
}

} // namespace nnc::runtime
