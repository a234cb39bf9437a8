// 各种交互文件格式的解析。整个文件读入内存后逐行处理（流式读取留给 OTTO 规模的会话数据）。
#include "data/formats.h"

#include "data/otto_jsonl.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"
#include "core/files.h"
#include "core/lines.h"

namespace seqrec {

namespace {

// 按空白（空格、制表符）切分。
std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const size_t b = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > b) out.push_back(s.substr(b, i - b));
  }
  return out;
}

// 按制表符切分（RecBole 原子文件的表头与数据行）。
std::vector<std::string_view> split_tabs(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t p = s.find('\t', start);
    out.push_back(s.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
    if (p == std::string_view::npos) return out;
    start = p + 1;
  }
}

// 是否为空行（只有空白）。
bool blank(std::string_view s) { return s.find_first_not_of(" \t") == std::string_view::npos; }

// 文本是否是非负整数。
bool is_uint(std::string_view s, int64_t* v = nullptr) {
  int64_t x = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), x);
  if (ec != std::errc() || p != s.data() + s.size() || x < 0) return false;
  if (v) *v = x;
  return true;
}

// 追加一条交互。
void push(Interactions& d, std::string_view user, std::string_view item, double t) {
  d.user.push_back(d.users.add(std::string(user)));
  d.item.push_back(d.items.add(std::string(item)));
  d.time.push_back(t);
}

// 序列文件的细分格式：与对照实现（sasrec_torch）相同的规则。
// 每行恰好两个词且有用户重复出现 → pairs；首词依次为 1,2,3… 或 0,1,2… → uid；否则 plain。
DataFormat detect_sequence_kind(const std::string& text) {
  bool all_two = true, any_line = false, numbered1 = true, numbered0 = true;
  int64_t k = 0;
  std::unordered_map<std::string_view, int> seen;
  bool repeat = false;
  for_each_line(text, [&](int64_t, std::string_view line) {
    if (blank(line)) return;
    const auto t = split_ws(line);
    any_line = true;
    if (t.size() != 2) all_two = false;
    if (all_two && !repeat && ++seen[t[0]] > 1) repeat = true;
    int64_t v;
    if (!is_uint(t[0], &v) || v != k + 1) numbered1 = false;
    if (!is_uint(t[0], &v) || v != k) numbered0 = false;
    ++k;
  });
  if (!any_line) return DataFormat::kSeqPlain;
  if (all_two && repeat) return DataFormat::kSeqPairs;
  if (numbered1 || numbered0) return DataFormat::kSeqUid;
  return DataFormat::kSeqPlain;
}

// 名字是否在别名表里。
bool one_of(const std::string& name, std::initializer_list<const char*> names) {
  for (const char* n : names)
    if (name == n) return true;
  return false;
}

}  // namespace

DataFormat parse_data_format(const std::string& s) {
  if (s == "auto") return DataFormat::kAuto;
  if (s == "csv") return DataFormat::kCsv;
  if (s == "seq") return DataFormat::kSeqAuto;
  if (s == "seq-plain") return DataFormat::kSeqPlain;
  if (s == "seq-uid") return DataFormat::kSeqUid;
  if (s == "seq-pairs") return DataFormat::kSeqPairs;
  if (s == "inter") return DataFormat::kInter;
  if (s == "otto") return DataFormat::kOtto;
  throw Error(concat("--format must be one of auto, csv, seq, seq-plain, seq-uid, seq-pairs, inter, otto (got '", s,
                     "')"));
}

DataFormat detect_format(const std::string& path, const std::string& text) {
  auto ends_with = [&](const char* ext) {
    const std::string e(ext);
    return path.size() >= e.size() && path.compare(path.size() - e.size(), e.size(), e) == 0;
  };
  const size_t first = text.find_first_not_of(" \t\r\n");
  // 空文件：按扩展名决定用哪种格式的说明（.csv / .tsv / .dat 说缺表头，而不是序列文件的说法）。
  if (first == std::string::npos && (ends_with(".csv") || ends_with(".tsv") || ends_with(".dat")))
    return DataFormat::kCsv;
  if (ends_with(".jsonl") || ends_with(".ndjson") || (first != std::string::npos && text[first] == '{'))
    return DataFormat::kOtto;
  const std::string_view head(text.data(), std::min(text.find('\n'), text.size()));
  if (ends_with(".inter") || head.find(":token") != std::string_view::npos || head.find(":float") != std::string_view::npos)
    return DataFormat::kInter;
  // 首行没有 CSV 分隔符、只有空白分隔的词：序列文件（.txt 也按序列文件处理）。
  const bool has_sep = head.find(',') != std::string_view::npos || head.find(';') != std::string_view::npos ||
                       head.find("::") != std::string_view::npos || head.find('\t') != std::string_view::npos;
  if (ends_with(".txt") || !has_sep) return detect_sequence_kind(text);
  return DataFormat::kCsv;
}

Interactions parse_sequences(const std::string& text, const std::string& what, DataFormat format) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    throw Error(concat(what, ": file is empty (expected one user per line: items oldest first)"));
  if (format == DataFormat::kSeqAuto) format = detect_sequence_kind(text);
  Interactions d;
  for_each_line(text, [&](int64_t no, std::string_view line) {
    if (blank(line)) return;
    ++d.lines;
    const auto t = split_ws(line);
    if (format == DataFormat::kSeqPairs) {
      if (t.size() != 2)
        throw Error(concat(what, ":", no, ": expected 'user item' (2 fields) per line, got ", t.size(), " fields"));
      // 全局行号作时间戳：同一用户的行保持文件中的顺序。
      push(d, t[0], t[1], static_cast<double>(no));
    } else if (format == DataFormat::kSeqUid) {
      for (size_t i = 1; i < t.size(); ++i) push(d, t[0], t[i], static_cast<double>(i - 1));
      if (t.size() == 1) d.users.add(std::string(t[0]));
    } else {
      const std::string user = std::to_string(no);  // plain：行号即用户
      for (size_t i = 0; i < t.size(); ++i) push(d, user, t[i], static_cast<double>(i));
    }
  });
  if (d.size() == 0) throw Error(concat(what, ": no interactions (every line is empty or has a user id only)"));
  return d;
}

Interactions parse_recbole_inter(const std::string& text, const std::string& what) {
  const size_t nl = text.find('\n');
  std::string header(text, 0, nl == std::string::npos ? text.size() : nl);
  if (!header.empty() && header.back() == '\r') header.pop_back();
  if (blank(header))
    throw Error(concat(what, ":1: expected a RecBole header such as 'user_id:token\\titem_id:token\\ttimestamp:float'"));
  // 表头：name:type，制表符分隔。
  std::vector<std::string> names, types;
  for (std::string_view fv : split_tabs(header)) {
    const std::string f(fv);
    const size_t c = f.rfind(':');
    if (c == std::string::npos)
      throw Error(concat(what, ":1: header field '", printable(f), "' has no type (expected name:token, name:float, ...)"));
    names.push_back(f.substr(0, c));
    types.push_back(f.substr(c + 1));
    if (!one_of(types.back(), {"token", "float", "token_seq", "float_seq"}))
      throw Error(concat(what, ":1: header field '", printable(f), "' has unknown type '", printable(types.back()),
                         "' (expected token, float, token_seq or float_seq)"));
  }
  int cu = -1, ci = -1, ct = -1, cr = -1;
  for (int i = 0; i < static_cast<int>(names.size()); ++i) {
    const std::string& n = names[static_cast<size_t>(i)];
    if (cu < 0 && one_of(n, {"user_id", "session_id", "session", "uid", "user", "userId"})) cu = i;
    else if (ci < 0 && one_of(n, {"item_id", "aid", "item", "iid", "itemId", "movieId", "venue_id"})) ci = i;
    else if (ct < 0 && one_of(n, {"timestamp", "ts", "time", "timeframe"})) ct = i;
    else if (cr < 0 && one_of(n, {"rating", "score"})) cr = i;
  }
  auto names_list = [&] {
    std::string s;
    for (size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names[i];
    return s;
  };
  if (cu < 0) throw Error(concat(what, ":1: no user/session column (looked for user_id, session_id, session, uid; header has ", names_list(), ")"));
  if (ci < 0) throw Error(concat(what, ":1: no item column (looked for item_id, aid, item, iid; header has ", names_list(), ")"));
  if (ct >= 0 && types[static_cast<size_t>(ct)] != "float")
    throw Error(concat(what, ":1: time column '", names[static_cast<size_t>(ct)], "' must have type float"));
  Interactions d;
  const size_t want = names.size();
  bool first = true;
  for_each_line(text, [&](int64_t no, std::string_view line) {
    if (first) {
      first = false;
      return;
    }
    if (blank(line)) return;
    ++d.lines;
    const std::vector<std::string_view> f = split_tabs(line);
    if (f.size() != want)
      throw Error(concat(what, ":", no, ": expected ", want, " tab-separated fields (", names_list(), "), got ", f.size()));
    const auto u = f[static_cast<size_t>(cu)], it = f[static_cast<size_t>(ci)];
    if (u.empty()) throw Error(concat(what, ":", no, ": empty value in column '", names[static_cast<size_t>(cu)], "'"));
    if (it.empty()) throw Error(concat(what, ":", no, ": empty value in column '", names[static_cast<size_t>(ci)], "'"));
    double t = static_cast<double>(no);  // 没有时间列：按行顺序
    if (ct >= 0) {
      const std::string v(f[static_cast<size_t>(ct)]);
      char* end = nullptr;
      t = std::strtod(v.c_str(), &end);
      if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(t))
        throw Error(concat(what, ":", no, ": column '", names[static_cast<size_t>(ct)], "' must be a number, got '", printable(v), "'"));
    }
    if (cr >= 0) {
      const std::string v(f[static_cast<size_t>(cr)]);
      char* end = nullptr;
      const double r = std::strtod(v.c_str(), &end);
      if (v.empty() || end != v.c_str() + v.size() || !std::isfinite(r))
        throw Error(concat(what, ":", no, ": column '", names[static_cast<size_t>(cr)], "' must be a number, got '", printable(v), "'"));
      d.rating.push_back(static_cast<float>(r));
    }
    push(d, u, it, t);
  });
  if (d.size() == 0) throw Error(concat(what, ": no interactions: the file has a header but no data lines"));
  return d;
}

Interactions parse_otto_jsonl(const std::string& text, const std::string& what) {
  // 与会话命令共用的逐行解析器（data/otto_jsonl.h）：两处接受同样的文件。会话即用户，编号转为字符串。
  Interactions d;
  OttoLineParser parser;
  OttoLine ev;
  for_each_line(text, [&](int64_t no, std::string_view line) {
    if (blank(line)) return;
    ++d.lines;
    const std::string err = parser.parse(line.data(), line.size(), false, ev);
    if (!err.empty()) throw Error(concat(what, ":", no, ": ", err));
    const std::string session = std::to_string(ev.session);
    for (size_t e = 0; e < ev.aids.size(); ++e) {
      push(d, session, std::to_string(ev.aids[e]), static_cast<double>(ev.times[e]));
      d.type.push_back(static_cast<int8_t>(ev.types[e]));
    }
  });
  if (d.size() == 0) throw Error(concat(what, ": no events (file is empty or every session has no events)"));
  return d;
}

Interactions parse_any(const std::string& text, const std::string& what, DataFormat format, const CsvOptions& csv,
                       const std::string& path_for_detection) {
  if (format == DataFormat::kAuto) format = detect_format(path_for_detection, text);
  switch (format) {
    case DataFormat::kCsv:
    case DataFormat::kAuto: return parse_interactions(text, what, csv);
    case DataFormat::kInter: return parse_recbole_inter(text, what);
    case DataFormat::kOtto: return parse_otto_jsonl(text, what);
    default: return parse_sequences(text, what, format);
  }
}

Interactions read_any(const std::string& path, DataFormat format, const CsvOptions& csv) {
  if (format == DataFormat::kCsv) return read_interactions(path, csv);
  return parse_any(read_file(path), path, format, csv, path);
}

}  // namespace seqrec
