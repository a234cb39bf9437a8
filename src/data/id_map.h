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
  // 从文件读取。
  static IdMap load(const std::string& path);

 private:
  std::vector<std::string> ids_;
  std::unordered_map<std::string, int32_t> index_;
};

}  // namespace seqrec
