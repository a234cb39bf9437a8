// 按 --store 的写法打开历史存储。
#include "store/open_store.h"

#include <filesystem>

#include "core/error.h"
#include "store/redis_store.h"

namespace seqrec {

bool is_redis_store(const std::string& where) { return where.rfind("redis://", 0) == 0; }

std::unique_ptr<HistoryStore> open_history_store(const std::string& where, const SqliteStoreOptions& opt,
                                                 bool must_exist, const HistoryCacheOptions* cache) {
  if (is_redis_store(where)) return open_redis_store(where, cache);
  if (must_exist && !std::filesystem::exists(std::filesystem::path(where) / "events.db"))
    throw Error(concat("--store ", where, ": no event store there (no events.db); give the directory that "
                       "seqrec serve --store writes"));
  auto store = open_sqlite_store(where, opt);
  return cache ? with_history_cache(std::move(store), *cache) : std::move(store);
}

}  // namespace seqrec
