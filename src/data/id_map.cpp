// IdMap 实现。
#include "data/id_map.h"

#include "core/error.h"
#include "core/files.h"

namespace seqrec {

std::string IdMap::to_json_text() const {
  // 直接拼出 {"id":0,...}：ordered_json 逐个插入键是线性查找，百万个 ID 时是 O(n²)（实测卡住数分钟）。
  std::string out = "{";
  out.reserve(ids().size() * 16 + 2);
  for (size_t i = 0; i < ids().size(); ++i) {
    if (i) out += ',';
    out += nlohmann::json(ids()[i]).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);  // 转义
    out += ':';
    out += std::to_string(i);
  }
  out += '}';
  return out;
}

namespace {

// 流式读取 {"外部id": 下标, ...}：只接受一层对象、字符串键与非负整数值；其他任何东西立即报错
// （返回 false 让解析停止），所以坏文件既不会建出大 DOM，也不会把内容带进错误消息。
class IdMapSax : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit IdMapSax(int64_t limit) : limit_(limit) {}
  std::vector<std::pair<std::string, uint64_t>> pairs;
  std::string error;

  bool start_object(std::size_t) override {
    if (depth_++ != 0) return fail(concat("entry ", pairs.size() + 1, " has an object as its value; expected an integer index"));
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool key(string_t& k) override {
    if (limit_ >= 0 && static_cast<int64_t>(pairs.size()) >= limit_)
      return fail(concat("more than the ", limit_, " entries the model has"));
    key_ = std::move(k);
    return true;
  }
  bool number_unsigned(number_unsigned_t v) override {
    if (depth_ != 1) return not_object();
    pairs.emplace_back(std::move(key_), v);
    return true;
  }
  bool number_integer(number_integer_t v) override {
    if (depth_ != 1) return not_object();
    return fail(concat("entry ", pairs.size() + 1, " has a negative index (", v, ")"));
  }
  bool number_float(number_float_t, const string_t&) override { return not_index(); }
  bool boolean(bool) override { return not_index(); }
  bool null() override { return not_index(); }
  bool string(string_t&) override { return not_index(); }
  bool binary(binary_t&) override { return not_index(); }
  bool start_array(std::size_t) override { return depth_ == 0 ? not_object() : not_index(); }
  bool end_array() override { return true; }
  bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception&) override {
    if (error.empty()) error = concat("not valid JSON (error at byte ", pos, ")");
    return false;
  }

 private:
  bool fail(std::string msg) {
    if (error.empty()) error = std::move(msg);
    return false;
  }
  bool not_object() { return fail("expected a JSON object {\"external_id\": index}"); }
  bool not_index() {
    return depth_ == 0 ? not_object() : fail(concat("entry ", pairs.size() + 1, " has an index that is not an integer"));
  }
  int64_t limit_;
  int depth_ = 0;
  std::string key_;
};

}  // namespace

IdMap IdMap::from_json(const nlohmann::json& j, const std::string& what) {
  if (!j.is_object()) throw Error(concat(what, ": expected a JSON object {\"external_id\": index}"));
  std::vector<std::string> ids(j.size());
  std::vector<bool> seen(j.size(), false);
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_number_integer())
      throw Error(concat(what, ": index of '", it.key(), "' is not an integer"));
    const int64_t idx = it.value().get<int64_t>();
    if (idx < 0 || idx >= static_cast<int64_t>(j.size()) || seen[static_cast<size_t>(idx)])
      throw Error(concat(what, ": index ", idx, " of '", it.key(),
                         "' is out of range or duplicated (indices must be 0..", j.size() - 1, ")"));
    seen[static_cast<size_t>(idx)] = true;
    ids[static_cast<size_t>(idx)] = it.key();
  }
  IdMap m;
  m.assign(std::move(ids));  // JSON 对象的键互不相同（nlohmann 合并重复键），不会有重复
  return m;
}

void IdMap::save(const std::string& path) const { write_file_atomic(path, to_json_text()); }

IdMap IdMap::load(const std::string& path, int64_t expected) {
  const uint64_t max_bytes =
      expected >= 0 ? 64 + static_cast<uint64_t>(expected) * kMaxBytesPerId : (uint64_t(1) << 40);
  const std::string text = read_regular_file(path, max_bytes);
  IdMapSax sax(expected);
  const bool ok = nlohmann::json::sax_parse(text, &sax);
  if (!ok || !sax.error.empty()) throw Error(concat("'", path, "': ", sax.error.empty() ? "not a JSON object" : sax.error));
  // 下标必须恰好是 0..n-1 的一个排列（与 from_json 相同的检查）。
  const size_t n = sax.pairs.size();
  std::vector<std::string> ids(n);
  std::vector<bool> seen(n, false);
  for (auto& [id, idx] : sax.pairs) {
    if (idx >= n || seen[static_cast<size_t>(idx)])
      throw Error(concat("'", path, "': index ", idx, " is out of range or duplicated (indices must be 0..",
                         n == 0 ? 0 : n - 1, ")"));
    seen[static_cast<size_t>(idx)] = true;
    ids[static_cast<size_t>(idx)] = std::move(id);
  }
  IdMap m;
  const int64_t dup = m.assign(std::move(ids));
  if (dup >= 0) throw Error(concat("'", path, "': the id with index ", dup, " appears twice"));
  return m;
}

}  // namespace seqrec
