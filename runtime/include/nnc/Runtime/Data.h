//===- Data.h - Loading training data sets ----------------------*- C++ -*-===//
//
// The `data` setting of a train block names where samples come from:
// Fashion-MNIST or MNIST folders, IDX files, CSV files and .npy files. This
// file turns such a description into two in-memory data sets, training and
// test, in the one layout the batcher and the compiled step consume: a
// contiguous array of samples (each `sampleShape`, C order) and one label or
// target row per sample.
//
// Images stay bytes: the compiled step scales them to floats on the fly
// (featureDtype, nn-byte-inputs), which keeps Fashion-MNIST at 47 MB instead
// of 188 MB and makes copying a batch cheap. Every other source is converted
// to f32 once, here.
//
// Like the rest of the runtime, loading never crashes and never aborts: files
// come from users, so every count, size and value is checked and a failure is
// a string "PATH: reason" that says what was expected and what was found.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_DATA_H
#define NNC_RUNTIME_DATA_H

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::runtime {

/// One `data = ...` record of a train block (docs/language.md). Field names
/// are the record's argument names in camelCase (`test_images` is
/// `testImages`); an empty string means "not given".
struct DataConfig {
  /// "fashion_mnist", "mnist", "idx", "csv" or "npy".
  std::string kind = "fashion_mnist";
  /// fashion_mnist/mnist: the folder holding train-images-idx3-ubyte,
  /// train-labels-idx1-ubyte, t10k-images-idx3-ubyte and
  /// t10k-labels-idx1-ubyte, each optionally gzipped (".gz"). Empty means
  /// /usr/share/datasets/fashion-mnist for fashion_mnist. csv: the file.
  std::string path;
  /// idx: the image and label files (gzipped or not); the test pair is optional.
  std::string images, labels, testImages, testLabels;
  /// npy: the feature and label arrays; the test pair is optional.
  std::string x, y, testX, testY;
  /// csv: an optional test file read with the same settings as `path`.
  std::string test;
  /// csv: the label column; negative counts from the end (-1 is the last).
  int64_t label = -1;
  /// csv: lines skipped before anything else (iris.csv's count line).
  int64_t skipRows = 0;
  /// csv: whether a line of column names follows the skipped rows.
  bool header = false;
  /// csv: the field separator, one character.
  std::string delimiter = ",";
  /// csv: this fraction of the rows, picked by a shuffle with a fixed seed (so the same
  /// rows every run), becomes the test set; 0 means none. Exclusive with `test`.
  double testFraction = 0;
  /// Relative paths resolve against this folder (the .nn file's folder);
  /// empty means the working directory.
  std::string baseDir;
};

/// What the caller needs from the labels, and how much data.
struct LoadOptions {
  /// Classification: labels are integer class indices 0..C-1 (`labels`).
  /// Otherwise regression: float targets (`targets`).
  bool wantIntLabels = true;
  /// The number of classes the model predicts; labels outside [0, C) are
  /// errors. 0 infers it as the largest label + 1 (10 for the MNISTs).
  int64_t numClasses = 0;
  /// Caps the training set at this many samples (the first ones); 0 = all.
  int64_t limit = 0;
};

/// Samples in memory: `size` samples of `sampleShape` each, contiguous in C
/// order, with one label (classification) or one row of `targetWidth`
/// targets (regression) per sample.
struct Dataset {
  std::vector<int64_t> sampleShape;
  /// Features are bytes in `u8` (images) when true, floats in `f32` otherwise.
  bool isU8 = false;
  std::vector<uint8_t> u8;
  std::vector<float> f32;

  /// Labels in `labels` when true, targets in `targets` otherwise.
  bool intLabels = true;
  std::vector<int32_t> labels;
  std::vector<float> targets;
  /// Labels (classification: one per position of a sequence, 1 otherwise) or targets
  /// (regression) per sample.
  int64_t targetWidth = 1;

  int64_t size = 0;
  /// Classification: the number of classes (labels are in [0, numClasses)).
  int64_t numClasses = 0;

  /// Elements in one sample (the product of `sampleShape`).
  int64_t sampleNumel() const;
  /// Bytes of one sample's features (1 or 4 per element).
  int64_t sampleBytes() const;
};

/// Loads the training set and, where the config has one, the test set
/// (otherwise `test.size` is 0). Relative paths resolve against
/// `config.baseDir`. Returns "" on success or "PATH: reason".
std::string loadData(const DataConfig &config, const LoadOptions &options, Dataset &train,
                     Dataset &test);

/// The element type of the training samples `config` describes, without loading them: "u8"
/// (images as bytes: the MNISTs, IDX files of bytes, .npy files of |u1), "f32" (everything
/// else, converted on loading), or "" when a file cannot be read (loading will say why).
/// Trainers are compiled for it: the step takes bytes and scales them itself.
std::string featureDtype(const DataConfig &config);

/// The samples of the training file `config` names, from its header alone (IDX and .npy
/// files, the MNISTs), without loading it: at most the training set's size (a test fraction
/// or a validation split takes some). -1 when unknown (CSV) or unreadable (loading will say
/// why). nnc-train checks the batch against it before compiling.
int64_t trainingSamples(const DataConfig &config);

/// Moves the last `fraction` of `from` (in its current order) into `part`:
/// the validation split `split(fraction)`. Both must keep at least one
/// sample. Returns "" or the reason.
std::string splitOff(Dataset &from, double fraction, Dataset &part);

/// Permutes the samples of `d` deterministically from `seed` (Fisher–Yates).
void shuffleRows(Dataset &d, uint64_t seed);

} // namespace nnc::runtime

#endif // NNC_RUNTIME_DATA_H
