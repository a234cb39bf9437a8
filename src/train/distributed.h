// 多进程数据并行训练的进程组：PyTorch 的 c10d（TCPStore 约定，ProcessGroupGloo 通信），与 torchrun 相同的
// 环境变量（RANK、WORLD_SIZE、MASTER_ADDR、MASTER_PORT）。训练循环只用这里的几个集合操作。
// 任何一个进程死掉或卡住：其余进程的集合操作在 timeout 内失败，抛出说明是哪一步的 Error（不会无声地挂住）。
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace seqrec {

// 进程组的设置。
struct DistOptions {
  int world_size = 1;
  int rank = 0;
  std::string master_addr = "127.0.0.1";  // rank 0 监听 TCPStore 的地址（其余进程连它）
  int master_port = 29500;
  int timeout_s = 300;  // 建组与每次集合操作的时限
  // 从 torchrun 的环境变量读（没有 WORLD_SIZE 时返回 world_size = 1）；变量的值不对时抛出 Error。
  static DistOptions from_env();
  void validate() const;
};

// 一个已建立的进程组。
class DistGroup {
 public:
  // 连接（rank 0 开 TCPStore，其余连上来）并建 Gloo 进程组；等齐全部进程，超时报错。
  static std::shared_ptr<DistGroup> connect(const DistOptions& o);
  ~DistGroup();
  int rank() const { return o_.rank; }
  int world_size() const { return o_.world_size; }
  // 逐元素求和（原地）：t 必须是连续的 float32 张量。
  void allreduce_sum(torch::Tensor& t, const char* what);
  // 把 rank 0 的张量复制到每个进程（原地）。
  void broadcast(torch::Tensor& t, const char* what);
  // 已经做过的集合操作的总耗时（写进训练日志与 manifest）。
  double seconds() const { return seconds_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  DistOptions o_;
  double seconds_ = 0;
};

}  // namespace seqrec
