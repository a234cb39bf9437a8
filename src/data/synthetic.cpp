// 合成数据生成器实现。使用固定种子的 mt19937_64，结果可复现。
#include "data/synthetic.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.h"

namespace seqrec {

void SyntheticOptions::validate() const {
  if (users < 1 || items < 10 || groups < 2 || groups * 5 > items || mean_length < 3)
    throw Error(concat("synthetic data: need users >= 1, items >= 10, 2 <= groups <= items/5, "
                       "mean length >= 3 (got users=", users, " items=", items, " groups=", groups,
                       " mean_length=", mean_length, ")"));
}

Interactions generate_synthetic(const SyntheticOptions& opt) {
  opt.validate();
  std::mt19937_64 rng(opt.seed);
  std::uniform_real_distribution<double> unif(0.0, 1.0);
  // 物品 i 属于组 i % G，组内按 i / G 排名；组内流行度服从 Zipf(1.0)。
  const int G = opt.groups;
  std::vector<std::vector<int>> members(static_cast<size_t>(G));
  for (int i = 0; i < opt.items; ++i) members[static_cast<size_t>(i % G)].push_back(i);
  std::vector<std::discrete_distribution<int>> zipf;
  for (const auto& m : members) {
    std::vector<double> w;
    for (size_t r = 0; r < m.size(); ++r) w.push_back(1.0 / std::pow(r + 1.0, 1.0));
    zipf.emplace_back(w.begin(), w.end());
  }
  // 组本身也有流行度偏斜。
  std::vector<double> gw;
  for (int g = 0; g < G; ++g) gw.push_back(1.0 / std::sqrt(g + 1.0));
  std::discrete_distribution<int> group_pop(gw.begin(), gw.end());
  std::geometric_distribution<int> extra_len(1.0 / std::max(1.0, opt.mean_length - 4.0));

  Interactions out;
  for (int i = 0; i < opt.items; ++i) out.items.add(std::to_string(i));
  for (int u = 0; u < opt.users; ++u) {
    const int32_t uid = out.users.add("u" + std::to_string(u));
    // 长期兴趣：3 个偏好组。
    int fav[3];
    for (int& f : fav) f = group_pop(rng);
    const int len = std::min(400, 5 + extra_len(rng));
    double t = 1.6e9 + unif(rng) * 3e7;
    int g = fav[0];
    int prev = -1;
    for (int k = 0; k < len; ++k) {
      // 兴趣漂移：偶尔把一个偏好组换成别的组。
      if (unif(rng) < 0.02) fav[rng() % 3] = group_pop(rng);
      if (unif(rng) < 0.15) g = fav[rng() % 3];
      const auto& m = members[static_cast<size_t>(g)];
      int rank;
      if (prev >= 0 && prev % G == g && unif(rng) < 0.6) {
        rank = (prev / G + 1 + static_cast<int>(rng() % 3)) % static_cast<int>(m.size());  // 顺序结构：“下一件”
      } else {
        rank = zipf[static_cast<size_t>(g)](rng);
      }
      const int item = m[static_cast<size_t>(rank)];
      t += 60.0 + unif(rng) * 3600.0;
      out.user.push_back(uid);
      out.item.push_back(item);
      out.time.push_back(std::floor(t));
      prev = item;
    }
  }
  out.lines = static_cast<int64_t>(out.user.size());
  return out;
}

}  // namespace seqrec
