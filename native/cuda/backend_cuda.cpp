// The CUDA backend: Backend's memory calls on the caching allocator and the
// device's stream, and every kernel of NT_KERNEL_LIST routed to its launcher
// (or to cuBLAS / cuDNN). Ops with index values queue a check kernel first
// (queueIndexCheck); a bad value raises IndexError, with the CPU's message,
// at the next copyToHost or synchronize. All work is queued on one stream;
// only copyToHost, copyFromHost and synchronize wait for it.
#include <string>

#include "cuda/cuda_api.h"
#include "cuda/cuda_check.h"
#include "cuda/kernels.h"

namespace nt {
namespace cuda {
namespace {

// The state, with device 0 current on the calling thread (a Node worker
// thread starts with device 0, but other code may have switched it).
const Ctx& enter() {
  const Ctx& c = ctx();
  int dev = -1;
  if (cudaGetDevice(&dev) != cudaSuccess || dev != c.device) check(cudaSetDevice(c.device), "cudaSetDevice");
  return c;
}

class CudaBackend final : public Backend {
 public:
  DeviceType device() const override { return DeviceType::CUDA; }
  const char* name() const override { return "cuda"; }

  void* alloc(size_t nbytes) override { return enter().alloc->alloc(nbytes); }
  void release(void* ptr, size_t) override {
    if (ptr) ctx().alloc->release(ptr);
  }
  // Synchronous from the caller's view: the host buffer (a JS ArrayBuffer)
  // may be reused or collected as soon as this returns.
  void copyFromHost(void* dst, const void* src, size_t nbytes) override {
    if (nbytes == 0) return;
    const Ctx& c = enter();
    check(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyHostToDevice, c.stream), "copyFromHost: cudaMemcpyAsync");
    check(cudaStreamSynchronize(c.stream), "copyFromHost: cudaStreamSynchronize");
  }
  void copyToHost(void* dst, const void* src, size_t nbytes) override {
    if (nbytes == 0) return;
    const Ctx& c = enter();
    check(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToHost, c.stream), "copyToHost: cudaMemcpyAsync");
    check(cudaStreamSynchronize(c.stream), "copyToHost: cudaStreamSynchronize");
    takeIndexError(c);
  }
  void waitForWork() override {
    const Ctx& c = enter();
    cudaStreamSynchronize(c.stream);  // errors stay for synchronize() to report
  }
  void synchronize() override {
    const Ctx& c = enter();
    check(cudaStreamSynchronize(c.stream), "synchronize: cudaStreamSynchronize");
    takeIndexError(c);
  }

  void fill(const FillArgs& a) override { launchFill(enter(), a); }
  void copy(const CopyArgs& a) override { launchCopy(enter(), a); }
  void arange(const ArangeArgs& a) override { launchArange(enter(), a); }
  void unary(const UnaryArgs& a) override {
    const Ctx& c = enter();
    if (!cudnnUnary(c, a)) launchUnary(c, a);
  }
  void binary(const BinaryArgs& a) override {
    const Ctx& c = enter();
    if (!cudnnActivationBackward(c, a)) launchBinary(c, a);
  }
  void where(const WhereArgs& a) override { launchWhere(enter(), a); }
  void reduce(const ReduceArgs& a) override { launchReduce(enter(), a); }
  void softmax(const SoftmaxArgs& a) override {
    const Ctx& c = enter();
    if (!cudnnSoftmax(c, a)) launchSoftmax(c, a);
  }
  void softmaxBackward(const SoftmaxBackwardArgs& a) override {
    const Ctx& c = enter();
    if (!cudnnSoftmaxBackward(c, a)) launchSoftmaxBackward(c, a);
  }
  void gemm(const GemmArgs& a) override { cublasGemm(enter(), a, allowTF32()); }
  void crossEntropy(const CrossEntropyArgs& a) override {
    const Ctx& c = enter();
    if (a.N <= 0) return;
    if (!isFloating(a.dtype))
      throw Error(ErrorKind::DType,
                  std::string("cross_entropy: expected float32 or float64, got ") + dtypeName(a.dtype));
    queueIndexCheck(c, a.targets, a.targetDtype, a.N, a.C, &a.ignoreIndex, IndexErrorOp::CrossEntropy, 0);
    launchCrossEntropy(c, a);
  }
  void adam(const AdamArgs& a) override { launchAdam(enter(), a); }
  void sgd(const SgdArgs& a) override { launchSgd(enter(), a); }
  void adagrad(const AdagradArgs& a) override { launchAdagrad(enter(), a); }
  void adamax(const AdamaxArgs& a) override { launchAdamax(enter(), a); }
  void nadam(const NadamArgs& a) override { launchNadam(enter(), a); }
  void radam(const RadamArgs& a) override { launchRadam(enter(), a); }
  void maxPool2d(const MaxPool2dArgs& a) override { launchMaxPool2d(enter(), a); }
  void maxPool2dBackward(const MaxPool2dBackwardArgs& a) override { launchMaxPool2dBackward(enter(), a); }
  void avgPool2d(const AvgPool2dArgs& a) override { launchAvgPool2d(enter(), a); }
  void avgPool2dBackward(const AvgPool2dBackwardArgs& a) override { launchAvgPool2dBackward(enter(), a); }
  void indexSelect(const IndexSelectArgs& a) override {
    const Ctx& c = enter();
    queueIndexCheck(c, a.index, a.indexDtype, a.nIndex, a.dimSize, nullptr,
                    a.embedding ? IndexErrorOp::Embedding : IndexErrorOp::IndexSelect, 0);
    launchIndexSelect(c, a);
  }
  void indexAdd(const IndexAddArgs& a) override {
    const Ctx& c = enter();
    queueIndexCheck(c, a.index, a.indexDtype, a.nIndex, a.dimSize, nullptr, IndexErrorOp::IndexAdd, 0);
    launchIndexAdd(c, a);
  }
  void gather(const GatherArgs& a) override {
    const Ctx& c = enter();
    const int64_t size = a.selfShape.sizes[a.dim];
    queueIndexCheck(c, a.index, a.indexDtype, a.shape.numel(), size, nullptr, IndexErrorOp::Gather, a.dim);
    launchGather(c, a);
  }
  void scatterAdd(const GatherArgs& a) override {
    const Ctx& c = enter();
    const int64_t size = a.selfShape.sizes[a.dim];
    queueIndexCheck(c, a.index, a.indexDtype, a.shape.numel(), size, nullptr, IndexErrorOp::ScatterAdd, a.dim);
    launchScatterAdd(c, a);
  }
  void random(const RandomArgs& a) override { launchRandom(enter(), a); }
  void sortRows(const SortRowsArgs& a) override { launchSortRows(enter(), a); }
  void cumsum(const CumsumArgs& a) override { launchCumsum(enter(), a); }
  void multinomial(const MultinomialArgs& a) override { launchMultinomial(enter(), a); }
  void layerNorm(const LayerNormArgs& a) override { launchLayerNorm(enter(), a); }
  void layerNormBackward(const LayerNormBackwardArgs& a) override { launchLayerNormBackward(enter(), a); }
  void attentionForward(const AttentionForwardArgs& a) override { launchAttentionForward(enter(), a); }
  void attentionBackward(const AttentionBackwardArgs& a) override { launchAttentionBackward(enter(), a); }
  void conv2dForward(const Conv2dForwardArgs& a) override {
    const Ctx& c = enter();
    if (!cudnnConv2dForward(c, a)) launchConv2dForward(c, a);
  }
  void conv2dBackwardData(const Conv2dBackwardDataArgs& a) override {
    const Ctx& c = enter();
    if (!cudnnConv2dBackwardData(c, a)) launchConv2dBackwardData(c, a);
  }
  void conv2dBackwardWeight(const Conv2dBackwardWeightArgs& a) override {
    const Ctx& c = enter();
    if (!cudnnConv2dBackwardWeight(c, a)) launchConv2dBackwardWeight(c, a);
  }
  void batchNormForward(const BatchNormForwardArgs& a) override { launchBatchNormForward(enter(), a); }
  void batchNormBackward(const BatchNormBackwardArgs& a) override { launchBatchNormBackward(enter(), a); }
};

}  // namespace

Backend& cudaBackendInstance() {
  static CudaBackend* b = new CudaBackend;  // never destroyed, like the runtime state
  return *b;
}

}  // namespace cuda
}  // namespace nt
