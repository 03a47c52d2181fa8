// The checks of native/op_table.js kernels marked `validate`: rules that
// relate several arguments and so do not fit the table's per-storage checks.
// Each runs after the kernel's arguments are read, before its backend.
#include <cmath>
#include <string>

#include "arg_reader.h"
#include "common/elementwise_check.h"
#include "kernel_checks.gen.h"

namespace nt {
namespace addon {
namespace {

// An index op with something to pick from an empty dimension.
void requirePickable(const char* op, int64_t picks, int64_t dimSize) {
  if (picks > 0 && dimSize == 0) throw Error(ErrorKind::Index, std::string(op) + ": index into an empty dimension");
}

void checkGatherShapes(const char* op, const GatherArgs& a) {
  if (a.shape.ndim != a.selfShape.ndim || a.dim >= (a.shape.ndim > 0 ? a.shape.ndim : 1)) {
    throw Error(ErrorKind::Shape, std::string(op) + ": index and self must have the same number of dims");
  }
  for (int d = 0; d < a.shape.ndim; ++d) {
    if (d != a.dim && a.shape.sizes[d] > a.selfShape.sizes[d]) {
      throw Error(ErrorKind::Shape, std::string(op) + ": index size " + std::to_string(a.shape.sizes[d]) +
                                        " exceeds self size " + std::to_string(a.selfShape.sizes[d]) + " at dim " +
                                        std::to_string(d));
    }
  }
  requirePickable(op, a.shape.numel(), a.shape.ndim > 0 ? a.selfShape.sizes[a.dim] : 1);
}

}  // namespace

void validateBinary(const char* op, const BinaryArgs& a, const StorageRecord& out, const StorageRecord& x,
                    const StorageRecord&) {
  // The formula's domain says which ops write Bool (elementwise_ops.h).
  if (ew::binaryDomain(a.op) == ew::Domain::Compare) {
    requireDtype(op, out, DType::Bool, "comparison output");
    if (a.op == BinaryOp::LogicalAnd || a.op == BinaryOp::LogicalOr) requireDtype(op, x, DType::Bool, "input");
  } else {
    requireSameDtype(op, out, x);
  }
}

void validateReduce(const char* op, const ReduceArgs& a, const StorageRecord& out, const StorageRecord& input) {
  const bool arg = a.op == ReduceOp::ArgMax || a.op == ReduceOp::ArgMin;
  if (arg) {
    requireDtype(op, out, DType::Int64, "argmax/argmin output");
    if (a.inner.ndim != 1) argError(op, "argmax/argmin reduce exactly one dim");
  } else if ((a.op == ReduceOp::Sum || a.op == ReduceOp::Prod) && !isFloating(input.dtype)) {
    if (out.dtype != input.dtype && out.dtype != DType::Int64) {
      throw Error(ErrorKind::DType, std::string(op) + ": integer sum/prod output must be int64 or the input dtype");
    }
  } else {
    requireSameDtype(op, out, input);
  }
  if (a.op == ReduceOp::Mean || a.op == ReduceOp::LogSumExp || a.op == ReduceOp::Var) requireFloat(op, input, "input");
  if (a.inner.numel() == 0 && a.outer.numel() > 0 && (a.op == ReduceOp::Max || a.op == ReduceOp::Min || arg)) {
    throw Error(ErrorKind::Shape, std::string(op) + ": max/min/argmax/argmin of an empty dimension");
  }
}

void validateCrossEntropy(const char* op, const CrossEntropyArgs& a, const StorageRecord&, const StorageRecord*,
                          const StorageRecord&, const StorageRecord&) {
  if (!(a.labelSmoothing >= 0.0 && a.labelSmoothing <= 1.0)) argError(op, "labelSmoothing must be in [0, 1]");
}

void validateAdam(const char* op, const AdamArgs& a, const std::vector<StorageRecord*>& params,
                  const std::vector<StorageRecord*>&, const std::vector<StorageRecord*>&,
                  const std::vector<StorageRecord*>&, const std::vector<StorageRecord*>& maxExpAvgSq) {
  if (a.amsgrad && maxExpAvgSq.size() != params.size()) {
    argError(op, "max_exp_avg_sq: expected " + std::to_string(params.size()) + " tensors with amsgrad, got " +
                     std::to_string(maxExpAvgSq.size()));
  }
}

void validateIndexSelect(const char* op, const IndexSelectArgs& a, const StorageRecord&, const StorageRecord&,
                         const StorageRecord&) {
  requirePickable(op, a.outer * a.nIndex * a.inner, a.dimSize);
}

void validateIndexAdd(const char* op, const IndexAddArgs& a, const StorageRecord&, const StorageRecord&,
                      const StorageRecord&) {
  requirePickable(op, a.outer * a.nIndex * a.inner, a.dimSize);
}

void validateGather(const char* op, const GatherArgs& a, const StorageRecord&, const StorageRecord&,
                    const StorageRecord&) {
  checkGatherShapes(op, a);
}

void validateScatterAdd(const char* op, const GatherArgs& a, const StorageRecord&, const StorageRecord&,
                        const StorageRecord&) {
  checkGatherShapes(op, a);
}

void validateRandom(const char* op, const RandomArgs& a, const StorageRecord& out) {
  if (a.kind != RandomKind::Int) {
    requireFloat(op, out, "output");
    return;
  }
  if (out.dtype == DType::Bool) throw Error(ErrorKind::DType, "randint: bool output is not supported");
  if (!(a.b > a.a)) argError("randint", "high must be greater than low");
}

void validateSortRows(const char* op, const SortRowsArgs& a, const StorageRecord&, const StorageRecord&,
                      const StorageRecord&) {
  if (a.k > a.cols)
    argError(op, "k (" + std::to_string(a.k) + ") must be at most the row length (" + std::to_string(a.cols) + ")");
}

void validateMultinomial(const char* op, const MultinomialArgs& a, const StorageRecord&, const StorageRecord&) {
  if (!a.replacement && a.samples > a.cats)
    argError(op, "cannot draw " + std::to_string(a.samples) + " samples without replacement from " +
                     std::to_string(a.cats) + " categories");
}

// Layer norm's backward reads the row means; only RMS norm has none.
void validateLayerNormBackward(const char* op, const LayerNormBackwardArgs& a, const StorageRecord&,
                               const StorageRecord&, const StorageRecord* mean, const StorageRecord&,
                               const StorageRecord*, const StorageRecord*, const StorageRecord*, const StorageRecord*) {
  if (!a.rms && !mean) argError(op, "layer norm's backward needs the row means");
}

// Attention: the mask operand was checked over maskShape, so maskShape must be
// the [B1, B2, L, S] (B1 * B2 = BH) the kernel indexes; dropoutP a
// probability below 1.
template <class Args>
void checkAttention(const char* op, const Args& a) {
  const Shape& m = a.maskShape;
  if (m.ndim != 4 || m.sizes[0] * m.sizes[1] != a.BH || m.sizes[2] != a.L || m.sizes[3] != a.S) {
    throw Error(ErrorKind::Shape, std::string(op) +
                                      ": maskShape must be [B1, B2, L, S] with B1 * B2 = " + std::to_string(a.BH) +
                                      ", L = " + std::to_string(a.L) + ", S = " + std::to_string(a.S));
  }
  if (!(a.dropoutP >= 0 && a.dropoutP < 1)) argError(op, "dropoutP must be in [0, 1)");
  if (!std::isfinite(a.scale)) argError(op, "scale must be finite");
}

void validateAttentionForward(const char* op, const AttentionForwardArgs& a, const StorageRecord&, const StorageRecord&,
                              const StorageRecord&, const StorageRecord&, const StorageRecord&, const StorageRecord*) {
  checkAttention(op, a);
}

void validateAttentionBackward(const char* op, const AttentionBackwardArgs& a, const StorageRecord&,
                               const StorageRecord&, const StorageRecord&, const StorageRecord&, const StorageRecord&,
                               const StorageRecord&, const StorageRecord&, const StorageRecord&, const StorageRecord&,
                               const StorageRecord*) {
  checkAttention(op, a);
}

namespace {

// The geometry the three conv2d kernels share: channels split into G groups,
// and the output size that of the padded input under the dilated kernel.
template <class A>
void checkConv2d(const char* op, const A& a) {
  if (a.G < 1 || a.C != a.G * a.Cg || a.Co % a.G != 0) {
    argError(op, "groups G = " + std::to_string(a.G) + " must split C = " + std::to_string(a.C) +
                     " into Cg = " + std::to_string(a.Cg) + " and divide Co = " + std::to_string(a.Co));
  }
  const int64_t sizes[2] = {a.H + a.pt + a.pb, a.W + a.pl + a.pr};
  const int64_t spans[2] = {a.dh * (a.kh - 1) + 1, a.dw * (a.kw - 1) + 1};
  const int64_t strides[2] = {a.sh, a.sw};
  const int64_t outs[2] = {a.Ho, a.Wo};
  for (int d = 0; d < 2; ++d) {
    if (spans[d] > sizes[d] || (sizes[d] - spans[d]) / strides[d] + 1 != outs[d]) {
      throw Error(ErrorKind::Shape, std::string(op) + ": output size " + std::to_string(outs[d]) +
                                        " does not match a padded size " + std::to_string(sizes[d]) +
                                        ", a dilated kernel of " + std::to_string(spans[d]) + " and a stride of " +
                                        std::to_string(strides[d]));
    }
  }
}

}  // namespace

void validateConv2dForward(const char* op, const Conv2dForwardArgs& a, const StorageRecord&, const StorageRecord&,
                           const StorageRecord&) {
  checkConv2d(op, a);
}

void validateConv2dBackwardData(const char* op, const Conv2dBackwardDataArgs& a, const StorageRecord&,
                                const StorageRecord&, const StorageRecord&) {
  checkConv2d(op, a);
}

void validateConv2dBackwardWeight(const char* op, const Conv2dBackwardWeightArgs& a, const StorageRecord&,
                                  const StorageRecord&, const StorageRecord&) {
  checkConv2d(op, a);
}

// Batch norm: eval needs the running stats; training needs more than one
// value per channel (the running variance is unbiased) and a momentum in
// [0, 1]; the stats pairs go together.
void validateBatchNormForward(const char* op, const BatchNormForwardArgs& a, const StorageRecord&, const StorageRecord&,
                              const StorageRecord*, const StorageRecord*, const StorageRecord* runningMean,
                              const StorageRecord* runningVar, const StorageRecord* saveMean,
                              const StorageRecord* saveInvstd) {
  if (!(a.eps >= 0) || !std::isfinite(a.eps)) argError(op, "eps must be a finite number >= 0");
  if (!(a.momentum >= 0 && a.momentum <= 1)) argError(op, "momentum must be in [0, 1]");
  if (!runningMean != !runningVar) argError(op, "runningMean and runningVar must be given together");
  if (!saveMean != !saveInvstd) argError(op, "saveMean and saveInvstd must be given together");
  if (!a.training && !runningMean) argError(op, "eval mode (training = 0) needs runningMean and runningVar");
  if (a.training && a.C > 0 && a.N * a.HW <= 1)
    throw Error(ErrorKind::Shape, std::string(op) + ": expected more than 1 value per channel when training, got " +
                                      std::to_string(a.N * a.HW));
}

}  // namespace addon
}  // namespace nt
