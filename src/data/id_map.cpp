// IdMap 实现。
#include "data/id_map.h"

#include "core/error.h"
#include "core/files.h"

namespace seqrec {

int32_t IdMap::add(const std::string& id) {
  auto [it, inserted] = index_.emplace(id, static_cast<int32_t>(ids_.size()));
  if (inserted) ids_.push_back(id);
  return it->second;
}

int32_t IdMap::find(const std::string& id) const {
  auto it = index_.find(id);
  return it == index_.end() ? -1 : it->second;
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
    m.index_.emplace(it.key(), static_cast<int32_t>(idx));
  }
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
