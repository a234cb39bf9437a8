// 每个用户最近历史的内存缓存（按用户 ID 推荐的热路径）：包在任何 HistoryStore 外面，最近读过的用户的
// 最近 per_user 个事件留在内存里（LRU，至多 max_users 个用户），写入先落到底下的存储、再原样并进缓存，
// 擦除同时从缓存删掉。读到的永远与底下的存储一致（见 cached_store.cpp 的并发说明）。
//
// 只在本进程是这个存储唯一的写入者时正确：SQLite 存储（一个目录一个 seqrec serve）是；几个副本共用的
// Redis 不是（别的副本写入的事件不会进本进程的缓存），所以 Redis 不用它。
#pragma once

#include <cstddef>
#include <memory>

#include "store/history_store.h"

namespace seqrec {

struct HistoryCacheOptions {
  size_t max_users = 100000;  // 缓存的用户数上限（LRU 淘汰）
  size_t per_user = 50;       // 每个用户缓存的最近事件数；recent(n) 的 n 大于它时直接读底下的存储
};

// 包上缓存。max_users 为 0 时原样返回 inner。
std::unique_ptr<HistoryStore> with_history_cache(std::unique_ptr<HistoryStore> inner, const HistoryCacheOptions& opt);

}  // namespace seqrec
