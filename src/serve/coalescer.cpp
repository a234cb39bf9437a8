// 请求合并实现（领头者 / 跟随者）。
#include "serve/coalescer.h"

#include <algorithm>

#include "core/error.h"

namespace seqrec {

Coalescer::Coalescer(const Retriever& retriever, int max_batch) : retriever_(retriever), max_batch_(max_batch) {
  SEQREC_CHECK(max_batch >= 1);
}

std::vector<Hit> Coalescer::retrieve(const float* query, int k, const SearchFilter& filter) {
  Job job{query, k, &filter, {}, false};
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(&job);
  while (!job.done) {
    if (leader_active_) {
      cv_.wait(lock);
      continue;
    }
    // 成为领头者：取走此刻排队的查询（至多 max_batch 个），放开锁去计算。
    leader_active_ = true;
    const size_t n = std::min(queue_.size(), static_cast<size_t>(max_batch_));
    std::vector<Job*> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    lock.unlock();
    try {
      if (batch.size() == 1) {
        batch[0]->out = retriever_.retrieve(batch[0]->query, batch[0]->k, *batch[0]->filter);
      } else {
        const int d = retriever_.dim();
        std::vector<float> q(batch.size() * static_cast<size_t>(d));
        std::vector<SearchFilter> filters;
        bool any_filter = false;
        int max_k = 0;
        for (size_t i = 0; i < batch.size(); ++i) {
          std::copy(batch[i]->query, batch[i]->query + d, q.data() + i * static_cast<size_t>(d));
          any_filter |= !batch[i]->filter->empty();
          max_k = std::max(max_k, batch[i]->k);
        }
        if (any_filter)
          for (Job* j : batch) filters.push_back(*j->filter);
        auto res = retriever_.retrieve_batch(q.data(), static_cast<int>(batch.size()), max_k, filters);
        // 每个查询从 max_k 个结果里取自己的前 k 个（结果按得分降序，前缀即其 top-k）。
        for (size_t i = 0; i < batch.size(); ++i) {
          if (res[i].size() > static_cast<size_t>(batch[i]->k)) res[i].resize(static_cast<size_t>(batch[i]->k));
          batch[i]->out = std::move(res[i]);
        }
      }
    } catch (...) {
      // 计算失败（只可能是内存不足）：交还领头者身份，让每个查询各自重试一次，不让跟随者永远等待。
      lock.lock();
      leader_active_ = false;
      for (Job* j : batch)
        if (j != &job) queue_.push_front(j);
      cv_.notify_all();
      throw;
    }
    lock.lock();
    for (Job* j : batch) j->done = true;
    ++batches_;
    queries_ += batch.size();
    leader_active_ = false;
    cv_.notify_all();
  }
  return std::move(job.out);
}

uint64_t Coalescer::batches() const {
  std::lock_guard<std::mutex> l(mu_);
  return batches_;
}

uint64_t Coalescer::queries() const {
  std::lock_guard<std::mutex> l(mu_);
  return queries_;
}

}  // namespace seqrec
