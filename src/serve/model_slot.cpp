// 可热替换的模型槽实现。
#include "serve/model_slot.h"

#include <chrono>

#include "core/error.h"
#include "core/files.h"

namespace seqrec {

namespace {

// Unix 时间（秒，带小数）。
double unix_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

ModelSlot::ModelSlot(std::string default_dir, Loader loader)
    : default_dir_(std::move(default_dir)), loader_(std::move(loader)) {}

ModelSlot::~ModelSlot() {
  if (worker_.joinable()) worker_.join();
}

ModelSlot::Outcome ModelSlot::do_load(const std::string& dir) {
  Outcome o;
  o.dir = dir;
  const double t0 = now_seconds();
  try {
    std::shared_ptr<const ModelBundle> b = loader_(dir);
    SEQREC_CHECK(b != nullptr, "model loader returned nothing");
    o.version = b->version;
    std::atomic_store(&current_, std::move(b));  // 原子切换：之后开始的请求看到新模型
    o.ok = true;
  } catch (const std::exception& e) {
    o.error = e.what();
  }
  o.seconds = now_seconds() - t0;
  release_free_memory();  // 加载时的临时缓冲（与失败时的半成品）不再占着常驻内存
  std::lock_guard<std::mutex> lock(mu_);
  (o.ok ? stats_.successes : stats_.failures)++;
  if (o.ok) stats_.loaded_at = unix_seconds();
  stats_.last = o;
  stats_.loading = false;
  cv_.notify_all();
  return o;
}

bool ModelSlot::start_reload(const std::string& dir) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stats_.loading) return false;
  stats_.loading = true;
  if (worker_.joinable()) worker_.join();  // 上一个 worker 已结束（loading 为 false），join 立即返回
  const std::string d = dir.empty() ? default_dir_ : dir;
  worker_ = std::thread([this, d] { do_load(d); });
  return true;
}

ModelSlot::Outcome ModelSlot::wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !stats_.loading; });
  return stats_.last;
}

ModelSlot::Outcome ModelSlot::reload_now(const std::string& dir) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stats_.loading) {
      Outcome o;
      o.dir = dir.empty() ? default_dir_ : dir;
      o.error = "another load is in progress";
      return o;
    }
    stats_.loading = true;
  }
  return do_load(dir.empty() ? default_dir_ : dir);
}

ModelSlot::Stats ModelSlot::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace seqrec
