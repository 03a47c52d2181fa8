// Launchers implemented in the .cu files (and cuBLAS/cuDNN wrappers in
// gemm_cublas.cpp / activation_cudnn.cpp). Each queues work on ctx.stream,
// checks the launch, and throws nt::Error on failure. Zero-size work is a
// no-op.
#pragma once
#include "common/kernel_api.h"
#include "cuda/cuda_state.h"

namespace nt {
namespace cuda {

// elementwise.cu
void launchFill(const Ctx& c, const FillArgs& a);
void launchCopy(const Ctx& c, const CopyArgs& a);
void launchArange(const Ctx& c, const ArangeArgs& a);
void launchUnary(const Ctx& c, const UnaryArgs& a);
void launchBinary(const Ctx& c, const BinaryArgs& a);
void launchWhere(const Ctx& c, const WhereArgs& a);
// reduce.cu
void launchReduce(const Ctx& c, const ReduceArgs& a);
// softmax.cu
void launchSoftmax(const Ctx& c, const SoftmaxArgs& a);
void launchSoftmaxBackward(const Ctx& c, const SoftmaxBackwardArgs& a);
// loss.cu (targets are checked by queueIndexCheck; bad ones are skipped)
void launchCrossEntropy(const Ctx& c, const CrossEntropyArgs& a);
// optim.cu
void launchAdam(const Ctx& c, const AdamArgs& a);
void launchSgd(const Ctx& c, const SgdArgs& a);
// optim_adaptive.cu (issue 14)
void launchAdagrad(const Ctx& c, const AdagradArgs& a);
void launchAdamax(const Ctx& c, const AdamaxArgs& a);
void launchNadam(const Ctx& c, const NadamArgs& a);
void launchRadam(const Ctx& c, const RadamArgs& a);
// index.cu. queueIndexCheck queues a check of index[0..n) against
// [0, size) (values equal to *ignore pass too) that records the first bad
// value in ctx.errRecord without waiting; takeIndexError, called after the
// stream has been synchronized, throws the recorded IndexError once. The
// launchers skip bad values, so every read and write stays in bounds.
void queueIndexCheck(const Ctx& c, const void* index, DType indexDtype, int64_t n, int64_t size, const int64_t* ignore,
                     IndexErrorOp op, int64_t dim);
void takeIndexError(const Ctx& c);
void launchMaxPool2d(const Ctx& c, const MaxPool2dArgs& a);
void launchMaxPool2dBackward(const Ctx& c, const MaxPool2dBackwardArgs& a);
// avg_pool.cu
void launchAvgPool2d(const Ctx& c, const AvgPool2dArgs& a);
void launchAvgPool2dBackward(const Ctx& c, const AvgPool2dBackwardArgs& a);
// pool_cudnn.cpp: false when cuDNN does not take the call (the caller runs
// its own kernel); cudnnMaxPool2d only for calls without indices.
bool cudnnMaxPool2d(const Ctx& c, const MaxPool2dArgs& a);
bool cudnnAvgPool2d(const Ctx& c, const AvgPool2dArgs& a);
bool cudnnAvgPool2dBackward(const Ctx& c, const AvgPool2dBackwardArgs& a);
void launchIndexSelect(const Ctx& c, const IndexSelectArgs& a);
void launchIndexAdd(const Ctx& c, const IndexAddArgs& a);
void launchGather(const Ctx& c, const GatherArgs& a);
void launchScatterAdd(const Ctx& c, const GatherArgs& a);
// random.cu
void launchRandom(const Ctx& c, const RandomArgs& a);
// sort_scan.cu, multinomial.cu (language-model ops, issue 13)
void launchSortRows(const Ctx& c, const SortRowsArgs& a);
void launchCumsum(const Ctx& c, const CumsumArgs& a);
void launchMultinomial(const Ctx& c, const MultinomialArgs& a);
// layer_norm.cu
void launchLayerNorm(const Ctx& c, const LayerNormArgs& a);
void launchLayerNormBackward(const Ctx& c, const LayerNormBackwardArgs& a);
// attention.cu
void launchAttentionForward(const Ctx& c, const AttentionForwardArgs& a);
void launchAttentionBackward(const Ctx& c, const AttentionBackwardArgs& a);
// conv.cu
void launchConv2dForward(const Ctx& c, const Conv2dForwardArgs& a);
void launchConv2dBackwardData(const Ctx& c, const Conv2dBackwardDataArgs& a);
void launchConv2dBackwardWeight(const Ctx& c, const Conv2dBackwardWeightArgs& a);
// gemm_cublas.cpp
void cublasGemm(const Ctx& c, const GemmArgs& a, bool allowTF32);
// activation_cudnn.cpp: return false when cuDNN is absent or the case is not
// one it handles (the caller then runs its own kernel).
bool cudnnUnary(const Ctx& c, const UnaryArgs& a);
bool cudnnActivationBackward(const Ctx& c, const BinaryArgs& a);
bool cudnnSoftmax(const Ctx& c, const SoftmaxArgs& a);
bool cudnnSoftmaxBackward(const Ctx& c, const SoftmaxBackwardArgs& a);
// cudnn_fallback.cpp: the one-time notices of cuDNN calls that failed and
// now use our kernels (recordCudnnFallback in cudnn_fallback.h adds one).
std::vector<std::string> cudnnFallbackNotes();
// conv_cudnn.cpp: false when cuDNN does not take the call (the caller runs
// conv.cu's kernel); cudnnConvInfoJson reports the engine (ctx may be null).
bool cudnnConv2dForward(const Ctx& c, const Conv2dForwardArgs& a);
bool cudnnConv2dBackwardData(const Ctx& c, const Conv2dBackwardDataArgs& a);
bool cudnnConv2dBackwardWeight(const Ctx& c, const Conv2dBackwardWeightArgs& a);
std::string cudnnConvInfoJson(const Ctx* c);
// batch_norm.cu (cuDNN first, batch_norm_cudnn.cpp: false when it does not apply)
void launchBatchNormForward(const Ctx& c, const BatchNormForwardArgs& a);
void launchBatchNormBackward(const Ctx& c, const BatchNormBackwardArgs& a);
bool cudnnBatchNormForward(const Ctx& c, const BatchNormForwardArgs& a);
bool cudnnBatchNormBackward(const Ctx& c, const BatchNormBackwardArgs& a);

}  // namespace cuda
}  // namespace nt
