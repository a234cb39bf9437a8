// 服务指标：按路由与状态码计数的请求数、按路由的延迟直方图、进行中的请求数，
// 以 Prometheus 文本格式（version 0.0.4）输出。计数全部是无锁原子量，记录一次请求只有几次原子加。
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace seqrec {

// 路由（标签取值是固定集合，未知路径归入 other，避免标签基数失控）。
enum class Route { kRecommend, kBatch, kHealth, kLive, kReady, kMetrics, kAdminReload, kAdminStatus, kOther, kCount };
// 路由的标签名，例如 "/recommend"。
const char* route_label(Route r);

class Metrics {
 public:
  static constexpr size_t kRoutes = static_cast<size_t>(Route::kCount);
  // 计数的状态码（其余归入 "other"）。
  static constexpr std::array<int, 18> kCodes = {200, 202, 400, 401, 403, 404, 405, 408, 409,
                                                 413, 417, 422, 431, 500, 501, 503, 505, 0};
  // 延迟直方图的桶上界（秒）；最后还有 +Inf。
  static constexpr std::array<double, 14> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};

  // 记录一个已回答的请求。
  void observe(Route r, int status, double seconds);
  // 进行中的请求数（请求开始时 +1，回答后 −1）。
  std::atomic<int64_t> in_flight{0};
  // 被拒绝的请求（请求体过大、超时）也按状态码计入 observe；这里另计连接层面的事件。
  std::atomic<uint64_t> aborted{0};  // 客户端在回答前断开

  // 按 Prometheus 文本格式输出请求计数、直方图与进行中数。
  std::string render() const;

 private:
  struct PerRoute {
    std::array<std::atomic<uint64_t>, kCodes.size()> codes{};
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // 非累积；输出时累加
    std::atomic<uint64_t> sum_us{0};                                   // 总耗时（微秒）
  };
  std::array<PerRoute, kRoutes> routes_{};
};

// 转义 Prometheus 标签值中的反斜杠、引号与换行。
std::string prom_escape(const std::string& s);

}  // namespace seqrec
