// 服务指标：按路由与状态码计数的请求数、按路由的延迟直方图、进行中的请求数，
// 以 Prometheus 文本格式（version 0.0.4）输出。计数全部是无锁原子量，记录一次请求只有几次原子加。
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace seqrec {

// 按路由计数：路由的标签由服务的路由表给出（构造时传入），未知路径归入最后一个标签 "other"，
// 标签基数因此是固定的。
class Metrics {
 public:
  // route_labels：路由表中各路由的标签（例如 "/recommend"），按路由下标排列；"other" 自动加在最后。
  explicit Metrics(std::vector<std::string> route_labels);
  // 计数的状态码（其余归入 "other"）。
  static constexpr std::array<int, 18> kCodes = {200, 202, 400, 401, 403, 404, 405, 408, 409,
                                                 413, 417, 422, 431, 500, 501, 503, 505, 0};
  // 延迟直方图的桶上界（秒）；最后还有 +Inf。
  static constexpr std::array<double, 14> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,    0.1,    0.25,  0.5,    1.0,   2.5};

  // 记录一个已回答的请求；route 是路由下标，超出范围（未知路径）时记在 "other"。
  void observe(size_t route, int status, double seconds);
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
  std::vector<std::string> labels_;          // 路由标签，最后一个是 "other"
  std::unique_ptr<PerRoute[]> routes_;       // 与 labels_ 一一对应（原子量不能放进可增长的 vector）
};

// 转义 Prometheus 标签值中的反斜杠、引号与换行。
std::string prom_escape(const std::string& s);

}  // namespace seqrec
