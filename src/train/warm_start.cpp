// 热启动权重合并的实现。
#include "train/warm_start.h"

#include <algorithm>

#include "core/error.h"

namespace seqrec {

nlohmann::ordered_json WarmStartStats::to_json() const {
  nlohmann::ordered_json j = {{"items_kept", items_kept}, {"items_new", items_new}};
  if (users_kept + users_new > 0) {
    j["users_kept"] = users_kept;
    j["users_new"] = users_new;
  }
  j["other_tensors_kept"] = tensors_kept;
  return j;
}

namespace {

// 形状的文字形式（错误消息用）。
std::string shape_text(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += concat(i ? ", " : "", s[i]);
  return out + "]";
}

// 按 ID 复制一张表的行：dst 的第 offset + i 行 ← src 的第 offset + old_ids.find(new_ids.id(i)) 行；
// 前 offset 行（特殊行）直接复制。返回（沿用的行数，新行数）。
std::pair<int64_t, int64_t> copy_rows(const Tensor& src, Tensor* dst, int64_t offset, const IdMap& old_ids,
                                      const IdMap& new_ids, const std::string& name) {
  const int64_t cols = dst->shape[1];
  if (src.shape.size() != 2 || src.shape[1] != cols)
    throw Error(concat("warm start: tensor '", name, "' has shape ", shape_text(src.shape),
                       " in the current model and ", shape_text(dst->shape), " in the new one"));
  if (src.shape[0] < offset + static_cast<int64_t>(old_ids.size()) ||
      dst->shape[0] < offset + static_cast<int64_t>(new_ids.size()))
    throw Error(concat("warm start: tensor '", name, "' has fewer rows than the id map needs"));
  auto row = [cols](const Tensor& t, int64_t r) { return t.data.data() + r * cols; };
  std::copy(row(src, 0), row(src, offset), dst->data.data());
  std::pair<int64_t, int64_t> n{0, 0};
  for (int32_t i = 0; i < static_cast<int32_t>(new_ids.size()); ++i) {
    const int32_t o = old_ids.find(new_ids.id(i));
    if (o < 0) {
      ++n.second;
      continue;
    }
    std::copy(row(src, offset + o), row(src, offset + o + 1), dst->data.data() + (offset + i) * cols);
    ++n.first;
  }
  return n;
}

}  // namespace

TensorMap warm_start_tensors(const TensorMap& fresh, const TensorMap& old, const IdMap& old_users,
                             const IdMap& old_items, const IdMap& new_users, const IdMap& new_items,
                             WarmStartStats* stats) {
  WarmStartStats st;
  TensorMap out = fresh;
  for (auto& [name, t] : out) {
    auto it = old.find(name);
    if (it == old.end())
      throw Error(concat("warm start: the current model has no tensor '", name, "' (a different architecture?)"));
    const Tensor& src = it->second;
    if (name == "item_emb" || name == "out_emb") {  // out_emb：gsasrec 的输出嵌入，也是每个物品一行
      // 物品表：第 i 行是物品 i，之后是特殊行（填充；bert4rec 还有 [MASK]）：两边特殊行数相同时沿用旧的
      // （[MASK] 的嵌入是学到的），否则保留新的初始值。
      std::tie(st.items_kept, st.items_new) = copy_rows(src, &t, 0, old_items, new_items, name);
      const int64_t old_n = static_cast<int64_t>(old_items.size()), new_n = static_cast<int64_t>(new_items.size());
      const int64_t tail = t.shape[0] - new_n, cols = t.shape[1];
      if (tail > 0 && src.shape[0] - old_n == tail)
        std::copy(src.data.begin() + old_n * cols, src.data.begin() + (old_n + tail) * cols,
                  t.data.begin() + new_n * cols);
    } else if (name == "user_emb") {
      // 用户表：long_short 的第 0 行是“未知用户”，用户 u 在第 u + 1 行。
      const int64_t offset = t.shape.empty() ? 0 : t.shape[0] - static_cast<int64_t>(new_users.size());
      if (offset < 0 || offset > 1 || src.shape.empty() ||
          src.shape[0] - static_cast<int64_t>(old_users.size()) != offset)
        throw Error(concat("warm start: tensor 'user_emb' does not match the user maps (", shape_text(src.shape),
                           " for ", old_users.size(), " users, ", shape_text(t.shape), " for ", new_users.size(), ")"));
      std::tie(st.users_kept, st.users_new) = copy_rows(src, &t, offset, old_users, new_users, name);
    } else {
      if (src.shape != t.shape)
        throw Error(concat("warm start: tensor '", name, "' has shape ", shape_text(src.shape),
                           " in the current model and ", shape_text(t.shape), " in the new one"));
      t.data = src.data;
      ++st.tensors_kept;
    }
  }
  if (stats) *stats = st;
  return out;
}

}  // namespace seqrec
