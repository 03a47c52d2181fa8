// Reads one kernel call's integers and scalars from the shared argument
// buffer, checking each value: JS writes the buffer, so nothing read from it
// is trusted (NaN, fractions, negatives and huge values are rejected).
#pragma once
#include <cstdint>
#include <string>

#include "addon_state.h"
#include "common/kernel_api.h"
#include "storage.h"

namespace nt {
namespace addon {

class ArgReader {
 public:
  ArgReader(const double* args, size_t n, const char* op) : a_(args), n_(n), op_(op) {}

  double real();                               // any finite or non-finite double
  int64_t integer(int64_t lo, int64_t hi, const char* what);
  int64_t size(const char* what) { return integer(0, kMaxSize, what); }
  bool flag(const char* what) { return integer(0, 1, what) != 0; }
  Shape shape();                               // ndim then sizes
  // Operand over `shape`: offset then ndim strides; checks every reachable
  // element lies inside `rec`.
  Operand operand(const Shape& shape, const StorageRecord& rec, const char* what);
  // Contiguous block of n elements at an offset read from the buffer.
  void* block(const StorageRecord& rec, int64_t n, const char* what);
  const char* op() const { return op_; }

  static constexpr int64_t kMaxSize = int64_t(1) << 50;

 private:
  const double* a_;
  size_t n_;
  size_t i_ = 0;
  const char* op_;
};

[[noreturn]] void argError(const char* op, const std::string& msg);

// Dtype and device checks shared by the kernel bindings.
void requireDtype(const char* op, const StorageRecord& rec, DType dt, const char* what);
void requireSameDtype(const char* op, const StorageRecord& a, const StorageRecord& b);
void requireFloat(const char* op, const StorageRecord& rec, const char* what);
void requireIndex(const char* op, const StorageRecord& rec, const char* what);
void requireSameDevice(const char* op, const StorageRecord& a, const StorageRecord& b);

}  // namespace addon
}  // namespace nt
