// Reads one kernel call's integers and scalars from the shared argument
// buffer, checking each value: JS writes the buffer, so nothing read from it
// is trusted (NaN, fractions, negatives and huge values are rejected).
#pragma once
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "addon_state.h"
#include "common/kernel_api.h"
#include "storage.h"

namespace nt {
namespace addon {

class ArgReader {
 public:
  ArgReader(const double* args, size_t n, const char* op) : a_(args), n_(n), op_(op) {}

  double real();  // any finite or non-finite double
  int64_t integer(int64_t lo, int64_t hi, const char* what);
  int64_t size(const char* what) { return integer(0, kMaxSize, what); }
  bool flag(const char* what) { return integer(0, 1, what) != 0; }
  Shape shape();  // ndim then sizes
  // Operand over `shape`: offset then ndim strides; checks every reachable
  // element lies inside `rec`.
  Operand operand(const Shape& shape, const StorageRecord& rec, const char* what);
  // Same for a storage that may be absent: the offset and strides are read
  // either way; an absent one gives data == nullptr.
  Operand optionalOperand(const Shape& shape, const StorageRecord* rec, const char* what);
  // Contiguous block of n elements at an offset read from the buffer.
  void* block(const StorageRecord& rec, int64_t n, const char* what);
  // Same for a storage that may be absent (the offset is read either way).
  void* optionalBlock(const StorageRecord* rec, int64_t n, const char* what);
  // Operand over n contiguous elements (stride 1) from an offset.
  Operand contiguous(const StorageRecord& rec, int64_t n, const char* what);
  // One row-major matrix of a batched GEMM: offset read from the buffer; the
  // last element of the last batch must lie inside `rec`.
  void* matrix(const StorageRecord& rec, int64_t batch, int64_t stride, int64_t rows, int64_t cols, int64_t ld,
               const char* what);
  // A 64-bit seed written as two 32-bit halves (low first).
  uint64_t seed();
  // n sizes; then one block per storage of `list`, numels[k] elements each.
  std::vector<int64_t> sizes(size_t n, const char* what);
  std::vector<void*> blocks(const std::vector<StorageRecord*>& list, const std::vector<int64_t>& numels,
                            const char* what);
  // Product of sizes, rejected above kMaxSize (no int64 overflow).
  int64_t product(std::initializer_list<int64_t> factors) const;
  // Two shapes as one (a reduction's outer then inner dims).
  Shape concat(const Shape& a, const Shape& b) const;
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

// Storage arguments beyond unwrapStorage: an argument that may be null, and a
// JS array of handles (the multi-tensor optimizer lists; null gives an empty
// list when `nullable`).
StorageRecord* optionalStorage(const Napi::CallbackInfo& info, size_t i, const char* op);
std::vector<StorageRecord*> storageList(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what,
                                        bool nullable);
// Reading a list runs JS (array getters), which may dispose a handle read
// earlier: every list is checked again once all of them are read.
void requireLive(const char* op, std::initializer_list<const std::vector<StorageRecord*>*> lists);
// `list` has as many entries as `ref` (or none, when nullable), all on the
// device and of the dtype of ref's first entry.
void checkList(const char* op, const std::vector<StorageRecord*>& list, const std::vector<StorageRecord*>& ref,
               bool nullable, const char* what);

}  // namespace addon
}  // namespace nt
