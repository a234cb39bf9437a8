// 文件工具的实现。所有写操作都遵循“临时文件 + fsync + rename”，保证不会留下半个产物。
#include "core/files.h"

#include <malloc.h>

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

#include "core/error.h"

namespace fs = std::filesystem;

namespace seqrec {

std::string read_file(const std::string& path) {
  if (fs::is_directory(path)) throw Error(concat("'", path, "' is a directory, expected a file"));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(concat("cannot open file '", path, "': ", std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error(concat("error while reading file '", path, "'"));
  return ss.str();
}

void fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;  // 尽力而为：目录在某些文件系统上无法打开
  ::fsync(fd);
  ::close(fd);
}

// 生成一个短随机后缀，用于临时文件名，避免并发写入互相覆盖。
static std::string random_suffix() {
  static thread_local std::mt19937_64 rng(std::random_device{}() ^
                                          static_cast<uint64_t>(::getpid()));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

void write_file_atomic(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp-" + random_suffix();
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error(concat("cannot create file '", tmp, "': ", std::strerror(errno)));
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) {
      std::remove(tmp.c_str());
      throw Error(concat("cannot write file '", tmp, "' (disk full?)"));
    }
  }
  fsync_path(tmp);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    throw Error(concat("cannot rename '", tmp, "' to '", path, "': ", std::strerror(err)));
  }
}

AtomicWriter::AtomicWriter(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp-" + random_suffix()) {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(concat("cannot create file '", tmp_, "': ", std::strerror(errno)));
  buf_.reserve(1 << 20);
}

AtomicWriter::~AtomicWriter() {
  if (fd_ >= 0) {  // 没有 commit：丢弃临时文件
    ::close(fd_);
    ::unlink(tmp_.c_str());
  }
}

void AtomicWriter::write(std::string_view data) {
  if (fd_ < 0) throw Error(concat("write to '", path_, "' after commit"));
  buf_.append(data);
  if (buf_.size() >= (1u << 20)) flush_buffer();
}

// 把缓冲完整写入临时文件（处理短写与 EINTR）。
void AtomicWriter::flush_buffer() {
  size_t off = 0;
  while (off < buf_.size()) {
    const ssize_t n = ::write(fd_, buf_.data() + off, buf_.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw Error(concat("cannot write file '", tmp_, "': ", std::strerror(errno), " (disk full?)"));
    off += static_cast<size_t>(n);
  }
  buf_.clear();
}

void AtomicWriter::commit() {
  flush_buffer();
  if (::fsync(fd_) != 0) throw Error(concat("cannot fsync '", tmp_, "': ", std::strerror(errno)));
  ::close(fd_);
  fd_ = -1;
  if (std::rename(tmp_.c_str(), path_.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp_.c_str());
    throw Error(concat("cannot rename '", tmp_, "' to '", path_, "': ", std::strerror(err)));
  }
}

// 把摘要字节转成十六进制字符串。
static std::string to_hex(const unsigned char* d, unsigned n) {
  static const char* k = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (unsigned i = 0; i < n; ++i) {
    s[2 * i] = k[d[i] >> 4];
    s[2 * i + 1] = k[d[i] & 15];
  }
  return s;
}

// 基于 OpenSSL EVP 的增量 SHA-256 计算器（RAII 管理上下文）。
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    SEQREC_CHECK(ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1);
  }
  void update(const void* p, size_t n) { EVP_DigestUpdate(ctx_.get(), p, n); }
  std::string hex() {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    EVP_DigestFinal_ex(ctx_.get(), d, &n);
    return to_hex(d, n);
  }

 private:
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx_;
};

std::string sha256_hex(const std::string& data) {
  Sha256 h;
  h.update(data.data(), data.size());
  return h.hex();
}

std::string sha256_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(concat("cannot open file '", path, "': ", std::strerror(errno)));
  Sha256 h;
  std::string buf(1 << 16, '\0');
  while (in) {
    in.read(&buf[0], static_cast<std::streamsize>(buf.size()));
    h.update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  return h.hex();
}

std::string make_staging_dir(const std::string& final_dir) {
  fs::path final_path = fs::absolute(final_dir).lexically_normal();
  if (final_path.filename().empty()) final_path = final_path.parent_path();
  std::error_code ec;
  fs::create_directories(final_path.parent_path(), ec);
  if (ec)
    throw Error(concat("cannot create directory '", final_path.parent_path().string(),
                       "': ", ec.message()));
  fs::path staging = final_path.parent_path() /
                     ("." + final_path.filename().string() + ".staging-" + random_suffix());
  if (!fs::create_directory(staging, ec) || ec)
    throw Error(concat("cannot create directory '", staging.string(), "': ", ec.message()));
  return staging.string();
}

void check_replaceable_dir(const std::string& dir) {
  // 只替换“空目录”或“以前导出的模型目录”（含 manifest.json），绝不把用户的文件或其他目录挪走删除。
  const fs::path p(dir);
  if (fs::exists(p) && !fs::is_directory(p))
    throw Error(concat("'", dir, "' exists and is not a directory; choose another output directory"));
  if (fs::is_directory(p) && !fs::is_empty(p) && !fs::exists(p / "manifest.json"))
    throw Error(concat("'", dir, "' is a non-empty directory without manifest.json (not a seqrec model); ",
                       "refusing to replace it"));
}

void publish_dir(const std::string& staging_dir, const std::string& final_dir) {
  fs::path final_path = fs::absolute(final_dir).lexically_normal();
  if (final_path.filename().empty()) final_path = final_path.parent_path();
  std::error_code ec;
  fs::path old;
  check_replaceable_dir(final_path.string());
  if (fs::exists(final_path)) {
    // 旧目录先改名移开；此刻崩溃会留下旧目录的备份，但不会有“半新半旧”的目录。
    old = final_path.parent_path() /
          ("." + final_path.filename().string() + ".old-" + random_suffix());
    fs::rename(final_path, old, ec);
    if (ec)
      throw Error(concat("cannot move old '", final_path.string(), "' aside: ", ec.message()));
  }
  fs::rename(staging_dir, final_path, ec);
  if (ec) {
    if (!old.empty()) fs::rename(old, final_path);  // 尽量恢复旧目录
    throw Error(concat("cannot publish '", final_path.string(), "': ", ec.message()));
  }
  fsync_path(final_path.parent_path().string());
  if (!old.empty()) fs::remove_all(old, ec);
}

double peak_rss_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0.0;
}

// tcmalloc 的 C 接口：弱符号，没有链接 tcmalloc 时为空指针。
extern "C" void MallocExtension_ReleaseFreeMemory(void) __attribute__((weak));

void release_free_memory() {
  if (MallocExtension_ReleaseFreeMemory) MallocExtension_ReleaseFreeMemory();
  else malloc_trim(0);
}

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace seqrec
