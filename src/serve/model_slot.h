// 服务中的“当前模型”：可被原子替换的 shared_ptr。
//
// 每个请求开始时取一次 current()，整个请求都用这一个模型；热加载成功后新请求立即用新模型，
// 已在处理中的请求继续用旧模型直到结束（旧模型在最后一个引用释放时析构）。
// 加载在后台线程进行，同一时刻只有一个；失败时旧模型保持不变，失败原因被记录。
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "serve/model_bundle.h"

namespace seqrec {

class ModelSlot {
 public:
  // 从目录加载一个模型；失败时抛出异常（消息说明原因）。
  using Loader = std::function<std::shared_ptr<const ModelBundle>(const std::string& dir)>;

  // 一次加载的结果。
  struct Outcome {
    bool ok = false;
    std::string dir;
    std::string version;      // 成功时的新版本
    std::string error;        // 失败原因
    double seconds = 0;       // 加载耗时
  };

  // 加载统计（/metrics 与 /admin/status）。
  struct Stats {
    uint64_t successes = 0, failures = 0;
    bool loading = false;     // 是否有加载正在进行
    Outcome last;             // 最近一次完成的加载（含启动时的第一次）
    double loaded_at = 0;     // 当前模型生效的时刻（Unix 秒）
  };

  ModelSlot(std::string default_dir, Loader loader);
  ~ModelSlot();
  ModelSlot(const ModelSlot&) = delete;
  ModelSlot& operator=(const ModelSlot&) = delete;

  // 当前模型；尚未加载成功时为空。线程安全、无锁等待很短。
  std::shared_ptr<const ModelBundle> current() const { return std::atomic_load(&current_); }
  bool ready() const { return current() != nullptr; }

  // 在后台线程开始加载 dir（空 = 默认目录）。已有加载在进行时返回 false（不排队）。
  bool start_reload(const std::string& dir = "");
  // 等待正在进行的加载结束，返回最近一次结果。
  Outcome wait();
  // 在调用线程里同步加载（启动时用）；返回结果，成功时已切换。已有加载在进行时返回失败。
  Outcome reload_now(const std::string& dir = "");

  Stats stats() const;
  const std::string& default_dir() const { return default_dir_; }

 private:
  // 加载并切换；在 worker 线程或调用线程中运行。
  Outcome do_load(const std::string& dir);

  std::string default_dir_;
  Loader loader_;
  std::shared_ptr<const ModelBundle> current_;  // 只通过 std::atomic_load/atomic_store 访问
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Stats stats_;
  std::thread worker_;
};

}  // namespace seqrec
