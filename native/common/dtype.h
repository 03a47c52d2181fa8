// Element types. Numbering is shared with bindings/kernels.ts.
#pragma once
#include <cstddef>
#include <cstdint>

namespace nt {

enum class DType : int32_t { Float32 = 0, Float64 = 1, Int32 = 2, Int64 = 3, UInt8 = 4, Bool = 5 };
constexpr int kNumDTypes = 6;

inline bool isValidDType(int32_t d) { return d >= 0 && d < kNumDTypes; }
inline bool isFloating(DType d) { return d == DType::Float32 || d == DType::Float64; }
inline bool isIndexType(DType d) { return d == DType::Int32 || d == DType::Int64; }

inline size_t dtypeSize(DType d) {
  switch (d) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int32: return 4;
    case DType::Int64: return 8;
    case DType::UInt8: return 1;
    case DType::Bool: return 1;
  }
  return 1;
}

inline const char* dtypeName(DType d) {
  switch (d) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int32: return "int32";
    case DType::Int64: return "int64";
    case DType::UInt8: return "uint8";
    case DType::Bool: return "bool";
  }
  return "?";
}

}  // namespace nt

// Calls MACRO(T) with T bound to the C type of `dtype` (Bool is stored as uint8_t).
#define NT_DISPATCH_ALL(dtype, ...)                                           \
  [&] {                                                                       \
    switch (dtype) {                                                          \
      case ::nt::DType::Float32: { using T = float; return __VA_ARGS__(); }   \
      case ::nt::DType::Float64: { using T = double; return __VA_ARGS__(); }  \
      case ::nt::DType::Int32: { using T = int32_t; return __VA_ARGS__(); }   \
      case ::nt::DType::Int64: { using T = int64_t; return __VA_ARGS__(); }   \
      case ::nt::DType::UInt8: { using T = uint8_t; return __VA_ARGS__(); }   \
      case ::nt::DType::Bool: { using T = uint8_t; return __VA_ARGS__(); }    \
    }                                                                         \
  }()

#define NT_DISPATCH_FLOAT(dtype, opname, ...)                                 \
  [&] {                                                                       \
    switch (dtype) {                                                          \
      case ::nt::DType::Float32: { using T = float; return __VA_ARGS__(); }   \
      case ::nt::DType::Float64: { using T = double; return __VA_ARGS__(); }  \
      default:                                                                \
        throw ::nt::Error(::nt::ErrorKind::DType,                             \
                          std::string(opname) + ": expected float32 or float64, got " + \
                              ::nt::dtypeName(dtype));                        \
    }                                                                         \
  }()

#define NT_DISPATCH_INDEX(dtype, opname, ...)                                 \
  [&] {                                                                       \
    switch (dtype) {                                                          \
      case ::nt::DType::Int32: { using I = int32_t; return __VA_ARGS__(); }   \
      case ::nt::DType::Int64: { using I = int64_t; return __VA_ARGS__(); }   \
      default:                                                                \
        throw ::nt::Error(::nt::ErrorKind::DType,                             \
                          std::string(opname) + ": index must be int32 or int64, got " + \
                              ::nt::dtypeName(dtype));                        \
    }                                                                         \
  }()
