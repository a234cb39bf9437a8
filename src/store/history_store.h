// 用户历史存储：服务收到的事件（POST /events）持久地记下来，按用户取最近的历史（按用户 ID 推荐），
// 整个事件日志留给重新训练，用户可以被擦除。一个接口，后端可换（嵌入式的 SQLite；多副本共享的 Redis 见 issue 46）。
//
// 保证（SQLite 后端，见 sqlite_store.h）：
//   * append() 的一批事件全有或全无：返回之前要么整批都写进了存储，要么一条都没有（抛出 Error）；
//   * event_id 非空的事件是幂等的：同一个 event_id 只存一次，重复的计入 duplicates；
//   * 返回即持久：durability 为 fsync 时，append 返回后断电也不丢（WAL 在提交时同步到磁盘）；
//     为 async 时只保证进程崩溃不丢，断电可能丢掉最后一段（操作系统尚未写盘的部分）。
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"

// 内置类型的编号（0..2）与名字见 data/events.h；存储之外新登记的类型从 3 开始编号。

namespace seqrec {

// 存储没有空间了（磁盘满，或 SQLite 存储到了 --store-max-mb）：服务以 507 回答，什么也没写进去。
class StoreFull : public Error {
 public:
  using Error::Error;
};

// 一个事件（外部 ID；type 是存储登记的类型编号，见 type_code）。
struct StoredEvent {
  std::string user_id;
  std::string item_id;
  uint8_t type = 0;
  int64_t ts_ms = 0;       // 毫秒时间戳（请求没给时由服务填上收到的时刻）
  std::string event_id;    // 空 = 不做幂等检查
};

// 一次追加的结果。
struct AppendResult {
  int64_t stored = 0;      // 新写入的事件数
  int64_t duplicates = 0;  // 因 event_id 已存在（或同一批里重复）而跳过的事件数
};

// 历史存储的接口。实现必须是线程安全的：多个连接线程同时 append / recent。
class HistoryStore {
 public:
  virtual ~HistoryStore() = default;
  // 原子地追加一批事件（见文件头的保证）。
  virtual AppendResult append(const std::vector<StoredEvent>& events) = 0;
  // 用户最近的至多 n 个事件，从旧到新（同一时刻的按到达次序）。未知用户为空。
  virtual std::vector<StoredEvent> recent(const std::string& user_id, size_t n) const = 0;
  // 擦除一个用户：删除他的全部事件（之后的 recent 与 scan 都不再有）。返回删除的事件数。
  virtual int64_t erase_user(const std::string& user_id) = 0;
  // 被擦除过的用户（擦除名单）：seqrec retrain 从一同给出的原始数据文件里也去掉他们的交互，
  // 擦除因此对以后的训练数据同样生效。擦除之后新到的事件照常保存（那是新的同意）。
  virtual std::vector<std::string> erased_users() const = 0;
  // 事件类型的编号：name（规范名，见 data/event_types.h）已登记时返回它的编号，否则登记一个新编号。
  // 0、1、2 固定为内置的 clicks、carts、orders；编号持久保存，共享存储的各副本看到同一套。至多 256 个，满了抛出 Error。
  virtual int type_code(const std::string& name) = 0;
  // 全部已登记的类型名，下标即编号（GET /users/{id}/history 与重新训练用它把编号还原成名字）。
  virtual std::vector<std::string> type_names() const = 0;
  // 按到达次序遍历全部事件（重新训练读它）。fn 返回 false 时停止。
  virtual void scan(const std::function<bool(const StoredEvent&)>& fn) const = 0;
  // 事件数、用户数、物品数等（/admin/status 与 /metrics 用）。
  virtual nlohmann::json stats() const = 0;
};

}  // namespace seqrec
