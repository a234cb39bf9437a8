// POST /events 请求体的解析与校验。
#include "serve/events_api.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "serve/recommender.h"

namespace seqrec {

namespace {

// 字段在错误消息里的名字：单个事件为 name，一批里的第 i 个为 events[i].name。只在出错时拼出来
// （每个事件都拼字符串是写入热路径上可见的开销）。
std::string field_name(long index, const char* name) {
  return index < 0 ? std::string(name) : concat("events[", index, "].", name);
}

// 一个必填或可选的 ID 字段（字符串或整数，非空，至多 kMaxEventIdBytes 字节）。
std::string event_id_field(const nlohmann::json& j, const char* name, long index, bool required) {
  const auto it = j.find(name);
  if (it == j.end()) {
    if (required) throw RequestError(field_name(index, name), concat("missing field '", name, "' (string or integer)"));
    return "";
  }
  std::string v;
  if (!id_to_string(*it, &v)) {
    const std::string field = field_name(index, name);
    throw RequestError(field, concat("'", field, "' must be a string or an integer, got ", it->type_name()));
  }
  if (v.empty()) {
    const std::string field = field_name(index, name);
    throw RequestError(field, concat("'", field, "' is empty"));
  }
  if (v.size() > kMaxEventIdBytes) {
    const std::string field = field_name(index, name);
    throw RequestError(field, concat("'", field, "' has ", v.size(), " bytes; at most ", kMaxEventIdBytes));
  }
  return v;
}

// 一个事件对象；index 为它在一批里的位置（单个事件为 -1）。
StoredEvent parse_event(const nlohmann::json& j, long index, int64_t now_ms, const EventTypes& types) {
  if (!j.is_object()) {
    const std::string where = index < 0 ? std::string() : concat("events[", index, "]");
    throw RequestError(where, concat(where.empty() ? "the body" : where, " must be a JSON object"));
  }
  static const std::vector<std::string> kFields = {"user_id", "item_id", "type", "ts", "event_id"};
  check_fields(j, kFields, "an event");
  StoredEvent e;
  e.user_id = event_id_field(j, "user_id", index, true);
  e.item_id = event_id_field(j, "item_id", index, true);
  e.event_id = event_id_field(j, "event_id", index, false);
  // 没给类型时是列表里的第一个类型。
  e.type = static_cast<uint8_t>(types.list().front().code);
  if (const auto t = j.find("type"); t != j.end()) {
    const EventType* k = t->is_string() ? types.find(t->get_ref<const std::string&>()) : nullptr;
    if (!k) {
      const std::string field = field_name(index, "type");
      throw RequestError(field, concat("'", field, "' must be one of the event types of this service (", types.names(),
                                       "; see --event-types), got ",
                                       t->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    }
    e.type = static_cast<uint8_t>(k->code);
  }
  if (const auto t = j.find("ts"); t != j.end()) {
    if (!t->is_number_integer() || t->get<int64_t>() < 0) {
      const std::string field = field_name(index, "ts");
      throw RequestError(field, concat("'", field, "' must be a non-negative integer (milliseconds since 1970)"));
    }
    e.ts_ms = t->get<int64_t>();
  } else {
    e.ts_ms = now_ms;
  }
  return e;
}

}  // namespace

std::vector<StoredEvent> parse_events_request(const std::string& body, int max_batch, int64_t now_ms,
                                              const EventTypes& types) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw RequestError("", "request body is not valid JSON");
  if (!j.is_object()) throw RequestError("", "request body must be an event object or {\"events\": [...]}");
  if (!j.contains("events")) return {parse_event(j, -1, now_ms, types)};
  check_fields(j, {"events"}, "an event batch");
  const auto& a = j["events"];
  if (!a.is_array()) throw RequestError("events", concat("'events' must be an array, got ", a.type_name()));
  if (a.empty()) throw RequestError("events", "'events' is empty");
  if (a.size() > static_cast<size_t>(max_batch))
    throw RequestError("events", concat("'events' has ", a.size(), " entries; at most ", max_batch,
                                        " are accepted (--max-batch)"));
  std::vector<StoredEvent> out;
  out.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) out.push_back(parse_event(a[i], static_cast<long>(i), now_ms, types));
  return out;
}

}  // namespace seqrec
