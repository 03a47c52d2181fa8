// Deferred index errors (CUDA): a check kernel finds the lowest bad position
// of one launch's index values, a one-thread commit kernel stores it with
// the op in a device-resident IndexErrorRecord unless an earlier launch's
// error is already there, and the next synchronization point (copy to host,
// synchronize, item) reads the record and raises the IndexError the CPU
// would have raised at once. The same functions run on the host in the CPU
// twin (info_bindings.cpp: deferredIndexErrorTwin), which the tests drive.
#pragma once
#include <cstdint>
#include <string>

#include "common/hd.h"

namespace nt {

enum class IndexErrorOp : int64_t { None = 0, CrossEntropy, IndexSelect, IndexAdd, Gather, ScatterAdd, Embedding };

// All fields -1 (bytes 0xFF) means "no error recorded".
struct IndexErrorRecord {
  int64_t pos = -1;    // position of the first bad value of that launch
  int64_t value = -1;  // the bad value
  int64_t size = -1;   // valid range [0, size)
  int64_t op = -1;     // IndexErrorOp
  int64_t dim = -1;    // gather / scatter_add dimension
};

// A value is bad when outside [0, size), unless it is the ignore index.
NT_HD bool isBadIndex(int64_t v, int64_t size, bool hasIgnore, int64_t ignore) {
  return !(hasIgnore && v == ignore) && (v < 0 || v >= size);
}

// Keeps the first launch's error: later ones are dropped until it is taken.
NT_HD void commitIndexError(IndexErrorRecord* rec, int64_t pos, int64_t value, int64_t size, IndexErrorOp op,
                            int64_t dim) {
  if (rec->pos >= 0) return;
  rec->pos = pos;
  rec->value = value;
  rec->size = size;
  rec->op = static_cast<int64_t>(op);
  rec->dim = dim;
}

// An embedding lookup's bad id, with the fix (cpu/index.cpp raises the same text).
inline std::string embeddingIdMessage(int64_t id, int64_t numEmbeddings) {
  return "embedding: id " + std::to_string(id) + " is out of range [0, " + std::to_string(numEmbeddings) +
         ") for an Embedding with numEmbeddings " + std::to_string(numEmbeddings) +
         " (ids must be below numEmbeddings: check the vocabulary size or the tokenizer)";
}

// The CPU backend's message for the same bad value (cpu/index.cpp, cpu/loss.cpp).
inline std::string indexErrorMessage(const IndexErrorRecord& r) {
  const std::string range = " is out of range [0, " + std::to_string(r.size) + ")";
  const std::string v = std::to_string(r.value);
  switch (static_cast<IndexErrorOp>(r.op)) {
    case IndexErrorOp::CrossEntropy: return "cross_entropy: target " + v + " at row " + std::to_string(r.pos) + range;
    case IndexErrorOp::IndexSelect: return "index_select: index " + v + range;
    case IndexErrorOp::Embedding: return embeddingIdMessage(r.value, r.size);
    case IndexErrorOp::IndexAdd: return "index_add: index " + v + range;
    case IndexErrorOp::Gather: return "gather: index " + v + range + " along dim " + std::to_string(r.dim);
    case IndexErrorOp::ScatterAdd: return "scatter_add: index " + v + range + " along dim " + std::to_string(r.dim);
    default: return "index " + v + range;
  }
}

}  // namespace nt
