// 热启动（seqrec retrain）：新模型的初始权重取自上一个模型——已有的用户与物品按 ID 沿用各自的行，
// 新用户、新物品与填充行保留随机初始值，其余张量（注意力、前馈、位置……）原样沿用。
// 不包含 LibTorch：输入输出都是 safetensors 命名的 TensorMap。
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "core/safetensors.h"
#include "data/id_map.h"

namespace seqrec {

// 热启动的统计（写进 lineage）。
struct WarmStartStats {
  int64_t items_kept = 0, items_new = 0;  // 沿用了行的物品 / 新物品（随机初始化）
  int64_t users_kept = 0, users_new = 0;  // 同上，只对有用户表的模型（long_short）
  int64_t tensors_kept = 0;               // 整个沿用的其他张量
  nlohmann::ordered_json to_json() const;
};

// 合并：fresh 是新模型的随机初始权重（决定全部名字与形状），old 是上一个模型导出的权重。
//   item_emb：第 i 行 = 新物品表中下标 i 的物品；在 old_items 里找得到的取旧行，其余（新物品、末尾的填充行）保留 fresh；
//   user_emb：前面 offset 行（long_short 的“未知用户”行）沿用旧的，之后按用户 ID 同样处理；
//   其余张量形状必须相同（结构不变），整个沿用。形状不符时抛出 Error，指明张量。
TensorMap warm_start_tensors(const TensorMap& fresh, const TensorMap& old, const IdMap& old_users,
                             const IdMap& old_items, const IdMap& new_users, const IdMap& new_items,
                             WarmStartStats* stats);

}  // namespace seqrec
