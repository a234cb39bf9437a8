// 会话数据：流式读取 OTTO JSONL（逐行解析见 data/otto_jsonl.h）与 CSV，写出 JSONL。
#include "session/sessions.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <numeric>

#include "core/error.h"
#include "data/csv_reader.h"
#include "data/otto_jsonl.h"
#include "core/files.h"

namespace seqrec {

// ---- SessionData ----

void SessionData::add_session(int64_t id, const std::vector<int64_t>& aids, const std::vector<int64_t>& times,
                              const std::vector<uint8_t>& types) {
  const size_t n = aids.size();
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  if (!std::is_sorted(times.begin(), times.end()))
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return times[a] < times[b]; });
  for (uint32_t i : order) {
    aid.push_back(items.add(aids[i]));
    ts.push_back(times[i]);
    type.push_back(types[i]);
  }
  session.push_back(id);
  offsets.push_back(static_cast<int64_t>(aid.size()));
}

nlohmann::ordered_json SessionData::stats() const {
  int64_t per[kEventKinds] = {0, 0, 0};
  for (uint8_t t : type) ++per[t];
  nlohmann::ordered_json j;
  j["sessions"] = num_sessions();
  j["events"] = num_events();
  j["items"] = num_items();
  for (int k = 0; k < kEventKinds; ++k) j[event_kind_name(k)] = per[k];
  if (!ts.empty()) {
    j["ts_min"] = *std::min_element(ts.begin(), ts.end());
    j["ts_max"] = *std::max_element(ts.begin(), ts.end());
  }
  if (bad_lines > 0) j["bad_lines_skipped"] = bad_lines;
  return j;
}

size_t SessionData::memory_bytes() const {
  return session.capacity() * 8 + offsets.capacity() * 8 + aid.capacity() * 4 + ts.capacity() * 8 + type.capacity() +
         items.ids().capacity() * 8 + static_cast<size_t>(items.size()) * 8;
}

namespace {

// 读取字节的来源：文件或内存文本。read(dst, n) 返回读到的字节数，0 表示结束。
using ByteSource = std::function<size_t(char* dst, size_t n)>;

// 按块读入并逐行回调 fn(行号, 行首, 长度, 行首起可读的字节数)。每块末尾留有 simdjson 要求的填充，
// 因此任何一行之后都至少有 SIMDJSON_PADDING 个可读字节。放不下一整行时块大小加倍。
// fn 返回 false 时提前停止。
void for_each_streamed_line(const ByteSource& src, size_t chunk,
                            const std::function<bool(int64_t, const char*, size_t, size_t)>& fn) {
  std::vector<char> buf(chunk + otto_line_padding(), '\0');
  size_t have = 0;
  int64_t no = 0;
  bool eof = false;
  while (!eof) {
    if (have == chunk) {  // 一行比块还长：块加倍
      chunk *= 2;
      buf.resize(chunk + otto_line_padding(), '\0');
    }
    const size_t n = src(buf.data() + have, chunk - have);
    if (n == 0) eof = true;
    have += n;
    size_t start = 0;
    for (;;) {
      const void* nl = std::memchr(buf.data() + start, '\n', have - start);
      if (!nl && !(eof && start < have)) break;
      const size_t stop = nl ? static_cast<size_t>(static_cast<const char*>(nl) - buf.data()) : have;
      size_t len = stop - start;
      if (len > 0 && buf[start + len - 1] == '\r') --len;
      if (!fn(++no, buf.data() + start, len, buf.size() - start)) return;
      start = nl ? stop + 1 : have;
    }
    std::memmove(buf.data(), buf.data() + start, have - start);
    have -= start;
  }
}

// 是否只有空白。
bool blank(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (p[i] != ' ' && p[i] != '\t') return false;
  return true;
}

bool parse_i64(std::string_view s, int64_t& out) { return parse_int64(s.data(), s.size(), out); }

// 时间戳字段：整数或小数（乘以 scale 后取整为毫秒）。
bool parse_time(std::string_view s, double scale, int64_t& out) {
  int64_t i;
  if (parse_i64(s, i)) {
    out = static_cast<int64_t>(std::llround(static_cast<double>(i) * scale));
    return true;
  }
  std::string tmp(s);
  char* end = nullptr;
  const double d = std::strtod(tmp.c_str(), &end);
  if (tmp.empty() || end != tmp.c_str() + tmp.size() || !std::isfinite(d)) return false;
  out = static_cast<int64_t>(std::llround(d * scale));
  return true;
}

// YYYY-MM-DD → 该日 0 点（UTC）的毫秒数。
bool parse_date(std::string_view s, int64_t& ms) {
  int64_t y, m, d;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !parse_i64(s.substr(0, 4), y) || !parse_i64(s.substr(5, 2), m) ||
      !parse_i64(s.substr(8, 2), d) || m < 1 || m > 12 || d < 1 || d > 31)
    return false;
  // 公历日期到 1970-01-01 以来的天数（Howard Hinnant 的 days_from_civil 算法）。
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  ms = (era * 146097 + doe - 719468) * 86400000LL;
  return true;
}

// 事件类型字段：clicks/carts/orders（也接受单数与 click/view）或 0/1/2。
int parse_kind(std::string_view s) {
  if (s == "clicks" || s == "click" || s == "0" || s == "view" || s == "views") return 0;
  if (s == "carts" || s == "cart" || s == "1") return 1;
  if (s == "orders" || s == "order" || s == "2") return 2;
  return -1;
}

// 按分隔符切分一行（不处理引号：会话文件只有数字与类型名）。
void split_fields(std::string_view line, char sep, std::vector<std::string_view>& out) {
  out.clear();
  size_t start = 0;
  for (;;) {
    const size_t p = line.find(sep, start);
    if (p == std::string_view::npos) {
      out.push_back(line.substr(start));
      return;
    }
    out.push_back(line.substr(start, p - start));
    start = p + 1;
  }
}

// CSV 读取状态：一行一行地收集事件，同一会话的连续行合成一个会话；会话编号不连续时在最后按首次出现重排。
class CsvSessions {
 public:
  CsvSessions(const std::string& what, const SessionReadOptions& opt, SessionData& out) : what_(what), opt_(opt), out_(out) {}

  // 处理一行；返回 false 表示已读够 max_events。
  bool line(int64_t no, std::string_view s) {
    if (blank(s.data(), s.size())) return true;
    if (!configured_) configure(no, s);
    if (header_line_ == no) return true;
    split_fields(s, sep_, f_);
    std::string err = row(no);
    if (!err.empty()) {
      if (!opt_.skip_bad_lines) throw Error(concat(what_, ":", no, ": ", err));
      ++out_.bad_lines;
    }
    return !(opt_.max_events > 0 && static_cast<int64_t>(rows_.size()) >= opt_.max_events);
  }

  // 把收集的行合成会话。
  void finish() {
    // 会话按首次出现的顺序；同一会话的行保持文件中的顺序（add_session 再按时间稳定排序）。
    std::vector<int64_t> first_seen;
    AidMap sess;
    std::vector<int32_t> row_sess(rows_.size());
    for (size_t r = 0; r < rows_.size(); ++r) {
      const int32_t s = sess.add(rows_[r].session);
      row_sess[r] = s;
    }
    std::vector<uint32_t> order(rows_.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return row_sess[a] < row_sess[b]; });
    OttoLine ev;
    for (size_t i = 0; i < order.size();) {
      const int32_t s = row_sess[order[i]];
      ev.clear();
      for (; i < order.size() && row_sess[order[i]] == s; ++i) {
        const Row& r = rows_[order[i]];
        ev.aids.push_back(r.aid);
        ev.times.push_back(r.ts);
        ev.types.push_back(r.type);
      }
      out_.add_session(sess.ids()[static_cast<size_t>(s)], ev.aids, ev.times, ev.types);
    }
  }

 private:
  struct Row {
    int64_t session, aid, ts;
    uint8_t type;
  };

  // 由首行确定分隔符、是否有表头与各列位置。
  void configure(int64_t no, std::string_view s) {
    configured_ = true;
    if (opt_.sep == "auto") {
      sep_ = s.find('\t') != std::string_view::npos ? '\t' : s.find(';') != std::string_view::npos ? ';' : ',';
    } else if (opt_.sep == "\\t" || opt_.sep == "tab") {
      sep_ = '\t';
    } else if (opt_.sep.size() == 1) {
      sep_ = opt_.sep[0];
    } else {
      throw Error(concat("--sep must be auto, tab or a single character, got '", opt_.sep, "'"));
    }
    split_fields(s, sep_, f_);
    int64_t tmp;
    const bool header = !parse_i64(f_[0], tmp);
    if (header) {
      header_line_ = no;
      std::vector<std::string> names(f_.begin(), f_.end());
      c_session_ = find_column(names, opt_.session_col, {"session", "session_id", "sessionId", "user_id", "user"});
      c_aid_ = find_column(names, opt_.aid_col, {"aid", "item_id", "itemId", "item"});
      c_ts_ = find_column(names, opt_.ts_col, {"ts", "timestamp", "time", "timeframe"});
      c_type_ = find_column(names, opt_.type_col, {"type", "event_type", "event"});
      c_date_ = find_column(names, opt_.date_col, {"eventdate", "date"});
      auto need = [&](int c, const char* what, const std::string& given) {
        if (c < 0)
          throw Error(concat(what_, ":", no, ": no ", what, " column",
                             given.empty() ? "" : concat(" named '", given, "'"), " in the header (", s, ")"));
      };
      need(c_session_, "session", opt_.session_col);
      need(c_aid_, "item (aid)", opt_.aid_col);
      need(c_ts_, "timestamp", opt_.ts_col);
      if (!opt_.type_col.empty()) need(c_type_, "type", opt_.type_col);
      if (!opt_.date_col.empty()) need(c_date_, "date", opt_.date_col);
    } else {
      if (f_.size() < 3) throw Error(concat(what_, ":", no, ": expected session,aid,ts[,type], got '", s, "'"));
      c_session_ = 0;
      c_aid_ = 1;
      c_ts_ = 2;
      c_type_ = f_.size() >= 4 ? 3 : -1;
    }
    scale_ = opt_.ts_scale > 0 ? opt_.ts_scale : c_date_ >= 0 ? 1.0 : 1000.0;
    width_ = 1 + std::max({c_session_, c_aid_, c_ts_, c_type_, c_date_});
  }

  // 解析一个数据行；出错返回说明。
  std::string row(int64_t /*no*/) {
    if (static_cast<int>(f_.size()) < width_) return concat("expected at least ", width_, " fields, got ", f_.size());
    Row r;
    if (!parse_i64(f_[static_cast<size_t>(c_session_)], r.session))
      return concat("session must be an integer, got '", f_[static_cast<size_t>(c_session_)], "'");
    if (!parse_i64(f_[static_cast<size_t>(c_aid_)], r.aid))
      return concat("aid must be an integer, got '", f_[static_cast<size_t>(c_aid_)], "'");
    if (!parse_time(f_[static_cast<size_t>(c_ts_)], scale_, r.ts))
      return concat("ts must be a number, got '", f_[static_cast<size_t>(c_ts_)], "'");
    if (c_date_ >= 0) {
      int64_t day;
      if (!parse_date(f_[static_cast<size_t>(c_date_)], day))
        return concat("date must be YYYY-MM-DD, got '", f_[static_cast<size_t>(c_date_)], "'");
      r.ts += day;
    }
    int kind = 0;
    if (c_type_ >= 0) {
      kind = parse_kind(f_[static_cast<size_t>(c_type_)]);
      if (kind < 0) return concat("type must be clicks, carts or orders (or 0, 1, 2), got '", f_[static_cast<size_t>(c_type_)], "'");
    }
    r.type = static_cast<uint8_t>(kind);
    rows_.push_back(r);
    return "";
  }

  std::string what_;
  const SessionReadOptions& opt_;
  SessionData& out_;
  bool configured_ = false;
  int64_t header_line_ = -1;
  char sep_ = ',';
  int c_session_ = -1, c_aid_ = -1, c_ts_ = -1, c_type_ = -1, c_date_ = -1, width_ = 0;
  double scale_ = 1000;
  std::vector<std::string_view> f_;
  std::vector<Row> rows_;
};

// 共同的读取流程：按格式逐行解析。
SessionData read_from(const ByteSource& src, const std::string& what, const std::string& format,
                      const SessionReadOptions& opt) {
  SessionData d;
  if (format == "jsonl") {
    OttoLineParser parser;
    OttoLine ev;
    for_each_streamed_line(src, opt.chunk_bytes, [&](int64_t no, const char* p, size_t len, size_t) {
      if (blank(p, len)) return true;
      const std::string err = parser.parse(p, len, true, ev);
      if (!err.empty()) {
        if (!opt.skip_bad_lines) throw Error(concat(what, ":", no, ": ", err));
        ++d.bad_lines;
        return true;
      }
      d.add_session(ev.session, ev.aids, ev.times, ev.types);
      return !(opt.max_events > 0 && d.num_events() >= opt.max_events);
    });
  } else if (format == "csv") {
    CsvSessions csv(what, opt, d);
    for_each_streamed_line(src, opt.chunk_bytes, [&](int64_t no, const char* p, size_t len, size_t) {
      return csv.line(no, std::string_view(p, len));
    });
    csv.finish();
  } else {
    throw Error(concat("--format must be auto, jsonl or csv, got '", format, "'"));
  }
  if (d.num_events() == 0)
    throw Error(concat(what, ": no events", d.bad_lines > 0 ? concat(" (", d.bad_lines, " bad lines skipped)") : std::string()));
  return d;
}

// auto 格式：.jsonl / .json / .ndjson 为 JSONL，其他为 CSV。
std::string resolve_format(const std::string& path, const std::string& format) {
  if (format != "auto") return format;
  auto ends = [&](const char* suf) {
    const size_t n = std::strlen(suf);
    return path.size() >= n && path.compare(path.size() - n, n, suf) == 0;
  };
  return ends(".jsonl") || ends(".json") || ends(".ndjson") ? "jsonl" : "csv";
}

}  // namespace

SessionData read_sessions(const std::string& path, const SessionReadOptions& opt) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f) throw Error(concat("cannot open sessions file '", path, "': ", std::strerror(errno)));
  ByteSource src = [&](char* dst, size_t n) {
    const size_t got = std::fread(dst, 1, n, f.get());
    if (got < n && std::ferror(f.get())) throw Error(concat("cannot read '", path, "': ", std::strerror(errno)));
    return got;
  };
  return read_from(src, path, resolve_format(path, opt.format), opt);
}

SessionData parse_sessions(const std::string& text, const std::string& what, const SessionReadOptions& opt) {
  size_t pos = 0;
  ByteSource src = [&](char* dst, size_t n) {
    const size_t got = std::min(n, text.size() - pos);
    std::memcpy(dst, text.data() + pos, got);
    pos += got;
    return got;
  };
  return read_from(src, what, resolve_format(what, opt.format), opt);
}

void write_sessions_jsonl(const std::string& path, const SessionData& d, const std::vector<int64_t>& sessions,
                          const std::vector<int64_t>* ends) {
  AtomicWriter w(path);
  std::string line;
  for (size_t k = 0; k < sessions.size(); ++k) {
    const int64_t s = sessions[k], b = d.begin(s), e = ends ? (*ends)[k] : d.end(s);
    if (e <= b) continue;
    line = concat("{\"session\":", d.session[static_cast<size_t>(s)], ",\"events\":[");
    for (int64_t i = b; i < e; ++i) {
      if (i > b) line += ',';
      line += concat("{\"aid\":", d.raw_aid(i), ",\"ts\":", d.ts[static_cast<size_t>(i)], ",\"type\":\"",
                     event_kind_name(d.type[static_cast<size_t>(i)]), "\"}");
    }
    line += "]}\n";
    w.write(line);
  }
  w.commit();
}

}  // namespace seqrec
