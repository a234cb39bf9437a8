// 电商会话事件数据（点击 / 加购 / 下单），OTTO 规模（千万级会话、亿级事件、百万级物品）。
//
// 存储是按会话连续的列：offsets[s] .. offsets[s+1] 是第 s 个会话的事件，物品为稠密下标（item_ids 还原成
// 原始 aid），时间戳为毫秒，同一会话内按时间稳定排序。每个事件 13 字节（aid 4 + ts 8 + type 1），
// 不保存任何原始文本。
//
// 读取是流式的：文件按块读入（默认 16 MiB 一块），逐行解析，文本不会整个留在内存中。
//   OTTO JSONL：{"session":N,"events":[{"aid":N,"ts":MS,"type":"clicks"|"carts"|"orders"|0|1|2}, ...]}
//               逐行解析见 data/otto_jsonl.h（与 train --format otto 是同一个解析器，接受同样的文件）。
//   CSV：       session,aid,ts,type（有无表头均可；按表头的列名找列，识别 Diginetica 的
//               session_id;user_id;item_id;timeframe;eventdate，日期列加到时间戳上）；type 缺省时全部视为点击。
// 会话与物品编号必须是整数（OTTO 与 Diginetica 都是）。坏行的错误指明文件与行号；skip_bad_lines 时跳过并计数。
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/events.h"
#include "data/id_map.h"

namespace seqrec {

// 会话数据（见文件头注释）。
struct SessionData {
  std::vector<int64_t> session;      // 每个会话的原始编号
  std::vector<int64_t> offsets{0};   // [会话数 + 1]
  std::vector<int32_t> aid;          // 每个事件的稠密物品下标
  std::vector<int64_t> ts;           // 每个事件的时间戳（毫秒）
  std::vector<uint8_t> type;         // 每个事件的 EventKind
  AidMap items;                      // 稠密下标 ↔ 原始 aid
  int64_t bad_lines = 0;             // skip_bad_lines 时跳过的坏行数

  int64_t num_sessions() const { return static_cast<int64_t>(session.size()); }
  int64_t num_events() const { return static_cast<int64_t>(aid.size()); }
  int32_t num_items() const { return static_cast<int32_t>(items.size()); }
  int64_t begin(int64_t s) const { return offsets[static_cast<size_t>(s)]; }
  int64_t end(int64_t s) const { return offsets[static_cast<size_t>(s) + 1]; }
  // 原始 aid。
  int64_t raw_aid(int64_t event) const { return items.ids()[static_cast<size_t>(aid[static_cast<size_t>(event)])]; }
  // 统计：会话数、事件数、物品数、各类型事件数、时间范围。
  nlohmann::ordered_json stats() const;
  // 追加一个会话（事件按时间稳定排序）；调用方给出原始 aid。
  void add_session(int64_t id, const std::vector<int64_t>& aids, const std::vector<int64_t>& times,
                   const std::vector<uint8_t>& types);
  // 内存占用（字节，近似）。
  size_t memory_bytes() const;
};

// 读取选项。
struct SessionReadOptions {
  std::string format = "auto";   // auto（按扩展名：.jsonl/.json → jsonl，其他 → csv）、jsonl、csv
  bool skip_bad_lines = false;   // 坏行跳过并计数，而不是报错
  // CSV：
  std::string sep = "auto";      // 分隔符：auto（从首行判断 , ; \t）或单个字符
  std::string session_col, aid_col, ts_col, type_col, date_col;  // 空 = 按常见列名自动识别
  double ts_scale = 0;           // 时间戳乘以多少得到毫秒：0 = 自动（JSONL 与带日期列的 CSV 为 1，其他 CSV 为 1000，即秒）
  size_t chunk_bytes = 16u << 20;  // 每次读入的块大小
  int64_t max_events = 0;        // >0 时读够这么多事件就停（按整个会话）
};

// 读取会话文件（见文件头注释）。
SessionData read_sessions(const std::string& path, const SessionReadOptions& opt = {});
// 从内存文本读取（测试用）；what 用于错误消息。
SessionData parse_sessions(const std::string& text, const std::string& what, const SessionReadOptions& opt);

// 以 OTTO JSONL 写出 sessions 中列出的会话（原子写入）。ends 为空时写出整个会话，否则第 k 个会话只写
// [begin, (*ends)[k]) 的前缀（空前缀的会话不写）。
void write_sessions_jsonl(const std::string& path, const SessionData& d, const std::vector<int64_t>& sessions,
                          const std::vector<int64_t>* ends = nullptr);

}  // namespace seqrec
