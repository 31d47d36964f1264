//===- Safetensors.cpp - Checkpoints in the safetensors format ------------===//
//
// The header is JSON, read by the runtime's parser (Json.h): numbers stay
// text until a use asks for an integer, so that "1e3" or "-0" in a shape is
// refused instead of rounded, and duplicate keys (two entries for one tensor
// name) are refused.
//
// The validation of a loaded file follows the reference implementation
// (huggingface/safetensors): the header length must fit in the file, each
// tensor's byte range must match its dtype and shape, and the ranges, sorted,
// must tile the data section exactly: no overlap, no gap, nothing after the
// last tensor.
//
// Saving writes the whole file under a temporary name, fsyncs it, renames it
// over the target (atomic on POSIX file systems) and fsyncs the folder so the
// rename itself survives a power loss. A process killed in the middle of a
// save leaves its temporary file behind; the next successful save of the same
// path removes those of processes that no longer run.
//
//===----------------------------------------------------------------------===//

#include "nnc/Runtime/Safetensors.h"
#include "nnc/Runtime/Json.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>
#include <utility>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace nnc::runtime {

namespace {

/// The reference implementation refuses headers above 100 MB; so do we.
constexpr uint64_t kMaxHeaderSize = 100000000;
/// Bound on the bytes a shape may describe (2^48): keeps products exact.
constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 48;

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// The bytes a tensor of `shape` and `dtype` occupies, or false when the
/// shape is negative or too large.
bool tensorBytes(const std::vector<int64_t> &shape, DType dtype, uint64_t &bytes) {
  bytes = dtypeSize(dtype);
  for (int64_t d : shape) {
    if (d < 0)
      return false;
    if (d != 0 && bytes > kMaxTensorBytes / uint64_t(d))
      return false;
    bytes *= uint64_t(d);
  }
  return true;
}

bool parseDType(const std::string &name, DType &dtype) {
  static const std::pair<const char *, DType> table[] = {{"F32", DType::F32},
                                                         {"F64", DType::F64},
                                                         {"I32", DType::I32},
                                                         {"I64", DType::I64},
                                                         {"U8", DType::U8}};
  for (const auto &entry : table)
    if (name == entry.first) {
      dtype = entry.second;
      return true;
    }
  return false;
}

std::string writeAll(int fd, const void *data, size_t size) {
  const uint8_t *p = static_cast<const uint8_t *>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, std::min<size_t>(size, size_t(1) << 30));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return std::strerror(errno);
    }
    p += n;
    size -= size_t(n);
  }
  return "";
}

std::string readAt(int fd, void *data, size_t size, uint64_t offset) {
  uint8_t *p = static_cast<uint8_t *>(data);
  while (size > 0) {
    ssize_t n = ::pread(fd, p, std::min<size_t>(size, size_t(1) << 30), off_t(offset));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return std::string("read error: ") + std::strerror(errno);
    }
    if (n == 0)
      return "the file ended while reading (was it truncated meanwhile?)";
    p += n;
    size -= size_t(n);
    offset += uint64_t(n);
  }
  return "";
}

std::string parentDir(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

/// Removes the files "NAME.tmp.<pid>" next to `path` (NAME its file name) that
/// saves by processes no longer running left behind. Best effort: errors are
/// ignored, and a file of a live process (or one we may not probe) is kept.
void removeStaleTemporaries(const std::string &path) {
  size_t slash = path.find_last_of('/');
  std::string prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp.";
  DIR *dir = ::opendir(parentDir(path).c_str());
  if (!dir)
    return;
  while (const dirent *entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0)
      continue;
    std::string digits = name.substr(prefix.size());
    if (digits.size() > 9 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    pid_t pid = pid_t(std::strtol(digits.c_str(), nullptr, 10));
    if (pid <= 0 || pid == ::getpid() || ::kill(pid, 0) == 0 || errno != ESRCH)
      continue;
    ::unlinkat(::dirfd(dir), name.c_str(), 0);
  }
  ::closedir(dir);
}

/// Closes a file descriptor on every path out of a function.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0)
      ::close(fd);
  }
};

/// Checks the header of a file whose data section holds `dataSize` bytes
/// and describes its tensors in `out` (without their bytes).
std::string checkHeader(const Json &root, uint64_t dataSize, std::vector<LoadedTensor> &out,
                        std::vector<std::pair<uint64_t, uint64_t>> &ranges,
                        std::map<std::string, std::string> &metadata) {
  if (root.kind != Json::Object)
    return std::string("the header is ") + jsonKindName(root.kind) + ", expected an object";
  for (const auto &[name, value] : root.members) {
    if (name == "__metadata__") {
      if (value.kind != Json::Object)
        return std::string("__metadata__ is ") + jsonKindName(value.kind) + ", expected an object";
      for (const auto &[key, v] : value.members) {
        if (v.kind != Json::String)
          return "__metadata__ entry \"" + key + "\" is " + jsonKindName(v.kind) +
                 ", expected a string";
        metadata[key] = v.text;
      }
      continue;
    }
    // The writer refuses an empty name, so the reader does too: a file it accepted must save
    // back (found by fuzz/FuzzSafetensors.cpp).
    if (name.empty())
      return "a tensor has an empty name";
    std::string what = "tensor '" + name + "'";
    if (value.kind != Json::Object)
      return what + " is " + jsonKindName(value.kind) + ", expected an object";
    const Json *dtype = value.find("dtype");
    const Json *shape = value.find("shape");
    const Json *offsets = value.find("data_offsets");
    if (!dtype || !shape || !offsets)
      return what + " lacks \"" + (!dtype ? "dtype" : !shape ? "shape" : "data_offsets") + "\"";
    LoadedTensor t;
    t.name = name;
    if (dtype->kind != Json::String)
      return what + ": dtype is " + jsonKindName(dtype->kind) + ", expected a string";
    if (!parseDType(dtype->text, t.dtype)) {
      static const char *known[] = {"BOOL", "I8",  "I16",  "U16",     "U32",
                                    "U64",  "F16", "BF16", "F8_E4M3", "F8_E5M2"};
      for (const char *k : known)
        if (dtype->text == k)
          return what + ": unsupported dtype '" + dtype->text +
                 "' (supported: F32, F64, I32, I64, U8)";
      return what + ": unknown dtype '" + dtype->text + "'";
    }
    if (shape->kind != Json::Array)
      return what + ": shape is " + jsonKindName(shape->kind) + ", expected an array";
    for (const Json &d : shape->items) {
      uint64_t v;
      if (!d.asIndex(v) || v > kMaxTensorBytes)
        return what + ": shape holds " +
               (d.kind == Json::Number ? "'" + d.text + "'" : std::string(jsonKindName(d.kind))) +
               ", expected non-negative integers";
      t.shape.push_back(int64_t(v));
    }
    uint64_t expected;
    if (!tensorBytes(t.shape, t.dtype, expected))
      return what + ": shape " + shapeString(t.shape) + " is too large";
    uint64_t begin, end;
    if (offsets->kind != Json::Array || offsets->items.size() != 2 ||
        !offsets->items[0].asIndex(begin) || !offsets->items[1].asIndex(end))
      return what + ": data_offsets must be an array of two non-negative integers";
    if (begin > end)
      return what + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
             "] end before they begin";
    if (end > dataSize)
      return what + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
             "] run past the end of the data (" + std::to_string(dataSize) + " bytes)";
    if (end - begin != expected)
      return what + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
             "] hold " + std::to_string(end - begin) + " bytes, but shape " + shapeString(t.shape) +
             " of " + dtypeName(t.dtype) + " needs " + std::to_string(expected);
    out.push_back(std::move(t));
    ranges.emplace_back(begin, end);
  }

  // Sort by offsets (ties by header position, so zero-size tensors keep the
  // header order) and require the ranges to tile [0, dataSize).
  std::vector<size_t> index(out.size());
  for (size_t i = 0; i < index.size(); ++i)
    index[i] = i;
  std::sort(index.begin(), index.end(), [&](size_t a, size_t b) {
    return std::make_pair(ranges[a], a) < std::make_pair(ranges[b], b);
  });
  uint64_t covered = 0;
  for (size_t k = 0; k < index.size(); ++k) {
    const auto &[begin, end] = ranges[index[k]];
    if (begin < covered)
      return "tensors '" + out[index[k - 1]].name + "' and '" + out[index[k]].name +
             "' overlap (bytes " + std::to_string(begin) + " to " + std::to_string(covered) + ")";
    if (begin > covered)
      return "a gap of " + std::to_string(begin - covered) + " bytes before tensor '" +
             out[index[k]].name + "' (at offset " + std::to_string(covered) + ")";
    covered = end;
  }
  if (covered != dataSize)
    return std::to_string(dataSize - covered) + " bytes after the last tensor belong to none";
  std::vector<LoadedTensor> sorted;
  std::vector<std::pair<uint64_t, uint64_t>> sortedRanges;
  for (size_t i : index) {
    sorted.push_back(std::move(out[i]));
    sortedRanges.push_back(ranges[i]);
  }
  out = std::move(sorted);
  ranges = std::move(sortedRanges);
  return "";
}

} // namespace

const char *dtypeName(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return "F32";
  case DType::F64:
    return "F64";
  case DType::I32:
    return "I32";
  case DType::I64:
    return "I64";
  case DType::U8:
    return "U8";
  }
  return "?";
}

size_t dtypeSize(DType dtype) {
  switch (dtype) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::U8:
    return 1;
  }
  return 0;
}

int64_t LoadedTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::string saveSafetensors(const std::string &path, const std::vector<TensorView> &tensors,
                            const std::map<std::string, std::string> &metadata) {
  auto fail = [&](const std::string &reason) { return path + ": " + reason; };

  // The header, checking the tensors as it goes.
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto &[key, value] : metadata) {
      if (!first)
        header += ',';
      first = false;
      appendJsonString(header, key);
      header += ':';
      appendJsonString(header, value);
    }
    header += '}';
  }
  std::set<std::string> names;
  std::vector<uint64_t> sizes;
  uint64_t offset = 0;
  for (const TensorView &t : tensors) {
    if (t.name.empty() || t.name == "__metadata__")
      return fail("invalid tensor name '" + t.name + "'");
    if (!names.insert(t.name).second)
      return fail("duplicate tensor name '" + t.name + "'");
    uint64_t bytes;
    if (!tensorBytes(t.shape, t.dtype, bytes))
      return fail("tensor '" + t.name + "' has an invalid shape " + shapeString(t.shape));
    if (bytes && !t.data)
      return fail("tensor '" + t.name + "' has no data");
    if (header.size() > 1)
      header += ',';
    appendJsonString(header, t.name);
    header += ":{\"dtype\":\"";
    header += dtypeName(t.dtype);
    header += "\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i)
      header += (i ? "," : "") + std::to_string(t.shape[i]);
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
    offset += bytes;
    sizes.push_back(bytes);
  }
  header += '}';
  // Pad so that the data starts 8-byte aligned, as the reference writer does.
  header.append((8 - header.size() % 8) % 8, ' ');
  uint8_t prefix[8];
  for (int i = 0; i < 8; ++i)
    prefix[i] = uint8_t(uint64_t(header.size()) >> (8 * i));

  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return fail("cannot create the temporary file " + tmp + ": " + std::strerror(errno));
  auto abandon = [&](const std::string &reason) {
    if (fd >= 0)
      ::close(fd);
    ::unlink(tmp.c_str());
    return fail(reason + "; the previous file, if any, is unchanged");
  };
  std::string err = writeAll(fd, prefix, 8);
  if (err.empty())
    err = writeAll(fd, header.data(), header.size());
  for (size_t i = 0; i < tensors.size() && err.empty(); ++i)
    err = writeAll(fd, tensors[i].data, size_t(sizes[i]));
  if (!err.empty())
    return abandon("cannot write " + tmp + ": " + err);
  if (::fsync(fd) != 0)
    return abandon("cannot flush " + tmp + " to disk: " + std::strerror(errno));
  int closed = ::close(fd);
  fd = -1;
  if (closed != 0)
    return abandon("cannot write " + tmp + ": " + std::strerror(errno));
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return abandon("cannot rename " + tmp + " over it: " + std::strerror(errno));
  removeStaleTemporaries(path);

  // Make the rename durable. Some file systems cannot fsync a folder
  // (EINVAL); the file is in place then, as durable as they allow.
  std::string dir = parentDir(path);
  int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0)
    return fail("saved, but cannot open the folder " + dir +
                " to flush it: " + std::strerror(errno));
  FdCloser closer{dirFd};
  if (::fsync(dirFd) != 0 && errno != EINVAL && errno != EROFS)
    return fail("saved, but cannot flush the folder " + dir + ": " + std::strerror(errno));
  return "";
}

std::string loadSafetensors(const std::string &path, std::vector<LoadedTensor> &out,
                            std::map<std::string, std::string> &metadata) {
  auto fail = [&](const std::string &reason) { return path + ": " + reason; };
  out.clear();
  metadata.clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(std::string("cannot open the file: ") + std::strerror(errno));
  FdCloser closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return fail(std::string("cannot read the file: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return fail(S_ISDIR(st.st_mode) ? "is a directory, not a file" : "not a regular file");
  uint64_t fileSize = uint64_t(st.st_size);
  if (fileSize < 8)
    return fail("truncated: " + std::to_string(fileSize) +
                " bytes, too short for the 8-byte header length");
  uint8_t prefix[8];
  std::string err = readAt(fd, prefix, 8, 0);
  if (!err.empty())
    return fail(err);
  uint64_t headerSize = 0;
  for (int i = 0; i < 8; ++i)
    headerSize |= uint64_t(prefix[i]) << (8 * i);
  if (headerSize > kMaxHeaderSize)
    return fail("header length " + std::to_string(headerSize) + " exceeds the limit of " +
                std::to_string(kMaxHeaderSize) + " bytes");
  if (headerSize > fileSize - 8)
    return fail("header length " + std::to_string(headerSize) + " runs past the end of the file (" +
                std::to_string(fileSize) + " bytes)");
  if (headerSize < 2)
    return fail("header length " + std::to_string(headerSize) + " is too short for a JSON object");
  std::string header(size_t(headerSize), '\0');
  err = readAt(fd, header.data(), header.size(), 8);
  if (!err.empty())
    return fail(err);
  if (header[0] != '{')
    return fail("the header does not start with '{'");

  Json root;
  err = parseJson(header, root, "header");
  if (!err.empty())
    return fail(err);
  uint64_t dataStart = 8 + headerSize;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  err = checkHeader(root, fileSize - dataStart, out, ranges, metadata);
  if (!err.empty())
    return fail(err);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i].bytes.resize(size_t(ranges[i].second - ranges[i].first));
    err = readAt(fd, out[i].bytes.data(), out[i].bytes.size(), dataStart + ranges[i].first);
    if (!err.empty())
      return fail(err);
  }
  return "";
}

} // namespace nnc::runtime
