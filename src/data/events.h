// 事件类型：OTTO 的 clicks / carts / orders。交互数据（Interactions::type）与会话数据（SessionData::type）
// 共用这一个编号。
#pragma once

#include <cstdint>
#include <string_view>

namespace seqrec {

enum class EventKind : uint8_t { kClick = 0, kCart = 1, kOrder = 2 };
inline constexpr int kEventKinds = 3;

// 类型名（"clicks" / "carts" / "orders"），与 OTTO 文件中的写法一致；越界时为 "?"。
inline const char* event_kind_name(int kind) {
  static const char* const k[] = {"clicks", "carts", "orders"};
  return kind >= 0 && kind < kEventKinds ? k[kind] : "?";
}

// OTTO JSONL 的类型名 → 编号；不认识时返回 -1。
inline int otto_event_kind(std::string_view s) {
  return s == "clicks" ? 0 : s == "carts" ? 1 : s == "orders" ? 2 : -1;
}

}  // namespace seqrec
