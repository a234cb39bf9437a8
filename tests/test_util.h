// 测试公用工具：临时目录（测试结束自动删除）。
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include <filesystem>
#include <string>

#include "data/dataset.h"
#include "data/synthetic.h"

namespace seqrec::test {

// 训练测试共用的小合成数据集：150 个用户、60 个物品、4 个兴趣组、平均 15 个交互。
inline SequenceData small_synthetic_data() {
  SyntheticOptions so;
  so.users = 150;
  so.items = 60;
  so.groups = 4;
  so.mean_length = 15;
  return build_sequences(generate_synthetic(so), {});
}

// AddressSanitizer 构建里 SentencePiece 插件不能载入（它需要 RTLD_DEEPBIND，检测运行时拒绝它）：
// 依赖 unigram / bpe 分词器的用例在那里跳过或改用整词分词器。
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSentencePieceLoadable = false;
#else
constexpr bool kSentencePieceLoadable = true;
#endif

// RAII 临时目录。
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/seqrec-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// 连到回环地址的 port 并发送 data（原始 HTTP 字节），返回套接字（接收超时 timeout_s 秒）；连接失败返回 -1。
inline int raw_open(int port, const std::string& data, int timeout_s = 5) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{timeout_s, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
  return fd;
}

// 读到对端关闭或超时，关闭套接字，返回收到的全部字节。
inline std::string raw_read_all(int fd) {
  std::string got;
  if (fd < 0) return got;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return got;
}

#ifdef SEQREC_BINARY
// 运行 seqrec 程序，返回（退出码，stdout+stderr；stdout_only 时只有 stdout）。within_s > 0 时至多运行这么多秒
// （超时被 KILL，退出码为 137），用来检查“不会卡住”的情形。
inline std::pair<int, std::string> run_cli(const std::string& args, bool stdout_only = false, int within_s = 0) {
  // 子进程的预处理缓存写进本测试进程自己的临时目录（退出时删除），不碰用户的 ~/.cache。
  static TempDir cache_dir;
  ::setenv("SEQREC_CACHE_DIR", cache_dir.path().c_str(), 1);
  const std::string limit = within_s > 0 ? "timeout -s KILL " + std::to_string(within_s) + " " : "";
  const std::string cmd = limit + std::string(SEQREC_BINARY) + " " + args + (stdout_only ? " 2>/dev/null" : " 2>&1");
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// 写一个小的合成 ratings.csv 到 path（users×items，groups 个兴趣组，平均序列长 mean_length）。
inline void write_synthetic_csv(const std::string& path, int users, int items, int groups, double mean_length) {
  SyntheticOptions so;
  so.users = users;
  so.items = items;
  so.groups = groups;
  so.mean_length = mean_length;
  write_interactions_csv(path, generate_synthetic(so));
}

// 在 d 中写一个小的合成 ratings.csv（users×items，groups 个兴趣组），再用 seqrec train 训练一个
// 很小的长短期模型到 out（1 层、dim 16、max_len 8；extra 追加参数）。返回（退出码，输出）。
inline std::pair<int, std::string> train_tiny(const TempDir& d, int users, int items, int groups, double mean_length,
                                              const std::string& out, const std::string& extra = "--epochs 1") {
  if (!std::filesystem::exists(d.file("ratings.csv")))
    write_synthetic_csv(d.file("ratings.csv"), users, items, groups, mean_length);
  return run_cli("train --data " + d.file("ratings.csv") + " --out " + out +
                 " --dim 16 --ffn-dim 32 --layers 1 --max-len 8 --quiet " + extra);
}
#endif

}  // namespace seqrec::test
