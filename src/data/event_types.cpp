// 可配置事件类型的解析与查找。
#include "data/event_types.h"

#include <cmath>
#include <cstdlib>

#include "core/error.h"
#include "data/events.h"

namespace seqrec {

std::string_view canonical_event_type(std::string_view name) {
  if (name == "click") return "clicks";
  if (name == "cart") return "carts";
  if (name == "order") return "orders";
  return name;
}

namespace {

// 名字是否合法：小写字母、数字、'_'、'-'，1..32 字节。
bool valid_type_name(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  return true;
}

// 加入一个类型并检查：名字合法、不重复、权重有限且 ≥ 0。内置类型的编号直接填上。
void add_type(std::vector<EventType>& types, const std::string& raw_name, double weight, const std::string& flag) {
  if (!valid_type_name(raw_name))
    throw Error(concat(flag, ": '", printable(raw_name), "' is not an event type name (1-32 of a-z, 0-9, '_', '-')"));
  EventType t;
  t.name = std::string(canonical_event_type(raw_name));
  for (const auto& o : types)
    if (o.name == t.name) throw Error(concat(flag, ": event type '", t.name, "' is listed twice"));
  if (!std::isfinite(weight) || weight < 0)
    throw Error(concat(flag, ": the weight of '", t.name, "' must be a finite number >= 0, got ", weight));
  t.weight = weight;
  t.code = otto_event_kind(t.name);  // 内置类型 0..2；其余 -1，等存储分配
  types.push_back(std::move(t));
}

// 列表整体的检查：非空，至少一个类型的权重大于 0（否则没有可训练的目标）。
void check_list(const std::vector<EventType>& types, const std::string& flag) {
  if (types.empty()) throw Error(concat(flag, ": no event types listed"));
  bool any = false;
  for (const auto& t : types) any = any || t.weight > 0;
  if (!any) throw Error(concat(flag, ": every weight is 0; at least one type must be a training target"));
}

}  // namespace

EventTypes EventTypes::parse(const std::string& spec, const std::string& flag) {
  EventTypes out;
  size_t start = 0;
  while (start <= spec.size()) {
    const size_t comma = spec.find(',', start);
    const std::string part = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (part.empty()) throw Error(concat(flag, ": empty entry in '", printable(spec), "' (expected name[:weight],...)"));
    const size_t colon = part.find(':');
    double weight = 1.0;
    if (colon != std::string::npos) {
      const std::string w = part.substr(colon + 1);
      char* end = nullptr;
      weight = w.empty() ? NAN : std::strtod(w.c_str(), &end);
      if (w.empty() || end != w.c_str() + w.size())
        throw Error(concat(flag, ": the weight in '", printable(part), "' is not a number"));
    }
    add_type(out.types_, part.substr(0, colon), weight, flag);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  check_list(out.types_, flag);
  return out;
}

void EventTypes::assign_codes(const std::function<int(const std::string&)>& code_of) {
  for (auto& t : types_)
    if (t.code < 0) t.code = code_of(t.name);
}

const EventType* EventTypes::find(std::string_view name) const {
  const std::string_view c = canonical_event_type(name);
  for (const auto& t : types_)
    if (t.name == c) return &t;
  return nullptr;
}

const EventType* EventTypes::by_code(int code) const {
  for (const auto& t : types_)
    if (t.code == code) return &t;
  return nullptr;
}

std::string EventTypes::names() const {
  std::string s;
  for (const auto& t : types_) s += (s.empty() ? "" : ", ") + t.name;
  return s;
}

std::string EventTypes::spec() const {
  std::string s;
  for (const auto& t : types_) s += concat(s.empty() ? "" : ",", t.name, ":", t.weight);
  return s;
}

bool EventTypes::uniform() const {
  for (const auto& t : types_)
    if (t.weight != 1.0) return false;
  return true;
}

}  // namespace seqrec
