// 指标表格实现。
#include "report.h"

#include <algorithm>

#include <cstdio>

namespace seqrec::app {

std::string metrics_table(const std::vector<std::pair<std::string, nlohmann::ordered_json>>& rows,
                          const std::vector<int>& ks) {
  std::string out;
  char buf[64];
  // 第一列宽度取最长的行名（至少 15），各列对齐。
  size_t w = 15;
  for (const auto& r : rows) w = std::max(w, r.first.size() + 1);
  out += std::string("model") + std::string(w - 5, ' ');
  for (const char* m : {"HR", "NDCG", "MRR"})
    for (int k : ks) {
      std::snprintf(buf, sizeof buf, "%9s", (std::string(m) + "@" + std::to_string(k)).c_str());
      out += buf;
    }
  out += "\n";
  for (const auto& [name, j] : rows) {
    out += name + std::string(w - name.size(), ' ');
    for (const char* m : {"HR", "NDCG", "MRR"})
      for (int k : ks) {
        std::snprintf(buf, sizeof buf, "%9.4f", j[std::string(m) + "@" + std::to_string(k)].get<double>());
        out += buf;
      }
    out += "\n";
  }
  return out;
}

}  // namespace seqrec::app
