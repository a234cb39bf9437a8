// 文件工具：整文件读取、原子写入（先写临时文件再 rename）、SHA-256、目录的原子替换。
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace seqrec {

// 读入整个文件；文件不存在或不可读时抛出带路径的 Error。
std::string read_file(const std::string& path);

// 原子写文件：写入同目录下的临时文件、fsync，然后 rename 覆盖目标。
// 进程在任何时刻被杀死，目标要么是旧内容，要么是完整的新内容。
void write_file_atomic(const std::string& path, const std::string& data);

// 流式的原子写入：内容先写进同目录下的临时文件（带缓冲），commit() 时 fsync 并 rename 为目标；
// 没有 commit 就析构（出错、异常）时删除临时文件，目标保持原样。用于放不进一个字符串的大输出。
class AtomicWriter {
 public:
  explicit AtomicWriter(std::string path);
  ~AtomicWriter();
  AtomicWriter(const AtomicWriter&) = delete;
  AtomicWriter& operator=(const AtomicWriter&) = delete;

  // 追加字节（缓冲满时写出；写失败抛出 Error）。
  void write(std::string_view data);
  // 写出缓冲、fsync、rename；之后不能再写。
  void commit();
  const std::string& path() const { return path_; }

 private:
  void flush_buffer();
  std::string path_, tmp_;
  std::string buf_;
  int fd_ = -1;
};

// 文件内容的 SHA-256（小写十六进制）。
std::string sha256_file(const std::string& path);
// 字符串的 SHA-256（小写十六进制）。
std::string sha256_hex(const std::string& data);

// 在 final_dir 旁边创建一个唯一的临时目录（同一文件系统，便于 rename）。
std::string make_staging_dir(const std::string& final_dir);

// 把已写完整的 staging 目录原子地发布为 final_dir：
// 若 final_dir 已存在，先把它改名移开，再 rename staging，最后删除旧目录。
// 只会替换空目录或含 manifest.json 的旧模型目录；其他已存在的路径抛出 Error（staging 目录保持原样）。
void publish_dir(const std::string& staging_dir, const std::string& final_dir);

// 检查 dir 能否被 publish_dir 替换（不存在、空目录、或含 manifest.json 的模型目录），否则抛出 Error。
void check_replaceable_dir(const std::string& dir);

// 对文件做 fsync（确保数据落盘后再 rename）。
void fsync_path(const std::string& path);

// 当前进程的峰值常驻内存（MiB），读取 /proc/self/status 的 VmHWM。
double peak_rss_mib();

// 把分配器缓存的空闲内存还给操作系统（tcmalloc 链接时用它的接口，否则 glibc 的 malloc_trim）。
// 加载大模型时的临时缓冲（整文件读入、解码副本）在释放后仍算在常驻内存里，服务在加载后调用它。
void release_free_memory();

// 单调时钟，单位秒。
double now_seconds();

}  // namespace seqrec
