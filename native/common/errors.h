// Errors thrown by native code. The addon turns each into the matching
// JavaScript error class (lib/errors.ts); the kinds are generated from
// native/op_table.js (codes.gen.h).
#pragma once
#include <stdexcept>
#include <string>

#include "codes.gen.h"

namespace nt {

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& msg) : std::runtime_error(msg), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace nt
