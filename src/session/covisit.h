// 共现（co-visitation）矩阵：同一会话中、时间相差不超过窗口的两个事件构成物品对 (a, b)，累加权重，
// 每个物品只保留权重最高的 top_m 个邻居。OTTO（Kaggle 2023）获胜方案的三种标准变体：
//   clicks        时间加权：w = 1 + 3·(t − t_min)/(t_max − t_min)（越新的会话权重越大），窗口 24 小时
//   carts_orders  类型加权：w = type_weight[b 的类型]（默认点击 1、加购 6、下单 3），窗口 24 小时
//   buy2buy       只用加购/下单事件，w = 1，窗口 14 天
// 每个会话只用最近 session_tail 个事件（默认 30）；同一会话内同一物品对只计一次（类型加权按 (a, b, b 的类型)）。
//
// 构建：多线程、内存有界。物品按 a 的哈希分成 parts × threads 份，每个线程只累加属于自己那一份的 a，
// 不需要锁也不需要合并；份数按第一遍统计的物品对数与 memory_budget 确定。权重以 2^-16 的定点整数累加，
// 结果与线程数、分份方式无关（逐位相同）。
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "session/sessions.h"

namespace seqrec {

// 三种共现变体。
enum class CovisitKind : int { kClicks = 0, kCartsOrders = 1, kBuy2Buy = 2 };
inline constexpr int kCovisitKinds = 3;
const char* covisit_kind_name(int kind);

// 构建选项。
struct CovisitOptions {
  int64_t window_ms = 24LL * 3600 * 1000;          // clicks / carts_orders 的时间窗口
  int64_t buy_window_ms = 14LL * 24 * 3600 * 1000;  // buy2buy 的时间窗口
  int top_m = 20;                                   // 每个物品保留的邻居数
  int session_tail = 30;                            // 每个会话只用最近这么多个事件
  std::array<float, kEventKinds> type_weight{1.0f, 6.0f, 3.0f};
  int threads = 2;
  size_t memory_budget = size_t{1} << 30;           // 累加用哈希表的内存上限（字节，近似）
  void validate() const;
  nlohmann::ordered_json to_json() const;
};

// 一种变体的邻居表（CSR）：物品 i 的邻居是 neighbours[offsets[i] .. offsets[i+1])，按权重从高到低。
struct NeighbourTable {
  std::vector<int64_t> offsets;   // [物品数 + 1]
  std::vector<int32_t> neighbours;  // 物品下标（与 CovisitModel::items 同一编号）
  std::vector<float> weights;
  int64_t begin(int32_t i) const { return offsets[static_cast<size_t>(i)]; }
  int64_t end(int32_t i) const { return offsets[static_cast<size_t>(i) + 1]; }
};

// 共现模型（构建结果与保存的产物）。
struct CovisitModel {
  AidMap items;                                   // 物品下标 ↔ 原始 aid
  std::array<NeighbourTable, kCovisitKinds> tables;
  nlohmann::ordered_json info;                    // 选项、统计与构建耗时

  // 目录产物：manifest.json（选项、统计、校验和）+ covisit.bin。原子替换目录。
  void save(const std::string& dir) const;
  static CovisitModel load(const std::string& dir);
};

// 从会话数据构建三种共现表。
CovisitModel build_covisit(const SessionData& data, const CovisitOptions& opt);

}  // namespace seqrec
