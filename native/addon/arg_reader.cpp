// See arg_reader.h.
#include "arg_reader.h"

#include <cmath>

namespace nt {
namespace addon {

void argError(const char* op, const std::string& msg) {
  throw Error(ErrorKind::Argument, std::string(op) + ": " + msg);
}

double ArgReader::real() {
  if (i_ >= n_) argError(op_, "argument buffer overrun");
  return a_[i_++];
}

int64_t ArgReader::integer(int64_t lo, int64_t hi, const char* what) {
  const double v = real();
  if (!std::isfinite(v) || v != std::floor(v) || v < static_cast<double>(lo) || v > static_cast<double>(hi)) {
    argError(op_, std::string(what) + " must be an integer in [" + std::to_string(lo) + ", " +
                      std::to_string(hi) + "], got " + std::to_string(v));
  }
  return static_cast<int64_t>(v);
}

Shape ArgReader::shape() {
  Shape s;
  s.ndim = static_cast<int>(integer(0, kMaxDims, "ndim"));
  double numel = 1;
  for (int d = 0; d < s.ndim; ++d) {
    s.sizes[d] = size("size");
    numel *= static_cast<double>(s.sizes[d]);
  }
  if (numel > static_cast<double>(kMaxSize)) argError(op_, "shape has too many elements");
  return s;
}

Operand ArgReader::operand(const Shape& shape, const StorageRecord& rec, const char* what) {
  Operand o;
  const int64_t offset = size("offset");
  o.dtype = rec.dtype;
  // Highest element index reachable: offset + sum((size-1)*stride), computed
  // in double first so a huge stride cannot overflow the check itself.
  double last = static_cast<double>(offset);
  bool empty = false;
  for (int d = 0; d < shape.ndim; ++d) {
    o.strides[d] = size("stride");
    if (shape.sizes[d] == 0) empty = true;
    else last += static_cast<double>(shape.sizes[d] - 1) * static_cast<double>(o.strides[d]);
  }
  if (!empty && last >= static_cast<double>(rec.numel)) {
    argError(op_, std::string(what) + " view reaches element " + std::to_string(static_cast<int64_t>(last)) +
                      " of a storage of " + std::to_string(rec.numel) + " elements");
  }
  o.data = rec.ptr ? static_cast<char*>(rec.ptr) + offset * static_cast<int64_t>(dtypeSize(rec.dtype)) : nullptr;
  if (empty) o.data = rec.ptr;
  return o;
}

void* ArgReader::block(const StorageRecord& rec, int64_t n, const char* what) {
  const int64_t offset = size("offset");
  if (n > 0 && (offset > rec.numel || n > rec.numel - offset)) {
    argError(op_, std::string(what) + " needs elements [" + std::to_string(offset) + ", " +
                      std::to_string(offset + n) + ") of a storage of " + std::to_string(rec.numel));
  }
  if (!rec.ptr) return nullptr;
  return static_cast<char*>(rec.ptr) + (n > 0 ? offset : 0) * static_cast<int64_t>(dtypeSize(rec.dtype));
}

void requireDtype(const char* op, const StorageRecord& rec, DType dt, const char* what) {
  if (rec.dtype != dt) {
    throw Error(ErrorKind::DType, std::string(op) + ": " + what + " must be " + dtypeName(dt) + ", got " +
                                      dtypeName(rec.dtype));
  }
}

void requireSameDtype(const char* op, const StorageRecord& a, const StorageRecord& b) {
  if (a.dtype != b.dtype) {
    throw Error(ErrorKind::DType, std::string(op) + ": operands must share a dtype, got " + dtypeName(a.dtype) +
                                      " and " + dtypeName(b.dtype));
  }
}

void requireFloat(const char* op, const StorageRecord& rec, const char* what) {
  if (!isFloating(rec.dtype)) {
    throw Error(ErrorKind::DType, std::string(op) + ": " + what + " must be float32 or float64, got " +
                                      dtypeName(rec.dtype));
  }
}

void requireIndex(const char* op, const StorageRecord& rec, const char* what) {
  if (!isIndexType(rec.dtype)) {
    throw Error(ErrorKind::DType, std::string(op) + ": " + what + " must be int32 or int64, got " +
                                      dtypeName(rec.dtype));
  }
}

void requireSameDevice(const char* op, const StorageRecord& a, const StorageRecord& b) {
  if (a.device != b.device) {
    throw Error(ErrorKind::Device, std::string(op) + ": operands are on different devices (" +
                                       (a.device == DeviceType::CPU ? "cpu" : "cuda") + " and " +
                                       (b.device == DeviceType::CPU ? "cpu" : "cuda") + ")");
  }
}

}  // namespace addon
}  // namespace nt
