// 每个用户最近历史的内存缓存（按用户 ID 推荐的热路径）：包在任何 HistoryStore 外面，最近读过的用户的
// 最近 per_user 个事件留在内存里（LRU，至多 max_users 个用户），写入先落到底下的存储、再原样并进缓存，
// 擦除同时从缓存删掉。读到的永远与底下的存储一致（见 cached_store.cpp 的并发说明）。
//
// 本进程是唯一的写入者时（SQLite 存储：一个目录一个 seqrec serve）这就够了。几个副本共用的 Redis 还需要
// 知道别的副本写了谁：Redis 的 CLIENT TRACKING 推送失效消息，由 HistoryCacheControl 传进来（见 redis_store.cpp）；
// 收不到失效消息的时候（连接断了）缓存停用，读直接去存储。
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "store/history_store.h"

namespace seqrec {

struct HistoryCacheOptions {
  size_t max_users = 100000;  // 缓存的用户数上限（LRU 淘汰）
  size_t per_user = 50;       // 每个用户缓存的最近事件数；recent(n) 的 n 大于它时直接读底下的存储
  bool enabled = true;        // 开始时是否启用（外部失效的缓存在订阅成功之前停用）
};

// 从外部让缓存失效（别的写入者改了存储）。线程安全。
class HistoryCacheControl {
 public:
  virtual ~HistoryCacheControl() = default;
  // 这个用户的历史变了：删掉它的条目。
  virtual void invalidate(const std::string& user_id) = 0;
  // 清空全部条目，并启用或停用缓存（停用时读直接去存储、不填缓存）。
  virtual void reset(bool enabled) = 0;
};

// 包上缓存。max_users 为 0 时原样返回 inner。control 非空时写入缓存的控制接口（与返回的存储同寿命）。
std::unique_ptr<HistoryStore> with_history_cache(std::unique_ptr<HistoryStore> inner, const HistoryCacheOptions& opt,
                                                 HistoryCacheControl** control = nullptr);

}  // namespace seqrec
