// 外部 ID（任意字符串）与内部连续下标（0..n-1）之间的双向映射。
// 保存为 JSON 对象 {"外部id": 下标, ...}，按下标顺序写出；下标即 item_embeddings.npy 的行号。
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

namespace seqrec {

// 双向 ID 映射。下标按首次 add() 的顺序分配。
class IdMap {
 public:
  // 加入一个外部 ID，返回它的下标（已存在则返回原下标）。
  int32_t add(const std::string& id);
  // 查找外部 ID，不存在时返回 -1。
  int32_t find(const std::string& id) const;
  // 下标对应的外部 ID。
  const std::string& id(int32_t index) const { return ids_.at(static_cast<size_t>(index)); }
  size_t size() const { return ids_.size(); }

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

 private:
  // 找 id 所在的槽：命中时槽里是它的下标 + 1，否则是应当放入的空槽（值为 0）。
  size_t slot_of(const std::string& id) const;
  // 槽数翻倍并重新放入全部 ID。
  void grow();

  std::vector<std::string> ids_;
  // 开放寻址哈希表（线性探测），槽里存下标 + 1，0 表示空；槽数是 2 的幂，装载率不超过 1/2。
  // 只存 4 字节的下标而不是第二份字符串：百万物品时比 unordered_map<string, int> 少约 60 MB。
  std::vector<int32_t> slots_;
};

}  // namespace seqrec
