// OTTO 评估的实现（见 otto_metric.h）。
#include "session/otto_metric.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/files.h"
#include "core/lines.h"
#include "session/candidates.h"

namespace seqrec {

namespace {

// 整数字段。
bool to_i64(std::string_view s, int64_t& v) {
  if (s.empty()) return false;
  std::string t(s);
  char* end = nullptr;
  errno = 0;
  v = std::strtoll(t.c_str(), &end, 10);
  return errno == 0 && end == t.c_str() + t.size();
}

int source_code(std::string_view s) {
  for (int k = 0; k < 4; ++k)
    if (s == candidate_source_name(k)) return k;
  return 255;
}

}  // namespace

OttoPredictions read_candidates_csv(const std::string& path) {
  const std::string text = read_file(path);
  OttoPredictions out;
  for_each_line(text, [&](int64_t no, std::string_view line) {
    if (line.empty()) return;
    if (no == 1 && line.rfind("session,", 0) == 0) return;  // 表头
    std::vector<std::string_view> f;
    size_t start = 0;
    for (;;) {
      const size_t p = line.find(',', start);
      f.push_back(line.substr(start, p == std::string_view::npos ? std::string_view::npos : p - start));
      if (p == std::string_view::npos) break;
      start = p + 1;
    }
    int64_t session, aid;
    if (f.size() != 5 || !to_i64(f[0], session) || !to_i64(f[1], aid))
      throw Error(concat(path, ":", no, ": expected session,aid,score,source,list with integer session and aid, got '",
                         line, "'"));
    const uint8_t src = static_cast<uint8_t>(source_code(f[3]));
    auto& p = out[session];
    if (f[4] == "clicks") {
      p.aids[0].push_back(aid);
      p.sources[0].push_back(src);
    } else if (f[4] == "buys") {
      for (int t : {1, 2}) {
        p.aids[t].push_back(aid);
        p.sources[t].push_back(src);
      }
    } else {
      throw Error(concat(path, ":", no, ": list must be clicks or buys, got '", f[4], "'"));
    }
  });
  return out;
}

OttoPredictions read_submission_csv(const std::string& path) {
  const std::string text = read_file(path);
  OttoPredictions out;
  for_each_line(text, [&](int64_t no, std::string_view line) {
    if (line.empty()) return;
    if (no == 1 && line.rfind("session_type", 0) == 0) return;
    const size_t comma = line.find(',');
    const size_t us = line.substr(0, comma).rfind('_');
    int64_t session;
    if (comma == std::string_view::npos || us == std::string_view::npos || !to_i64(line.substr(0, us), session))
      throw Error(concat(path, ":", no, ": expected 'SESSION_TYPE,AID AID ...', got '", line, "'"));
    const std::string_view type = line.substr(us + 1, comma - us - 1);
    const int t = type == "clicks" ? 0 : type == "carts" ? 1 : type == "orders" ? 2 : -1;
    if (t < 0) throw Error(concat(path, ":", no, ": type must be clicks, carts or orders, got '", type, "'"));
    auto& p = out[session];
    std::string_view rest = line.substr(comma + 1);
    size_t s = 0;
    while (s < rest.size()) {
      size_t e = rest.find(' ', s);
      if (e == std::string_view::npos) e = rest.size();
      int64_t aid;
      if (e > s) {
        if (!to_i64(rest.substr(s, e - s), aid))
          throw Error(concat(path, ":", no, ": labels must be integers separated by spaces, got '", rest.substr(s, e - s), "'"));
        p.aids[t].push_back(aid);
        p.sources[t].push_back(255);
      }
      s = e + 1;
    }
  });
  return out;
}

nlohmann::ordered_json otto_score(const std::vector<SessionLabels>& labels, const OttoPredictions& preds,
                                  const std::vector<int>& ks) {
  static const double kWeight[3] = {0.1, 0.3, 0.6};
  nlohmann::ordered_json j;
  j["sessions"] = labels.size();
  int64_t missing = 0;
  for (const auto& l : labels)
    if (!preds.count(l.session)) ++missing;
  j["sessions_without_prediction"] = missing;
  for (int k : ks) {
    double hits[3] = {0, 0, 0}, denom[3] = {0, 0, 0};
    int64_t by_source[3][5] = {};
    for (const auto& l : labels) {
      const std::vector<int64_t> click = l.click >= 0 ? std::vector<int64_t>{l.click} : std::vector<int64_t>{};
      const std::vector<int64_t>* truth[3] = {&click, &l.carts, &l.orders};
      auto it = preds.find(l.session);
      for (int t = 0; t < 3; ++t) {
        if (truth[t]->empty()) continue;
        denom[t] += std::min<double>(k, static_cast<double>(truth[t]->size()));
        if (it == preds.end()) continue;
        const auto& p = it->second.aids[t];
        const size_t n = std::min(p.size(), static_cast<size_t>(k));
        for (size_t i = 0; i < n; ++i) {
          // 预测里的重复物品只计一次
          if (std::find(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(i), p[i]) != p.begin() + static_cast<std::ptrdiff_t>(i)) continue;
          if (std::find(truth[t]->begin(), truth[t]->end(), p[i]) != truth[t]->end()) {
            hits[t] += 1;
            const uint8_t src = it->second.sources[t][i];
            ++by_source[t][src < 4 ? src : 4];
          }
        }
      }
    }
    nlohmann::ordered_json r, hs;
    double score = 0;
    for (int t = 0; t < 3; ++t) {
      const double rec = denom[t] > 0 ? hits[t] / denom[t] : 0.0;
      r[event_kind_name(t)] = rec;
      score += kWeight[t] * rec;
      nlohmann::ordered_json h = nlohmann::ordered_json::object();
      for (int s = 0; s < 5; ++s)
        if (by_source[t][s] > 0) h[s < 4 ? candidate_source_name(s) : "unknown"] = by_source[t][s];
      hs[event_kind_name(t)] = h;
    }
    j[concat("recall@", k)] = r;
    j[concat("score@", k)] = score;
    j[concat("hits_by_source@", k)] = hs;
  }
  return j;
}

}  // namespace seqrec
