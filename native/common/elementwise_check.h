// Host-side checks of the unary and binary kernels, shared by the CPU and
// CUDA backends so both reject the same calls with the same typed errors.
// The dtypes an op accepts come from its formula (elementwise_ops.h).
#pragma once
#include <string>

#include "codes.gen.h"
#include "dtype.h"
#include "elementwise_ops.h"
#include "errors.h"
#include "kernel_api.h"
#include "op_visit.h"

namespace nt {
namespace ew {

inline Domain unaryDomain(UnaryOp op) {
  Domain d = Domain::Float;
  visitOp(op, [&](auto k) { d = UnaryFormula<decltype(k)::value>::kDomain; });
  return d;
}

inline Domain binaryDomain(BinaryOp op) {
  Domain d = Domain::Float;
  visitOp(op, [&](auto k) { d = BinaryFormula<decltype(k)::value>::kDomain; });
  return d;
}

[[noreturn]] inline void dtypeError(const std::string& op, const char* expected, DType got) {
  throw Error(ErrorKind::DType, op + ": expected " + expected + ", got " + dtypeName(got));
}

// Throws unless `op` is a known code and `in` a dtype it accepts.
inline void checkUnary(UnaryOp op, DType in) {
  if (!opInRange(op))
    throw Error(ErrorKind::Argument, "unary: unknown op code " + std::to_string(static_cast<int>(op)));
  // The op's name is built only for the error: this runs on every call.
  if (in == DType::Bool) dtypeError(std::string("unary(") + unaryName(op) + ")", "a numeric dtype", in);
  if (!isFloating(in) && unaryDomain(op) == Domain::Float)
    dtypeError(std::string("unary(") + unaryName(op) + ")", "float32 or float64", in);
}

// Throws unless `op` is a known code and `in` (both inputs) a dtype it accepts.
inline void checkBinary(BinaryOp op, DType in) {
  if (!opInRange(op))
    throw Error(ErrorKind::Argument, "binary: unknown op code " + std::to_string(static_cast<int>(op)));
  const Domain d = binaryDomain(op);
  if (in == DType::Bool && d != Domain::Compare)
    dtypeError(std::string("binary(") + binaryName(op) + ")", "a numeric dtype", in);
  if (!isFloating(in) && d == Domain::Float)
    dtypeError(std::string("binary(") + binaryName(op) + ")", "float32 or float64", in);
}

}  // namespace ew
}  // namespace nt
