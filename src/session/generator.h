// 会话数据生成器（测试与规模测试用）：写出 OTTO JSONL，带有真实数据的主要结构——
//   流行度偏斜：主题（每个 topic_size 个物品）与主题内物品都按 Zipf 分布被选中；
//   共现结构：会话内多数下一次点击是同一主题中“链上的下一个”物品（a → a+1），其余为同主题随机、
//             回看会话中已看过的物品、或换一个主题；
//   漏斗：点击后以 cart_rate 的概率加购同一物品，会话结束时加购过的物品以 order_rate 的概率下单（同一时刻）；
//   时间：会话开始时间在 days 天内均匀分布，事件间隔服从指数分布（均值 60 秒），偶尔相隔 1–3 天。
// 物品编号经过一个固定的置换，编号本身不泄露结构。给定种子，输出逐字节相同。
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "session/sessions.h"

namespace seqrec {

struct SessionGenOptions {
  int64_t sessions = 10000;
  int32_t items = 5000;
  int32_t topic_size = 50;
  double mean_length = 10;   // 每个会话的平均事件数（含加购与下单）
  double zipf = 1.0;         // 流行度偏斜的指数
  double cart_rate = 0.08;   // 一次点击之后加购的概率
  double order_rate = 0.5;   // 加购过的物品在会话结束时下单的概率
  double chain = 0.55;       // 下一次点击是链上下一个物品的概率
  double revisit = 0.15;     // 下一次点击回看已看过物品的概率
  double topic_switch = 0.05;  // 换主题的概率
  int days = 28;
  int64_t start_ms = 1659304800000LL;  // 2022-08-01，与 OTTO 相同的起点
  uint64_t seed = 42;
  void validate() const;
  nlohmann::ordered_json to_json() const;
};

// 生成并以 OTTO JSONL 原子写出；返回统计（会话数、事件数、各类型事件数、用到的物品数）。
nlohmann::ordered_json generate_sessions_jsonl(const std::string& path, const SessionGenOptions& opt);
// 生成到内存（测试用）。
SessionData generate_sessions(const SessionGenOptions& opt);

}  // namespace seqrec
