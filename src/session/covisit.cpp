// 共现矩阵的构建、保存与加载。
#include "session/covisit.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <thread>

#include "core/error.h"
#include "core/files.h"
#include "core/manifest.h"

namespace seqrec {

namespace fs = std::filesystem;

const char* covisit_kind_name(int kind) {
  static const char* k[] = {"clicks", "carts_orders", "buy2buy"};
  return kind >= 0 && kind < kCovisitKinds ? k[kind] : "?";
}

void CovisitOptions::validate() const {
  if (window_ms <= 0) throw Error(concat("--window must be > 0 (got ", window_ms / 1000.0, " s)"));
  if (buy_window_ms <= 0) throw Error(concat("--buy-window must be > 0 (got ", buy_window_ms / 1000.0, " s)"));
  if (top_m < 1 || top_m > 10000) throw Error(concat("--top-m must be in [1, 10000] (got ", top_m, ")"));
  if (session_tail < 2 || session_tail > 10000)
    throw Error(concat("--session-tail must be in [2, 10000] (got ", session_tail, ")"));
  for (float w : type_weight)
    if (!(w >= 0 && w < 1e6)) throw Error(concat("--type-weights must be in [0, 1e6) (got ", w, ")"));
  if (threads < 1 || threads > 256) throw Error(concat("--threads must be in [1, 256] (got ", threads, ")"));
  if (memory_budget < (size_t{1} << 20)) throw Error("--memory-budget must be at least 1 MiB");
}

nlohmann::ordered_json CovisitOptions::to_json() const {
  nlohmann::ordered_json j;
  j["window_seconds"] = window_ms / 1000.0;
  j["buy_window_seconds"] = buy_window_ms / 1000.0;
  j["top_m"] = top_m;
  j["session_tail"] = session_tail;
  j["type_weights"] = {{"clicks", type_weight[0]}, {"carts", type_weight[1]}, {"orders", type_weight[2]}};
  j["threads"] = threads;
  j["memory_budget_mib"] = static_cast<double>(memory_budget) / (1 << 20);
  return j;
}

namespace {

constexpr double kFixed = 65536.0;  // 定点权重的刻度：整数累加与顺序无关
constexpr uint64_t kEmpty = ~uint64_t{0};

// 物品对 → 定点权重的开放寻址哈希表（可增长）。
class PairMap {
 public:
  PairMap() { rehash(1 << 16); }
  void add(uint64_t key, int64_t w) {
    if ((size_ + 1) * 2 > keys_.size()) rehash(keys_.size() * 2);
    size_t h = mix(key) & mask_;
    while (keys_[h] != kEmpty && keys_[h] != key) h = (h + 1) & mask_;
    if (keys_[h] == kEmpty) {
      keys_[h] = key;
      vals_[h] = 0;
      ++size_;
    }
    vals_[h] += w;
  }
  template <class F>
  void for_each(F&& f) const {
    for (size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] != kEmpty) f(keys_[i], vals_[i]);
  }
  size_t size() const { return size_; }
  void clear() {
    std::vector<uint64_t>().swap(keys_);
    std::vector<int64_t>().swap(vals_);
    size_ = 0;
  }

 private:
  static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  void rehash(size_t cap) {
    std::vector<uint64_t> ok = std::move(keys_);
    std::vector<int64_t> ov = std::move(vals_);
    keys_.assign(cap, kEmpty);
    vals_.assign(cap, 0);
    mask_ = cap - 1;
    for (size_t i = 0; i < ok.size(); ++i) {
      if (ok[i] == kEmpty) continue;
      size_t h = mix(ok[i]) & mask_;
      while (keys_[h] != kEmpty) h = (h + 1) & mask_;
      keys_[h] = ok[i];
      vals_[h] = ov[i];
    }
  }
  std::vector<uint64_t> keys_;
  std::vector<int64_t> vals_;
  size_t mask_ = 0, size_ = 0;
};

// 物品 a 属于哪一份（份 = 哈希 mod units）。
inline uint32_t unit_of(int32_t a, uint32_t units) {
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * 0x9e3779b97f4a7c15ull) >> 40) % units;
}

// 一条保留下来的邻居。
struct Kept {
  int32_t a, b;
  int64_t w;
};

// 一个会话在某个变体下的事件下标（按时间，最多 tail 个，buy2buy 只取加购/下单）。
void session_events(const SessionData& d, int64_t s, int kind, int tail, std::vector<int64_t>& out) {
  out.clear();
  const int64_t b = d.begin(s), e = d.end(s);
  for (int64_t i = e - 1; i >= b && static_cast<int>(out.size()) < tail; --i)
    if (kind != static_cast<int>(CovisitKind::kBuy2Buy) || d.type[static_cast<size_t>(i)] != 0) out.push_back(i);
  std::reverse(out.begin(), out.end());
}

// 构建一种变体的邻居表。
NeighbourTable build_kind(const SessionData& d, int kind, const CovisitOptions& opt, int64_t ts_min, int64_t ts_max,
                          nlohmann::ordered_json& info) {
  const int T = opt.threads;
  const int64_t window = kind == static_cast<int>(CovisitKind::kBuy2Buy) ? opt.buy_window_ms : opt.window_ms;
  const double span = std::max<double>(1.0, static_cast<double>(ts_max - ts_min));
  // 物品对实例数的上界（不计窗口与去重）：决定分几遍，使每遍的哈希表不超过内存预算。
  double bound = 0;
  {
    std::vector<int64_t> ev;
    for (int64_t s = 0; s < d.num_sessions(); ++s) {
      session_events(d, s, kind, opt.session_tail, ev);
      const double n = static_cast<double>(ev.size());
      bound += n * (n - 1);
    }
  }
  const double bytes_per_pair = 40;  // 16 字节的键值，负载 ≤ 0.5，加上扩容时的旧表
  const int parts = static_cast<int>(std::max(1.0, std::ceil(bound * bytes_per_pair / static_cast<double>(opt.memory_budget))));
  const uint32_t units = static_cast<uint32_t>(parts * T);
  std::vector<std::vector<Kept>> kept(static_cast<size_t>(units));
  std::vector<size_t> distinct(static_cast<size_t>(units), 0);
  std::vector<std::string> errors(static_cast<size_t>(T));

  // 线程 t 在第 p 遍处理 unit = p*T + t 的物品 a。
  auto work = [&](uint32_t unit, int t) {
    try {
      PairMap map;
      std::vector<int64_t> ev;
      std::vector<std::pair<uint64_t, int64_t>> pairs;
      for (int64_t s = 0; s < d.num_sessions(); ++s) {
        session_events(d, s, kind, opt.session_tail, ev);
        if (ev.size() < 2) continue;
        pairs.clear();
        for (int64_t i : ev) {
          const int32_t a = d.aid[static_cast<size_t>(i)];
          if (unit_of(a, units) != unit) continue;
          const int64_t ta = d.ts[static_cast<size_t>(i)];
          for (int64_t j : ev) {
            const int32_t b = d.aid[static_cast<size_t>(j)];
            if (b == a) continue;
            const int64_t tb = d.ts[static_cast<size_t>(j)];
            if (std::llabs(ta - tb) >= window) continue;
            const uint8_t tyb = d.type[static_cast<size_t>(j)];
            double w;
            uint64_t sub = 0;
            if (kind == static_cast<int>(CovisitKind::kClicks)) {
              w = 1.0 + 3.0 * static_cast<double>(ta - ts_min) / span;
            } else if (kind == static_cast<int>(CovisitKind::kCartsOrders)) {
              w = opt.type_weight[tyb];
              sub = tyb;
            } else {
              w = 1.0;
            }
            const uint64_t key = (static_cast<uint64_t>(a) << 33) | (static_cast<uint64_t>(b) << 2) | sub;
            pairs.push_back({key, static_cast<int64_t>(std::llround(w * kFixed))});
          }
        }
        // 同一会话内同一物品对只计一次（取最大权重，即最近的一次）。
        std::sort(pairs.begin(), pairs.end(), [](const auto& x, const auto& y) {
          return x.first != y.first ? x.first < y.first : x.second > y.second;
        });
        for (size_t k = 0; k < pairs.size(); ++k)
          if (k == 0 || pairs[k].first != pairs[k - 1].first) map.add(pairs[k].first >> 2, pairs[k].second);
      }
      distinct[unit] = map.size();
      // 每个 a 取权重最高的 top_m 个（平局取较小的物品下标，结果确定）。
      std::vector<Kept> all;
      all.reserve(map.size());
      map.for_each([&](uint64_t key, int64_t w) {
        all.push_back({static_cast<int32_t>(key >> 31), static_cast<int32_t>(key & 0x7fffffffu), w});
      });
      map.clear();
      std::sort(all.begin(), all.end(), [](const Kept& x, const Kept& y) {
        if (x.a != y.a) return x.a < y.a;
        if (x.w != y.w) return x.w > y.w;
        return x.b < y.b;
      });
      auto& out = kept[unit];
      int run = 0;
      for (size_t k = 0; k < all.size(); ++k) {
        run = (k > 0 && all[k].a == all[k - 1].a) ? run + 1 : 0;
        if (run < opt.top_m) out.push_back(all[k]);
      }
    } catch (const std::exception& e) {
      errors[static_cast<size_t>(t)] = e.what();
    }
  };
  for (int p = 0; p < parts; ++p) {
    std::vector<std::thread> pool;
    for (int t = 1; t < T; ++t) pool.emplace_back(work, static_cast<uint32_t>(p * T + t), t);
    work(static_cast<uint32_t>(p * T), 0);
    for (auto& th : pool) th.join();
    for (const auto& e : errors)
      if (!e.empty()) throw Error(concat("co-visitation build failed: ", e));
  }
  // 汇总成 CSR。
  const int32_t n = d.num_items();
  NeighbourTable tab;
  tab.offsets.assign(static_cast<size_t>(n) + 1, 0);
  size_t total = 0, pairs_distinct = 0;
  for (uint32_t u = 0; u < units; ++u) {
    for (const auto& k : kept[u]) ++tab.offsets[static_cast<size_t>(k.a) + 1];
    total += kept[u].size();
    pairs_distinct += distinct[u];
  }
  for (size_t i = 1; i < tab.offsets.size(); ++i) tab.offsets[i] += tab.offsets[i - 1];
  tab.neighbours.resize(total);
  tab.weights.resize(total);
  // 每个 a 只属于一份，且份内已按 (a, 权重降序) 排好：依次填入 a 的区间即保持顺序。
  std::vector<int64_t> fill(tab.offsets.begin(), tab.offsets.end() - 1);
  for (uint32_t u = 0; u < units; ++u)
    for (const auto& x : kept[u]) {
      const size_t at = static_cast<size_t>(fill[static_cast<size_t>(x.a)]++);
      tab.neighbours[at] = x.b;
      tab.weights[at] = static_cast<float>(static_cast<double>(x.w) / kFixed);
    }
  info[covisit_kind_name(kind)] = {{"distinct_pairs", pairs_distinct}, {"kept", total}, {"passes", parts},
                                   {"pair_instances_bound", bound}};
  return tab;
}

// 二进制文件的读写辅助。
template <class T>
void put(std::string& out, const T* p, size_t n) {
  out.append(reinterpret_cast<const char*>(p), n * sizeof(T));
}
template <class T>
void take(const std::string& in, size_t& pos, T* p, size_t n, const std::string& what) {
  if (n > (in.size() - pos) / sizeof(T)) throw Error(concat(what, ": file is truncated"));
  if (n) std::memcpy(p, in.data() + pos, n * sizeof(T));
  pos += n * sizeof(T);
}

constexpr char kMagic[8] = {'S', 'Q', 'C', 'O', 'V', 'I', 'S', '1'};

}  // namespace

CovisitModel build_covisit(const SessionData& d, const CovisitOptions& opt) {
  opt.validate();
  const double t0 = now_seconds();
  CovisitModel m;
  m.items = d.items;
  int64_t ts_min = 0, ts_max = 0;
  if (!d.ts.empty()) {
    ts_min = *std::min_element(d.ts.begin(), d.ts.end());
    ts_max = *std::max_element(d.ts.begin(), d.ts.end());
  }
  nlohmann::ordered_json kinds;
  for (int k = 0; k < kCovisitKinds; ++k) m.tables[static_cast<size_t>(k)] = build_kind(d, k, opt, ts_min, ts_max, kinds);
  m.info["options"] = opt.to_json();
  m.info["data"] = d.stats();
  m.info["tables"] = kinds;
  m.info["build_seconds"] = now_seconds() - t0;
  return m;
}

void CovisitModel::save(const std::string& dir) const {
  check_replaceable_dir(dir);
  const std::string staging = make_staging_dir(dir);
  try {
    std::string bin(kMagic, sizeof(kMagic));
    const int64_t n = items.size();
    put(bin, &n, 1);
    put(bin, items.ids().data(), items.ids().size());
    for (const auto& t : tables) {
      const int64_t nnz = static_cast<int64_t>(t.neighbours.size());
      put(bin, &nnz, 1);
      put(bin, t.offsets.data(), t.offsets.size());
      put(bin, t.neighbours.data(), t.neighbours.size());
      put(bin, t.weights.data(), t.weights.size());
    }
    write_file_atomic((fs::path(staging) / "covisit.bin").string(), bin);
    nlohmann::ordered_json man;
    man["format_version"] = kFormatVersion;
    man["artifact"] = "covisit";
    man["kinds"] = {covisit_kind_name(0), covisit_kind_name(1), covisit_kind_name(2)};
    for (auto it = info.begin(); it != info.end(); ++it) man[it.key()] = it.value();
    man["files"] = file_checksums(staging, {"covisit.bin"});
    write_file_atomic((fs::path(staging) / "manifest.json").string(), man.dump(2) + "\n");
    publish_dir(staging, dir);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(staging, ec);
    throw;
  }
}

CovisitModel CovisitModel::load(const std::string& dir) {
  const nlohmann::json man = load_and_verify_manifest(dir);
  if (man.value("artifact", "") != "covisit")
    throw Error(concat("'", dir, "' is not a co-visitation directory (manifest.json has no \"artifact\": \"covisit\")"));
  const std::string path = (fs::path(dir) / "covisit.bin").string();
  const std::string in = read_file(path);
  size_t pos = 0;
  char magic[8];
  take(in, pos, magic, 8, path);
  if (std::memcmp(magic, kMagic, 8) != 0) throw Error(concat(path, ": not a seqrec co-visitation file"));
  CovisitModel m;
  int64_t n = 0;
  take(in, pos, &n, 1, path);
  if (n < 0 || n > INT32_MAX) throw Error(concat(path, ": bad item count ", n));
  std::vector<int64_t> keys(static_cast<size_t>(n));
  take(in, pos, keys.data(), keys.size(), path);
  if (const int64_t dup = m.items.assign(std::move(keys)); dup >= 0)
    throw Error(concat(path, ": item id at position ", dup, " appears twice in the item list"));
  for (auto& t : m.tables) {
    int64_t nnz = 0;
    take(in, pos, &nnz, 1, path);
    if (nnz < 0) throw Error(concat(path, ": bad neighbour count ", nnz));
    t.offsets.resize(static_cast<size_t>(n) + 1);
    take(in, pos, t.offsets.data(), t.offsets.size(), path);
    if (t.offsets.front() != 0 || t.offsets.back() != nnz || !std::is_sorted(t.offsets.begin(), t.offsets.end()))
      throw Error(concat(path, ": bad neighbour offsets"));
    t.neighbours.resize(static_cast<size_t>(nnz));
    take(in, pos, t.neighbours.data(), t.neighbours.size(), path);
    for (int32_t b : t.neighbours)
      if (b < 0 || b >= n) throw Error(concat(path, ": neighbour index ", b, " out of range"));
    t.weights.resize(static_cast<size_t>(nnz));
    take(in, pos, t.weights.data(), t.weights.size(), path);
  }
  if (pos != in.size()) throw Error(concat(path, ": unexpected bytes after the last table"));
  for (auto it = man.begin(); it != man.end(); ++it)
    if (it.key() != "files") m.info[it.key()] = it.value();
  return m;
}

}  // namespace seqrec
