// 外部 ID（任意字符串）与内部连续下标（0..n-1）之间的双向映射。
// 保存为 JSON 对象 {"外部id": 下标, ...}，按下标顺序写出；下标即 item_embeddings.npy 的行号。
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"

namespace seqrec {

// 键的哈希：字符串用 std::hash，64 位整数用 SplitMix64 的终结步骤（连续的整数编号也散得开）。
inline uint64_t id_hash(const std::string& k) { return std::hash<std::string>{}(k); }
inline uint64_t id_hash(int64_t k) {
  uint64_t z = static_cast<uint64_t>(k) + 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// 外部 ID → 连续下标（0..n-1）的双向映射，下标按首次 add() 的顺序分配。交互数据的用户 / 物品（字符串 ID，
// IdMap）与会话数据的物品（整数 aid，AidMap）共用这一个实现。
// 开放寻址哈希表（线性探测），槽里存下标（-1 表示空）；槽数是 2 的幂，装载率不超过 1/2。
// 只存 4 字节的下标而不是第二份键：百万个字符串 ID 时比 unordered_map<string, int> 少约 60 MB。
template <class Key>
class DenseIdMap {
 public:
  // 加入一个外部 ID，返回它的下标（已存在则返回原下标）。超过 2^31 − 1 个 ID 时抛出 Error。
  int32_t add(const Key& key) {
    if ((ids_.size() + 1) * 2 > slots_.size()) rehash(std::max<size_t>(16, slots_.size() * 2));
    const size_t s = slot_of(key);
    if (slots_[s] >= 0) return slots_[s];
    if (ids_.size() >= static_cast<size_t>(INT32_MAX)) throw Error("more than 2^31 - 1 distinct ids");
    slots_[s] = static_cast<int32_t>(ids_.size());
    ids_.push_back(key);
    return slots_[s];
  }
  // 查找外部 ID，不存在时返回 -1。
  int32_t find(const Key& key) const { return slots_.empty() ? -1 : slots_[slot_of(key)]; }
  // 下标对应的外部 ID。
  const Key& id(int32_t index) const { return ids_.at(static_cast<size_t>(index)); }
  // 全部外部 ID，按下标顺序。
  const std::vector<Key>& ids() const { return ids_; }
  size_t size() const { return ids_.size(); }
  // 预留 n 个 ID 的空间（之后的 add 不再扩容）。
  void reserve(size_t n) {
    ids_.reserve(n);
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    if (cap > slots_.size()) rehash(cap);
  }
  // 以给定次序的 ID 重建（下标 = 在 ids 中的位置）。有重复时返回第一个重复者的位置（映射随后不可用），否则 -1。
  int64_t assign(std::vector<Key> ids) {
    ids_.clear();
    slots_.clear();
    reserve(ids.size());
    for (size_t i = 0; i < ids.size(); ++i)
      if (add(ids[i]) != static_cast<int32_t>(i)) return static_cast<int64_t>(i);
    return -1;
  }

 private:
  // 找 key 所在的槽：命中时槽里是它的下标，否则是应当放入的空槽（值为 -1）。
  size_t slot_of(const Key& key) const {
    const size_t mask = slots_.size() - 1;
    for (size_t s = id_hash(key) & mask;; s = (s + 1) & mask) {
      const int32_t v = slots_[s];
      if (v < 0 || ids_[static_cast<size_t>(v)] == key) return s;
    }
  }
  // 槽数改为 cap 并重新放入全部 ID。
  void rehash(size_t cap) {
    slots_.assign(cap, -1);
    for (size_t i = 0; i < ids_.size(); ++i) slots_[slot_of(ids_[i])] = static_cast<int32_t>(i);
  }

  std::vector<Key> ids_;
  std::vector<int32_t> slots_;
};

// 会话数据的物品：整数 aid → 稠密下标。
using AidMap = DenseIdMap<int64_t>;

// 字符串 ID 的映射，另能存取为 JSON。
class IdMap : public DenseIdMap<std::string> {
 public:
  // 序列化为 JSON 对象的文本 {"id": 下标, ...}（按下标顺序；线性时间，百万个 ID 也只要零点几秒）。
  std::string to_json_text() const;
  // 从 JSON 对象还原；要求下标恰好是 0..n-1 的一个排列，否则抛出带 what 的 Error。
  static IdMap from_json(const nlohmann::json& j, const std::string& what);
  // 原子写出到文件。
  void save(const std::string& path) const;
  // 从文件读取。expected >= 0 时（模型目录里的映射，条数由模型决定）：文件大于 64 + expected × 2 KiB
  // 时不读；条数多于 expected 时立即停止。解析是流式的（SAX），不建整棵 JSON 树：嵌套很深或很大的
  // 文件只会得到一条错误，而不会占满内存。错误消息不含文件内容。
  static IdMap load(const std::string& path, int64_t expected = -1);
  // 模型目录里一个 ID 平均允许的字节数（含 JSON 的引号、冒号与下标）。
  static constexpr uint64_t kMaxBytesPerId = 2048;

};

}  // namespace seqrec
