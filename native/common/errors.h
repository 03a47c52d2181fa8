// Errors thrown by native code. The addon turns each into the matching
// JavaScript error class (lib/errors.ts); kinds are shared by number.
#pragma once
#include <stdexcept>
#include <string>

namespace nt {

enum class ErrorKind : int {
  Native = 0,     // anything else
  Shape = 1,
  DType = 2,
  Device = 3,
  Disposed = 4,
  Index = 5,      // index value out of range
  Argument = 6,   // malformed argument (bad type, NaN size, ...)
  Cuda = 7,
  OutOfMemory = 8,
  NotCompiled = 9,  // built without CUDA
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& msg) : std::runtime_error(msg), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace nt
