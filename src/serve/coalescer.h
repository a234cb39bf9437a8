// 请求合并：并发到达的单个检索请求合成一批，共用一次矩阵乘法（精确检索时每块物品向量只读一次内存）。
//
// 不开后台线程、不设等待窗口（“机会式”合批）：第一个到达的请求成为领头者，把此刻排队的查询（至多
// max_batch 个）一起检索，再唤醒它们；领头者计算期间到达的请求排队，由下一个领头者一并处理。负载低时
// 每批只有一个查询，不增加延迟；负载高时批自然变大。
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

#include "index/retriever.h"

namespace seqrec {

class Coalescer {
 public:
  // retriever 的生命周期须长于合并器；max_batch ≥ 1。
  Coalescer(const Retriever& retriever, int max_batch);

  // 与 retriever.retrieve(query, k, filter) 结果相同，但可能与并发的调用合成一批。线程安全。
  std::vector<Hit> retrieve(const float* query, int k, const SearchFilter& filter);

  // 统计：已处理的批数与查询数（平均批大小 = queries / batches）。
  uint64_t batches() const;
  uint64_t queries() const;

 private:
  // 一个排队中的查询。
  struct Job {
    const float* query;
    int k;
    const SearchFilter* filter;
    std::vector<Hit> out;
    bool done = false;
  };

  const Retriever& retriever_;
  const int max_batch_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job*> queue_;
  bool leader_active_ = false;
  uint64_t batches_ = 0, queries_ = 0;
};

}  // namespace seqrec
