// 文件工具：整文件读取、原子写入（先写临时文件再 rename）、SHA-256、目录的原子替换。
#pragma once

#include <cstdint>
#include <cstddef>
#include <string>
#include <string_view>

namespace seqrec {

// 读入整个文件；文件不存在或不可读时抛出带路径的 Error。也接受管道（例如 --data <(zcat x.gz)）。
std::string read_file(const std::string& path);

// 读入一个普通文件（模型目录里的文件用它）：FIFO、设备、目录、套接字一律拒绝而不会阻塞（打开时不等待
// 写端），大小超过 max_bytes 时不读、抛出 Error。读到的字节数与打开时的大小不同（文件正在被改写）也是错误。
std::string read_regular_file(const std::string& path, uint64_t max_bytes);

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

// 文件内容的 SHA-256（小写十六进制）。只读普通文件（FIFO、设备等抛出 Error，不会阻塞）；
// expected_bytes >= 0 时先核对大小，不符则不计算哈希、抛出 Error。
std::string sha256_file(const std::string& path, int64_t expected_bytes = -1);
// 字符串的 SHA-256（小写十六进制）。
std::string sha256_hex(const std::string& data);

// 在 final_dir 旁边创建一个唯一的临时目录（同一文件系统，便于 rename）：.<名字>.staging-<pid>-<随机>。
// 先清理以前被杀死的进程留下的 .<名字>.staging-*、.<名字>.old-*（名字里的 pid 已不存在）。
std::string make_staging_dir(const std::string& final_dir);

// 把已写完整的 staging 目录原子地发布为 final_dir。final_dir 已存在时用 renameat2(RENAME_EXCHANGE)
// 一步交换两个目录（任何时刻 final_dir 都是一个完整的模型），再删除换下来的旧目录；文件系统不支持交换时
// 退回“旧目录改名移开、staging 改名到位”。只替换 check_replaceable_dir 认可的目录，否则抛出 Error
// （staging 目录保持原样）。
void publish_dir(const std::string& staging_dir, const std::string& final_dir);

// 检查 dir 能否被 publish_dir 替换，否则抛出 Error：不存在、空目录，或是一个 seqrec 产物目录——
// manifest.json 能解析且是 seqrec 的（有 format_version、files 与 model_type 或 artifact），目录里
// 除了它列出的文件只有 seqrec 自己会写的东西（manifest.json、index.*.faiss、*.tmp-* 临时文件）。
// 其他文件不会被悄悄删除：错误消息列出它们。
void check_replaceable_dir(const std::string& dir);

// 训练开始之前检查输出目录（读数据之前就发现写不进去）：check_replaceable_dir，建好上级目录，
// 在上级目录里创建并删除一个探针目录；做不到时抛出说明原因的 Error。
void check_output_dir(const std::string& dir);

// 删除 path 旁边以前被杀死的进程留下的临时文件 <path>.tmp-<pid>-*（pid 已不存在或名字里没有 pid）。
void remove_stale_temp_files(const std::string& path);

// 对文件做 fsync（确保数据落盘后再 rename）。
void fsync_path(const std::string& path);

// 当前进程的峰值常驻内存（MiB），读取 /proc/self/status 的 VmHWM。
double peak_rss_mib();

// 把分配器缓存的空闲内存还给操作系统（tcmalloc 链接时用它的接口，否则 glibc 的 malloc_trim）。
// 加载大模型时的临时缓冲（整文件读入、解码副本）在释放后仍算在常驻内存里，服务在加载后调用它。
void release_free_memory();

// 单调时钟，单位秒。
double now_seconds();
// 墙钟时间：Unix 秒（带小数）。
double unix_now();
// Unix 秒 → UTC 时间文字：2026-12-06T08:00:00Z；compact 时为目录名用的 20261206T080000Z。
std::string utc_text(double unix_seconds, bool compact = false);

}  // namespace seqrec
