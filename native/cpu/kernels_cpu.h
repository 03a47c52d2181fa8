// CPU kernel entry points, one per NT_KERNEL_LIST entry; backend_cpu.cpp
// forwards each Backend virtual here. Implemented in elementwise.cpp,
// reduce.cpp, softmax.cpp, loss.cpp, optim.cpp, pool.cpp, index.cpp, random.cpp,
// attention.cpp (gemm in gemm.cpp, declared in gemm.h).
#pragma once
#include "common/kernel_api.h"

namespace nt {
namespace cpu {

void fill(const FillArgs& args);
void copy(const CopyArgs& args);
void arange(const ArangeArgs& args);
void unary(const UnaryArgs& args);
void binary(const BinaryArgs& args);
void where(const WhereArgs& args);
void reduce(const ReduceArgs& args);
void softmax(const SoftmaxArgs& args);
void softmaxBackward(const SoftmaxBackwardArgs& args);
void crossEntropy(const CrossEntropyArgs& args);
void adam(const AdamArgs& args);
void sgd(const SgdArgs& args);
void maxPool2d(const MaxPool2dArgs& args);
void maxPool2dBackward(const MaxPool2dBackwardArgs& args);
// avg_pool.cpp
void avgPool2d(const AvgPool2dArgs& args);
void avgPool2dBackward(const AvgPool2dBackwardArgs& args);
void indexSelect(const IndexSelectArgs& args);
void indexAdd(const IndexAddArgs& args);
void gather(const GatherArgs& args);
void scatterAdd(const GatherArgs& args);
void random(const RandomArgs& args);
// sort_scan.cpp, multinomial.cpp (language-model ops, issue 13)
void sortRows(const SortRowsArgs& args);
void cumsum(const CumsumArgs& args);
void multinomial(const MultinomialArgs& args);
// layer_norm.cpp
void layerNorm(const LayerNormArgs& args);
void layerNormBackward(const LayerNormBackwardArgs& args);
void attentionForward(const AttentionForwardArgs& args);
void attentionBackward(const AttentionBackwardArgs& args);
// conv.cpp (oneDNN in onednn_conv.cpp)
void conv2dForward(const Conv2dForwardArgs& args);
void conv2dBackwardData(const Conv2dBackwardDataArgs& args);
void conv2dBackwardWeight(const Conv2dBackwardWeightArgs& args);
// optim_adaptive.cpp (issue 14)
void adagrad(const AdagradArgs& args);
void adamax(const AdamaxArgs& args);
void nadam(const NadamArgs& args);
void radam(const RadamArgs& args);
// batch_norm.cpp
void batchNormForward(const BatchNormForwardArgs& args);
void batchNormBackward(const BatchNormBackwardArgs& args);

}  // namespace cpu
}  // namespace nt
