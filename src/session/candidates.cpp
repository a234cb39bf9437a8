// 会话候选生成的实现（见 candidates.h）。
#include "session/candidates.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cmath>
#include <thread>
#include <unordered_map>

#include "core/error.h"

namespace seqrec {

const char* candidate_source_name(int source) {
  static const char* k[] = {"history", "covisit", "model", "popular"};
  return source >= 0 && source < 4 ? k[source] : "?";
}

void CandidateOptions::validate() const {
  if (list_size < 1 || list_size > 1000) throw Error(concat("--candidates must be in [1, 1000] (got ", list_size, ")"));
  if (history_min < 1) throw Error(concat("--history-min must be >= 1 (got ", history_min, ")"));
  for (float w : type_weight)
    if (!(w >= 0 && w < 1e6)) throw Error(concat("--type-weights must be in [0, 1e6) (got ", w, ")"));
  if (threads < 1 || threads > 256) throw Error(concat("--threads must be in [1, 256] (got ", threads, ")"));
  if (!use_history && !use_covisit && !use_model && !use_popular) throw Error("--sources must name at least one source");
}

nlohmann::ordered_json CandidateOptions::to_json() const {
  nlohmann::ordered_json j;
  j["list_size"] = list_size;
  j["history_min"] = history_min;
  j["type_weights"] = {{"clicks", type_weight[0]}, {"carts", type_weight[1]}, {"orders", type_weight[2]}};
  std::vector<std::string> src;
  if (use_history) src.push_back("history");
  if (use_covisit) src.push_back("covisit");
  if (use_model) src.push_back("model");
  if (use_popular) src.push_back("popular");
  j["sources"] = src;
  return j;
}

namespace {

// 按次数从多到少排列的物品（平局取较小的 aid），最多 n 个。
std::vector<int64_t> top_counted(const SessionData& d, int kind, size_t n) {
  std::vector<int64_t> cnt(static_cast<size_t>(d.num_items()), 0);
  for (size_t i = 0; i < d.aid.size(); ++i)
    if (d.type[i] == kind) ++cnt[static_cast<size_t>(d.aid[i])];
  std::vector<int32_t> idx;
  for (int32_t i = 0; i < d.num_items(); ++i)
    if (cnt[static_cast<size_t>(i)] > 0) idx.push_back(i);
  auto cmp = [&](int32_t a, int32_t b) {
    if (cnt[static_cast<size_t>(a)] != cnt[static_cast<size_t>(b)]) return cnt[static_cast<size_t>(a)] > cnt[static_cast<size_t>(b)];
    return d.items.ids()[static_cast<size_t>(a)] < d.items.ids()[static_cast<size_t>(b)];
  };
  const size_t k = std::min(n, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(k), idx.end(), cmp);
  std::vector<int64_t> out;
  for (size_t i = 0; i < k; ++i) out.push_back(d.items.ids()[static_cast<size_t>(idx[i])]);
  return out;
}

// 表中是否已有该物品（表很短，线性查找比哈希快）。
bool contains(const std::vector<Candidate>& list, int64_t aid) {
  for (const auto& c : list)
    if (c.aid == aid) return true;
  return false;
}

}  // namespace

CandidateGenerator::CandidateGenerator(const SessionData& data, const CovisitModel* covisit, const CandidateModel* model,
                                       CandidateOptions opt)
    : data_(data), covisit_(covisit), model_(model), opt_(opt) {
  opt_.validate();
  if (!covisit_) opt_.use_covisit = false;
  if (!model_ || !model_->items || !model_->top_k) opt_.use_model = false;
  if (opt_.use_model) {
    // 模型的物品 ID 与会话的 aid 对应：只认规范的十进制整数（"7" 是 aid 7，"007" 与 "7a" 不是任何 aid）。
    const IdMap& ids = *model_->items;
    model_aid_.assign(ids.size(), -1);
    for (size_t i = 0; i < ids.size(); ++i) {
      const std::string& id = ids.id(static_cast<int32_t>(i));
      char* end = nullptr;
      errno = 0;
      const long long v = std::strtoll(id.c_str(), &end, 10);
      if (errno != 0 || id.empty() || *end != '\0' || std::to_string(v) != id) continue;
      model_aid_[i] = v;
      model_index_.emplace(v, static_cast<int32_t>(i));
    }
  }
  const size_t n = static_cast<size_t>(opt_.list_size);
  popular_clicks_ = top_counted(data_, 0, n);
  popular_orders_ = top_counted(data_, 2, n);
  if (popular_orders_.size() < n) {  // 下单太少时用加购、再用点击补足
    for (int kind : {1, 0})
      for (int64_t a : top_counted(data_, kind, n)) {
        if (popular_orders_.size() >= n) break;
        if (std::find(popular_orders_.begin(), popular_orders_.end(), a) == popular_orders_.end()) popular_orders_.push_back(a);
      }
  }
}

void CandidateGenerator::fill_covisit(std::vector<Candidate>& list,
                                      const std::vector<std::pair<int, const std::vector<int64_t>*>>& srcs) const {
  const size_t want = static_cast<size_t>(opt_.list_size);
  if (list.size() >= want) return;
  std::unordered_map<int32_t, double> score;
  for (const auto& [kind, aids] : srcs) {
    const NeighbourTable& t = covisit_->tables[static_cast<size_t>(kind)];
    for (int64_t raw : *aids) {
      const int32_t a = covisit_->items.find(raw);
      if (a < 0) continue;
      const int64_t b = t.begin(a), e = t.end(a);
      if (b == e) continue;
      const double top = std::max(1e-12f, t.weights[static_cast<size_t>(b)]);
      for (int64_t k = b; k < e; ++k) score[t.neighbours[static_cast<size_t>(k)]] += t.weights[static_cast<size_t>(k)] / top;
    }
  }
  std::vector<std::pair<int64_t, double>> ranked;  // (原始 aid, 得分)
  ranked.reserve(score.size());
  for (const auto& [b, s] : score) ranked.push_back({covisit_->items.ids()[static_cast<size_t>(b)], s});
  std::sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) {
    return x.second != y.second ? x.second > y.second : x.first < y.first;
  });
  for (const auto& [aid, s] : ranked) {
    if (list.size() >= want) break;
    if (!contains(list, aid)) list.push_back({aid, static_cast<float>(s), static_cast<uint8_t>(CandidateSource::kCovisit)});
  }
}

SessionCandidates CandidateGenerator::generate(int64_t s, int64_t events_end) const {
  const int64_t b = data_.begin(s), e = events_end < 0 ? data_.end(s) : std::min(events_end, data_.end(s));
  const size_t want = static_cast<size_t>(opt_.list_size);
  const int64_t n = e - b;
  // 历史物品：最近一次出现的位置、加权得分；distinct 按最近一次出现从新到旧。
  std::vector<int64_t> distinct, buys;
  std::unordered_map<int64_t, double> weighted;
  for (int64_t i = e - 1; i >= b; --i) {
    const int64_t aid = data_.raw_aid(i);
    const uint8_t ty = data_.type[static_cast<size_t>(i)];
    // logspace(0.1, 1, n, base 2) − 1：第 i 个事件（从最旧的 0 开始）的新近权重。
    const double x = n > 1 ? 0.1 + 0.9 * static_cast<double>(i - b) / static_cast<double>(n - 1) : 0.1;
    auto [it, fresh] = weighted.try_emplace(aid, 0.0);
    it->second += (std::pow(2.0, x) - 1.0) * opt_.type_weight[ty];
    if (fresh) distinct.push_back(aid);
    if (ty != 0 && std::find(buys.begin(), buys.end(), aid) == buys.end()) buys.push_back(aid);
  }
  SessionCandidates out;
  if (opt_.use_history) {
    std::vector<int64_t> order = distinct;  // 短会话：最近的在前
    if (n >= opt_.history_min)
      std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return weighted[x] > weighted[y]; });
    for (int64_t aid : order) {
      if (out.clicks.size() >= want) break;
      const Candidate c{aid, static_cast<float>(weighted[aid]), static_cast<uint8_t>(CandidateSource::kHistory)};
      out.clicks.push_back(c);
      out.buys.push_back(c);
    }
  }
  if (opt_.use_covisit) {
    fill_covisit(out.clicks, {{static_cast<int>(CovisitKind::kClicks), &distinct}});
    fill_covisit(out.buys, {{static_cast<int>(CovisitKind::kCartsOrders), &distinct},
                            {static_cast<int>(CovisitKind::kBuy2Buy), &buys}});
  }
  if (opt_.use_model && (out.clicks.size() < want || out.buys.size() < want)) {
    // 会话里模型认识的点击（从旧到新）；一个也没有时不算模型候选（交给 popular）。
    std::vector<int32_t> clicks;
    for (int64_t i = b; i < e; ++i) {
      const auto it = model_index_.find(data_.raw_aid(i));
      if (it != model_index_.end()) clicks.push_back(it->second);
    }
    if (!clicks.empty()) {
      SearchFilter filter;
      filter.exclude = clicks;  // 不推荐会话里已有的物品
      const int k = std::min<int>(opt_.list_size * 2, static_cast<int>(model_aid_.size()));
      for (const Hit& h : model_->top_k(clicks, k, filter)) {
        const int64_t aid = model_aid_[static_cast<size_t>(h.item)];
        if (aid < 0) continue;  // 模型的物品编号不是整数：不是用会话数据训练的
        const Candidate c{aid, h.score, static_cast<uint8_t>(CandidateSource::kModel)};
        if (out.clicks.size() < want && !contains(out.clicks, aid)) out.clicks.push_back(c);
        if (out.buys.size() < want && !contains(out.buys, aid)) out.buys.push_back(c);
      }
    }
  }
  if (opt_.use_popular) {
    for (size_t k = 0; k < popular_clicks_.size() && out.clicks.size() < want; ++k)
      if (!contains(out.clicks, popular_clicks_[k]))
        out.clicks.push_back({popular_clicks_[k], static_cast<float>(popular_clicks_.size() - k),
                              static_cast<uint8_t>(CandidateSource::kPopular)});
    for (size_t k = 0; k < popular_orders_.size() && out.buys.size() < want; ++k)
      if (!contains(out.buys, popular_orders_[k]))
        out.buys.push_back({popular_orders_[k], static_cast<float>(popular_orders_.size() - k),
                            static_cast<uint8_t>(CandidateSource::kPopular)});
  }
  return out;
}

std::vector<SessionCandidates> CandidateGenerator::generate_range(int64_t first, int64_t last) const {
  const int64_t S = std::max<int64_t>(0, last - first);
  std::vector<SessionCandidates> out(static_cast<size_t>(S));
  const int T = static_cast<int>(std::min<int64_t>(opt_.threads, std::max<int64_t>(1, S)));
  std::vector<std::string> err(static_cast<size_t>(T));
  auto work = [&](int t) {
    try {
      for (int64_t s = t; s < S; s += T) out[static_cast<size_t>(s)] = generate(first + s);
    } catch (const std::exception& e) {
      err[static_cast<size_t>(t)] = e.what();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < T; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  for (const auto& e : err)
    if (!e.empty()) throw Error(concat("candidate generation failed: ", e));
  return out;
}

}  // namespace seqrec
