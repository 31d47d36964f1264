//===- Predict.h - The outputs of a trained model for an .npy file -*- C++ -*-===//
//
// `--predict IN.npy --out OUT.npy --weights CKPT`: the evaluation function over the samples
// of an .npy file (f32, f64 or u8 images, scaled to [0, 1] as in training), batch by batch,
// the last one padded; writes the outputs ([N, C] f32), as probabilities (softmax) for a
// classifier. A function compiled for bytes takes u8 images as they are, and floats that
// are images scaled by 1/255 as the bytes they were.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_PREDICT_H
#define NNC_RUNTIME_PREDICT_H

#include "nnc/Runtime/Error.h"
#include "nnc/Runtime/Npy.h"

#include <cstdint>
#include <functional>
#include <string>

namespace nnc::runtime {

/// How the evaluation function takes a batch and what it returns.
struct PredictShape {
  int64_t batch, sampleElems;
  bool bytesIn;    // The function takes u8 images.
  bool classifier; // The outputs are logits: write their softmax.
  int64_t cols;    // Outputs per sample.
};

/// Runs `run(input batch, output batch)` over the samples of `inPath` and writes the
/// outputs to `outPath`.
/// The outputs for the samples of `in` (u8 or floats, [N, ...]), N rows of `shape.cols`, run
/// batch by batch with `run(input, output)`; `what` names the samples in errors.
Error predictRows(NpyArray in, const std::string &what, const PredictShape &shape,
                  const std::function<void(void *, void *)> &run, std::vector<double> &result);

Error predict(const std::string &inPath, const std::string &outPath, const PredictShape &shape,
              const std::function<void(void *, void *)> &run);

} // namespace nnc::runtime

#endif // NNC_RUNTIME_PREDICT_H
