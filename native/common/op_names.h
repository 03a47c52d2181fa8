// Names of the op codes of kernel_api.h, for error messages of every backend.
#pragma once
#include "kernel_api.h"

namespace nt {

inline const char* unaryName(UnaryOp op) {
  static const char* names[] = {"neg", "abs", "exp", "log", "sqrt", "rsqrt", "sigmoid", "tanh",
                                "relu", "gelu", "sin", "cos", "sign", "square", "reciprocal",
                                "floor", "ceil", "round", "log1p", "expm1", "add_scalar",
                                "mul_scalar", "pow_scalar", "rsub_scalar", "rdiv_scalar", "clamp",
                                "leaky_relu", "erf"};
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<size_t>(UnaryOp::Count), "one name per op");
  const int i = static_cast<int>(op);
  return i >= 0 && i < static_cast<int>(UnaryOp::Count) ? names[i] : "?";
}

inline const char* binaryName(BinaryOp op) {
  static const char* names[] = {"add", "sub", "mul", "div", "pow", "maximum", "minimum",
                                "eq", "ne", "lt", "le", "gt", "ge", "relu_backward",
                                "sigmoid_backward", "tanh_backward", "gelu_backward",
                                "logical_and", "logical_or"};
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<size_t>(BinaryOp::Count), "one name per op");
  const int i = static_cast<int>(op);
  return i >= 0 && i < static_cast<int>(BinaryOp::Count) ? names[i] : "?";
}

inline const char* reduceName(ReduceOp op) {
  static const char* names[] = {"sum", "mean", "max", "min", "prod", "argmax", "argmin", "logsumexp", "var"};
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<size_t>(ReduceOp::Count), "one name per op");
  const int i = static_cast<int>(op);
  return i >= 0 && i < static_cast<int>(ReduceOp::Count) ? names[i] : "?";
}

}  // namespace nt
