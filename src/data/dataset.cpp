// 序列数据集构建实现。
#include "data/dataset.h"

#include <unordered_set>

#include <algorithm>
#include <numeric>

#include "core/error.h"

namespace seqrec {

void FilterOptions::validate() const {
  if (min_user_interactions < 3)
    throw Error(concat("--min-user-inter must be >= 3 (leave-one-out needs a training item, a "
                       "validation item and a test item), got ", min_user_interactions));
  if (min_item_interactions < 1)
    throw Error(concat("--min-item-inter must be >= 1, got ", min_item_interactions));
  if (split != "loo" && split != "temporal") throw Error(concat("--split-mode must be loo or temporal, got '", split, "'"));
  if (!(valid_frac > 0 && test_frac > 0 && valid_frac + test_frac < 1))
    throw Error(concat("--temporal-valid and --temporal-test must be > 0 with a sum below 1, got ", valid_frac, " and ",
                       test_frac));
}

int32_t SequenceData::train_len(int32_t u) const {
  if (!train_end.empty()) return train_end[static_cast<size_t>(u)];
  return std::max<int32_t>(0, static_cast<int32_t>(seqs[static_cast<size_t>(u)].size()) - 2);
}

int32_t SequenceData::valid_len(int32_t u) const {
  if (!valid_end.empty()) return valid_end[static_cast<size_t>(u)];
  return std::max<int32_t>(0, static_cast<int32_t>(seqs[static_cast<size_t>(u)].size()) - 1);
}

int64_t SequenceData::num_interactions() const {
  int64_t n = 0;
  for (const auto& s : seqs) n += static_cast<int64_t>(s.size());
  return n;
}

nlohmann::json SequenceData::stats() const {
  std::vector<size_t> lens;
  for (const auto& s : seqs) lens.push_back(s.size());
  std::sort(lens.begin(), lens.end());
  const int64_t n = num_interactions();
  return {{"raw_interactions", raw_interactions},
          {"interactions", n},
          {"users", num_users()},
          {"items", num_items()},
          {"mean_sequence_length", lens.empty() ? 0.0 : double(n) / lens.size()},
          {"median_sequence_length", lens.empty() ? 0 : lens[lens.size() / 2]},
          {"density", (num_users() && num_items()) ? double(n) / (double(num_users()) * num_items()) : 0.0}};
}

SequenceData build_sequences(const Interactions& raw, const FilterOptions& opt) {
  opt.validate();
  const size_t n = raw.size();
  std::vector<char> keep(n, 1);
  size_t kept = n;
  if (opt.min_rating > -std::numeric_limits<double>::infinity()) {
    if (raw.rating.empty())
      throw Error("--min-rating was given but the data has no rating column (use --rating-col)");
    for (size_t i = 0; i < n; ++i)
      if (raw.rating[i] < opt.min_rating) keep[i] = 0, --kept;
    if (kept == 0)
      throw Error(concat("nothing left after filtering: no interaction has rating >= ", opt.min_rating));
  }
  // k-core：反复删除交互过少的用户和物品，直到不再变化。
  std::vector<int64_t> ucnt(raw.users.size()), icnt(raw.items.size());
  while (true) {
    std::fill(ucnt.begin(), ucnt.end(), 0);
    std::fill(icnt.begin(), icnt.end(), 0);
    for (size_t i = 0; i < n; ++i)
      if (keep[i]) ++ucnt[static_cast<size_t>(raw.user[i])], ++icnt[static_cast<size_t>(raw.item[i])];
    size_t removed = 0;
    for (size_t i = 0; i < n; ++i) {
      if (keep[i] && (ucnt[static_cast<size_t>(raw.user[i])] < opt.min_user_interactions ||
                      icnt[static_cast<size_t>(raw.item[i])] < opt.min_item_interactions)) {
        keep[i] = 0;
        ++removed;
      }
    }
    kept -= removed;
    if (removed == 0) break;
  }
  if (kept == 0)
    throw Error(concat("nothing left after filtering: no user has >= ", opt.min_user_interactions,
                       " interactions on items with >= ", opt.min_item_interactions,
                       " interactions (", n, " interactions read)"));

  SequenceData out;
  out.raw_interactions = static_cast<int64_t>(n);
  std::vector<int32_t> umap(raw.users.size(), -1), imap(raw.items.size(), -1);
  std::vector<std::vector<size_t>> rows;
  for (size_t i = 0; i < n; ++i) {
    if (!keep[i]) continue;
    auto& u = umap[static_cast<size_t>(raw.user[i])];
    if (u < 0) {
      u = out.users.add(raw.users.id(raw.user[i]));
      rows.emplace_back();
    }
    auto& it = imap[static_cast<size_t>(raw.item[i])];
    if (it < 0) it = out.items.add(raw.items.id(raw.item[i]));
    rows[static_cast<size_t>(u)].push_back(i);
  }
  out.seqs.resize(rows.size());
  for (size_t u = 0; u < rows.size(); ++u) {
    auto& r = rows[u];
    // 稳定排序：时间相同的交互保持文件中的先后顺序。
    std::stable_sort(r.begin(), r.end(), [&](size_t a, size_t b) { return raw.time[a] < raw.time[b]; });
    out.seqs[u].reserve(r.size());
    for (size_t i : r) out.seqs[u].push_back(imap[static_cast<size_t>(raw.item[i])]);
  }
  if (!raw.weight.empty()) {
    SEQREC_CHECK(raw.weight.size() == n, "interaction weights do not match the interactions");
    out.weights.resize(rows.size());
    for (size_t u = 0; u < rows.size(); ++u)
      for (size_t i : rows[u]) out.weights[u].push_back(raw.weight[i]);
  }
  if (opt.split == "temporal") {
    // 全局时间切分点：保留下来的交互时间的 (1 − valid − test) 与 (1 − test) 分位数；
    // 时间等于切分点的交互归入后一段。
    std::vector<double> times;
    times.reserve(static_cast<size_t>(kept));
    for (const auto& r : rows)
      for (size_t i : r) times.push_back(raw.time[i]);
    auto quantile = [&](double q) {
      const size_t k = std::min(times.size() - 1, static_cast<size_t>(q * static_cast<double>(times.size())));
      std::nth_element(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(k), times.end());
      return times[k];
    };
    const double t_valid = quantile(1.0 - opt.valid_frac - opt.test_frac), t_test = quantile(1.0 - opt.test_frac);
    out.valid_from = t_valid;
    out.test_from = t_test;
    for (const auto& r : rows) {
      int32_t a = 0, b = 0;
      for (size_t i : r) {
        a += raw.time[i] < t_valid;
        b += raw.time[i] < t_test;
      }
      out.train_end.push_back(a);
      out.valid_end.push_back(b);
    }
  }
  return out;
}

double SequenceData::mean_train_weight(int min_pos) const {
  if (weights.empty()) return 1.0;
  double sum = 0;
  int64_t n = 0;
  for (int32_t u = 0; u < num_users(); ++u)
    for (int32_t p = min_pos; p < train_len(u); ++p) sum += weight(u, p), ++n;
  return n > 0 && sum > 0 ? sum / static_cast<double>(n) : 1.0;
}

std::vector<float> case_weights(const std::vector<EvalCase>& cases) {
  bool all_one = true;
  for (const auto& c : cases) all_one = all_one && c.weight == 1.0f;
  if (all_one) return {};
  std::vector<float> w;
  w.reserve(cases.size());
  for (const auto& c : cases) w.push_back(c.weight);
  return w;
}

std::vector<Sample> training_samples(const SequenceData& data, int min_pos) {
  std::vector<Sample> out;
  for (int32_t u = 0; u < data.num_users(); ++u) {
    const int32_t m = data.train_len(u);
    for (int32_t p = min_pos; p < m; ++p) out.push_back({u, p});
  }
  return out;
}

std::vector<EvalCase> eval_cases(const SequenceData& data, SplitPart part) {
  std::vector<EvalCase> out;
  out.reserve(data.seqs.size());
  for (int32_t u = 0; u < data.num_users(); ++u) {
    const auto& s = data.seqs[static_cast<size_t>(u)];
    const int32_t n = static_cast<int32_t>(s.size());
    if (data.train_end.empty()) {
      SEQREC_CHECK(n >= 3, "user sequence shorter than 3");
      const int32_t end = part == SplitPart::kValid ? n - 2 : n - 1;
      if (data.weight(u, end) > 0) out.push_back({u, end, s[static_cast<size_t>(end)], data.weight(u, end)});
      continue;
    }
    const int32_t lo = part == SplitPart::kValid ? data.train_len(u) : data.valid_len(u);
    const int32_t hi = part == SplitPart::kValid ? data.valid_len(u) : n;
    for (int32_t p = std::max(lo, 1); p < hi; ++p)
      if (data.weight(u, p) > 0) out.push_back({u, p, s[static_cast<size_t>(p)], data.weight(u, p)});
  }
  return out;
}

std::vector<int64_t> train_item_counts(const SequenceData& data) {
  std::vector<int64_t> c(static_cast<size_t>(data.num_items()), 0);
  for (int32_t u = 0; u < data.num_users(); ++u) {
    const auto& s = data.seqs[static_cast<size_t>(u)];
    for (int32_t i = 0; i < data.train_len(u); ++i) ++c[static_cast<size_t>(s[static_cast<size_t>(i)])];
  }
  return c;
}

double SequenceData::repeat_rate() const {
  int64_t positions = 0, repeats = 0;
  std::unordered_set<int32_t> seen;
  for (size_t u = 0; u < seqs.size(); ++u) {
    const auto& s = seqs[u];
    const int32_t n = train_len(static_cast<int32_t>(u));
    seen.clear();
    for (int32_t i = 0; i < n; ++i) {
      if (i > 0) {
        ++positions;
        repeats += seen.count(s[static_cast<size_t>(i)]) ? 1 : 0;
      }
      seen.insert(s[static_cast<size_t>(i)]);
    }
  }
  return positions > 0 ? static_cast<double>(repeats) / static_cast<double>(positions) : 0.0;
}

}  // namespace seqrec
