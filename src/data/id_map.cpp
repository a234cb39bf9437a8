// IdMap 实现。
#include "data/id_map.h"

#include "core/error.h"
#include "core/files.h"

namespace seqrec {

size_t IdMap::slot_of(const std::string& id) const {
  const size_t mask = slots_.size() - 1;
  for (size_t s = std::hash<std::string>{}(id) & mask;; s = (s + 1) & mask) {
    const int32_t v = slots_[s];
    if (v == 0 || ids_[static_cast<size_t>(v - 1)] == id) return s;
  }
}

void IdMap::grow() {
  std::vector<int32_t> old;
  old.swap(slots_);
  slots_.assign(old.empty() ? 16 : old.size() * 2, 0);
  for (int32_t v : old)
    if (v != 0) slots_[slot_of(ids_[static_cast<size_t>(v - 1)])] = v;
}

int32_t IdMap::add(const std::string& id) {
  if ((ids_.size() + 1) * 2 > slots_.size()) grow();
  const size_t s = slot_of(id);
  if (slots_[s] != 0) return slots_[s] - 1;
  ids_.push_back(id);
  slots_[s] = static_cast<int32_t>(ids_.size());
  return slots_[s] - 1;
}

int32_t IdMap::find(const std::string& id) const {
  if (slots_.empty()) return -1;
  const int32_t v = slots_[slot_of(id)];
  return v - 1;
}

std::string IdMap::to_json_text() const {
  // 直接拼出 {"id":0,...}：ordered_json 逐个插入键是线性查找，百万个 ID 时是 O(n²)（实测卡住数分钟）。
  std::string out = "{";
  out.reserve(ids_.size() * 16 + 2);
  for (size_t i = 0; i < ids_.size(); ++i) {
    if (i) out += ',';
    out += nlohmann::json(ids_[i]).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);  // 转义
    out += ':';
    out += std::to_string(i);
  }
  out += '}';
  return out;
}

IdMap IdMap::from_json(const nlohmann::json& j, const std::string& what) {
  if (!j.is_object()) throw Error(concat(what, ": expected a JSON object {\"external_id\": index}"));
  IdMap m;
  m.ids_.assign(j.size(), std::string());
  std::vector<bool> seen(j.size(), false);
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_number_integer())
      throw Error(concat(what, ": index of '", it.key(), "' is not an integer"));
    const int64_t idx = it.value().get<int64_t>();
    if (idx < 0 || idx >= static_cast<int64_t>(j.size()) || seen[static_cast<size_t>(idx)])
      throw Error(concat(what, ": index ", idx, " of '", it.key(),
                         "' is out of range or duplicated (indices must be 0..", j.size() - 1, ")"));
    seen[static_cast<size_t>(idx)] = true;
    m.ids_[static_cast<size_t>(idx)] = it.key();
  }
  // 一次建好哈希表（JSON 对象的键互不相同）。
  size_t n = 16;
  while (n < m.ids_.size() * 2) n *= 2;
  m.slots_.assign(n, 0);
  for (size_t i = 0; i < m.ids_.size(); ++i) m.slots_[m.slot_of(m.ids_[i])] = static_cast<int32_t>(i + 1);
  return m;
}

void IdMap::save(const std::string& path) const { write_file_atomic(path, to_json_text()); }

IdMap IdMap::load(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(concat("'", path, "' is not valid JSON: ", e.what()));
  }
  return from_json(j, path);
}

}  // namespace seqrec
