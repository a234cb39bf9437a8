// 服务中的“当前模型”：可被原子替换的 shared_ptr。
//
// 每个请求开始时取一次 current()，整个请求都用这一个模型；热加载成功后新请求立即用新模型，
// 已在处理中的请求继续用旧模型直到结束（旧模型在最后一个引用释放时析构）。
// 加载在后台线程进行，同一时刻只有一个；失败时旧模型保持不变，失败原因被记录。
//
// 加载有时限（load_timeout_s）：超时的加载被判为失败、放弃（它的线程跑完后结果被丢弃），之后的加载
// 照常进行；等待加载的调用方可以随时放弃（停机时）。析构不等待进行中的加载，所以停机与热加载
// 永远不会被一个卡住的加载挡住。加载线程只持有共享状态的引用，槽析构之后它也不会访问已释放的内存。
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

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

  // load_timeout_s：一次加载的时限（秒，0 = 不限）。
  ModelSlot(std::string default_dir, Loader loader, double load_timeout_s = 0);
  ModelSlot(const ModelSlot&) = delete;
  ModelSlot& operator=(const ModelSlot&) = delete;

  // 当前模型；尚未加载成功时为空。线程安全、无锁等待很短。
  std::shared_ptr<const ModelBundle> current() const;
  bool ready() const { return current() != nullptr; }

  // 在后台线程开始加载 dir（空 = 默认目录）。已有加载在进行时返回 false（不排队）。
  bool start_reload(const std::string& dir = "");
  // 等待正在进行的加载结束（或超时），返回最近一次结果。give_up 非空时每 100 ms 问一次，为真时不再
  // 等待，返回 ok = false、error 说明放弃（加载本身继续在后台进行）。
  Outcome wait(const std::function<bool()>& give_up = nullptr);
  // 加载并等待结果（启动时与测试用）；成功时已切换。已有加载在进行时返回失败。
  Outcome reload_now(const std::string& dir = "");

  Stats stats() const;
  // 默认目录（SIGHUP 与不带 model_dir 的 /admin/reload 重新加载它）。后台重新训练上线一个候选后把它改成候选的目录，
  // 之后的 SIGHUP 重新加载的是正在服务的模型，而不是退回到启动时的 --model。
  std::string default_dir() const;
  void set_default_dir(const std::string& dir);
  double load_timeout() const { return load_timeout_s_; }

 private:
  struct Shared;
  // 在后台线程里加载；只有 generation 仍是自己的那一次时才切换与记账（超时后被放弃的加载不算）。
  static void run_load(const std::shared_ptr<Shared>& s, uint64_t generation, const std::string& dir);

  std::string default_dir_;  // s_->mu 保护
  double load_timeout_s_;
  std::shared_ptr<Shared> s_;  // 加载线程也持有它
};

}  // namespace seqrec
