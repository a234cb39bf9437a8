// CSV/DAT 交互读取器实现。整个文件读入内存后逐行切分（ratings.csv 规模下足够快且简单）。
#include "data/csv_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "core/error.h"
#include "core/files.h"

namespace seqrec {

namespace {

// 常见列名别名：用户没有显式改列名时才启用。
const std::vector<std::string> kUserAliases = {"user_id", "userId", "user", "UserID", "uid", "userid"};
const std::vector<std::string> kItemAliases = {"item_id", "movieId", "itemId", "item", "MovieID",
                                               "iid", "itemid", "movie_id"};
const std::vector<std::string> kTimeAliases = {"timestamp", "time", "ts", "Timestamp", "datetime"};
const std::vector<std::string> kRatingAliases = {"rating", "Rating", "score"};

// 去掉行尾的 '\r'（Windows 换行）。
std::string_view chomp(std::string_view s) {
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

// 去掉首尾空白。
std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// 严格解析数字（整串都必须是数字）；失败返回 false。
bool parse_double(const std::string& s, double* out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (*b == '+') ++b;
  auto r = std::from_chars(b, e, *out);
  return r.ec == std::errc() && r.ptr == e && std::isfinite(*out);
}



// 把列名列表拼成 "a,b,c"，用于错误消息。
std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + printable(v[i], 100);
  return s;
}

}  // namespace

// 按分隔符切分一行；单字符分隔符时支持 RFC 4180 风格的双引号字段。
std::vector<std::string> split_line(std::string_view line, const std::string& sep) {
  std::vector<std::string> out;
  if (sep.size() == 1) {
    const char d = sep[0];
    std::string cur;
    bool quoted = false;
    for (size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted) {
        if (c == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            cur.push_back('"');
            ++i;
          } else {
            quoted = false;
          }
        } else {
          cur.push_back(c);
        }
      } else if (c == '"' && cur.empty()) {
        quoted = true;
      } else if (c == d) {
        out.push_back(std::move(cur));
        cur.clear();
      } else {
        cur.push_back(c);
      }
    }
    out.push_back(std::move(cur));
    return out;
  }
  size_t start = 0;
  while (true) {
    size_t p = line.find(sep, start);
    if (p == std::string_view::npos) {
      out.emplace_back(line.substr(start));
      break;
    }
    out.emplace_back(line.substr(start, p - start));
    start = p + sep.size();
  }
  return out;
}

// 由首行推断分隔符。
std::string detect_sep(std::string_view first) {
  if (first.find("::") != std::string_view::npos) return "::";
  if (first.find('\t') != std::string_view::npos) return "\t";
  if (first.find(',') == std::string_view::npos && first.find(';') != std::string_view::npos) return ";";
  return ",";
}


void CsvOptions::validate() const {
  if (sep.empty()) throw Error("--sep must not be empty");
  if (header != "auto" && header != "yes" && header != "no")
    throw Error(concat("--header must be auto, yes or no (got '", header, "')"));
  if (user_col.empty() || item_col.empty() || time_col.empty())
    throw Error("column names (--user-col, --item-col, --time-col) must not be empty");
}

Interactions parse_interactions(const std::string& text, const std::string& what,
                                const CsvOptions& opt) {
  opt.validate();
  // 切成行（保留行号），跳过 UTF-8 BOM。
  std::string_view all(text);
  if (all.substr(0, 3) == "\xEF\xBB\xBF") all.remove_prefix(3);
  size_t first_nonempty_pos = all.find_first_not_of("\r\n \t");
  if (first_nonempty_pos == std::string_view::npos)
    throw Error(concat(what, ": file is empty (expected a header such as 'user_id,item_id,timestamp' and data lines)"));

  // 逐行迭代的小工具：返回下一行及其 1 起始的行号。
  size_t pos = 0;
  int64_t line_no = 0;
  auto next_line = [&](std::string_view* line) {
    if (pos >= all.size()) return false;
    size_t e = all.find('\n', pos);
    if (e == std::string_view::npos) e = all.size();
    *line = chomp(all.substr(pos, e - pos));
    pos = e + 1;
    ++line_no;
    return true;
  };

  std::string_view first;
  while (next_line(&first) && trim(std::string(first)).empty()) {
  }
  const int64_t first_line_no = line_no;
  const std::string sep = opt.sep == "auto" ? detect_sep(first) : (opt.sep == "\\t" ? "\t" : opt.sep);
  std::vector<std::string> first_fields = split_line(first, sep);
  for (auto& f : first_fields) f = trim(f);

  // 决定表头：显式指定，或自动判断（首行第 3 列或末列是数字则认为是数据）。
  bool has_header;
  if (opt.header == "yes") {
    has_header = true;
  } else if (opt.header == "no") {
    has_header = false;
  } else {
    double tmp;
    has_header = !(first_fields.size() >= 3 && parse_double(first_fields.back(), &tmp) &&
                   parse_double(first_fields[first_fields.size() - 2], &tmp));
  }
  std::vector<std::string> header;
  if (has_header) {
    header = first_fields;
  } else if (!opt.columns.empty()) {
    header = opt.columns;
  } else if (first_fields.size() == 3) {
    header = {"user_id", "item_id", "timestamp"};
  } else if (first_fields.size() == 4) {
    header = {"user_id", "item_id", "rating", "timestamp"};  // MovieLens ratings.dat 的列序
  } else {
    throw Error(concat(what, ":", first_line_no, ": file has no header and ", first_fields.size(),
                       " columns; pass --columns to name them"));
  }

  // 给出的列名是默认名时也试常见别名（别名表的第一项就是默认名）。
  auto column = [&](const std::string& given, const std::vector<std::string>& aliases) {
    return find_column(header, given == aliases.front() ? "" : given, aliases);
  };
  const int cu = column(opt.user_col, kUserAliases);
  const int ci = column(opt.item_col, kItemAliases);
  const int ct = column(opt.time_col, kTimeAliases);
  const int cr = opt.rating_col.empty() ? -1 : column(opt.rating_col, kRatingAliases);
  auto missing = [&](const std::string& col) {
    return Error(concat(what, ":", first_line_no, ": missing column '", printable(col), "' (columns are: ",
                        join(header), "; separator '", sep == "\t" ? "\\t" : sep, "')"));
  };
  if (cu < 0) throw missing(opt.user_col);
  if (ci < 0) throw missing(opt.item_col);
  if (ct < 0) throw missing(opt.time_col);
  const size_t need = static_cast<size_t>(std::max({cu, ci, ct, cr}) + 1);

  Interactions out;
  auto handle = [&](std::string_view line, int64_t no) {
    std::vector<std::string> f = split_line(line, sep);
    if (f.size() < need)
      throw Error(concat(what, ":", no, ": expected at least ", need, " fields (", join(header),
                         ") separated by '", sep == "\t" ? "\\t" : sep, "', got ", f.size()));
    const std::string u = trim(f[static_cast<size_t>(cu)]);
    const std::string it = trim(f[static_cast<size_t>(ci)]);
    const std::string ts = trim(f[static_cast<size_t>(ct)]);
    if (u.empty()) throw Error(concat(what, ":", no, ": empty value in column '", printable(header[static_cast<size_t>(cu)]), "'"));
    if (it.empty()) throw Error(concat(what, ":", no, ": empty value in column '", printable(header[static_cast<size_t>(ci)]), "'"));
    double t;
    if (!parse_double(ts, &t))
      throw Error(concat(what, ":", no, ": column '", printable(header[static_cast<size_t>(ct)]),
                         "': expected a numeric timestamp, got '", printable(ts), "'"));
    out.user.push_back(out.users.add(u));
    out.item.push_back(out.items.add(it));
    out.time.push_back(t);
    if (cr >= 0) {
      double r;
      const std::string rs = trim(f[static_cast<size_t>(cr)]);
      if (!parse_double(rs, &r))
        throw Error(concat(what, ":", no, ": column '", printable(header[static_cast<size_t>(cr)]),
                           "': expected a numeric rating, got '", printable(rs), "'"));
      out.rating.push_back(static_cast<float>(r));
    }
    ++out.lines;
  };
  if (!has_header) handle(first, first_line_no);
  std::string_view line;
  while (next_line(&line)) {
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    handle(line, line_no);
  }
  if (out.size() == 0)
    throw Error(concat(what, ": no interactions: the file has a header but no data lines"));
  return out;
}

Interactions read_interactions(const std::string& path, const CsvOptions& opt) {
  return parse_interactions(read_file(path), path, opt);
}

void write_interactions_csv(const std::string& path, const Interactions& data) {
  std::ostringstream os;
  os << "user_id,item_id,timestamp\n";
  char buf[64];
  for (size_t i = 0; i < data.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%.0f", data.time[i]);
    os << data.users.id(data.user[i]) << ',' << data.items.id(data.item[i]) << ',' << buf << '\n';
  }
  write_file_atomic(path, os.str());
}

int find_column(const std::vector<std::string>& header, const std::string& given, const std::vector<std::string>& aliases) {
  auto at = [&](const std::string& name) {
    auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  };
  if (!given.empty()) return at(given);
  for (const auto& a : aliases)
    if (int i = at(a); i >= 0) return i;
  return -1;
}

}  // namespace seqrec
