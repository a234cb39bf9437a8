// 测试公用工具：临时目录（测试结束自动删除）。
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

#include <filesystem>
#include <string>

namespace seqrec::test {

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

#ifdef SEQREC_BINARY
// 运行 seqrec 程序，返回（退出码，stdout+stderr；stdout_only 时只有 stdout）。
inline std::pair<int, std::string> run_cli(const std::string& args, bool stdout_only = false) {
  // 子进程的预处理缓存写进本测试进程自己的临时目录（退出时删除），不碰用户的 ~/.cache。
  static TempDir cache_dir;
  ::setenv("SEQREC_CACHE_DIR", cache_dir.path().c_str(), 1);
  const std::string cmd = std::string(SEQREC_BINARY) + " " + args + (stdout_only ? " 2>/dev/null" : " 2>&1");
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}
#endif

}  // namespace seqrec::test
