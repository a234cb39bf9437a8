// 评估与报告的实现。
#include "eval/report.h"

#include <algorithm>
#include <cstdio>

#include "core/error.h"
#include "core/files.h"
#include "eval/evaluator.h"
#include "eval/metrics.h"

namespace seqrec {

SplitEvaluation evaluate_split(const SequenceData& data, SplitPart part, const CaseRankFn& model,
                               const CaseRanker* ranker) {
  SplitEvaluation e;
  e.cases = eval_cases(data, part);
  const double t0 = now_seconds();
  e.model_ranks = model(e.cases);
  e.seconds = now_seconds() - t0;
  e.popular_ranks = rank_cases_static(popularity_scores(data), e.cases, ranker);
  return e;
}

nlohmann::ordered_json evaluate_and_report(const SequenceData& data, const CaseRankFn& model,
                                           const EvalReportOptions& opt, std::FILE* out) {
  nlohmann::ordered_json metrics;
  for (auto part : {SplitPart::kValid, SplitPart::kTest}) {
    const SplitEvaluation e = evaluate_split(data, part, model);
    const auto mm = summarize_ranks(e.model_ranks, opt.ks);
    const auto pm = summarize_ranks(e.popular_ranks, opt.ks);
    const char* name = part == SplitPart::kValid ? "valid" : "test";
    char secs[48] = "";
    if (opt.timing) std::snprintf(secs, sizeof secs, ", %.1fs", e.seconds);
    std::fprintf(out, "%s (%s, %s, %zu cases%s):\n%s", name,
                 data.train_end.empty() ? "leave-one-out" : "temporal split", opt.method.c_str(), e.cases.size(),
                 secs, metrics_table({{"model", mm}, {"most-popular", pm}}, opt.ks).c_str());
    nlohmann::ordered_json m = {{"model", mm}, {"most_popular", pm}};
    // 按历史长度分组的指标总写进 manifest（seqrec report 与控制台画它）；只在要求时打印。
    const std::vector<int> buckets = opt.length_buckets.empty() ? std::vector<int>{5, 20} : opt.length_buckets;
    const auto by_len = summarize_by_history_length(e.model_ranks, e.cases, opt.ks, buckets);
    if (!opt.length_buckets.empty())
      std::fprintf(out, "by history length:\n%s", metrics_table(history_rows(by_len, "model, "), opt.ks).c_str());
    m["model_by_history_length"] = by_len;
    m["most_popular_by_history_length"] = summarize_by_history_length(e.popular_ranks, e.cases, opt.ks, buckets);
    for (const auto& [k, v] : opt.extra.items()) m[k] = v;
    if (opt.timing) m["seconds"] = e.seconds;
    std::fflush(out);  // 一次评估可能要几分钟：输出重定向到文件时也让表格立即可见
    metrics[name] = m;
  }
  return metrics;
}

std::vector<std::pair<std::string, nlohmann::ordered_json>> history_rows(const nlohmann::ordered_json& by_len,
                                                                        const std::string& prefix) {
  std::vector<std::pair<std::string, nlohmann::ordered_json>> rows;
  for (const auto& [g, v] : by_len.items())
    rows.push_back({concat(prefix, "history ", g, " (", v["cases"].get<size_t>(), ")"), v});
  return rows;
}

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
        const auto& v = j[std::string(m) + "@" + std::to_string(k)];
        if (v.is_null()) std::snprintf(buf, sizeof buf, "%9s", "n/a");  // 空分组：没有可报告的数
        else std::snprintf(buf, sizeof buf, "%9.4f", v.get<double>());
        out += buf;
      }
    out += "\n";
  }
  return out;
}

}  // namespace seqrec
