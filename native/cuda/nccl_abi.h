// The pieces of NCCL 2's C ABI that the nccl backend uses, declared here so
// the build needs no nccl.h (libnccl.so.2 is opened at run time by
// nccl_comm.cpp). Checked against src/nccl.h.in of NVIDIA/nccl (commit
// 021e8045, the 2.31 series); every value below has been the same since
// NCCL 2.10, which added ncclAvg, the oldest version accepted:
// - ncclComm_t is an opaque pointer, ncclUniqueId 128 bytes passed by value;
// - ncclResult_t: ncclSuccess 0 ... ncclInProgress 7 (an int-sized enum);
// - ncclRedOp_t: sum 0, prod 1, max 2, min 3, avg 4;
// - ncclDataType_t: int8 0, uint8 1, int32 2, uint32 3, int64 4, uint64 5,
//   float16 6, float32 7, float64 8;
// - NCCL_VERSION(X,Y,Z) is X*10000 + Y*100 + Z from 2.9 on (X*1000 + Y*100 + Z before).
#pragma once
#include <cstddef>

namespace nt {
namespace cuda {
namespace nccl {

using Comm = void*;
using Stream = void*;  // cudaStream_t
struct UniqueId {
  char internal[128];
};

using Result = int;
constexpr Result kSuccess = 0;
constexpr Result kInProgress = 7;

enum RedOp : int { kSum = 0, kProd = 1, kMax = 2, kMin = 3, kAvg = 4 };
enum DataType : int {
  kInt8 = 0,
  kUint8 = 1,
  kInt32 = 2,
  kUint32 = 3,
  kInt64 = 4,
  kUint64 = 5,
  kFloat32 = 7,
  kFloat64 = 8
};

// 2.10.3 in the NCCL_VERSION encoding: the first with ncclAvg.
constexpr int kMinVersion = 21003;

using GetVersionFn = Result (*)(int*);
using GetUniqueIdFn = Result (*)(UniqueId*);
using CommInitRankFn = Result (*)(Comm*, int, UniqueId, int);
using CommDestroyFn = Result (*)(Comm);
using CommAbortFn = Result (*)(Comm);
using CommGetAsyncErrorFn = Result (*)(Comm, Result*);
using GetErrorStringFn = const char* (*)(Result);
using AllReduceFn = Result (*)(const void*, void*, size_t, int, int, Comm, Stream);
using BroadcastFn = Result (*)(const void*, void*, size_t, int, int, Comm, Stream);
using AllGatherFn = Result (*)(const void*, void*, size_t, int, Comm, Stream);
using ReduceScatterFn = Result (*)(const void*, void*, size_t, int, int, Comm, Stream);
using GroupFn = Result (*)();

}  // namespace nccl
}  // namespace cuda
}  // namespace nt
