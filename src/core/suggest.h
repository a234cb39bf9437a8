// “您是不是想写 …？”：为拼错或换了叫法的名字（JSON 字段、选项取值）找最接近的已知名字。
// 先看常见的别名（别的推荐系统里的叫法，如 TFRS / Gorse 的 k、exclude_seen），再按编辑距离
// （忽略大小写与 '_' / '-'）取最近的一个；太远（超过名字长度的三分之一，至少 2）时不给建议。
#pragma once

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <vector>

namespace seqrec {

// 两个字符串的编辑距离（插入、删除、替换各算 1）。
inline size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// 比较用的规范形式：小写，去掉 '_' 与 '-'。
inline std::string name_key(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != '_' && c != '-') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// known 中与 given 最接近的名字；aliases 把别处的叫法映射到已知名字。没有足够接近的返回空串。
inline std::string closest_name(const std::string& given, const std::vector<std::string>& known,
                                const std::map<std::string, std::string>& aliases = {}) {
  const std::string g = name_key(given);
  for (const auto& [alias, name] : aliases)
    if (name_key(alias) == g && std::find(known.begin(), known.end(), name) != known.end()) return name;
  std::string best;
  size_t best_d = std::string::npos;
  for (const auto& k : known) {
    const size_t d = edit_distance(g, name_key(k));
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  const size_t limit = std::max<size_t>(2, g.size() / 3);
  return best_d <= limit ? best : "";
}

// "a, b, c"：错误消息里列出已知名字。
inline std::string join_names(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

}  // namespace seqrec
