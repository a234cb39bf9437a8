// 测试公用工具：临时目录（测试结束自动删除）。
#pragma once

#include <unistd.h>

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

}  // namespace seqrec::test
