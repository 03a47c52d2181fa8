// libmpi.so.40 opened at run time (RTLD_GLOBAL: Open MPI's MCA plugins
// resolve libmpi's symbols through the global namespace) and the symbols of
// mpi_abi.h resolved from it.
#pragma once
#include <string>

#include "mpi_abi.h"

namespace nt {
namespace dist {

struct MpiLibrary {
  mpi::InitializedFn initialized = nullptr;
  mpi::FinalizedFn finalized = nullptr;
  mpi::InitThreadFn initThread = nullptr;
  mpi::FinalizeFn finalize = nullptr;
  mpi::CommRankFn commRank = nullptr;
  mpi::CommSizeFn commSize = nullptr;
  mpi::CommSetErrhandlerFn commSetErrhandler = nullptr;
  mpi::ErrorStringFn errorString = nullptr;
  mpi::AllreduceFn allreduce = nullptr;
  mpi::BcastFn bcast = nullptr;
  mpi::AllgatherFn allgather = nullptr;
  mpi::ReduceScatterBlockFn reduceScatterBlock = nullptr;
  mpi::BarrierFn barrier = nullptr;
  mpi::Comm commWorld = nullptr;
  mpi::Errhandler errorsReturn = nullptr;
  mpi::Datatype float32 = nullptr, float64 = nullptr, int32 = nullptr, int64 = nullptr, uint8 = nullptr;
  mpi::Op opSum = nullptr, opMax = nullptr, opMin = nullptr;

  // The message of an MPI error code.
  std::string describe(int code) const;
};

// Opens `path` once per process (later calls with the same path return the
// first result). Returns nullptr and sets `reason` (which library, why, how
// to install it) when it cannot be opened or lacks a symbol.
const MpiLibrary* loadMpiLibrary(const std::string& path, std::string& reason);

}  // namespace dist
}  // namespace nt
