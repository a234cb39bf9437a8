// `seqrec launch --nproc N -- train ...`：在本机起 N 个进程一起训练（与 torchrun --standalone 相同的做法）：
// 每个进程带上 RANK、WORLD_SIZE、LOCAL_RANK、MASTER_ADDR、MASTER_PORT 环境变量，执行同一个 seqrec 程序；
// 收到的 SIGINT / SIGTERM 转给全部进程；任何一个进程失败，其余的先收到 SIGTERM、10 秒后 SIGKILL，整体以失败退出。
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "commands.h"
#include "core/error.h"

namespace seqrec::app {

namespace {

struct LaunchFlags {
  int nproc = 2;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;  // 0 = 找一个空闲端口
  std::vector<std::string> command;
};

// 本机上一个空闲的 TCP 端口（绑定端口 0 再放开；rank 0 随后在它上面监听）。
int free_port(const std::string& addr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw Error(concat("launch: cannot open a socket: ", std::strerror(errno)));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  if (::inet_pton(AF_INET, addr.c_str(), &a.sin_addr) != 1) {
    ::close(fd);
    throw Error(concat("--master-addr must be an IPv4 address, got '", addr, "'"));
  }
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    throw Error(concat("launch: cannot find a free port on ", addr, ": ", err));
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// 一个子进程的退出状态的文字说明。
std::string describe(int status) {
  if (WIFEXITED(status)) return concat("exited with status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return concat("was killed by signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)), ")");
  return "stopped";
}

void run_launch(const LaunchFlags& f) {
  if (f.command.empty() || f.command[0] != "train")
    throw Error("give the training command after --, e.g. seqrec launch --nproc 2 -- train --model sasrec --data "
                "ratings.csv --out model");
  const int port = f.master_port > 0 ? f.master_port : free_port(f.master_addr);
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) throw Error("launch: cannot find this program (/proc/self/exe)");
  self[n] = '\0';
  // 信号由这里统一处理：先屏蔽，子进程里再解除。
  sigset_t sigs, old;
  sigemptyset(&sigs);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&sigs, s);
  sigprocmask(SIG_BLOCK, &sigs, &old);
  std::vector<pid_t> pids;
  for (int r = 0; r < f.nproc; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) throw Error(concat("launch: fork failed: ", std::strerror(errno)));
    if (pid == 0) {
      sigprocmask(SIG_SETMASK, &old, nullptr);
      ::setenv("RANK", std::to_string(r).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(f.nproc).c_str(), 1);
      ::setenv("MASTER_ADDR", f.master_addr.c_str(), 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      std::vector<char*> argv;
      argv.push_back(self);
      for (const auto& a : f.command) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(self, argv.data());
      std::fprintf(stderr, "launch: cannot run %s: %s\n", self, std::strerror(errno));
      ::_exit(127);
    }
    pids.push_back(pid);
  }
  std::string list;
  for (size_t i = 0; i < pids.size(); ++i) list += concat(i ? " " : "", pids[i]);
  std::fprintf(stderr, "launch: %d processes (pids of ranks 0..%d: %s), master %s:%d\n", f.nproc, f.nproc - 1,
               list.c_str(), f.master_addr.c_str(), port);
  std::vector<bool> alive(pids.size(), true);
  int live = f.nproc, failed_rank = -1, failed_status = 0;
  bool sent_kill = false;  // 是否已对仍未退出的进程发出 SIGKILL（之后被 SIGKILL 杀死的不算外来原因）
  auto signal_all = [&](int sig) {
    for (size_t i = 0; i < pids.size(); ++i)
      if (alive[i]) ::kill(pids[i], sig);
  };
  auto deadline = std::chrono::steady_clock::time_point::max();  // 失败之后：到时还没退出的用 SIGKILL
  while (live > 0) {
    const timespec tick{0, 100 * 1000 * 1000};
    const int sig = sigtimedwait(&sigs, nullptr, &tick);
    if (sig > 0) {
      std::fprintf(stderr, "launch: %s, passing it to every process\n", strsignal(sig));
      signal_all(sig);
    }
    for (;;) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      for (size_t i = 0; i < pids.size(); ++i)
        if (pids[i] == pid && alive[i]) {
          alive[i] = false;
          --live;
          const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
          // 根因优先：一个进程被外来的信号杀死时，别的进程随后因连接断开而出错退出，可能先被回收。
          // 被我们没发过的信号（不是 SIGTERM，也还没升级到 SIGKILL）杀死的进程才是原因，报告它。
          const bool outside_signal = WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM && !sent_kill;
          if (!ok && failed_rank >= 0 && outside_signal && !WIFSIGNALED(failed_status)) {
            failed_rank = static_cast<int>(i);
            failed_status = status;
            std::fprintf(stderr, "launch: rank %zu %s\n", i, describe(status).c_str());
          }
          if (!ok && failed_rank < 0) {
            failed_rank = static_cast<int>(i);
            failed_status = status;
            std::fprintf(stderr, "launch: rank %zu %s; stopping the other processes\n", i, describe(status).c_str());
            signal_all(SIGTERM);
            deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
          }
        }
    }
    if (std::chrono::steady_clock::now() > deadline) {
      sent_kill = true;
      signal_all(SIGKILL);
      deadline = std::chrono::steady_clock::time_point::max();
    }
  }
  sigprocmask(SIG_SETMASK, &old, nullptr);
  if (failed_rank >= 0)
    throw Error(concat("launch: rank ", failed_rank, " ", describe(failed_status), "; the group stopped (no model "
                       "is exported unless rank 0 finished)"));
  std::fprintf(stderr, "launch: all %d processes finished\n", f.nproc);
}

}  // namespace

// 注册 launch 子命令。
void setup_launch(CLI::App& app) {
  auto f = std::make_shared<LaunchFlags>();
  auto* cmd = app.add_subcommand("launch", "run N local processes of 'seqrec train' that train one model together "
                                           "(data parallel over torch.distributed / Gloo, like torchrun --standalone)");
  cmd->add_option("--nproc", f->nproc, "number of processes")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--master-addr", f->master_addr, "address rank 0 listens on")->capture_default_str();
  cmd->add_option("--master-port", f->master_port, "port rank 0 listens on (0 = a free one)")->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("command", f->command, "the seqrec command after --, e.g. -- train --model sasrec ...")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->callback([f] { run_launch(*f); });
}

}  // namespace seqrec::app
