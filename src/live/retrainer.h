// 服务里的后台重新训练（seqrec serve --retrain-every / --retrain-after-events / --retrain-dir）：
// 到时间、攒够新事件或收到 POST /admin/retrain 时，在一个后台线程里对正在服务的模型运行一次 retrain
// （见 retrain.h），候选写到 --retrain-dir 下的 retrain-<UTC 时间>-<序号>/；通过质量门的候选立即热加载
// （与 /admin/reload 相同：加载失败时旧模型继续服务），并记进 --retrain-dir/current.json，
// 服务重启时（同一个 --model）从它继续，而不是退回到最初的模型。
// 目录只保留正在服务的模型、它的父模型与最近一个被拒绝的候选，其余的 retrain-* 目录删除。
#pragma once

#include <deque>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "live/retrain.h"
#include "serve/model_slot.h"
#include "serve/retrain_hook.h"
#include "store/history_store.h"

namespace seqrec {

// 何时、往哪里重新训练。
struct RetrainSchedule {
  double every_s = 0;        // > 0：距上一次开始满这么多秒时再训练一次（有新事件时）
  int64_t after_events = 0;  // > 0：上一次开始之后新存入这么多事件时训练
  std::string dir;           // 候选模型与 current.json 所在的目录
  std::string base_model;    // serve --model（current.json 记下它，重启时据此判断能否沿用）
  RetrainOptions retrain;    // 每次运行的选项（current / out 每次填写）
  void validate() const;
};

class BackgroundRetrainer : public RetrainHook {
 public:
  // store、slot 须比它活得久。构造后线程即开始等待触发条件。
  BackgroundRetrainer(const HistoryStore& store, std::string store_name, ModelSlot& slot, RetrainSchedule schedule);
  // 停止：正在进行的训练在本轮结束后停下（照常过质量门），然后线程退出。
  ~BackgroundRetrainer() override;
  BackgroundRetrainer(const BackgroundRetrainer&) = delete;
  BackgroundRetrainer& operator=(const BackgroundRetrainer&) = delete;

  // 上一次上线的模型：dir/current.json 记下的目录，只在它基于同一个 --model（路径与版本都相同）且目录完整时返回；
  // 否则返回空（用 --model）。
  static std::string resume_dir(const std::string& dir, const std::string& base_model);

  void note_events(int64_t n) override;
  bool trigger() override;
  nlohmann::ordered_json wait() override;
  nlohmann::ordered_json status() const override;
  RetrainCounters counters() const override;

 private:
  void loop();
  // 一次完整的重新训练（在后台线程里，不持锁）；返回写进 last_ 的结果。
  nlohmann::ordered_json run_once();
  // 删除不再需要的 retrain-* 目录。
  void prune(const std::string& serving, const std::string& last_rejected) const;

  const HistoryStore& store_;
  std::string store_name_;
  ModelSlot& slot_;
  RetrainSchedule sched_;
  mutable std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  bool stop_ = false, requested_ = false, running_ = false;
  int64_t events_since_ = 0;    // 上一次开始之后新存入的事件数
  double last_start_ = 0;       // 上一次开始的时刻（Unix 秒；起点为构造时）
  uint64_t runs_ = 0;
  RetrainCounters counters_;
  nlohmann::ordered_json last_; // 最近一次的结果（null = 还没有）
  std::deque<nlohmann::ordered_json> history_;  // 最近几次的结果，旧的在前（status() 的 history）
  static constexpr size_t kRetrainHistory = 50;
  std::thread thread_;
};

}  // namespace seqrec
