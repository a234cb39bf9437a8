// Redis 历史存储的实现：一个受互斥量保护的 hiredis 连接（断开后下一次调用时重连），
// 写入与擦除各是一个 Lua 脚本（在服务器上原子执行），读用有序集合的区间查询。
#include "store/redis_store.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <mutex>

#include "core/error.h"

namespace seqrec {

namespace {

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

// 成员（16 位到达编号 + JSON）→ 事件。
StoredEvent decode_member(const std::string& m) {
  StoredEvent e;
  try {
    const auto j = nlohmann::json::parse(m.substr(16));
    e.user_id = j.at("u").get<std::string>();
    e.item_id = j.at("i").get<std::string>();
    e.type = static_cast<uint8_t>(std::stoi(j.at("t").get<std::string>()));
    e.ts_ms = std::stoll(j.at("ts").get<std::string>());
    e.event_id = j.at("e").get<std::string>();
  } catch (const std::exception& x) {
    throw Error(concat("event store (redis): an event entry is not in seqrec's format: ", x.what()));
  }
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
    std::lock_guard<std::mutex> lock(mu_);
    try {
      check_version();
    } catch (...) {
      if (ctx_) redisFree(ctx_);
      ctx_ = nullptr;
      throw;
    }
  }

  // 连接并核对格式版本：新的键空间写入版本；别的版本拒绝（mu_ 已持有）。
  void check_version() {
    connect();
    Reply v = command({"HGET", prefix_ + "meta", "format_version"});
    if (v.r->type == REDIS_REPLY_NIL) {
      command({"HSET", prefix_ + "meta", "format_version", std::to_string(kRedisStoreVersion)});
    } else if (v.r->type != REDIS_REPLY_STRING || std::string(v.r->str, v.r->len) != std::to_string(kRedisStoreVersion)) {
      throw Error(concat("event store ", url_, ": ", prefix_, "meta has format_version ",
                         v.r->type == REDIS_REPLY_STRING ? std::string(v.r->str, v.r->len) : std::string("(not a string)"),
                         "; this seqrec reads version ", kRedisStoreVersion));
    }
  }

  ~RedisStore() override {
    if (ctx_) redisFree(ctx_);
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
    std::lock_guard<std::mutex> lock(mu_);
    Reply r = command(args);
    if (r.r->type != REDIS_REPLY_ARRAY || r.r->elements != 2)
      throw Error(concat("event store ", url_, ": unexpected answer to the append script"));
    return {r.r->element[0]->integer, r.r->element[1]->integer};
  }

  std::vector<StoredEvent> recent(const std::string& user_id, size_t n) const override {
    std::vector<StoredEvent> out;
    if (n == 0) return out;
    std::lock_guard<std::mutex> lock(mu_);
    Reply r = command({"ZREVRANGE", prefix_ + "u:" + user_id, "0", std::to_string(n - 1)});
    for (size_t i = r.r->elements; i-- > 0;)
      out.push_back(decode_member(std::string(r.r->element[i]->str, r.r->element[i]->len)));
    return out;
  }

  int64_t erase_user(const std::string& user_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    Reply r = command({"EVAL", kEraseScript, "0", prefix_, user_id});
    return r.r->integer;
  }

  std::vector<std::string> erased_users() const override {
    std::lock_guard<std::mutex> lock(mu_);
    Reply r = command({"SMEMBERS", prefix_ + "erased"});
    std::vector<std::string> out;
    for (size_t i = 0; i < r.r->elements; ++i) out.emplace_back(r.r->element[i]->str, r.r->element[i]->len);
    std::sort(out.begin(), out.end());
    return out;
  }

  void scan(const std::function<bool(const StoredEvent&)>& fn) const override {
    // 按到达编号分页读（每页 1000 个）：遍历期间的新事件编号更大，被擦除的事件不影响后面的页。
    std::string after = "-inf";
    for (;;) {
      std::vector<std::string> page;
      {
        std::lock_guard<std::mutex> lock(mu_);
        Reply r = command({"ZRANGEBYSCORE", prefix_ + "log", after, "+inf", "LIMIT", "0", "1000"});
        for (size_t i = 0; i < r.r->elements; ++i) page.emplace_back(r.r->element[i]->str, r.r->element[i]->len);
      }
      if (page.empty()) return;
      for (const auto& m : page)
        if (!fn(decode_member(m))) return;
      after = "(" + std::to_string(std::stoll(page.back().substr(0, 16)));
    }
  }

  nlohmann::json stats() const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto count = [&](const char* cmd, const std::string& key) { return command({cmd, prefix_ + key}).r->integer; };
    return {{"backend", "redis"},
            {"url", url_},
            {"events", count("ZCARD", "log")},
            {"users", count("SCARD", "users")},
            {"items", count("SCARD", "items")},
            {"format_version", kRedisStoreVersion}};
  }

 private:
  // 建立连接（mu_ 已持有）。
  void connect() const {
    if (ctx_) redisFree(ctx_);
    const timeval timeout{5, 0};
    ctx_ = redisConnectWithTimeout(host_.c_str(), port_, timeout);
    if (!ctx_ || ctx_->err) {
      const std::string msg = ctx_ ? ctx_->errstr : "out of memory";
      if (ctx_) redisFree(ctx_);
      ctx_ = nullptr;
      throw Error(concat("event store ", url_, ": cannot connect to Redis: ", msg));
    }
    redisSetTimeout(ctx_, timeout);
  }

  // 执行一条命令（参数二进制安全；mu_ 已持有）。连接断了先重连一次；Redis 报错时抛出 Error。
  Reply command(const std::vector<std::string>& args) const {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    for (int attempt = 0;; ++attempt) {
      if (!ctx_) connect();
      Reply r;
      r.r = static_cast<redisReply*>(redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
      if (!r.r) {
        const std::string msg = ctx_->errstr;
        redisFree(ctx_);
        ctx_ = nullptr;
        if (attempt == 0 && args[0] != "EVAL") continue;  // 只读命令可以重试；写入脚本不知道是否执行过，不重试
        throw Error(concat("event store ", url_, ": ", msg));
      }
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
  mutable std::mutex mu_;
  mutable redisContext* ctx_ = nullptr;
};

}  // namespace

std::unique_ptr<HistoryStore> open_redis_store(const std::string& url) { return std::make_unique<RedisStore>(url); }

}  // namespace seqrec
