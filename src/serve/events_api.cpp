// POST /events 请求体的解析与校验。
#include "serve/events_api.h"

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "data/events.h"
#include "serve/recommender.h"

namespace seqrec {

namespace {

// 一个必填或可选的 ID 字段（字符串或整数，非空，至多 kMaxEventIdBytes 字节）。
std::string event_id_field(const nlohmann::json& j, const char* name, const std::string& where, bool required) {
  const std::string field = where.empty() ? name : concat(where, ".", name);
  if (!j.contains(name)) {
    if (required) throw RequestError(field, concat("missing field '", name, "' (string or integer)"));
    return "";
  }
  std::string v;
  if (!id_to_string(j[name], &v))
    throw RequestError(field, concat("'", field, "' must be a string or an integer, got ", j[name].type_name()));
  if (v.empty()) throw RequestError(field, concat("'", field, "' is empty"));
  if (v.size() > kMaxEventIdBytes)
    throw RequestError(field, concat("'", field, "' has ", v.size(), " bytes; at most ", kMaxEventIdBytes));
  return v;
}

// 一个事件对象。
StoredEvent parse_event(const nlohmann::json& j, const std::string& where, int64_t now_ms) {
  if (!j.is_object()) throw RequestError(where, concat(where.empty() ? "the body" : where, " must be a JSON object"));
  check_fields(j, {"user_id", "item_id", "type", "ts", "event_id"}, "an event");
  StoredEvent e;
  e.user_id = event_id_field(j, "user_id", where, true);
  e.item_id = event_id_field(j, "item_id", where, true);
  e.event_id = event_id_field(j, "event_id", where, false);
  const std::string type_field = where.empty() ? "type" : concat(where, ".type");
  if (j.contains("type")) {
    const auto& t = j["type"];
    int k = -1;
    if (t.is_string()) {
      const std::string s = t.get<std::string>();
      k = otto_event_kind(s);
      if (k < 0) k = s == "click" ? 0 : s == "cart" ? 1 : s == "order" ? 2 : -1;
    }
    if (k < 0)
      throw RequestError(type_field, concat("'", type_field, "' must be clicks, carts or orders (or click, cart, order), got ",
                                            t.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
    e.type = static_cast<uint8_t>(k);
  }
  const std::string ts_field = where.empty() ? "ts" : concat(where, ".ts");
  if (j.contains("ts")) {
    const auto& t = j["ts"];
    if (!t.is_number_integer() || t.get<int64_t>() < 0)
      throw RequestError(ts_field, concat("'", ts_field, "' must be a non-negative integer (milliseconds since 1970)"));
    e.ts_ms = t.get<int64_t>();
  } else {
    e.ts_ms = now_ms;
  }
  return e;
}

}  // namespace

std::vector<StoredEvent> parse_events_request(const std::string& body, int max_batch, int64_t now_ms) {
  const nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw RequestError("", "request body is not valid JSON");
  if (!j.is_object()) throw RequestError("", "request body must be an event object or {\"events\": [...]}");
  if (!j.contains("events")) return {parse_event(j, "", now_ms)};
  check_fields(j, {"events"}, "an event batch");
  const auto& a = j["events"];
  if (!a.is_array()) throw RequestError("events", concat("'events' must be an array, got ", a.type_name()));
  if (a.empty()) throw RequestError("events", "'events' is empty");
  if (a.size() > static_cast<size_t>(max_batch))
    throw RequestError("events", concat("'events' has ", a.size(), " entries; at most ", max_batch,
                                        " are accepted (--max-batch)"));
  std::vector<StoredEvent> out;
  out.reserve(a.size());
  for (size_t i = 0; i < a.size(); ++i) out.push_back(parse_event(a[i], concat("events[", i, "]"), now_ms));
  return out;
}

}  // namespace seqrec
