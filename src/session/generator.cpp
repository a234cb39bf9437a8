// 会话数据生成器的实现（见 generator.h）。
#include "session/generator.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>

#include "core/error.h"
#include "core/files.h"

namespace seqrec {

void SessionGenOptions::validate() const {
  if (sessions < 1) throw Error(concat("--sessions must be >= 1 (got ", sessions, ")"));
  if (items < 2) throw Error(concat("--items must be >= 2 (got ", items, ")"));
  if (topic_size < 2 || topic_size > items) throw Error(concat("--topic-size must be in [2, --items] (got ", topic_size, ")"));
  if (!(mean_length >= 1.5 && mean_length <= 10000)) throw Error(concat("--mean-length must be in [1.5, 10000] (got ", mean_length, ")"));
  if (!(zipf >= 0 && zipf <= 3)) throw Error(concat("--zipf must be in [0, 3] (got ", zipf, ")"));
  for (double p : {cart_rate, order_rate, chain, revisit, topic_switch})
    if (!(p >= 0 && p <= 1)) throw Error("rates and probabilities must be in [0, 1]");
  if (chain + revisit + topic_switch > 1) throw Error("--chain + --revisit + --topic-switch must be <= 1");
  if (days < 1) throw Error(concat("--days must be >= 1 (got ", days, ")"));
}

nlohmann::ordered_json SessionGenOptions::to_json() const {
  return {{"sessions", sessions}, {"items", items},   {"topic_size", topic_size}, {"mean_length", mean_length},
          {"zipf", zipf},         {"cart_rate", cart_rate}, {"order_rate", order_rate}, {"chain", chain},
          {"revisit", revisit},   {"topic_switch", topic_switch}, {"days", days}, {"seed", seed}};
}

namespace {

// Zipf 分布的累积表，按二分查找抽样。
struct ZipfTable {
  std::vector<double> cdf;
  ZipfTable(int64_t n, double s) : cdf(static_cast<size_t>(n)) {
    double acc = 0;
    for (int64_t i = 0; i < n; ++i) cdf[static_cast<size_t>(i)] = acc += 1.0 / std::pow(static_cast<double>(i + 1), s);
    for (auto& c : cdf) c /= acc;
  }
  template <class R>
  int64_t draw(R& rng) const {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return std::min<int64_t>(static_cast<int64_t>(cdf.size()) - 1,
                             std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
  }
};

// 逐个会话生成，回调 (会话编号, aids, ts, types)。
void generate(const SessionGenOptions& o,
              const std::function<void(int64_t, const std::vector<int64_t>&, const std::vector<int64_t>&,
                                       const std::vector<uint8_t>&)>& emit) {
  o.validate();
  std::mt19937_64 rng(o.seed);
  const int64_t topics = (o.items + o.topic_size - 1) / o.topic_size;
  const ZipfTable topic_pop(topics, o.zipf), item_pop(o.topic_size, o.zipf);
  // 置换：aid = (下标 · 乘数 + 偏移) mod items，乘数与 items 互素。
  uint64_t mult = 2654435761ull % static_cast<uint64_t>(o.items);
  while (std::gcd(mult, static_cast<uint64_t>(o.items)) != 1 || mult < 2) ++mult;
  auto aid_of = [&](int64_t idx) { return static_cast<int64_t>((static_cast<uint64_t>(idx) * mult + 7) % static_cast<uint64_t>(o.items)); };
  auto topic_len = [&](int64_t t) { return std::min<int64_t>(o.topic_size, o.items - t * o.topic_size); };
  // 点击数 = 1 + 几何分布（均值 m − 1，即 p = 1/m），m 使点击 + 加购 + 下单的平均数等于 mean_length。
  const double mean_clicks = std::max(1.0, o.mean_length / (1.0 + o.cart_rate * (1.0 + o.order_rate)));
  std::geometric_distribution<int> extra(1.0 / mean_clicks);
  std::exponential_distribution<double> gap(1.0 / 60.0);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<int64_t> aids, ts;
  std::vector<uint8_t> types;
  std::vector<int64_t> carted;
  for (int64_t s = 0; s < o.sessions; ++s) {
    aids.clear();
    ts.clear();
    types.clear();
    carted.clear();
    const int clicks = 1 + extra(rng);
    double t = static_cast<double>(o.start_ms) + unit(rng) * o.days * 86400000.0;
    int64_t topic = topic_pop.draw(rng), pos = item_pop.draw(rng) % topic_len(topic);
    for (int c = 0; c < clicks; ++c) {
      if (c > 0) {
        const double u = unit(rng);
        if (u < o.chain) {
          pos = (pos + 1) % topic_len(topic);
        } else if (u < o.chain + o.revisit && !aids.empty()) {
          const int64_t back = aids[static_cast<size_t>(rng() % aids.size())];
          aids.push_back(back);
          ts.push_back(static_cast<int64_t>(t));
          types.push_back(0);
          t += gap(rng) * 1000.0;
          continue;
        } else if (u < o.chain + o.revisit + o.topic_switch) {
          topic = topic_pop.draw(rng);
          pos = item_pop.draw(rng) % topic_len(topic);
        } else {
          pos = item_pop.draw(rng) % topic_len(topic);
        }
        t += (unit(rng) < 0.02 ? (1 + 2 * unit(rng)) * 86400.0 : gap(rng)) * 1000.0;
      }
      const int64_t aid = aid_of(topic * o.topic_size + pos);
      aids.push_back(aid);
      ts.push_back(static_cast<int64_t>(t));
      types.push_back(0);
      if (unit(rng) < o.cart_rate) {
        t += gap(rng) * 500.0;
        aids.push_back(aid);
        ts.push_back(static_cast<int64_t>(t));
        types.push_back(1);
        if (std::find(carted.begin(), carted.end(), aid) == carted.end()) carted.push_back(aid);
      }
    }
    t += gap(rng) * 1000.0;
    for (int64_t a : carted)
      if (unit(rng) < o.order_rate) {
        aids.push_back(a);
        ts.push_back(static_cast<int64_t>(t));
        types.push_back(2);
      }
    emit(s, aids, ts, types);
  }
}

}  // namespace

nlohmann::ordered_json generate_sessions_jsonl(const std::string& path, const SessionGenOptions& opt) {
  AtomicWriter w(path);
  int64_t events = 0, per[3] = {0, 0, 0};
  std::vector<char> seen(static_cast<size_t>(std::max<int32_t>(opt.items, 2)), 0);
  int64_t used = 0;
  std::string line;
  generate(opt, [&](int64_t s, const std::vector<int64_t>& a, const std::vector<int64_t>& t, const std::vector<uint8_t>& ty) {
    line = concat("{\"session\":", s, ",\"events\":[");
    for (size_t i = 0; i < a.size(); ++i) {
      if (i) line += ',';
      line += concat("{\"aid\":", a[i], ",\"ts\":", t[i], ",\"type\":\"", event_kind_name(ty[i]), "\"}");
      ++per[ty[i]];
      if (!seen[static_cast<size_t>(a[i])]) seen[static_cast<size_t>(a[i])] = 1, ++used;
    }
    line += "]}\n";
    events += static_cast<int64_t>(a.size());
    w.write(line);
  });
  w.commit();
  nlohmann::ordered_json j;
  j["sessions"] = opt.sessions;
  j["events"] = events;
  j["items_used"] = used;
  for (int k = 0; k < 3; ++k) j[event_kind_name(k)] = per[k];
  return j;
}

SessionData generate_sessions(const SessionGenOptions& opt) {
  SessionData d;
  generate(opt, [&](int64_t s, const std::vector<int64_t>& a, const std::vector<int64_t>& t, const std::vector<uint8_t>& ty) {
    d.add_session(s, a, t, ty);
  });
  return d;
}

}  // namespace seqrec
