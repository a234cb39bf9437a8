// 临时缓冲池：一次调用借一份缓冲、用完归还，代替藏在 static thread_local 里的缓冲（fastText 的 Model::State
// 是显式传入的每次调用状态；这里由对象持有池，调用时显式借出）。
// 为什么不用 thread_local：服务按连接开线程时，每个连接线程各留一份缓冲（100 万物品的精确扫描一份约 4 MB），
// 换模型后旧尺寸的缓冲也一直留着。池里的缓冲属于模型 / 索引对象，随它一起释放；空闲时最多留 max_idle 份，
// 并发再高，多出的缓冲用完即释放。
#pragma once

#include <algorithm>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace seqrec {

class ScratchPool {
  using Ptr = std::unique_ptr<void, void (*)(void*)>;

 public:
  // max_idle：空闲时保留的份数（0 = 按核数的两倍）。
  explicit ScratchPool(size_t max_idle = 0)
      : max_idle_(max_idle > 0 ? max_idle : 2 * std::max(1u, std::thread::hardware_concurrency())) {}
  // 拷贝 / 移动得到一个空池：缓冲只是可丢弃的临时内存（模型对象按值返回时用到）。
  ScratchPool(const ScratchPool& o) : max_idle_(o.max_idle_) {}
  ScratchPool& operator=(const ScratchPool&) { return *this; }

  // 借出的一份 T；析构时归还。
  template <class T>
  class Lease {
   public:
    Lease(const ScratchPool* pool, Ptr p) : pool_(pool), p_(std::move(p)) {}
    Lease(Lease&&) = default;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (p_) pool_->give_back(std::move(p_));
    }
    T& operator*() const { return *static_cast<T*>(p_.get()); }
    T* operator->() const { return static_cast<T*>(p_.get()); }

   private:
    const ScratchPool* pool_;
    Ptr p_;
  };

  // 借一份缓冲（池空时新建一份默认构造的 T）。同一个池只能装一种 T。
  template <class T>
  Lease<T> acquire() const {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        Ptr p = std::move(idle_.back());
        idle_.pop_back();
        return Lease<T>(this, std::move(p));
      }
    }
    return Lease<T>(this, Ptr(new T(), [](void* p) { delete static_cast<T*>(p); }));
  }

  // 当前空闲的份数（测试用）。
  size_t idle() const {
    std::lock_guard<std::mutex> lock(mu_);
    return idle_.size();
  }

 private:
  void give_back(Ptr p) const {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(p));  // 否则在这里释放
  }

  size_t max_idle_;
  mutable std::mutex mu_;
  mutable std::vector<Ptr> idle_;
};

}  // namespace seqrec
