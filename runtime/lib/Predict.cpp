//===- Predict.cpp - The outputs of a trained model for an .npy file ------===//
//
// The samples are converted once to what the function takes (bytes or floats); a float
// array given to a function that takes bytes must hold images (k/255 for a byte k), or it
// is refused naming the first element that is not.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Predict.h"
#include "nnc/Runtime/Batches.h"
#include "nnc/Runtime/Npy.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

namespace nnc::runtime {

namespace {

/// Floats that are images scaled by 1/255 back into the bytes they were.
Error floatsToBytes(const std::string &what, const NpyArray &in, std::vector<uint8_t> &bytes) {
  std::vector<double> x = in.toDoubles();
  bytes.resize(x.size());
  for (size_t j = 0; j < x.size(); ++j) {
    double v = x[j] * 255, k = std::nearbyint(v);
    if (!(k >= 0 && k <= 255 && std::fabs(v - k) < 1e-3)) {
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.9g", x[j]);
      return Error(what + ": this model takes images as bytes (u8, as its train "
                   "block's data holds them), but element " + std::to_string(j) + " of this " +
                   in.dtype + " array, " + buf + ", is not a byte divided by 255; pass the "
                   "images as u8");
    }
    bytes[j] = uint8_t(k);
  }
  return Error();
}

/// Appends a batch's first `rows` outputs, as probabilities for a classifier.
void appendOutputs(const std::vector<float> &out, int64_t rows, const PredictShape &shape,
                   std::vector<double> &result) {
  int64_t cols = shape.cols;
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = out.data() + r * cols;
    if (!shape.classifier) {
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

} // namespace

Error predictRows(NpyArray in, const std::string &what, const PredictShape &shape,
                  const std::function<void(void *, void *)> &run, std::vector<double> &result) {
  int64_t n = in.shape.empty() ? 0 : in.shape[0], sampleElems = shape.sampleElems;
  if (n == 0 || in.numel() != n * sampleElems)
    return Error(what + ": expected samples of " + std::to_string(sampleElems) +
                 " values each ([N, ...] with the model's input shape), found " +
                 std::to_string(in.numel()) + " values in " + std::to_string(n) + " rows");
  // The samples as the function takes them: bytes, or floats.
  std::vector<uint8_t> bytes;
  std::vector<float> floats;
  if (in.dtype == "|u1" && shape.bytesIn) {
    bytes = std::move(in.bytes);
  } else if (in.dtype == "|u1") {
    floats.resize(in.bytes.size());
    scaleBytes(in.bytes.data(), floats.data(), int64_t(floats.size()));
  } else if (shape.bytesIn) {
    if (Error e = floatsToBytes(what, in, bytes))
      return e;
  } else {
    std::vector<double> x = in.toDoubles();
    floats.assign(x.begin(), x.end());
  }
  size_t width = shape.bytesIn ? 1 : sizeof(float);
  const char *samples = shape.bytesIn ? reinterpret_cast<const char *>(bytes.data())
                                      : reinterpret_cast<const char *>(floats.data());
  int64_t batch = shape.batch;
  std::vector<char> x(batch * sampleElems * width);
  std::vector<float> out(batch * shape.cols);
  result.clear();
  result.reserve(n * shape.cols);
  for (int64_t first = 0; first < n; first += batch) {
    int64_t rows = std::min(batch, n - first);
    std::fill(x.begin(), x.end(), 0);
    std::memcpy(x.data(), samples + first * sampleElems * width, rows * sampleElems * width);
    run(x.data(), out.data());
    appendOutputs(out, rows, shape, result);
  }
  return Error();
}

Error predict(const std::string &inPath, const std::string &outPath, const PredictShape &shape,
              const std::function<void(void *, void *)> &run) {
  NpyArray in;
  std::string err = readNpy(inPath, in);
  if (!err.empty())
    return Error("--predict: " + err);
  int64_t n = in.shape.empty() ? 0 : in.shape[0];
  std::vector<double> result;
  if (Error e = predictRows(std::move(in), "--predict: " + inPath, shape, run, result))
    return e;
  err = writeNpy(outPath, NpyArray::fromDoubles("<f4", {n, shape.cols}, result));
  if (!err.empty())
    return Error("--out: " + err);
  std::printf("wrote %s of %lld samples to %s\n",
              shape.classifier ? "the probabilities" : "the outputs", (long long)n,
              outPath.c_str());
  return Error();
}

} // namespace nnc::runtime
