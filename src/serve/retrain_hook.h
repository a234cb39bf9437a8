// 服务与后台重新训练之间的接口。实现在 live/（seqrec serve 带 --retrain-* 时创建）；seqrec-serve 没有训练，
// 不会有实现。服务只通过它：报告新存入的事件数、触发一次重新训练、读状态（/admin/status 与 /metrics）。
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

namespace seqrec {

// 后台重新训练的计数（/metrics）。
struct RetrainCounters {
  uint64_t promoted = 0, rejected = 0, failed = 0;  // 已完成的重新训练，按结果
  bool running = false;                              // 是否有一次正在进行
  double last_finished_at = 0;                       // 最近一次完成的时刻（Unix 秒；0 = 还没有）
  double last_seconds = 0;                           // 最近一次的耗时
  double last_candidate = 0, last_current = 0;       // 最近一次质量门的两个指标值
};

class RetrainHook {
 public:
  virtual ~RetrainHook() = default;
  // 新存入了 n 个事件（--retrain-after-events 据此计数）。必须很快返回。
  virtual void note_events(int64_t n) = 0;
  // 开始一次重新训练；已有一次在进行时返回 false。
  virtual bool trigger() = 0;
  // 等待正在进行的那次结束（没有时立即返回），返回最近一次的结果（status() 的 last 段）。
  virtual nlohmann::ordered_json wait() = 0;
  // /admin/status 的 retrain 段：配置、是否在进行、最近一次的结果与质量门。
  virtual nlohmann::ordered_json status() const = 0;
  virtual RetrainCounters counters() const = 0;
};

}  // namespace seqrec
