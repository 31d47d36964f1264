//===- Error.h - An error that ends a run, as a value -----------*- C++ -*-===//
//
// The parts of the training loop report what ends a run (a bad checkpoint, data that does not
// fit the model, a non-finite loss, a save that failed) by returning an Error, which travels
// up to the tool: it prints "<tool>: <message>" and exits with code 1. Nothing below the tool
// prints an error or exits, so every part can be unit-tested.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_ERROR_H
#define NNC_RUNTIME_ERROR_H

#include <string>
#include <utility>

namespace nnc::runtime {

/// Success (the default), or the message of what went wrong, phrased for "<tool>: <message>".
class [[nodiscard]] Error {
public:
  Error() = default;
  /// An error; an empty message is success, which lets the functions that return an error as
  /// text ("" for none) be wrapped as they are.
  explicit Error(std::string message) : text(std::move(message)) {}

  explicit operator bool() const { return !text.empty(); }
  const std::string &message() const { return text; }

private:
  std::string text;
};

} // namespace nnc::runtime

#endif // NNC_RUNTIME_ERROR_H
