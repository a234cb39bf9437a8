// 物品内容读取的实现（JSON 与 CSV 两种文件，见 item_content.h）。
#include "data/item_content.h"

#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "core/files.h"
#include "core/lines.h"
#include "data/csv_reader.h"

namespace seqrec {

namespace {

// CSV 中物品 ID 列的常见列名。
const std::vector<std::string> kIdAliases = {"item_id", "movieId", "MovieID", "itemId", "id", "asin", "aid", "item"};

// 把 JSON 值中的字符串或字符串 / 数字数组拼成一段文本；其他类型返回空串。
std::string json_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number()) return v.dump();
  if (v.is_array()) {
    std::string s;
    for (const auto& e : v) {
      const std::string t = json_text(e);
      if (t.empty()) continue;
      if (!s.empty()) s += ' ';
      s += t;
    }
    return s;
  }
  return "";
}

// JSON 格式：{"id": 字符串 | 对象 | 数组}。
ItemContent parse_json(const std::string& text, const std::string& what, const ContentOptions& opt) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(concat(what, ": not valid JSON (", e.what(), ")"));
  }
  if (!j.is_object()) throw Error(concat(what, ": expected a JSON object {\"item id\": content, ...}"));
  ItemContent out;
  size_t arrays = 0;
  for (const auto& [id, v] : j.items()) {
    std::string t;
    if (v.is_string()) {
      t = v.get<std::string>();
    } else if (v.is_array()) {
      // 属性 ID 列表：每个属性一个原子记号 "a<值>"。
      ++arrays;
      for (const auto& e : v) {
        if (!e.is_number_integer() && !e.is_string())
          throw Error(concat(what, ": item '", id, "': attribute list must hold integers or strings, got ", e.dump()));
        if (!t.empty()) t += ' ';
        t += "a" + (e.is_string() ? e.get<std::string>() : e.dump());
      }
    } else if (v.is_object()) {
      if (!opt.json_fields.empty()) {
        for (const auto& f : opt.json_fields) {
          auto it = v.find(f);
          if (it == v.end()) continue;  // 个别物品缺字段是常态（如没有 brand）
          const std::string s = json_text(*it);
          if (s.empty()) continue;
          if (!t.empty()) t += ' ';
          t += s;
        }
      } else if (v.contains("content") && v["content"].is_string()) {
        t = v["content"].get<std::string>();
      } else if (v.contains("text") && v["text"].is_string()) {
        t = v["text"].get<std::string>();
      } else {
        for (const auto& [k, fv] : v.items()) {
          if (!fv.is_string() && !fv.is_array()) continue;
          const std::string s = json_text(fv);
          if (s.empty()) continue;
          if (!t.empty()) t += ' ';
          t += k + " " + s;
        }
      }
    } else {
      throw Error(concat(what, ": item '", id, "': content must be a string, an object or an array, got ",
                         v.type_name()));
    }
    out.ids.push_back(id);
    out.texts.push_back(normalize_text(t));
  }
  if (out.ids.empty()) throw Error(concat(what, ": no items"));
  if (arrays != 0 && arrays != out.ids.size())
    throw Error(concat(what, ": mixes attribute lists (", arrays, " items) with text (", out.ids.size() - arrays,
                       " items); use one kind per file"));
  out.atomic = arrays == out.ids.size();
  return out;
}

// 字段是否像整数（用于判断无表头）。
bool is_integer(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// CSV / TSV / DAT 格式。
ItemContent parse_csv(const std::string& text, const std::string& what, const ContentOptions& opt) {
  std::string sep = opt.sep;
  std::vector<std::string> header;
  int id_col = -1;
  std::vector<int> text_cols;
  bool have_header = false;
  ItemContent out;
  std::unordered_set<std::string> seen;
  for_each_line(text, [&](int64_t no, std::string_view line) {
    if (line.empty()) return;
    if (sep == "auto") sep = detect_sep(line);
    std::vector<std::string> f = split_line(line, sep);
    if (id_col < 0) {
      // 首个非空行：表头或数据。第一列是整数且没有指定列名时视为无表头。
      have_header = !(is_integer(f[0]) && opt.id_col.empty() && opt.text_cols.empty());
      if (have_header) header = f;
      auto col_of = [&](const std::string& name) {
        for (size_t i = 0; i < header.size(); ++i)
          if (header[i] == name) return static_cast<int>(i);
        return -1;
      };
      if (!opt.id_col.empty()) {
        id_col = col_of(opt.id_col);
        if (id_col < 0) throw Error(concat(what, ":", no, ": no column '", opt.id_col, "' (--content-id-col) in the header"));
      } else {
        id_col = 0;
        for (const auto& a : kIdAliases)
          if (col_of(a) >= 0) {
            id_col = col_of(a);
            break;
          }
      }
      if (!opt.text_cols.empty()) {
        for (const auto& c : opt.text_cols) {
          const int k = col_of(c);
          if (k < 0) throw Error(concat(what, ":", no, ": no column '", c, "' (--content-cols) in the header"));
          text_cols.push_back(k);
        }
      } else if (opt.title_only) {
        // 物品标题（train --item-titles）：表头里的标题列，否则 ID 列之后的第一列（如 ml-1m 的 movies.dat）。
        int k = -1;
        for (const char* a : {"title", "Title", "name", "product_title", "item_name"})
          if (k < 0) k = col_of(a);
        if (k < 0)
          for (int i = 0; i < static_cast<int>(f.size()) && k < 0; ++i)
            if (i != id_col) k = i;
        if (k >= 0) text_cols.push_back(k);
      } else {
        for (int i = 0; i < static_cast<int>(f.size()); ++i)
          if (i != id_col) text_cols.push_back(i);
      }
      if (text_cols.empty()) throw Error(concat(what, ":", no, ": no text column besides the item id column"));
      if (have_header) return;
    }
    int need = id_col;
    for (int k : text_cols) need = std::max(need, k);
    if (static_cast<int>(f.size()) <= need)
      throw Error(concat(what, ":", no, ": expected at least ", need + 1, " fields separated by '", sep, "', got ",
                         f.size()));
    const std::string id = f[static_cast<size_t>(id_col)];
    if (id.empty()) throw Error(concat(what, ":", no, ": empty item id"));
    if (!seen.insert(id).second) throw Error(concat(what, ":", no, ": item id '", id, "' appears twice"));
    std::string t;
    for (int k : text_cols) {
      std::string v = f[static_cast<size_t>(k)];
      for (char& c : v)
        if (c == '|') c = ' ';  // 多值列（genres）
      if (v.empty()) continue;
      if (!t.empty()) t += ' ';
      t += v;
    }
    out.ids.push_back(id);
    out.texts.push_back(normalize_text(t));
  });
  if (out.ids.empty()) throw Error(concat(what, ": no items"));
  return out;
}

// 把码点 cp 以 UTF-8 追加到 out。
void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// 命名 HTML 实体（商品标题里常见的那些）。
const std::unordered_map<std::string, uint32_t>& named_entities() {
  static const std::unordered_map<std::string, uint32_t> m = {
      {"amp", '&'},     {"quot", '"'},    {"apos", '\''},   {"lt", '<'},      {"gt", '>'},
      {"nbsp", ' '},    {"reg", 0xAE},    {"trade", 0x2122}, {"copy", 0xA9},  {"deg", 0xB0},
      {"eacute", 0xE9}, {"egrave", 0xE8}, {"ndash", 0x2013}, {"mdash", 0x2014}, {"hellip", 0x2026},
      {"rsquo", 0x2019}, {"lsquo", 0x2018}, {"rdquo", 0x201D}, {"ldquo", 0x201C}, {"times", 0xD7}};
  return m;
}

}  // namespace

std::string normalize_text(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  bool space = true;  // 上一个输出字符是空白（或在开头）
  auto put = [&](const std::string& piece) {
    for (char c : piece) {
      const bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || (static_cast<unsigned char>(c) < 0x20);
      if (ws) {
        if (!space) out += ' ';
        space = true;
      } else {
        out += c;
        space = false;
      }
    }
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      const size_t semi = s.find(';', i + 1);
      if (semi != std::string::npos && semi - i <= 10) {
        const std::string name = s.substr(i + 1, semi - i - 1);
        uint32_t cp = 0;
        bool ok = false;
        if (name.size() >= 2 && name[0] == '#') {
          try {
            const bool hex = name[1] == 'x' || name[1] == 'X';
            const std::string digits = name.substr(hex ? 2 : 1);
            if (!digits.empty()) {
              size_t used = 0;
              const unsigned long v = std::stoul(digits, &used, hex ? 16 : 10);
              ok = used == digits.size() && v > 0 && v < 0x110000;
              cp = static_cast<uint32_t>(v);
            }
          } catch (const std::exception&) {
            ok = false;
          }
        } else {
          auto it = named_entities().find(name);
          if (it != named_entities().end()) {
            cp = it->second;
            ok = true;
          }
        }
        if (ok) {
          std::string u;
          append_utf8(u, cp);
          put(u);
          i = semi;
          continue;
        }
      }
    }
    put(std::string(1, s[i]));
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int n = 0;
    if (c < 0x80) n = 0;
    else if ((c & 0xE0) == 0xC0 && c >= 0xC2) n = 1;
    else if ((c & 0xF0) == 0xE0) n = 2;
    else if ((c & 0xF8) == 0xF0 && c <= 0xF4) n = 3;
    else return false;
    if (n > 0 && i + n >= s.size()) return false;  // 多字节序列被截断
    for (int k = 1; k <= n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n + 1;
  }
  return true;
}

std::string latin1_to_utf8(const std::string& s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  for (char c : s) append_utf8(out, static_cast<unsigned char>(c));
  return out;
}

ItemContent parse_item_content(const std::string& raw, const std::string& what, const ContentOptions& opt) {
  const std::string text = valid_utf8(raw) ? raw : latin1_to_utf8(raw);
  size_t p = text.find_first_not_of(" \t\r\n");
  if (p == std::string::npos) throw Error(concat(what, ": empty file"));
  if (text[p] == '{') return parse_json(text, what, opt);
  return parse_csv(text, what, opt);
}

ItemContent read_item_content(const std::string& path, const ContentOptions& opt) {
  return parse_item_content(read_file(path), path, opt);
}

std::vector<std::string> align_content(const ItemContent& content, const IdMap& items, int64_t* missing) {
  std::vector<std::string> out(items.size());
  std::vector<char> has(items.size(), 0);
  for (size_t i = 0; i < content.ids.size(); ++i) {
    const int32_t k = items.find(content.ids[i]);
    if (k < 0) continue;  // 数据中没有出现的物品（被过滤或从未被点击）
    out[static_cast<size_t>(k)] = content.texts[i];
    has[static_cast<size_t>(k)] = 1;
  }
  if (missing) {
    *missing = 0;
    for (char h : has) *missing += h ? 0 : 1;
  }
  return out;
}

nlohmann::json read_item_titles(const std::string& path, const IdMap& items, int64_t* matched) {
  ContentOptions o;
  o.title_only = true;
  const ItemContent c = read_item_content(path, o);
  nlohmann::json out = nlohmann::json::object();
  for (size_t i = 0; i < c.ids.size(); ++i)
    if (!c.texts[i].empty() && items.find(c.ids[i]) >= 0) out[c.ids[i]] = c.texts[i];
  if (out.empty())
    throw Error(concat("--item-titles ", path, ": none of its ", c.ids.size(), " rows names an item of the training "
                       "data (wrong file, or the item ids are in another column?)"));
  if (matched) *matched = static_cast<int64_t>(out.size());
  return out;
}

}  // namespace seqrec
