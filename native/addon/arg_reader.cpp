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
    argError(op_, std::string(what) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) +
                      "], got " + std::to_string(v));
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

Operand ArgReader::optionalOperand(const Shape& shape, const StorageRecord* rec, const char* what) {
  if (rec) return operand(shape, *rec, what);
  size("offset");
  for (int d = 0; d < shape.ndim; ++d) size("stride");
  return Operand{};
}

void* ArgReader::block(const StorageRecord& rec, int64_t n, const char* what) {
  const int64_t offset = size("offset");
  if (n > 0 && (offset > rec.numel || n > rec.numel - offset)) {
    argError(op_, std::string(what) + " needs elements [" + std::to_string(offset) + ", " + std::to_string(offset + n) +
                      ") of a storage of " + std::to_string(rec.numel));
  }
  if (!rec.ptr) return nullptr;
  return static_cast<char*>(rec.ptr) + (n > 0 ? offset : 0) * static_cast<int64_t>(dtypeSize(rec.dtype));
}

void* ArgReader::optionalBlock(const StorageRecord* rec, int64_t n, const char* what) {
  if (!rec) {
    size("offset");
    return nullptr;
  }
  return block(*rec, n, what);
}

Operand ArgReader::contiguous(const StorageRecord& rec, int64_t n, const char* what) {
  Operand o;
  o.dtype = rec.dtype;
  o.strides[0] = 1;  // backends may read the stride
  o.data = block(rec, n, what);
  return o;
}

void* ArgReader::matrix(const StorageRecord& rec, int64_t batch, int64_t stride, int64_t rows, int64_t cols, int64_t ld,
                        const char* what) {
  const int64_t offset = size("offset");
  if (rows > 0 && cols > 0 && batch > 0) {
    if (rows > 1 && ld < cols) {
      argError(op_, std::string(what) + ": leading dimension " + std::to_string(ld) + " < " + std::to_string(cols));
    }
    const double last = static_cast<double>(offset) + static_cast<double>(batch - 1) * static_cast<double>(stride) +
                        static_cast<double>(rows - 1) * static_cast<double>(ld) + static_cast<double>(cols - 1);
    if (last >= static_cast<double>(rec.numel)) {
      argError(op_, std::string(what) + " reaches element " + std::to_string(static_cast<int64_t>(last)) +
                        " of a storage of " + std::to_string(rec.numel));
    }
  }
  if (!rec.ptr) return nullptr;
  return static_cast<char*>(rec.ptr) + (offset < rec.numel ? offset : 0) * static_cast<int64_t>(dtypeSize(rec.dtype));
}

uint64_t ArgReader::seed() {
  const uint64_t lo = static_cast<uint64_t>(integer(0, 0xFFFFFFFFLL, "seed"));
  const uint64_t hi = static_cast<uint64_t>(integer(0, 0xFFFFFFFFLL, "seed"));
  return (hi << 32) | lo;
}

std::vector<int64_t> ArgReader::sizes(size_t n, const char* what) {
  std::vector<int64_t> out;
  out.reserve(n);
  for (size_t k = 0; k < n; ++k) out.push_back(size(what));
  return out;
}

std::vector<void*> ArgReader::blocks(const std::vector<StorageRecord*>& list, const std::vector<int64_t>& numels,
                                     const char* what) {
  std::vector<void*> out;
  out.reserve(list.size());
  for (size_t k = 0; k < list.size() && k < numels.size(); ++k) out.push_back(block(*list[k], numels[k], what));
  return out;
}

int64_t ArgReader::product(std::initializer_list<int64_t> factors) const {
  double p = 1;
  for (int64_t f : factors) p *= static_cast<double>(f);
  if (p > static_cast<double>(kMaxSize)) argError(op_, "too many elements");
  int64_t n = 1;
  for (int64_t f : factors) n *= f;
  return n;
}

Shape ArgReader::concat(const Shape& a, const Shape& b) const {
  if (a.ndim + b.ndim > kMaxDims) argError(op_, "too many dims");
  Shape s;
  s.ndim = a.ndim + b.ndim;
  for (int d = 0; d < a.ndim; ++d) s.sizes[d] = a.sizes[d];
  for (int d = 0; d < b.ndim; ++d) s.sizes[a.ndim + d] = b.sizes[d];
  return s;
}

StorageRecord* optionalStorage(const Napi::CallbackInfo& info, size_t i, const char* op) {
  if (info[i].IsNull() || info[i].IsUndefined()) return nullptr;
  return &unwrapStorage(info, i, op);
}

std::vector<StorageRecord*> storageList(const Napi::CallbackInfo& info, size_t i, const char* op, const char* what,
                                        bool nullable) {
  std::vector<StorageRecord*> out;
  if (nullable && (info[i].IsNull() || info[i].IsUndefined())) return out;
  if (!info[i].IsArray()) argError(op, std::string(what) + " must be an array of storage handles");
  Napi::Array arr = info[i].As<Napi::Array>();
  const uint32_t n = arr.Length();
  out.reserve(n);
  for (uint32_t k = 0; k < n; ++k) out.push_back(&unwrapStorageValue(info.Env(), arr.Get(k), op, what));
  return out;
}

void requireLive(const char* op, std::initializer_list<const std::vector<StorageRecord*>*> lists) {
  for (const auto* list : lists) {
    for (const StorageRecord* rec : *list) {
      if (rec->freed) {
        throw Error(ErrorKind::Disposed,
                    std::string(op) + ": a tensor in the list was disposed while the list was read");
      }
    }
  }
}

void checkList(const char* op, const std::vector<StorageRecord*>& list, const std::vector<StorageRecord*>& ref,
               bool nullable, const char* what) {
  if (list.size() != ref.size() && !(nullable && list.empty())) {
    argError(op, std::string(what) + ": expected " + std::to_string(ref.size()) + " tensors, got " +
                     std::to_string(list.size()));
  }
  for (StorageRecord* rec : list) {
    requireSameDevice(op, *ref[0], *rec);
    requireSameDtype(op, *ref[0], *rec);
  }
}

void requireDtype(const char* op, const StorageRecord& rec, DType dt, const char* what) {
  if (rec.dtype != dt) {
    throw Error(ErrorKind::DType,
                std::string(op) + ": " + what + " must be " + dtypeName(dt) + ", got " + dtypeName(rec.dtype));
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
    throw Error(ErrorKind::DType,
                std::string(op) + ": " + what + " must be float32 or float64, got " + dtypeName(rec.dtype));
  }
}

void requireIndex(const char* op, const StorageRecord& rec, const char* what) {
  if (!isIndexType(rec.dtype)) {
    throw Error(ErrorKind::DType,
                std::string(op) + ": " + what + " must be int32 or int64, got " + dtypeName(rec.dtype));
  }
}

void requireSameDevice(const char* op, const StorageRecord& a, const StorageRecord& b) {
  if (a.device != b.device) {
    throw Error(ErrorKind::Device, std::string(op) + ": operands are on different devices (" + deviceName(a.device) +
                                       " and " + deviceName(b.device) + ")");
  }
}

}  // namespace addon
}  // namespace nt
