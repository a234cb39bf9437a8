// 可热替换的模型槽实现。
#include "serve/model_slot.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <thread>

#include "core/error.h"
#include "core/files.h"

namespace seqrec {

// 槽与加载线程共享的状态。
struct ModelSlot::Shared {
  Loader loader;
  double timeout = 0;
  std::shared_ptr<const ModelBundle> current;  // 只通过 std::atomic_load/atomic_store 访问
  std::mutex mu;
  std::condition_variable cv;
  Stats stats;
  uint64_t generation = 0;  // 每次开始加载、每次放弃都加一；加载线程凭它判断结果是否还有人要
  std::string loading_dir;
  double started = 0;       // 进行中的加载开始的时刻（单调秒）
  double deadline = std::numeric_limits<double>::infinity();

  // 进行中的加载已超时：判为失败并放弃（持锁调用）。
  void expire_locked(double now) {
    if (!stats.loading || now < deadline) return;
    ++generation;
    Outcome o;
    o.dir = loading_dir;
    o.seconds = now - started;
    o.error = concat("loading did not finish within ", timeout, " s (--load-timeout); gave up on it");
    std::fprintf(stderr, "load of %s abandoned after %.1fs (--load-timeout %g)\n", loading_dir.c_str(), o.seconds, timeout);
    ++stats.failures;
    stats.last = o;
    stats.loading = false;
    cv.notify_all();
  }
};

ModelSlot::ModelSlot(std::string default_dir, Loader loader, double load_timeout_s)
    : default_dir_(std::move(default_dir)), load_timeout_s_(load_timeout_s), s_(std::make_shared<Shared>()) {
  if (!(load_timeout_s >= 0)) throw Error(concat("--load-timeout must be >= 0 seconds (0 = none), got ", load_timeout_s));
  s_->loader = std::move(loader);
  s_->timeout = load_timeout_s;
}

std::shared_ptr<const ModelBundle> ModelSlot::current() const { return std::atomic_load(&s_->current); }

void ModelSlot::run_load(const std::shared_ptr<Shared>& s, uint64_t generation, const std::string& dir) {
  Outcome o;
  o.dir = dir;
  const double t0 = now_seconds();
  std::shared_ptr<const ModelBundle> b;
  try {
    b = s->loader(dir);
    SEQREC_CHECK(b != nullptr, "model loader returned nothing");
    o.version = b->version;
    o.ok = true;
  } catch (const std::exception& e) {
    o.error = e.what();
  }
  o.seconds = now_seconds() - t0;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    if (s->generation == generation && s->stats.loading) {  // 没有被放弃：切换并记账
      if (o.ok) {
        std::atomic_store(&s->current, std::move(b));  // 原子切换：之后开始的请求看到新模型
        s->stats.loaded_at = unix_now();
      }
      (o.ok ? s->stats.successes : s->stats.failures)++;
      s->stats.last = o;
      s->stats.loading = false;
      s->cv.notify_all();
    }
  }
  b.reset();              // 被放弃的加载：结果在锁外析构
  release_free_memory();  // 加载时的临时缓冲（与失败时的半成品）不再占着常驻内存
}

bool ModelSlot::start_reload(const std::string& dir) {
  std::lock_guard<std::mutex> lock(s_->mu);
  const std::string d = dir.empty() ? default_dir_ : dir;
  s_->expire_locked(now_seconds());
  if (s_->stats.loading) return false;
  s_->stats.loading = true;
  const uint64_t gen = ++s_->generation;
  s_->loading_dir = d;
  s_->started = now_seconds();
  s_->deadline = s_->timeout > 0 ? s_->started + s_->timeout : std::numeric_limits<double>::infinity();
  try {
    std::thread([s = s_, gen, d] { run_load(s, gen, d); }).detach();
  } catch (const std::exception& e) {
    s_->stats.loading = false;
    throw Error(concat("cannot start a loading thread: ", e.what()));
  }
  return true;
}

ModelSlot::Outcome ModelSlot::wait(const std::function<bool()>& give_up) {
  std::unique_lock<std::mutex> lock(s_->mu);
  for (;;) {
    const double now = now_seconds();
    s_->expire_locked(now);
    if (!s_->stats.loading) return s_->stats.last;
    if (give_up) {
      lock.unlock();
      const bool stop = give_up();
      lock.lock();
      if (stop) {
        Outcome o;
        o.dir = s_->loading_dir;
        o.error = "stopped waiting for the load (shutting down)";
        return o;
      }
    }
    // 醒来的时刻：加载结束（通知）、时限、或下一次问 give_up。
    double wake = s_->deadline;
    if (give_up) wake = std::min(wake, now + 0.1);
    if (std::isinf(wake)) {
      s_->cv.wait(lock);
    } else {
      s_->cv.wait_for(lock, std::chrono::duration<double>(std::max(0.0, wake - now)));
    }
  }
}

ModelSlot::Outcome ModelSlot::reload_now(const std::string& dir) {
  if (!start_reload(dir)) {
    Outcome o;
    o.dir = dir.empty() ? default_dir() : dir;
    o.error = "another load is in progress";
    return o;
  }
  return wait();
}

std::string ModelSlot::default_dir() const {
  std::lock_guard<std::mutex> lock(s_->mu);
  return default_dir_;
}

void ModelSlot::set_default_dir(const std::string& dir) {
  std::lock_guard<std::mutex> lock(s_->mu);
  default_dir_ = dir;
}

ModelSlot::Stats ModelSlot::stats() const {
  std::lock_guard<std::mutex> lock(s_->mu);
  s_->expire_locked(now_seconds());
  return s_->stats;
}

}  // namespace seqrec
