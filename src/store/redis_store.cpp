// Redis 历史存储的实现：hiredis 连接池（并发的调用各用一个连接；断开的连接丢弃，下一次新建），
// 写入与擦除各是一个 Lua 脚本（在服务器上原子执行），读用有序集合的区间查询。
#include "store/redis_store.h"

#include <hiredis/hiredis.h>
#include <simdjson.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "store/cached_store.h"

namespace seqrec {

namespace {

// 十进制整数（可带负号）；整段都是数字且不溢出时返回 true。
bool parse_int64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    if (v > (INT64_MAX - (s[i] - '0')) / 10) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = s[0] == '-' ? -v : v;
  return true;
}

// 写入一批：ARGV = prefix，然后每个事件 5 项（用户、物品、类型、时间戳、event_id）。返回 {写入数, 重复数}。
constexpr const char* kAppendScript = R"lua(
local p = ARGV[1]
local stored, dups = 0, 0
for i = 2, #ARGV, 5 do
  local user, item, typ, ts, eid = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  if eid ~= '' and redis.call('SADD', p .. 'ids', eid) == 0 then
    dups = dups + 1
  else
    local seq = redis.call('INCR', p .. 'seq')
    local member = string.format('%016d', seq) .. cjson.encode({u = user, i = item, t = typ, ts = ts, e = eid})
    redis.call('ZADD', p .. 'log', seq, member)
    redis.call('ZADD', p .. 'u:' .. user, ts, member)
    redis.call('SADD', p .. 'users', user)
    redis.call('SADD', p .. 'items', item)
    stored = stored + 1
  end
end
return {stored, dups}
)lua";

// 擦除一个用户：ARGV = prefix、用户。两处的成员一起删，event_id 也忘掉，用户记入擦除名单（与 SQLite 后端相同）。
// 返回删除数。
constexpr const char* kEraseScript = R"lua(
local p, user = ARGV[1], ARGV[2]
local ms = redis.call('ZRANGE', p .. 'u:' .. user, 0, -1)
for _, m in ipairs(ms) do
  redis.call('ZREM', p .. 'log', m)
  local e = cjson.decode(string.sub(m, 17))
  if e.e ~= '' then redis.call('SREM', p .. 'ids', e.e) end
end
redis.call('DEL', p .. 'u:' .. user)
redis.call('SREM', p .. 'users', user)
redis.call('SADD', p .. 'erased', user)
return #ms
)lua";

// 建立或升级键空间：ARGV = prefix、当前版本。没有版本（新的键空间）或版本 1 时写入事件类型表
// （内置的三个编号）与当前版本，原子地一步完成；返回升级之后的版本（别的版本原样返回，由调用方拒绝）。
constexpr const char* kPrepareScript = R"lua(
local p, want = ARGV[1], ARGV[2]
local v = redis.call('HGET', p .. 'meta', 'format_version')
if not v or v == '1' then
  redis.call('HSETNX', p .. 'types', 'clicks', 0)
  redis.call('HSETNX', p .. 'types', 'carts', 1)
  redis.call('HSETNX', p .. 'types', 'orders', 2)
  redis.call('HSET', p .. 'meta', 'format_version', want)
  return want
end
return v
)lua";

// 事件类型的编号：ARGV = prefix、名字。已登记的返回原编号；否则登记为下一个编号（编号连续、从不删除，
// 所以下一个就是表的大小）。满 256 个时返回 -1。
constexpr const char* kTypeCodeScript = R"lua(
local p, name = ARGV[1], ARGV[2]
local c = redis.call('HGET', p .. 'types', name)
if c then return tonumber(c) end
local n = redis.call('HLEN', p .. 'types')
if n > 255 then return -1 end
redis.call('HSET', p .. 'types', name, n)
return n
)lua";

// 回复（RAII）。
struct Reply {
  redisReply* r = nullptr;
  Reply() = default;
  Reply(Reply&& o) noexcept : r(o.r) { o.r = nullptr; }
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  ~Reply() {
    if (r) freeReplyObject(r);
  }
};

// 成员（16 位到达编号 + JSON）→ 事件。JSON 由 Redis 的 cjson 写出，字段 u、i、t、ts、e 都是字符串。
// 用 simdjson 解析（按用户读最近历史时每个请求要解几十个成员；parser 由调用方在一次读取里复用）。
StoredEvent decode_member(simdjson::dom::parser& parser, const std::string& m) {
  StoredEvent e;
  auto fail = [](const std::string& why) {
    return Error(concat("event store (redis): an event entry is not in seqrec's format: ", why));
  };
  if (m.size() < 16) throw fail("too short");
  simdjson::dom::element doc;
  if (auto err = parser.parse(m.data() + 16, m.size() - 16).get(doc)) throw fail(simdjson::error_message(err));
  auto field = [&](const char* k) {
    std::string_view v;
    if (doc[k].get_string().get(v) != simdjson::SUCCESS) throw fail(concat("no string field '", k, "'"));
    return v;
  };
  e.user_id = std::string(field("u"));
  e.item_id = std::string(field("i"));
  int64_t t = 0;
  if (!parse_int64(field("t"), &t) || t < 0 || t > 255) throw fail("bad type");
  e.type = static_cast<uint8_t>(t);
  if (!parse_int64(field("ts"), &e.ts_ms)) throw fail("bad timestamp");
  e.event_id = std::string(field("e"));
  return e;
}

class RedisStore : public HistoryStore {
 public:
  explicit RedisStore(const std::string& url) : url_(url) {
    // redis://HOST:PORT[/PREFIX]
    const std::string scheme = "redis://";
    if (url.compare(0, scheme.size(), scheme) != 0)
      throw Error(concat("--store '", url, "': a Redis store is given as redis://HOST:PORT[/PREFIX]"));
    std::string rest = url.substr(scheme.size());
    const size_t slash = rest.find('/');
    if (slash != std::string::npos) {
      prefix_ = rest.substr(slash + 1);
      rest = rest.substr(0, slash);
    }
    if (prefix_.empty()) prefix_ = "seqrec:";
    const size_t colon = rest.rfind(':');
    host_ = colon == std::string::npos ? rest : rest.substr(0, colon);
    try {
      port_ = colon == std::string::npos ? 6379 : std::stoi(rest.substr(colon + 1));
    } catch (const std::exception&) {
      throw Error(concat("--store '", url, "': the port is not a number"));
    }
    if (host_.empty() || port_ < 1 || port_ > 65535) throw Error(concat("--store '", url, "': bad host or port"));
    check_version();
  }

  // 连接并核对格式版本：新的键空间写入版本，版本 1 原地升级（加事件类型表）；别的版本拒绝。
  void check_version() {
    const std::string want = std::to_string(kRedisStoreVersion);
    Reply v = command({"EVAL", kPrepareScript, "0", prefix_, want});
    if (v.r->type != REDIS_REPLY_STRING || std::string(v.r->str, v.r->len) != want) {
      throw Error(concat("event store ", url_, ": ", prefix_, "meta has format_version ",
                         v.r->type == REDIS_REPLY_STRING ? std::string(v.r->str, v.r->len) : std::string("(not a string)"),
                         "; this seqrec reads version ", kRedisStoreVersion));
    }
  }

  const std::string& host() const { return host_; }
  int port() const { return port_; }
  const std::string& prefix() const { return prefix_; }

  ~RedisStore() override {
    for (redisContext* c : idle_) redisFree(c);
  }

  AppendResult append(const std::vector<StoredEvent>& events) override {
    if (events.empty()) return {};
    std::vector<std::string> args = {"EVAL", kAppendScript, "0", prefix_};
    args.reserve(4 + events.size() * 5);
    for (const auto& e : events) {
      args.push_back(e.user_id);
      args.push_back(e.item_id);
      args.push_back(std::to_string(e.type));
      args.push_back(std::to_string(e.ts_ms));
      args.push_back(e.event_id);
    }
    Reply r = command(args);
    if (r.r->type != REDIS_REPLY_ARRAY || r.r->elements != 2)
      throw Error(concat("event store ", url_, ": unexpected answer to the append script"));
    return {r.r->element[0]->integer, r.r->element[1]->integer};
  }

  std::vector<StoredEvent> recent(const std::string& user_id, size_t n) const override {
    std::vector<StoredEvent> out;
    if (n == 0) return out;
    Reply r = command({"ZREVRANGE", prefix_ + "u:" + user_id, "0", std::to_string(n - 1)});
    simdjson::dom::parser parser;
    out.reserve(r.r->elements);
    for (size_t i = r.r->elements; i-- > 0;)
      out.push_back(decode_member(parser, std::string(r.r->element[i]->str, r.r->element[i]->len)));
    return out;
  }

  int64_t erase_user(const std::string& user_id) override {
    Reply r = command({"EVAL", kEraseScript, "0", prefix_, user_id});
    return r.r->integer;
  }

  std::vector<std::string> erased_users() const override {
    Reply r = command({"SMEMBERS", prefix_ + "erased"});
    std::vector<std::string> out;
    for (size_t i = 0; i < r.r->elements; ++i) out.emplace_back(r.r->element[i]->str, r.r->element[i]->len);
    std::sort(out.begin(), out.end());
    return out;
  }

  int type_code(const std::string& name) override {
    Reply r = command({"EVAL", kTypeCodeScript, "0", prefix_, name});
    if (r.r->type != REDIS_REPLY_INTEGER) throw Error(concat("event store ", url_, ": unexpected answer to the type script"));
    if (r.r->integer < 0)
      throw Error(concat("event store ", url_, ": 256 event types are registered; cannot add '", name, "'"));
    return static_cast<int>(r.r->integer);
  }

  std::vector<std::string> type_names() const override {
    Reply r = command({"HGETALL", prefix_ + "types"});
    std::vector<std::string> out;
    for (size_t i = 0; i + 1 < r.r->elements; i += 2) {
      int64_t code = 0;
      const std::string_view c(r.r->element[i + 1]->str, r.r->element[i + 1]->len);
      if (!parse_int64(c, &code) || code < 0 || code > 255)
        throw Error(concat("event store ", url_, ": ", prefix_, "types holds a bad code '", std::string(c), "'"));
      if (out.size() <= static_cast<size_t>(code)) out.resize(static_cast<size_t>(code) + 1);
      out[static_cast<size_t>(code)] = std::string(r.r->element[i]->str, r.r->element[i]->len);
    }
    return out;
  }

  void scan(const std::function<bool(const StoredEvent&)>& fn) const override {
    // 按到达编号分页读（每页 1000 个）：遍历期间的新事件编号更大，被擦除的事件不影响后面的页。
    std::string after = "-inf";
    for (;;) {
      std::vector<std::string> page;
      {
        Reply r = command({"ZRANGEBYSCORE", prefix_ + "log", after, "+inf", "LIMIT", "0", "1000"});
        for (size_t i = 0; i < r.r->elements; ++i) page.emplace_back(r.r->element[i]->str, r.r->element[i]->len);
      }
      if (page.empty()) return;
      simdjson::dom::parser parser;
      for (const auto& m : page)
        if (!fn(decode_member(parser, m))) return;
      after = "(" + std::to_string(std::stoll(page.back().substr(0, 16)));
    }
  }

  nlohmann::json stats() const override {
    auto count = [&](const char* cmd, const std::string& key) { return command({cmd, prefix_ + key}).r->integer; };
    return {{"backend", "redis"},
            {"url", url_},
            {"events", count("ZCARD", "log")},
            {"users", count("SCARD", "users")},
            {"items", count("SCARD", "items")},
            {"format_version", kRedisStoreVersion}};
  }

 private:
  // 建立一个新连接；连不上时抛出 Error。
  redisContext* connect() const {
    const timeval timeout{5, 0};
    redisContext* c = redisConnectWithTimeout(host_.c_str(), port_, timeout);
    if (!c || c->err) {
      const std::string msg = c ? c->errstr : "out of memory";
      if (c) redisFree(c);
      throw Error(concat("event store ", url_, ": cannot connect to Redis: ", msg));
    }
    redisSetTimeout(c, timeout);
    return c;
  }

  // 从连接池取一个连接（没有空闲的就新建）：并发的请求各用各的连接，不在一条连接上排队。
  redisContext* acquire() const {
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      if (!idle_.empty()) {
        redisContext* c = idle_.back();
        idle_.pop_back();
        return c;
      }
    }
    return connect();
  }

  // 用完还回池里（空闲的至多 kMaxIdle 个，多的关掉）。
  void release(redisContext* c) const {
    {
      std::lock_guard<std::mutex> lock(pool_mu_);
      if (idle_.size() < kMaxIdle) {
        idle_.push_back(c);
        return;
      }
    }
    redisFree(c);
  }

  // 执行一条命令（参数二进制安全）。连接断了先换一个新连接重试一次（只读命令）；Redis 报错时抛出 Error。
  Reply command(const std::vector<std::string>& args) const {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    for (int attempt = 0;; ++attempt) {
      redisContext* c = acquire();
      Reply r;
      r.r = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()));
      if (!r.r) {
        const std::string msg = c->errstr;
        redisFree(c);  // 断掉的连接不还回池里
        if (attempt == 0 && args[0] != "EVAL") continue;  // 只读命令可以重试；写入脚本不知道是否执行过，不重试
        throw Error(concat("event store ", url_, ": ", msg));
      }
      release(c);
      if (r.r->type == REDIS_REPLY_ERROR) {
        const std::string msg(r.r->str, r.r->len);
        // OOM：Redis 到了 maxmemory（它的“磁盘满”）；脚本在第一次写之前就被拒绝，什么也没写。
        if (msg.rfind("OOM", 0) == 0) throw StoreFull(concat("event store ", url_, " is full: Redis answered: ", msg));
        throw Error(concat("event store ", url_, ": Redis answered: ", msg));
      }
      return r;
    }
  }

  std::string url_, host_, prefix_;
  int port_ = 6379;
  static constexpr size_t kMaxIdle = 64;
  mutable std::mutex pool_mu_;
  mutable std::vector<redisContext*> idle_;  // 空闲的连接（pool_mu_ 保护）
};


// Redis 的失效通知：一个专用连接打开 CLIENT TRACKING（BCAST 模式，前缀 <prefix>u:，通知重定向给自己），
// 再订阅 __redis__:invalidate。之后任何客户端（任何副本）改了某个用户的历史，这里都收到它的键，
// 让缓存删掉那个用户。连接断了：缓存停用并清空（断开期间的写入收不到通知），每秒重连；重新订阅成功后
// 清空并启用。
class InvalidationListener {
 public:
  InvalidationListener(std::string host, int port, std::string prefix, HistoryCacheControl* control)
      : host_(std::move(host)), port_(port), key_prefix_(std::move(prefix) + "u:"), control_(control) {
    thread_ = std::thread([this] { loop(); });
  }
  ~InvalidationListener() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      if (ctx_) ::shutdown(ctx_->fd, SHUT_RDWR);  // 叫醒阻塞在读上的线程
    }
    cv_.notify_all();
    thread_.join();
  }
  InvalidationListener(const InvalidationListener&) = delete;
  InvalidationListener& operator=(const InvalidationListener&) = delete;

 private:
  // 连接并订阅；失败时返回空指针。
  redisContext* subscribe() const {
    const timeval timeout{5, 0};
    redisContext* c = redisConnectWithTimeout(host_.c_str(), port_, timeout);
    if (!c || c->err) {
      if (c) redisFree(c);
      return nullptr;
    }
    auto run = [c](redisReply* r, int want) {
      const bool ok = r && r->type == want;
      if (r) freeReplyObject(r);
      return ok;
    };
    auto* id = static_cast<redisReply*>(redisCommand(c, "CLIENT ID"));
    const long long cid = (id && id->type == REDIS_REPLY_INTEGER) ? id->integer : -1;
    if (id) freeReplyObject(id);
    if (cid < 0 ||
        !run(static_cast<redisReply*>(redisCommand(c, "CLIENT TRACKING on REDIRECT %lld BCAST PREFIX %b", cid,
                                                   key_prefix_.data(), key_prefix_.size())),
             REDIS_REPLY_STATUS) ||
        !run(static_cast<redisReply*>(redisCommand(c, "SUBSCRIBE __redis__:invalidate")), REDIS_REPLY_ARRAY)) {
      redisFree(c);
      return nullptr;
    }
    const timeval forever{0, 0};
    redisSetTimeout(c, forever);  // 之后阻塞地等通知（停机时由析构函数 shutdown 套接字叫醒）
    return c;
  }

  void loop() {
    for (;;) {
      redisContext* c = subscribe();
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (stop_) {
          if (c) redisFree(c);
          return;
        }
        if (!c) {  // 连不上：缓存保持停用，一秒后再试
          cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; });
          continue;
        }
        ctx_ = c;
      }
      control_->reset(true);
      for (;;) {
        void* raw = nullptr;
        if (redisGetReply(c, &raw) != REDIS_OK || !raw) break;
        handle(static_cast<redisReply*>(raw));
        freeReplyObject(raw);
      }
      control_->reset(false);
      std::lock_guard<std::mutex> lock(mu_);
      ctx_ = nullptr;
      redisFree(c);
    }
  }

  // ["message", "__redis__:invalidate", [键...]]；键是空值时（FLUSHALL 之类）清空全部。
  void handle(const redisReply* r) const {
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) return;
    const redisReply* keys = r->element[2];
    if (keys->type == REDIS_REPLY_NIL) {
      control_->reset(true);
      return;
    }
    if (keys->type != REDIS_REPLY_ARRAY) return;
    for (size_t i = 0; i < keys->elements; ++i) {
      const std::string k(keys->element[i]->str, keys->element[i]->len);
      if (k.compare(0, key_prefix_.size(), key_prefix_) == 0) control_->invalidate(k.substr(key_prefix_.size()));
    }
  }

  std::string host_;
  int port_;
  std::string key_prefix_;
  HistoryCacheControl* control_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  redisContext* ctx_ = nullptr;  // 订阅中的连接（mu_ 保护；析构时 shutdown 它）
  std::thread thread_;
};

// 带缓存的 Redis 存储：缓存（cached_store）包在 Redis 外面，失效通知由监听线程送进缓存。
// 析构时先停监听线程，再释放缓存与连接。
class CachedRedisStore : public HistoryStore {
 public:
  CachedRedisStore(std::unique_ptr<RedisStore> redis, HistoryCacheOptions opt) {
    const std::string host = redis->host(), prefix = redis->prefix();
    const int port = redis->port();
    opt.enabled = false;  // 订阅成功之前不用缓存
    HistoryCacheControl* control = nullptr;
    store_ = with_history_cache(std::move(redis), opt, &control);
    listener_ = std::make_unique<InvalidationListener>(host, port, prefix, control);
  }
  ~CachedRedisStore() override { listener_.reset(); }

  AppendResult append(const std::vector<StoredEvent>& events) override { return store_->append(events); }
  std::vector<StoredEvent> recent(const std::string& user_id, size_t n) const override {
    return store_->recent(user_id, n);
  }
  int64_t erase_user(const std::string& user_id) override { return store_->erase_user(user_id); }
  std::vector<std::string> erased_users() const override { return store_->erased_users(); }
  int type_code(const std::string& name) override { return store_->type_code(name); }
  std::vector<std::string> type_names() const override { return store_->type_names(); }
  void scan(const std::function<bool(const StoredEvent&)>& fn) const override { store_->scan(fn); }
  nlohmann::json stats() const override { return store_->stats(); }

 private:
  std::unique_ptr<HistoryStore> store_;
  std::unique_ptr<InvalidationListener> listener_;
};

}  // namespace

std::unique_ptr<HistoryStore> open_redis_store(const std::string& url, const HistoryCacheOptions* cache) {
  auto redis = std::make_unique<RedisStore>(url);
  if (!cache || cache->max_users == 0) return redis;
  return std::make_unique<CachedRedisStore>(std::move(redis), *cache);
}

}  // namespace seqrec
