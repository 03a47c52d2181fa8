// Numeric codes shared with native/common (dtype.h, kernel_api.h, errors.h).
// Keep in the same order as the C++ enums.

export const DTYPE_CODES = { float32: 0, float64: 1, int32: 2, int64: 3, uint8: 4, bool: 5 } as const;
export const DEVICE_CODES = { cpu: 0, cuda: 1 } as const;

export enum UnaryOp {
  Neg = 0, Abs, Exp, Log, Sqrt, Rsqrt, Sigmoid, Tanh, Relu, Gelu,
  Sin, Cos, Sign, Square, Reciprocal, Floor, Ceil, Round, Log1p, Expm1,
  AddScalar, MulScalar, PowScalar, RsubScalar, RdivScalar, Clamp, LeakyRelu, Erf,
}

export enum BinaryOp {
  Add = 0, Sub, Mul, Div, Pow, Maximum, Minimum,
  Eq, Ne, Lt, Le, Gt, Ge,
  ReluBackward, SigmoidBackward, TanhBackward, GeluBackward,
  LogicalAnd, LogicalOr,
}

export enum ReduceOp { Sum = 0, Mean, Max, Min, Prod, ArgMax, ArgMin, LogSumExp, Var }

export enum RandomKind { Uniform = 0, Normal, Int, Bernoulli }
