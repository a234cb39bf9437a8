// OTTO JSONL 一行的解析（simdjson DOM）。
#include "data/otto_jsonl.h"

#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "data/events.h"

namespace seqrec {

bool parse_int64(const char* p, size_t len, int64_t& out) {
  const std::string_view s(p, len);
  if (s.empty()) return false;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    i = 1;
  }
  if (i == s.size()) return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    const unsigned d = static_cast<unsigned char>(s[i]) - '0';
    if (d > 9) return false;
    if (v > (static_cast<uint64_t>(INT64_MAX) - d) / 10) return false;
    v = v * 10 + d;
  }
  out = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

namespace {

// 一个 JSON 值作为整数编号：整数或只含数字的字符串。
bool json_id(simdjson::dom::element v, int64_t& out) {
  if (v.get_int64().get(out) == simdjson::SUCCESS) return true;
  std::string_view s;
  return v.get_string().get(s) == simdjson::SUCCESS && parse_int64(s.data(), s.size(), out);
}

// 解析一行 OTTO JSONL（simdjson DOM：运行时按 CPU 选择 SIMD 实现）；出错时返回说明（空串 = 成功）。
// padded 时行之后至少有 SIMDJSON_PADDING 个可读字节，不必复制；否则 simdjson 先复制到自己的缓冲。
std::string parse_line(simdjson::dom::parser& parser, const char* p, size_t len, bool padded, OttoLine& ev) {
  namespace dom = simdjson::dom;
  ev.clear();
  dom::element doc;
  if (auto e = parser.parse(p, len, !padded).get(doc)) return concat("not valid JSON (", simdjson::error_message(e), ")");
  dom::object obj;
  if (doc.get_object().get(obj)) return "expected a JSON object {\"session\": ..., \"events\": [...]}";
  dom::element sess, events;
  if (obj["session"].get(sess) || obj["events"].get(events)) return "expected {\"session\": ..., \"events\": [...]}";
  if (!json_id(sess, ev.session)) return "'session' must be an integer";
  dom::array arr;
  if (events.get_array().get(arr)) return "'events' must be an array";
  size_t i = 0;
  for (dom::element item : arr) {
    dom::object eo;
    if (item.get_object().get(eo)) return concat("events[", i, "] must be an object");
    dom::element va, vt, vy;
    if (eo["aid"].get(va) || eo["ts"].get(vt) || eo["type"].get(vy))
      return concat("events[", i, "] must have 'aid', 'ts' and 'type'");
    int64_t a = 0, t = 0;
    if (!json_id(va, a)) return concat("events[", i, "].aid must be an integer");
    if (vt.get_int64().get(t) != simdjson::SUCCESS) {
      double d;
      if (vt.get_double().get(d) || !std::isfinite(d)) return concat("events[", i, "].ts must be a number");
      t = static_cast<int64_t>(std::llround(d));
    }
    int kind = -1;
    std::string_view s;
    int64_t n;
    if (vy.get_string().get(s) == simdjson::SUCCESS) {
      kind = otto_event_kind(s);
      if (kind < 0) return concat("events[", i, "].type must be clicks, carts or orders, got '", s, "'");
    } else if (vy.get_int64().get(n) == simdjson::SUCCESS && n >= 0 && n < kEventKinds) {
      kind = static_cast<int>(n);
    } else {
      return concat("events[", i, "].type must be \"clicks\", \"carts\", \"orders\" or 0, 1, 2");
    }
    ev.aids.push_back(a);
    ev.times.push_back(t);
    ev.types.push_back(static_cast<uint8_t>(kind));
    ++i;
  }
  return "";
}

}  // namespace

size_t otto_line_padding() { return simdjson::SIMDJSON_PADDING; }

struct OttoLineParser::Impl {
  simdjson::dom::parser parser;
};

OttoLineParser::OttoLineParser() : impl_(std::make_unique<Impl>()) {}
OttoLineParser::~OttoLineParser() = default;

std::string OttoLineParser::parse(const char* p, size_t len, bool padded, OttoLine& out) {
  return parse_line(impl_->parser, p, len, padded, out);
}

}  // namespace seqrec
