// 指标表格实现。
#include "report.h"

#include <cstdio>

namespace seqrec::app {

std::string metrics_table(const std::vector<std::pair<std::string, nlohmann::ordered_json>>& rows,
                          const std::vector<int>& ks) {
  std::string out;
  char buf[64];
  out += "model          ";
  for (const char* m : {"HR", "NDCG", "MRR"})
    for (int k : ks) {
      std::snprintf(buf, sizeof buf, "%9s", (std::string(m) + "@" + std::to_string(k)).c_str());
      out += buf;
    }
  out += "\n";
  for (const auto& [name, j] : rows) {
    std::snprintf(buf, sizeof buf, "%-15s", name.c_str());
    out += buf;
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
