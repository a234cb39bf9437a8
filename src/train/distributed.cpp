// 进程组的实现：c10d::TCPStore 做约定，c10d::ProcessGroupGloo 做 allreduce / broadcast（Debian 的
// LibTorch 带着它们，Gloo 头文件来自 libgloo-dev）。不自己写通信层。
#include "train/distributed.h"

#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO 1  // ProcessGroupGloo.hpp 只在定义了它时才有内容
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <cstdlib>

#include "core/error.h"
#include "core/files.h"

namespace seqrec {

namespace {

// 环境变量的整数值（没有时为 fallback）；不是整数时抛出 Error。
int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end != '\0' || x < 0 || x > 1 << 20) throw Error(concat("environment variable ", name, "='", v, "' is not a valid number"));
  return static_cast<int>(x);
}

}  // namespace

DistOptions DistOptions::from_env() {
  DistOptions o;
  o.world_size = env_int("WORLD_SIZE", 1);
  o.rank = env_int("RANK", 0);
  if (const char* a = std::getenv("MASTER_ADDR"); a && *a) o.master_addr = a;
  o.master_port = env_int("MASTER_PORT", o.master_port);
  return o;
}

void DistOptions::validate() const {
  if (world_size < 1) throw Error(concat("--world-size must be >= 1, got ", world_size));
  if (rank < 0 || rank >= world_size)
    throw Error(concat("--rank must be in [0, world size ", world_size, "), got ", rank));
  if (master_port < 1 || master_port > 65535) throw Error(concat("master port must be in 1..65535, got ", master_port));
  if (master_addr.empty()) throw Error("the master address is empty (--master HOST:PORT or MASTER_ADDR)");
  if (timeout_s < 1) throw Error(concat("--dist-timeout must be >= 1 second, got ", timeout_s));
}

struct DistGroup::Impl {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
};

std::shared_ptr<DistGroup> DistGroup::connect(const DistOptions& o) {
  o.validate();
  auto g = std::shared_ptr<DistGroup>(new DistGroup());
  g->o_ = o;
  g->impl_ = std::make_unique<Impl>();
  const auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s) * 1000);
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(o.master_port);
    so.isServer = o.rank == 0;
    so.numWorkers = o.world_size;
    so.waitWorkers = true;
    so.timeout = timeout;
    g->impl_->store = c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
    auto opts = c10d::ProcessGroupGloo::Options::create();
    opts->timeout = timeout;
    // 本进程用哪个网卡收发（与 PyTorch 相同的约定）：GLOO_SOCKET_IFNAME 指定的网卡；master 在本机回环
    // 地址上时用回环；否则按本机主机名解析出的地址。
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
    if (ifname && *ifname)
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (o.master_addr == "127.0.0.1" || o.master_addr == "localhost")
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    g->impl_->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g->impl_->store, o.rank, o.world_size, opts);
  } catch (const std::exception& e) {
    throw Error(concat("rank ", o.rank, " of ", o.world_size, ": cannot join the process group at ", o.master_addr, ":",
                       o.master_port, " within ", o.timeout_s, " s: ", e.what()));
  }
  return g;
}

DistGroup::~DistGroup() = default;

namespace {
// 一次集合操作：等它完成；失败（别的进程停了或卡住、超时）时抛出说明是哪个进程、哪一步的 Error。
template <class F>
void collective(const DistOptions& o, const char* op, const char* what, F run) {
  try {
    run();
  } catch (const std::exception& e) {
    throw Error(concat("rank ", o.rank, ": ", op, " of ", what, " failed (another process stopped or is stuck; "
                       "timeout ", o.timeout_s, " s): ", e.what()));
  }
}
}  // namespace

void DistGroup::allreduce_sum(torch::Tensor& t, const char* what) {
  const double t0 = now_seconds();
  std::vector<at::Tensor> v = {t};
  collective(o_, "all-reduce", what, [&] { impl_->pg->allreduce(v)->wait(); });
  seconds_ += now_seconds() - t0;
}

void DistGroup::broadcast(torch::Tensor& t, const char* what) {
  const double t0 = now_seconds();
  std::vector<at::Tensor> v = {t};
  collective(o_, "broadcast", what, [&] { impl_->pg->broadcast(v)->wait(); });
  seconds_ += now_seconds() - t0;
}

}  // namespace seqrec
