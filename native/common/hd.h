// NT_HD marks functions usable from host and device code.
#pragma once
#if defined(__CUDACC__)
#define NT_HD __host__ __device__ __forceinline__
#else
#define NT_HD inline
#endif
