// 预处理缓存实现。二进制布局（小端）：
//   "SEQRECD2" | u64 raw_interactions | u64 len + user_map JSON | u64 len + item_map JSON |
//   u64 用户数 | 每个用户：u32 长度 + int32 物品下标 ... |
//   u64 切分数（0 或用户数）| int32 train_end[...] | int32 valid_end[...] | "END1"
#include "data/cache.h"

#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "core/files.h"

namespace seqrec {

namespace {

constexpr char kMagic[8] = {'S', 'E', 'Q', 'R', 'E', 'C', 'D', '2'};
constexpr int kCacheVersion = 2;

// 追加一个定长整数。
template <typename T>
void put(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// 顺序读取器：越界时置 ok=false，之后的读取都返回 0。
struct Reader {
  const std::string& s;
  size_t pos = 0;
  bool ok = true;
  template <typename T>
  T get() {
    T v{};
    if (!ok || s.size() - pos < sizeof v) {
      ok = false;
      return v;
    }
    std::memcpy(&v, s.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  std::string bytes(uint64_t n) {
    if (!ok || s.size() - pos < n) {
      ok = false;
      return {};
    }
    std::string r = s.substr(pos, n);
    pos += n;
    return r;
  }
};

}  // namespace

std::string default_cache_dir() {
  if (const char* d = std::getenv("SEQREC_CACHE_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/seqrec";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/seqrec";
  return "";
}

std::string cache_path(const std::string& cache_dir, const std::string& data_file, const nlohmann::json& options) {
  struct stat st {};
  if (::stat(data_file.c_str(), &st) != 0) throw Error(concat(data_file, ": cannot read: ", std::strerror(errno)));
  const nlohmann::json key = {{"version", kCacheVersion},
                              {"file", std::filesystem::absolute(data_file).string()},
                              {"size", static_cast<int64_t>(st.st_size)},
                              {"mtime_ns", static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec},
                              {"options", options}};
  const std::string stem = std::filesystem::path(data_file).filename().string();
  return cache_dir + "/" + stem + "." + sha256_hex(key.dump()).substr(0, 24) + ".seqdata";
}

std::string encode_sequence_data(const SequenceData& d) {
  std::string out(kMagic, sizeof kMagic);
  put<uint64_t>(out, static_cast<uint64_t>(d.raw_interactions));
  for (const IdMap* m : {&d.users, &d.items}) {
    const std::string j = m->to_json_text();
    put<uint64_t>(out, j.size());
    out += j;
  }
  put<uint64_t>(out, d.seqs.size());
  for (const auto& s : d.seqs) {
    put<uint32_t>(out, static_cast<uint32_t>(s.size()));
    out.append(reinterpret_cast<const char*>(s.data()), s.size() * sizeof(int32_t));
  }
  // 显式切分（temporal）：u64 个数（0 = 留一法），然后 train_end、valid_end 各一个 i32 数组。
  put<uint64_t>(out, d.train_end.size());
  for (const auto* v : {&d.train_end, &d.valid_end})
    out.append(reinterpret_cast<const char*>(v->data()), v->size() * sizeof(int32_t));
  out += "END1";
  return out;
}

std::optional<SequenceData> decode_sequence_data(const std::string& bytes, std::string* why) {
  auto fail = [&](const char* w) -> std::optional<SequenceData> {
    if (why) *why = w;
    return std::nullopt;
  };
  if (bytes.size() < sizeof kMagic || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    return fail("not a seqrec cache file or another cache version");
  Reader r{bytes, sizeof kMagic};
  SequenceData d;
  d.raw_interactions = static_cast<int64_t>(r.get<uint64_t>());
  try {
    for (IdMap* m : {&d.users, &d.items}) {
      const std::string j = r.bytes(r.get<uint64_t>());
      if (!r.ok) return fail("truncated");
      *m = IdMap::from_json(nlohmann::json::parse(j), "cache");
    }
  } catch (const std::exception&) {
    return fail("id maps are corrupt");
  }
  const uint64_t users = r.get<uint64_t>();
  if (!r.ok || users != d.users.size()) return fail("user count does not match the user map");
  d.seqs.resize(users);
  const int64_t n_items = d.num_items();
  for (auto& s : d.seqs) {
    const uint32_t len = r.get<uint32_t>();
    const std::string raw = r.bytes(uint64_t(len) * sizeof(int32_t));
    if (!r.ok) return fail("truncated");
    s.resize(len);
    if (!raw.empty()) std::memcpy(s.data(), raw.data(), raw.size());  // 空向量的 data() 可以是空指针
    for (int32_t v : s)
      if (v < 0 || v >= n_items) return fail("item index out of range");
  }
  const uint64_t nsplit = r.get<uint64_t>();
  if (!r.ok) return fail("truncated");
  if (nsplit != 0 && nsplit != users) return fail("split does not match the user count");
  for (auto* v : {&d.train_end, &d.valid_end}) {
    const std::string raw = r.bytes(nsplit * sizeof(int32_t));
    if (!r.ok) return fail("truncated");
    v->resize(nsplit);
    if (!raw.empty()) std::memcpy(v->data(), raw.data(), raw.size());  // 留一法时为空：不能把空指针交给 memcpy
  }
  for (uint64_t u = 0; u < nsplit; ++u)
    if (d.train_end[u] < 0 || d.train_end[u] > d.valid_end[u] ||
        d.valid_end[u] > static_cast<int32_t>(d.seqs[u].size()))
      return fail("split boundaries out of range");
  if (r.bytes(4) != "END1" || r.pos != bytes.size()) return fail("truncated or trailing bytes");
  return d;
}

}  // namespace seqrec
