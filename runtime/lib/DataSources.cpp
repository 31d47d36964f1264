//===- DataSources.cpp - The data sources: IDX, MNIST, .npy and CSV ------===//
//
// One loader per kind of source; each reads through DataReaders.h and leaves the labels to
// setLabels, so that every source reports a bad label the same way.
//
//===----------------------------------------------------------------------===//

#include "DataReaders.h"

namespace nnc::runtime::detail {

std::string loadIdxPair(const std::string &imagesPath, const std::string &labelsPath,
                        bool mnistLayout, const LoadOptions &options, Dataset &ds) {
  IdxArray images, labels;
  std::string err = readIdx(imagesPath, "images", images);
  if (!err.empty())
    return err;
  err = readIdx(labelsPath, "labels", labels);
  if (!err.empty())
    return err;
  if (mnistLayout) {
    if (images.type != 0x08 || images.dims.size() != 3)
      return imagesPath +
             ": expected unsigned-byte images of rank 3 (count, rows, columns), "
             "found rank " +
             std::to_string(images.dims.size());
    if (labels.dims.size() != 1)
      return labelsPath + ": expected labels of rank 1, found rank " +
             std::to_string(labels.dims.size());
  }
  if (labels.count() != images.count())
    return labelsPath + ": " + std::to_string(labels.count()) + " labels for " +
           std::to_string(images.count()) + " images in " + imagesPath;
  if (images.count() == 0)
    return imagesPath + ": the data set is empty (0 images)";

  ds.size = images.count();
  if (images.dims.size() == 3)
    ds.sampleShape = {1, images.dims[1], images.dims[2]}; // channel first
  else if (images.dims.size() == 1)
    ds.sampleShape = {1};
  else
    ds.sampleShape.assign(images.dims.begin() + 1, images.dims.end());
  if (ds.sampleNumel() == 0)
    return imagesPath + ": the samples are empty (shape " + dimsString(ds.sampleShape) + ")";
  if (images.type == 0x08) {
    ds.isU8 = true;
    ds.u8 = std::move(images.raw);
  } else {
    ds.isU8 = false;
    size_t n = images.raw.size() / idxTypeSize(images.type);
    ds.f32.resize(n);
    for (size_t k = 0; k < n; ++k) {
      double v = idxElement(images, k);
      if (!std::isfinite(v))
        return imagesPath + ": element " + std::to_string(k) + " is " + num(v) +
               ", not a finite number";
      ds.f32[k] = float(v);
    }
  }
  std::vector<double> values(labels.raw.size() / idxTypeSize(labels.type));
  for (size_t k = 0; k < values.size(); ++k)
    values[k] = idxElement(labels, k);
  return setLabels(labelsPath, values, labels.itemNumel(), options, ds);
}

std::string loadNpyPair(const std::string &xPath, const std::string &yPath,
                        const LoadOptions &options, Dataset &ds) {
  NpyArray x, y;
  std::string err = readNpy(xPath, x);
  if (!err.empty())
    return err;
  err = readNpy(yPath, y);
  if (!err.empty())
    return err;
  if (x.shape.empty())
    return xPath + ": expected an array of samples (rank >= 1), found a scalar";
  if (y.shape.empty())
    return yPath + ": expected one label or target row per sample (rank >= 1), found a scalar";
  if (y.shape[0] != x.shape[0])
    return yPath + ": " + std::to_string(y.shape[0]) + " labels for " + std::to_string(x.shape[0]) +
           " samples in " + xPath;
  if (x.shape[0] == 0)
    return xPath + ": the data set is empty (0 samples)";

  ds.size = x.shape[0];
  ds.sampleShape.assign(x.shape.begin() + 1, x.shape.end());
  if (ds.sampleShape.empty())
    ds.sampleShape = {1};
  if (ds.sampleNumel() == 0)
    return xPath + ": the samples are empty (shape " + dimsString(ds.sampleShape) + ")";
  if (x.dtype == "|u1") {
    ds.isU8 = true;
    ds.u8 = std::move(x.bytes);
  } else {
    ds.isU8 = false;
    err = npyToFloats(xPath, x, ds.sampleNumel(), ds.f32);
    if (!err.empty())
      return err;
  }
  int64_t width = 1;
  for (size_t i = 1; i < y.shape.size(); ++i)
    width *= y.shape[i];
  return setLabels(yPath, y.toDoubles(), width, options, ds);
}


/// Parses one numeric field. from_chars is locale-independent and rejects
/// trailing garbage; a leading '+' is allowed as spreadsheets write it.
bool parseNumber(const char *begin, const char *end, double &value) {
  if (begin < end && *begin == '+')
    ++begin;
  if (begin == end)
    return false;
  auto [ptr, ec] = std::from_chars(begin, end, value);
  return ec == std::errc() && ptr == end;
}

/// Reads the CSV file at `path` into `ds`. `numFields` is the field count of
/// the training file (0 when this is the training file; then it is set).
std::string loadCsv(const std::string &path, const CsvSettings &s, const LoadOptions &options,
                    int64_t &numFields, Dataset &ds) {
  auto fail = [&](const std::string &reason) { return path + ": " + reason; };
  GzReader in;
  std::string err = in.open(path);
  if (!err.empty())
    return fail(err);
  std::vector<uint8_t> bytes;
  in.readInto(bytes, kMaxBytes);
  if (!in.error.empty())
    return fail(in.error);
  const char *text = reinterpret_cast<const char *>(bytes.data());
  size_t size = bytes.size();

  ds.isU8 = false;
  ds.f32.clear();
  std::vector<double> labelValues;
  int64_t labelColumn = -1;
  int64_t lineNo = 0, rows = 0;
  size_t pos = 0;
  std::vector<std::pair<const char *, const char *>> fields;
  while (pos < size) {
    size_t eol = pos;
    while (eol < size && text[eol] != '\n')
      ++eol;
    const char *lineBegin = text + pos, *lineEnd = text + eol;
    pos = eol + 1;
    ++lineNo;
    if (lineEnd > lineBegin && lineEnd[-1] == '\r')
      --lineEnd;
    if (lineNo <= s.skipRows || (s.header && lineNo == s.skipRows + 1))
      continue;
    auto isBlank = [](char c) { return c == ' ' || c == '\t'; };
    const char *p = lineBegin;
    while (p < lineEnd && isBlank(*p))
      ++p;
    if (p == lineEnd)
      continue; // blank lines separate nothing; skip them as pandas does

    fields.clear();
    const char *fieldBegin = lineBegin;
    for (const char *q = lineBegin;; ++q) {
      if (q == lineEnd || *q == s.delimiter) {
        fields.push_back({fieldBegin, q});
        if (q == lineEnd)
          break;
        fieldBegin = q + 1;
      }
    }
    std::string where = path + ":" + std::to_string(lineNo);
    if (numFields == 0) {
      numFields = int64_t(fields.size());
      if (numFields < 2)
        return where + ": expected a label and at least one feature, found " +
               std::to_string(numFields) + " field";
    }
    if (int64_t(fields.size()) != numFields)
      return where + ": expected " + std::to_string(numFields) + " fields, found " +
             std::to_string(fields.size());
    if (labelColumn < 0) {
      labelColumn = s.label < 0 ? numFields + s.label : s.label;
      if (labelColumn < 0 || labelColumn >= numFields)
        return fail("label column " + std::to_string(s.label) + " is out of range for rows of " +
                    std::to_string(numFields) + " fields (expected " + std::to_string(-numFields) +
                    " to " + std::to_string(numFields - 1) + ")");
    }
    for (int64_t f = 0; f < numFields; ++f) {
      const char *b = fields[size_t(f)].first, *e = fields[size_t(f)].second;
      while (b < e && isBlank(*b))
        ++b;
      while (e > b && isBlank(e[-1]))
        --e;
      if (e - b >= 2 && *b == '"' && e[-1] == '"')
        ++b, --e;
      double v;
      std::string col = where + ":" + std::to_string(fields[size_t(f)].first - lineBegin + 1);
      if (!parseNumber(b, e, v)) {
        std::string found = b == e ? "an empty field" : "'" + std::string(b, e) + "'";
        if (f == labelColumn && s.wantIntLabels)
          return col + ": expected an integer class label, found " + found;
        return col + ": expected a number in field " + std::to_string(f + 1) + ", found " + found;
      }
      if (!std::isfinite(v))
        return col + ": expected a finite number in field " + std::to_string(f + 1) + ", found '" +
               std::string(b, e) + "'";
      if (f == labelColumn) {
        if (s.wantIntLabels && v != std::floor(v))
          return col + ": expected an integer class label, found '" + std::string(b, e) + "'";
        labelValues.push_back(v);
      } else {
        ds.f32.push_back(float(v));
      }
    }
    ++rows;
  }
  if (rows == 0)
    return fail("the data set is empty (no data rows after " + std::to_string(lineNo) +
                " line(s))");
  ds.size = rows;
  ds.sampleShape = {numFields - 1};
  return setLabels(path, labelValues, 1, options, ds);
}

std::string mnistFile(const std::string &dir, const char *base) {
  std::string plain = dir + "/" + base;
  if (fileExists(plain))
    return plain;
  if (fileExists(plain + ".gz"))
    return plain + ".gz";
  return "";
}

std::string loadMnist(const std::string &dir, const LoadOptions &options, Dataset &train,
                      Dataset &test) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0)
    return dir + ": cannot open the data folder: " + std::strerror(errno);
  if (!S_ISDIR(st.st_mode))
    return dir + ": expected a folder holding the MNIST-layout files, found a file";
  const char *names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"};
  std::string paths[4];
  for (int i = 0; i < 4; ++i) {
    paths[i] = mnistFile(dir, names[i]);
    if (paths[i].empty())
      return dir + "/" + names[i] + ": no such file, gzipped (.gz) or not";
  }
  std::string err = loadIdxPair(paths[0], paths[1], true, options, train);
  if (!err.empty())
    return err;
  return loadIdxPair(paths[2], paths[3], true, options, test);
}

} // namespace nnc::runtime::detail
