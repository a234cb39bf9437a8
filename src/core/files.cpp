// 文件工具的实现。所有写操作都遵循“临时文件 + fsync + rename”，保证不会留下半个产物。
#include "core/files.h"

#include <malloc.h>

#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <vector>

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

namespace {

// 文件类型的说明（错误消息用）。
const char* kind_of(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  return "not a regular file";
}

// 打开普通文件：O_NONBLOCK 让打开 FIFO 不等写端，fstat 之后再拒绝非普通文件。返回 fd 与大小。
int open_regular(const std::string& path, uint64_t* size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw Error(concat("cannot open file '", path, "': ", std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    const mode_t m = st.st_mode;
    ::close(fd);
    throw Error(concat("'", path, "' is ", kind_of(m), ", expected a regular file"));
  }
  // 普通文件的读本来就不会因 O_NONBLOCK 而返回 EAGAIN；清掉它只是为了语义清楚。
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  *size = static_cast<uint64_t>(st.st_size);
  return fd;
}

}  // namespace

std::string read_regular_file(const std::string& path, uint64_t max_bytes) {
  uint64_t size = 0;
  const int fd = open_regular(path, &size);
  if (size > max_bytes) {
    ::close(fd);
    throw Error(concat("'", path, "' has ", size, " bytes, more than the ", max_bytes, " allowed for it"));
  }
  std::string data(static_cast<size_t>(size), '\0');
  size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::read(fd, &data[off], data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  char extra;
  const bool more = off == data.size() && ::read(fd, &extra, 1) > 0;
  ::close(fd);
  if (off != data.size() || more) throw Error(concat("'", path, "' changed size while it was being read"));
  return data;
}

void fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;  // 尽力而为：目录在某些文件系统上无法打开
  ::fsync(fd);
  ::close(fd);
}

// 临时名的后缀 <pid>-<16 位随机十六进制>：随机部分避免并发写入互相覆盖，pid 让下一次运行认出
// 被杀死的进程留下的临时文件与目录（见 is_stale_suffix）。
static std::string random_suffix() {
  static thread_local std::mt19937_64 rng(std::random_device{}() ^
                                          static_cast<uint64_t>(::getpid()));
  char buf[40];
  std::snprintf(buf, sizeof buf, "%d-%016llx", static_cast<int>(::getpid()), static_cast<unsigned long long>(rng()));
  return buf;
}

// 后缀（random_suffix 的格式）所属的进程已不存在：临时文件或目录是残留。名字里没有 pid（旧版本
// 留下的 16 位十六进制后缀）也算残留。
static bool is_stale_suffix(const std::string& suffix) {
  const size_t dash = suffix.find('-');
  if (dash == std::string::npos || dash == 0) return true;
  int pid = 0;
  for (size_t i = 0; i < dash; ++i) {
    if (suffix[i] < '0' || suffix[i] > '9' || pid > 100000000) return true;
    pid = pid * 10 + (suffix[i] - '0');
  }
  if (pid <= 0) return true;
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// 删除 dir 里以 prefix 开头、后缀属于已不存在的进程的条目（文件或目录）。尽力而为，不抛出异常。
static void remove_stale_entries(const fs::path& dir, const std::string& prefix) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    if (!is_stale_suffix(name.substr(prefix.size()))) continue;
    std::error_code rm;
    fs::remove_all(it->path(), rm);
    if (!rm) std::fprintf(stderr, "removed '%s', left behind by an interrupted run\n", it->path().c_str());
  }
}

void remove_stale_temp_files(const std::string& path) {
  const fs::path p = fs::absolute(path).lexically_normal();
  remove_stale_entries(p.parent_path(), p.filename().string() + ".tmp-");
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

std::string sha256_file(const std::string& path, int64_t expected_bytes) {
  uint64_t size = 0;
  const int fd = open_regular(path, &size);
  if (expected_bytes >= 0 && size != static_cast<uint64_t>(expected_bytes)) {
    ::close(fd);
    throw Error(concat("'", path, "' has ", size, " bytes; manifest.json says ", expected_bytes));
  }
  Sha256 h;
  std::string buf(1 << 16, '\0');
  for (;;) {
    const ssize_t n = ::read(fd, &buf[0], buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw Error(concat("error while reading file '", path, "': ", std::strerror(err)));
    }
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
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
  const std::string base = "." + final_path.filename().string();
  remove_stale_entries(final_path.parent_path(), base + ".staging-");
  remove_stale_entries(final_path.parent_path(), base + ".old-");
  remove_stale_entries(final_path.parent_path(), base + ".probe-");
  fs::path staging = final_path.parent_path() / (base + ".staging-" + random_suffix());
  if (!fs::create_directory(staging, ec) || ec)
    throw Error(concat("cannot create directory '", staging.string(), "': ", ec.message()));
  return staging.string();
}

// seqrec 自己会写在产物目录里、但不在 manifest 的 files 表中的名字：manifest.json 本身、`seqrec index`
// 的索引文件（index.building.faiss 与被新索引取代的 index.<哈希>.faiss），以及原子写入的临时文件 *.tmp-*。
static bool written_by_seqrec(const std::string& name) {
  if (name == "manifest.json") return true;
  if (name.size() > 12 && name.compare(0, 6, "index.") == 0 && name.compare(name.size() - 6, 6, ".faiss") == 0) return true;
  return name.find(".tmp-") != std::string::npos;
}

void check_replaceable_dir(const std::string& dir) {
  // 只替换“空目录”或“seqrec 产物目录”，绝不把用户的文件或其他目录挪走删除。
  const fs::path p(dir);
  std::error_code ec;
  if (!fs::exists(p, ec)) return;
  if (!fs::is_directory(p, ec))
    throw Error(concat("'", dir, "' exists and is not a directory; choose another output directory"));
  if (fs::is_empty(p, ec)) return;
  const fs::path mpath = p / "manifest.json";
  if (!fs::exists(fs::symlink_status(mpath, ec)))
    throw Error(concat("'", dir, "' is a non-empty directory without manifest.json (not a seqrec model); ",
                       "refusing to replace it"));
  nlohmann::json m;
  std::string why;
  try {
    m = nlohmann::json::parse(read_regular_file(mpath.string(), 64u << 20), nullptr, false);
    if (m.is_discarded()) why = "it is not valid JSON";
    else if (!m.is_object() || !m.contains("format_version") || !m["format_version"].is_number_integer() ||
             !m.contains("files") || !m["files"].is_object() ||
             !((m.contains("model_type") && m["model_type"].is_string()) ||
               (m.contains("artifact") && m["artifact"].is_string())))
      why = "it has no format_version, files table and model_type or artifact";
  } catch (const Error& e) {
    why = e.what();
  }
  if (!why.empty())
    throw Error(concat("'", dir, "' has a manifest.json that is not a seqrec manifest (", why,
                       "); refusing to replace the directory"));
  std::vector<std::string> unknown;
  for (fs::directory_iterator it(p, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (written_by_seqrec(name)) continue;
    if (m["files"].contains(name) && it->is_regular_file(ec)) continue;
    unknown.push_back(name + (it->is_directory(ec) ? "/" : ""));
  }
  if (ec) throw Error(concat("cannot list '", dir, "': ", ec.message()));
  if (!unknown.empty()) {
    std::sort(unknown.begin(), unknown.end());
    std::string list;
    for (size_t i = 0; i < unknown.size() && i < 10; ++i) list += (i ? ", " : "") + unknown[i];
    if (unknown.size() > 10) list += concat(" and ", unknown.size() - 10, " more");
    throw Error(concat("'", dir, "' holds ", unknown.size(), unknown.size() == 1 ? " file" : " files",
                       " that its manifest.json does not list (", list,
                       "); replacing the directory would delete them: move them out or choose another output directory"));
  }
}

void check_output_dir(const std::string& dir) {
  check_replaceable_dir(dir);
  fs::path final_path = fs::absolute(dir).lexically_normal();
  if (final_path.filename().empty()) final_path = final_path.parent_path();
  const fs::path parent = final_path.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw Error(concat("cannot create directory '", parent.string(), "' for '", dir, "': ", ec.message()));
  // 探针：导出时要在上级目录里建 staging 目录再改名，所以就在那里试一次。
  const fs::path probe = parent / ("." + final_path.filename().string() + ".probe-" + random_suffix());
  if (!fs::create_directory(probe, ec) || ec)
    throw Error(concat("cannot write to '", parent.string(), "' (needed for '", dir, "'): ",
                       ec ? ec.message() : std::string("already exists")));
  fs::remove(probe, ec);
}

void publish_dir(const std::string& staging_dir, const std::string& final_dir) {
  fs::path final_path = fs::absolute(final_dir).lexically_normal();
  if (final_path.filename().empty()) final_path = final_path.parent_path();
  std::error_code ec;
  check_replaceable_dir(final_path.string());
  if (fs::exists(fs::symlink_status(final_path, ec))) {
    // 一步交换：交换之后 final_dir 是新模型，staging 路径上是旧模型；任何时刻都不会没有 final_dir。
    if (::renameat2(AT_FDCWD, staging_dir.c_str(), AT_FDCWD, final_path.c_str(), RENAME_EXCHANGE) == 0) {
      fsync_path(final_path.parent_path().string());
      fs::remove_all(staging_dir, ec);
      return;
    }
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
      throw Error(concat("cannot replace '", final_path.string(), "': ", std::strerror(errno)));
    // 文件系统不支持交换：旧目录先改名移开；此刻崩溃会留下 .<名字>.old-*（下次运行时清理），
    // 但不会有“半新半旧”的目录。
    const fs::path old = final_path.parent_path() / ("." + final_path.filename().string() + ".old-" + random_suffix());
    fs::rename(final_path, old, ec);
    if (ec) throw Error(concat("cannot move old '", final_path.string(), "' aside: ", ec.message()));
    fs::rename(staging_dir, final_path, ec);
    if (ec) {
      std::error_code back;
      fs::rename(old, final_path, back);  // 尽量恢复旧目录
      throw Error(concat("cannot publish '", final_path.string(), "': ", ec.message()));
    }
    fsync_path(final_path.parent_path().string());
    fs::remove_all(old, ec);
    return;
  }
  fs::rename(staging_dir, final_path, ec);
  if (ec) throw Error(concat("cannot publish '", final_path.string(), "': ", ec.message()));
  fsync_path(final_path.parent_path().string());
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

double unix_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string utc_text(double unix_seconds, bool compact) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, compact ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace seqrec
