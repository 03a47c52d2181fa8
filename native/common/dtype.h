// Element type helpers; the DType enum itself is generated (codes.gen.h).
#pragma once
#include <cstddef>
#include <cstdint>

#include "codes.gen.h"

namespace nt {

inline bool isValidDType(int32_t d) { return d >= 0 && d < kNumDTypes; }
inline bool isFloating(DType d) { return d == DType::Float32 || d == DType::Float64; }
inline bool isIndexType(DType d) { return d == DType::Int32 || d == DType::Int64; }

}  // namespace nt

// Calls MACRO(T) with T bound to the C type of `dtype` (Bool is stored as uint8_t).
#define NT_DISPATCH_ALL(dtype, ...) \
  [&] {                             \
    switch (dtype) {                \
      case ::nt::DType::Float32: {  \
        using T = float;            \
        return __VA_ARGS__();       \
      }                             \
      case ::nt::DType::Float64: {  \
        using T = double;           \
        return __VA_ARGS__();       \
      }                             \
      case ::nt::DType::Int32: {    \
        using T = int32_t;          \
        return __VA_ARGS__();       \
      }                             \
      case ::nt::DType::Int64: {    \
        using T = int64_t;          \
        return __VA_ARGS__();       \
      }                             \
      case ::nt::DType::UInt8: {    \
        using T = uint8_t;          \
        return __VA_ARGS__();       \
      }                             \
      case ::nt::DType::Bool: {     \
        using T = uint8_t;          \
        return __VA_ARGS__();       \
      }                             \
    }                               \
  }()

#define NT_DISPATCH_FLOAT(dtype, opname, ...)                                                                    \
  [&] {                                                                                                          \
    switch (dtype) {                                                                                             \
      case ::nt::DType::Float32: {                                                                               \
        using T = float;                                                                                         \
        return __VA_ARGS__();                                                                                    \
      }                                                                                                          \
      case ::nt::DType::Float64: {                                                                               \
        using T = double;                                                                                        \
        return __VA_ARGS__();                                                                                    \
      }                                                                                                          \
      default:                                                                                                   \
        throw ::nt::Error(::nt::ErrorKind::DType,                                                                \
                          std::string(opname) + ": expected float32 or float64, got " + ::nt::dtypeName(dtype)); \
    }                                                                                                            \
  }()

#define NT_DISPATCH_INDEX(dtype, opname, ...)                                                                     \
  [&] {                                                                                                           \
    switch (dtype) {                                                                                              \
      case ::nt::DType::Int32: {                                                                                  \
        using I = int32_t;                                                                                        \
        return __VA_ARGS__();                                                                                     \
      }                                                                                                           \
      case ::nt::DType::Int64: {                                                                                  \
        using I = int64_t;                                                                                        \
        return __VA_ARGS__();                                                                                     \
      }                                                                                                           \
      default:                                                                                                    \
        throw ::nt::Error(::nt::ErrorKind::DType,                                                                 \
                          std::string(opname) + ": index must be int32 or int64, got " + ::nt::dtypeName(dtype)); \
    }                                                                                                             \
  }()
