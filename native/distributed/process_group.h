// The MPI process group: one communication thread per process runs every MPI
// call (MPI_THREAD_SERIALIZED), so collectives never block the JavaScript
// thread. Jobs run in submission order, which every rank shares, so the
// collectives match up. Nothing here knows N-API: dist_bindings.cpp is the
// JavaScript side.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "common/codes.gen.h"
#include "mpi_library.h"

namespace nt {
namespace dist {

enum class Collective { AllReduce = 0, Broadcast = 1, AllGather = 2, ReduceScatter = 3, Barrier = 4 };
enum class ReduceOp { Sum = 0, Avg = 1, Max = 2, Min = 3 };
enum class BackendKind { Mpi = 0, Nccl = 1 };

// How the nccl backend's ranks find each other. With an MPI library, MPI
// gives rank and size and broadcasts rank 0's NCCL unique id; without one,
// rank and size come from the launcher's environment and rank 0 writes the id
// to idFile (a path every rank sees), which the others read.
struct NcclSetup {
  const MpiLibrary* mpi = nullptr;
  int rank = 0, size = 1;
  std::string idFile;
};

struct Job {
  Collective kind = Collective::Barrier;
  ReduceOp op = ReduceOp::Sum;
  int root = 0;
  DType dtype = DType::Float32;
  int64_t count = 0;                      // elements per rank (the input's, or the output's for reduceScatter)
  int64_t timeoutMs = 0;                  // the nccl backend's own watchdog
  std::shared_ptr<void> keepIn, keepOut;  // the buffers, alive until the job ran
  void* in = nullptr;
  void* out = nullptr;
  // Completion, written by the communication thread.
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::string error;  // empty on success
};

class ProcessGroup {
 public:
  static ProcessGroup& get();
  // Starts the thread and runs MPI_Init_thread on it; throws nt::Error
  // (Distributed) on failure or when it takes longer than timeoutMs.
  void init(const MpiLibrary* lib, int64_t timeoutMs, int& rank, int& size);
  // The nccl backend: MPI init when setup.mpi, the unique id exchange, and
  // ncclCommInitRank, on the thread; throws nt::Error (Distributed).
  void initNccl(const NcclSetup& setup, int64_t timeoutMs, int& rank, int& size);
  BackendKind backend() const { return backend_; }
  // Queues a job; onDone runs on the communication thread after it ran.
  void submit(const std::shared_ptr<Job>& job, std::function<void(const std::shared_ptr<Job>&)> onDone);
  // Waits for the job up to timeoutMs; false on timeout (the group is then broken).
  bool wait(Job& job, int64_t timeoutMs);
  // MPI_Finalize on the thread, then joins it; a broken group is left alone.
  void finalize(int64_t timeoutMs);
  // A collective timed out: its peer is gone and the thread may never come
  // back from MPI, so no more jobs are accepted and the thread is detached at exit.
  void markBroken() { broken_ = true; }
  bool broken() const { return broken_; }
  bool initialized() const { return initialized_; }
  bool finalized() const { return finalized_; }
  // Environment teardown: finalize a healthy group, abandon a broken one.
  void shutdown();

 private:
  void post(std::function<void()> task);
  void run(Job& job);
  std::string check(int rc, const char* what) const;
  std::string mpiInit(int* rank, int* size);
  std::string ncclRendezvous(const NcclSetup& setup, int rank, int size, int64_t timeoutMs, std::string* id);
  void start();
  bool mpiUsed_ = false;
  BackendKind backend_ = BackendKind::Mpi;
  std::string idFile_;  // removed by rank 0 at finalize
  struct Thread;
  Thread* thread_ = nullptr;
  const MpiLibrary* lib_ = nullptr;
  bool initialized_ = false;
  bool finalized_ = false;
  std::atomic<bool> broken_{false};
  int size_ = 1;
};

}  // namespace dist
}  // namespace nt
