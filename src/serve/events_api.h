// POST /events 的请求体：一个事件 {"user_id", "item_id", "type", "ts", "event_id"}，或一批 {"events": [...]}。
//   user_id、item_id  必填，字符串或整数
//   type              可选，--event-types 列出的类型之一（内置的 clicks / carts / orders 也接受单数写法），
//                     默认为列表里的第一个（默认列表时是 clicks）
//   ts                可选，毫秒时间戳（非负整数），默认为服务收到的时刻
//   event_id          可选，非空字符串（至多 256 字节）：同一个 event_id 只存一次（重试安全）
// 任何问题抛出 RequestError（字段如 events[3].type）；一批里有一个坏事件，整批都不存。
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/event_types.h"
#include "store/history_store.h"

namespace seqrec {

// 解析请求体；一批最多 max_batch 个事件；now_ms 填给没有 ts 的事件；types：接受的类型（编号已由存储分配）。
std::vector<StoredEvent> parse_events_request(const std::string& body, int max_batch, int64_t now_ms,
                                              const EventTypes& types);

// 一个事件 ID 的最大字节数（user_id / item_id / event_id）。
inline constexpr size_t kMaxEventIdBytes = 256;

}  // namespace seqrec
