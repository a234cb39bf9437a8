// 共享的历史存储：Redis（Debian 的 redis-server，客户端库 libhiredis-dev）。nginx 后面的几个副本连同一个
// Redis，每个副本看到同样的用户历史。
//
// 键（都以 prefix 开头，默认 "seqrec:"）：
//   meta        散列，format_version
//   seq         事件的到达编号（INCR）
//   log         有序集合，分数 = 到达编号：全部事件（重新训练按到达次序读它）
//   u:<用户>    有序集合，分数 = 时间戳：这个用户的事件（最近 N 个）
//   ids         集合：见过的 event_id（幂等）
//   users、items 集合：计数用
//   erased      集合：被擦除过的用户（seqrec retrain 把他们也从 --data 文件里去掉）
// 每个事件在 log 与 u:<用户> 里是同一个成员（到达编号 + JSON），擦除时两处一起删。
// 一批事件由一个 Lua 脚本写入：Redis 执行脚本时不穿插别的命令，所以一批对其他客户端是原子的，
// event_id 的检查与写入之间也不会插进别的请求。持久性由 Redis 服务器的配置决定
// （appendonly yes 与 appendfsync always 相当于 SQLite 的 fsync；默认的 RDB 快照可能丢最近的写入）。
// 并发的调用各从连接池取一个连接（不在一条连接上排队）。
#pragma once

#include <memory>
#include <string>

#include "store/cached_store.h"
#include "store/history_store.h"

namespace seqrec {

// 连接 url（redis://HOST:PORT[/PREFIX]，PREFIX 默认 "seqrec:"）。连不上、格式版本不对时抛出 Error。
// cache 非空（且 max_users > 0）时再包上每个用户最近历史的缓存：Redis 的 CLIENT TRACKING（BCAST）把任何
// 副本对某个用户历史的修改通知过来，缓存随之删掉那个用户；收不到通知时（连接断了）缓存停用。
std::unique_ptr<HistoryStore> open_redis_store(const std::string& url, const HistoryCacheOptions* cache = nullptr);

// 当前的 Redis 存储格式版本（写进 <prefix>meta 的 format_version）。版本 2 加了事件类型表 <prefix>types
// （名字 → 编号）；版本 1 的键空间在连接时原子地升级。
inline constexpr int kRedisStoreVersion = 2;

}  // namespace seqrec
