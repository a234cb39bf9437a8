// 用户历史缓存的实现。
//
// 并发：用户按哈希分到 16 个分片，每个分片一把锁。难点是“读未命中时从存储填缓存”与“写入”交错时不能
// 留下过时的条目：
//   * 写入（与擦除）先在分片里登记这个用户“有写入在进行”，再写底下的存储，写完后在锁内把事件并进已有条目
//     （或删掉条目），然后注销；
//   * 读未命中时，若这个用户有写入在进行，直接读存储、不填缓存；否则在持有分片锁的情况下读存储并填入。
// 于是一个条目要么在登记之前就已存在（写完后被更新），要么在没有写入进行时整体读自存储，两者都是最新的。
// 同一批里有重复的 event_id 时不知道哪些被跳过，干脆删掉这些用户的条目，下次读时重新填。
// 唯一的差别：同一用户、同一毫秒、并发到达的两个事件，缓存里的先后可能与存储的到达次序相反（两者时间相同，
// 推荐不受影响）。
#include "store/cached_store.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <list>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace seqrec {

namespace {

class CachedStore : public HistoryStore, public HistoryCacheControl {
 public:
  CachedStore(std::unique_ptr<HistoryStore> inner, const HistoryCacheOptions& opt)
      : inner_(std::move(inner)), opt_(opt), per_shard_(std::max<size_t>(1, opt.max_users / kShards)),
        enabled_(opt.enabled) {}

  // 外部失效：在分片锁内删掉条目。正在填这个用户的读（持有同一把锁）先填完，再被这里删掉，
  // 所以失效消息与读的先后怎样交错都不会留下旧的条目。
  void invalidate(const std::string& user_id) override {
    Shard& s = shard(user_id);
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.map.find(user_id);
    if (it == s.map.end()) return;
    s.lru.erase(it->second.lru);
    s.map.erase(it);
    invalidations_.fetch_add(1, std::memory_order_relaxed);
  }

  // 停用时先停用再清空（清空之后完成的读看到停用，不再填入）；启用时先清空再启用。
  void reset(bool enabled) override {
    if (!enabled) enabled_.store(false);
    for (auto& s : shards_) {
      std::lock_guard<std::mutex> lock(s.mu);
      s.map.clear();
      s.lru.clear();
    }
    if (enabled) enabled_.store(true);
  }

  AppendResult append(const std::vector<StoredEvent>& events) override {
    std::unordered_set<std::string> users;
    for (const auto& e : events) users.insert(e.user_id);
    for (const auto& u : users) begin_write(u);
    AppendResult r;
    try {
      r = inner_->append(events);
    } catch (...) {
      for (const auto& u : users) end_write(u, nullptr, true);  // 没写进去：条目保持原样
      throw;
    }
    // 按用户分组（保持到达次序）并进缓存；有重复时删掉条目。
    std::unordered_map<std::string, std::vector<const StoredEvent*>> by_user;
    for (const auto& e : events) by_user[e.user_id].push_back(&e);
    for (const auto& u : users) end_write(u, &by_user[u], r.duplicates > 0);
    return r;
  }

  std::vector<StoredEvent> recent(const std::string& user_id, size_t n) const override {
    if (n == 0) return {};
    if (n > opt_.per_user || !enabled_.load(std::memory_order_relaxed)) return inner_->recent(user_id, n);
    Shard& s = shard(user_id);
    std::unique_lock<std::mutex> lock(s.mu);
    auto it = s.map.find(user_id);
    if (it != s.map.end()) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      s.lru.splice(s.lru.begin(), s.lru, it->second.lru);
      return last_n(it->second.events, n);
    }
    misses_.fetch_add(1, std::memory_order_relaxed);
    if (s.writing.count(user_id)) {
      lock.unlock();
      return inner_->recent(user_id, n);  // 写入进行中：不填缓存
    }
    std::vector<StoredEvent> all = inner_->recent(user_id, opt_.per_user);
    if (!enabled_.load()) return last_n(std::deque<StoredEvent>(all.begin(), all.end()), n);  // 读的时候被停用了
    Entry& e = s.map[user_id];
    e.events.assign(all.begin(), all.end());
    s.lru.push_front(user_id);
    e.lru = s.lru.begin();
    while (s.map.size() > per_shard_) {  // 淘汰最久没用的
      s.map.erase(s.lru.back());
      s.lru.pop_back();
    }
    return last_n(e.events, n);
  }

  int64_t erase_user(const std::string& user_id) override {
    begin_write(user_id);
    int64_t n = 0;
    try {
      n = inner_->erase_user(user_id);
    } catch (...) {
      end_write(user_id, nullptr, true);
      throw;
    }
    end_write(user_id, nullptr, true);
    return n;
  }

  std::vector<std::string> erased_users() const override { return inner_->erased_users(); }
  int type_code(const std::string& name) override { return inner_->type_code(name); }
  std::vector<std::string> type_names() const override { return inner_->type_names(); }
  void scan(const std::function<bool(const StoredEvent&)>& fn) const override { inner_->scan(fn); }

  nlohmann::json stats() const override {
    nlohmann::json j = inner_->stats();
    size_t users = 0;
    for (auto& s : shards_) {
      std::lock_guard<std::mutex> lock(s.mu);
      users += s.map.size();
    }
    j["cache"] = {{"users", users},
                  {"max_users", opt_.max_users},
                  {"events_per_user", opt_.per_user},
                  {"enabled", enabled_.load()},
                  {"hits", hits_.load()},
                  {"misses", misses_.load()},
                  {"invalidations", invalidations_.load()}};
    return j;
  }

 private:
  static constexpr size_t kShards = 16;
  // 一个用户的缓存：最近的至多 per_user 个事件，从旧到新（与 recent() 的次序相同）。
  struct Entry {
    std::deque<StoredEvent> events;
    std::list<std::string>::iterator lru;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry> map;
    std::list<std::string> lru;                     // 前面是最近用过的
    std::unordered_map<std::string, int> writing;   // 有写入（或擦除）在进行的用户及其个数
  };

  Shard& shard(const std::string& u) const { return shards_[std::hash<std::string>{}(u) % kShards]; }

  static std::vector<StoredEvent> last_n(const std::deque<StoredEvent>& d, size_t n) {
    const size_t k = std::min(n, d.size());
    return std::vector<StoredEvent>(d.end() - static_cast<std::ptrdiff_t>(k), d.end());
  }

  void begin_write(const std::string& u) {
    Shard& s = shard(u);
    std::lock_guard<std::mutex> lock(s.mu);
    ++s.writing[u];
  }

  // 写完：drop 时删掉条目；否则把 evs 按（时间，到达次序）并进已有条目，只留最近 per_user 个。
  void end_write(const std::string& u, const std::vector<const StoredEvent*>* evs, bool drop) {
    Shard& s = shard(u);
    std::lock_guard<std::mutex> lock(s.mu);
    if (--s.writing[u] == 0) s.writing.erase(u);
    auto it = s.map.find(u);
    if (it == s.map.end()) return;
    if (drop) {
      s.lru.erase(it->second.lru);
      s.map.erase(it);
      return;
    }
    if (!evs) return;
    auto& d = it->second.events;
    for (const StoredEvent* e : *evs) {
      // 时间相同的排在已有的之后（到达得晚）；比缓存里最早的还早且缓存已满时，插入后又被挤出，正确。
      auto pos = std::upper_bound(d.begin(), d.end(), e->ts_ms, [](int64_t ts, const StoredEvent& x) { return ts < x.ts_ms; });
      d.insert(pos, *e);
      if (d.size() > opt_.per_user) d.pop_front();
    }
  }

  std::unique_ptr<HistoryStore> inner_;
  HistoryCacheOptions opt_;
  size_t per_shard_;
  mutable Shard shards_[kShards];
  mutable std::atomic<uint64_t> hits_{0}, misses_{0}, invalidations_{0};
  std::atomic<bool> enabled_;
};

}  // namespace

std::unique_ptr<HistoryStore> with_history_cache(std::unique_ptr<HistoryStore> inner, const HistoryCacheOptions& opt,
                                                 HistoryCacheControl** control) {
  if (opt.max_users == 0) {
    if (control) *control = nullptr;
    return inner;
  }
  auto c = std::make_unique<CachedStore>(std::move(inner), opt);
  if (control) *control = c.get();
  return c;
}

}  // namespace seqrec
