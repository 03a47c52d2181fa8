// The few pieces of Open MPI 4.x's ABI that the MPI backend uses, declared
// here so the build needs no MPI headers or libraries (libmpi.so.40 is opened
// at run time). They are stable across Open MPI 4.x (one soname, .40):
// - handles (MPI_Comm, MPI_Datatype, MPI_Op, MPI_Errhandler) are pointers to
//   exported predefined objects (ompi_mpi_comm_world, ompi_mpi_float, ...),
//   looked up with dlsym, so their layout never matters to us;
// - MPI_IN_PLACE is ((void*)1), MPI_THREAD_SERIALIZED is 2, MPI_SUCCESS is 0
//   and MPI_MAX_ERROR_STRING is 256 (mpi.h of 4.0 to 4.1);
// - the functions are the MPI-3 C bindings with those opaque handles.
#pragma once

namespace nt {
namespace dist {
namespace mpi {

using Comm = void*;
using Datatype = void*;
using Op = void*;
using Errhandler = void*;

inline void* const kInPlace = reinterpret_cast<void*>(1);
constexpr int kThreadSerialized = 2;
constexpr int kSuccess = 0;
constexpr int kMaxErrorString = 256;

using InitializedFn = int (*)(int*);
using FinalizedFn = int (*)(int*);
using InitThreadFn = int (*)(int*, char***, int, int*);
using FinalizeFn = int (*)();
using CommRankFn = int (*)(Comm, int*);
using CommSizeFn = int (*)(Comm, int*);
using CommSetErrhandlerFn = int (*)(Comm, Errhandler);
using ErrorStringFn = int (*)(int, char*, int*);
using AllreduceFn = int (*)(const void*, void*, int, Datatype, Op, Comm);
using BcastFn = int (*)(void*, int, Datatype, int, Comm);
using AllgatherFn = int (*)(const void*, int, Datatype, void*, int, Datatype, Comm);
using ReduceScatterBlockFn = int (*)(const void*, void*, int, Datatype, Op, Comm);
using BarrierFn = int (*)(Comm);

}  // namespace mpi
}  // namespace dist
}  // namespace nt
