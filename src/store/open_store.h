// 按 --store 的写法打开历史存储：redis://HOST:PORT[/PREFIX] 是 Redis，其余是 SQLite 存储的目录。
#pragma once

#include <memory>
#include <string>

#include "store/cached_store.h"
#include "store/history_store.h"
#include "store/sqlite_store.h"

namespace seqrec {

// 是否是 Redis 的写法。
bool is_redis_store(const std::string& where);
// 打开存储；must_exist 时 SQLite 目录里必须已有 events.db（seqrec retrain 不应该新建一个空存储）。
// cache 非空时包上用户历史缓存（SQLite：写入时更新；Redis：由 Redis 的失效通知维护，见 redis_store.h）。
std::unique_ptr<HistoryStore> open_history_store(const std::string& where, const SqliteStoreOptions& opt,
                                                 bool must_exist = false, const HistoryCacheOptions* cache = nullptr);

}  // namespace seqrec
