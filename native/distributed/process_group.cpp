#include "process_group.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <thread>

#include "common/errors.h"
#include "cuda/cuda_api.h"

namespace nt {
namespace dist {

struct ProcessGroup::Thread {
  std::mutex m;
  std::condition_variable cv;
  std::deque<std::function<void()>> tasks;
  bool stop = false;
  std::thread t;
  void loop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(m);
        cv.wait(lock, [&] { return stop || !tasks.empty(); });
        if (tasks.empty()) return;
        task = std::move(tasks.front());
        tasks.pop_front();
      }
      task();
    }
  }
};

ProcessGroup& ProcessGroup::get() {
  static auto* pg = new ProcessGroup();  // never destroyed: its thread may be stuck in MPI at exit
  return *pg;
}

void ProcessGroup::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(thread_->m);
    thread_->tasks.push_back(std::move(task));
  }
  thread_->cv.notify_one();
}

std::string ProcessGroup::check(int rc, const char* what) const {
  return rc == mpi::kSuccess ? std::string() : std::string(what) + " failed: " + lib_->describe(rc);
}

void ProcessGroup::start() {
  if (finalized_ || broken_) {
    throw Error(ErrorKind::Distributed,
                "the process group was already destroyed in this process (MPI and the NCCL communicator can be "
                "initialized once per process)");
  }
  if (initialized_) throw Error(ErrorKind::Distributed, "the process group is already initialized");
  thread_ = new Thread();
  thread_->t = std::thread([t = thread_] { t->loop(); });
}

// On the communication thread.
std::string ProcessGroup::mpiInit(int* rank, int* size) {
  int already = 0;
  lib_->initialized(&already);
  if (already) return "MPI was initialized outside nodetorch";
  int provided = 0;
  std::string err = check(lib_->initThread(nullptr, nullptr, mpi::kThreadSerialized, &provided), "MPI_Init_thread");
  if (err.empty() && provided < mpi::kThreadSerialized) {
    err = "MPI_Init_thread gave thread level " + std::to_string(provided) + ", MPI_THREAD_SERIALIZED needed";
  }
  if (err.empty()) mpiUsed_ = true;
  // Errors come back as codes (then typed errors), instead of aborting the job.
  if (err.empty()) err = check(lib_->commSetErrhandler(lib_->commWorld, lib_->errorsReturn), "MPI_Comm_set_errhandler");
  if (err.empty()) err = check(lib_->commRank(lib_->commWorld, rank), "MPI_Comm_rank");
  if (err.empty()) err = check(lib_->commSize(lib_->commWorld, size), "MPI_Comm_size");
  return err;
}

void ProcessGroup::init(const MpiLibrary* lib, int64_t timeoutMs, int& rank, int& size) {
  start();
  lib_ = lib;
  auto job = std::make_shared<Job>();
  auto r = std::make_shared<std::pair<int, int>>(0, 1);
  post([this, job, r] {
    std::string err = mpiInit(&r->first, &r->second);
    std::lock_guard<std::mutex> lock(job->m);
    job->error = err;
    job->done = true;
    job->cv.notify_all();
  });
  if (!wait(*job, timeoutMs)) {
    throw Error(ErrorKind::Distributed, "MPI_Init_thread did not finish within " + std::to_string(timeoutMs) +
                                            " ms (is mpirun's daemon reachable?)");
  }
  if (!job->error.empty()) throw Error(ErrorKind::Distributed, job->error);
  initialized_ = true;
  rank = r->first;
  size = size_ = r->second;
}

// Rank 0's NCCL unique id to every rank: MPI_Bcast, or the id file. On the thread.
std::string ProcessGroup::ncclRendezvous(const NcclSetup& setup, int rank, int size, int64_t timeoutMs,
                                         std::string* id) {
  if (rank == 0) {
    const std::string err = cuda::ncclUniqueId(id);
    if (!err.empty()) return err;
  }
  if (size == 1) return "";
  if (setup.mpi) {
    id->resize(128);
    return check(lib_->bcast(&(*id)[0], 128, lib_->uint8, 0, lib_->commWorld), "MPI_Bcast (NCCL unique id)");
  }
  const std::string& f = setup.idFile;
  if (rank == 0) {
    // Written under another name, then renamed: a reader sees all 128 bytes or nothing.
    const std::string tmp = f + ".tmp" + std::to_string(static_cast<long>(::getpid()));
    std::FILE* out = std::fopen(tmp.c_str(), "wb");
    if (!out) return "cannot write the NCCL id file " + tmp + ": " + std::strerror(errno);
    const bool ok = std::fwrite(id->data(), 1, id->size(), out) == id->size();
    if (std::fclose(out) != 0 || !ok || std::rename(tmp.c_str(), f.c_str()) != 0) {
      return "cannot write the NCCL id file " + f + ": " + std::strerror(errno);
    }
    return "";
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  for (;;) {
    if (std::FILE* in = std::fopen(f.c_str(), "rb")) {
      char buf[128];
      const size_t n = std::fread(buf, 1, sizeof(buf), in);
      std::fclose(in);
      if (n == sizeof(buf)) {
        id->assign(buf, sizeof(buf));
        return "";
      }
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return "rank 0 did not write the NCCL id file " + f + " within " + std::to_string(timeoutMs) +
             " ms (NODETORCH_NCCL_ID_FILE must name the same path, on a shared file system, for every rank)";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void ProcessGroup::initNccl(const NcclSetup& setup, int64_t timeoutMs, int& rank, int& size) {
  start();
  lib_ = setup.mpi;
  backend_ = BackendKind::Nccl;
  idFile_ = !setup.mpi && setup.rank == 0 ? setup.idFile : std::string();
  auto job = std::make_shared<Job>();
  auto r = std::make_shared<std::pair<int, int>>(setup.rank, setup.size);
  post([this, job, r, setup, timeoutMs] {
    std::string err;
    if (setup.mpi) err = mpiInit(&r->first, &r->second);
    std::string id;
    if (err.empty()) err = ncclRendezvous(setup, r->first, r->second, timeoutMs, &id);
    if (err.empty()) err = cuda::ncclInit(id, r->first, r->second);
    std::lock_guard<std::mutex> lock(job->m);
    job->error = err;
    job->done = true;
    job->cv.notify_all();
  });
  if (!wait(*job, timeoutMs + 1000)) {
    cuda::ncclAbort();
    throw Error(ErrorKind::Distributed, "the NCCL process group did not form within " + std::to_string(timeoutMs) +
                                            " ms (every rank must call initProcessGroup; is rank 0 running?)");
  }
  if (!job->error.empty()) {
    broken_ = true;  // a half-made group cannot be retried in this process
    throw Error(ErrorKind::Distributed, job->error);
  }
  initialized_ = true;
  rank = r->first;
  size = size_ = r->second;
}

template <typename T>
static void divideBy(void* p, int64_t n, int d) {
  T* x = static_cast<T*>(p);
  for (int64_t i = 0; i < n; ++i) x[i] /= static_cast<T>(d);
}

void ProcessGroup::run(Job& j) {
  if (backend_ == BackendKind::Nccl) {
    cuda::NcclCall call;
    call.kind = static_cast<int>(j.kind);
    call.op = static_cast<int>(j.op);
    call.root = j.root;
    call.dtype = static_cast<int>(j.dtype);
    call.count = j.count;
    call.in = j.in;
    call.out = j.out;
    call.timeoutMs = j.timeoutMs;
    j.error = cuda::ncclCollective(call);
    if (!j.error.empty()) broken_ = true;  // NCCL errors leave the communicator aborted
    return;
  }
  const MpiLibrary& l = *lib_;
  mpi::Datatype dt = nullptr;
  switch (j.dtype) {
    case DType::Float32: dt = l.float32; break;
    case DType::Float64: dt = l.float64; break;
    case DType::Int32: dt = l.int32; break;
    case DType::Int64: dt = l.int64; break;
    default: dt = l.uint8; break;  // uint8, bool
  }
  mpi::Op op = j.op == ReduceOp::Max ? l.opMax : j.op == ReduceOp::Min ? l.opMin : l.opSum;
  const int n = static_cast<int>(j.count);  // checked against INT_MAX at submission
  std::string err;
  switch (j.kind) {
    case Collective::AllReduce:
      if (n > 0) err = check(l.allreduce(mpi::kInPlace, j.in, n, dt, op, l.commWorld), "MPI_Allreduce");
      break;
    case Collective::Broadcast:
      if (n > 0) err = check(l.bcast(j.in, n, dt, j.root, l.commWorld), "MPI_Bcast");
      break;
    case Collective::AllGather:
      if (n > 0) err = check(l.allgather(j.in, n, dt, j.out, n, dt, l.commWorld), "MPI_Allgather");
      break;
    case Collective::ReduceScatter:
      if (n > 0) err = check(l.reduceScatterBlock(j.in, j.out, n, dt, op, l.commWorld), "MPI_Reduce_scatter_block");
      break;
    case Collective::Barrier: err = check(l.barrier(l.commWorld), "MPI_Barrier"); break;
  }
  if (err.empty() && j.op == ReduceOp::Avg && n > 0) {
    void* p = j.kind == Collective::ReduceScatter ? j.out : j.in;
    if (j.dtype == DType::Float32) divideBy<float>(p, n, size_);
    if (j.dtype == DType::Float64) divideBy<double>(p, n, size_);
  }
  j.error = err;
}

void ProcessGroup::submit(const std::shared_ptr<Job>& job, std::function<void(const std::shared_ptr<Job>&)> onDone) {
  if (broken_) {
    throw Error(ErrorKind::Distributed,
                "an earlier collective timed out (a peer died or stopped); the process group is unusable");
  }
  if (!initialized_ || finalized_) {
    throw Error(ErrorKind::Distributed, "the process group is not initialized; call initProcessGroup() first");
  }
  post([this, job, onDone = std::move(onDone)] {
    run(*job);
    {
      std::lock_guard<std::mutex> lock(job->m);
      job->done = true;
    }
    job->cv.notify_all();
    if (onDone) onDone(job);
  });
}

bool ProcessGroup::wait(Job& job, int64_t timeoutMs) {
  std::unique_lock<std::mutex> lock(job.m);
  const bool ok = job.cv.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] { return job.done; });
  if (!ok) broken_ = true;
  return ok;
}

void ProcessGroup::finalize(int64_t timeoutMs) {
  if (!initialized_ || finalized_) return;
  finalized_ = true;
  if (broken_) {
    if (backend_ == BackendKind::Nccl) cuda::ncclAbort();
    return;
  }
  auto job = std::make_shared<Job>();
  post([this, job] {
    std::string err;
    if (backend_ == BackendKind::Nccl) {
      err = cuda::ncclDestroy();
      if (!idFile_.empty()) std::remove(idFile_.c_str());
    }
    if (mpiUsed_) {
      const std::string e = check(lib_->finalize(), "MPI_Finalize");
      if (err.empty()) err = e;
    }
    std::lock_guard<std::mutex> lock(job->m);
    job->error = err;
    job->done = true;
    job->cv.notify_all();
  });
  if (!wait(*job, timeoutMs)) {
    throw Error(ErrorKind::Distributed,
                "destroying the process group did not finish within " + std::to_string(timeoutMs) + " ms");
  }
  shutdown();
  if (!job->error.empty()) throw Error(ErrorKind::Distributed, job->error);
}

void ProcessGroup::shutdown() {
  if (thread_ == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(thread_->m);
    thread_->stop = true;
  }
  thread_->cv.notify_one();
  if (broken_) {
    thread_->t.detach();  // stuck in MPI; the process exit ends it
  } else {
    thread_->t.join();
    delete thread_;
  }
  thread_ = nullptr;
}

}  // namespace dist
}  // namespace nt
