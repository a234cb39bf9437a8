// 语义 ID 的构造（层次约束 k-means、残差 k-means）与前缀树。
#include "models/semantic_ids.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>

#include "core/error.h"
#include "core/files.h"
#include "core/kernels.h"

namespace seqrec {

void SemanticIdOptions::validate() const {
  if (method != "hkmeans" && method != "rqkmeans")
    throw Error(concat("--sid-method must be hkmeans or rqkmeans (got '", method, "')"));
  if (k < 2 || k > 4096) throw Error(concat("--sid-k must be in [2, 4096] (got ", k, ")"));
  if (levels < 1 || levels > 8) throw Error(concat("--sid-levels must be in [1, 8] (got ", levels, ")"));
  if (!(balance >= 1.0 && balance <= 1000.0)) throw Error(concat("--sid-balance must be in [1, 1000] (got ", balance, ")"));
  if (iters < 1 || iters > 1000) throw Error(concat("--sid-iters must be in [1, 1000] (got ", iters, ")"));
}

nlohmann::json SemanticIdOptions::to_json() const {
  return {{"method", method}, {"k", k},           {"levels", levels}, {"balance", balance},
          {"iters", iters},   {"normalize", normalize}, {"seed", seed}};
}

namespace {

// 平方欧氏距离 ||a - b||²。
float sqdist(const float* a, const float* b, int64_t dim) {
  float s = 0;
  for (int64_t j = 0; j < dim; ++j) {
    const float d = a[j] - b[j];
    s += d * d;
  }
  return s;
}

// k-means++ 初始化：第一个质心均匀抽取，之后按到最近质心距离的平方加权抽取。
std::vector<float> kmeanspp(const float* x, int64_t n, int64_t dim, int k, std::mt19937_64& rng) {
  std::vector<float> c(static_cast<size_t>(k * dim));
  std::vector<double> best(static_cast<size_t>(n), std::numeric_limits<double>::infinity());
  int64_t pick = static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
  for (int j = 0; j < k; ++j) {
    std::copy(x + pick * dim, x + (pick + 1) * dim, c.begin() + j * dim);
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      best[static_cast<size_t>(i)] = std::min<double>(best[static_cast<size_t>(i)], sqdist(x + i * dim, &c[j * dim], dim));
      total += best[static_cast<size_t>(i)];
    }
    if (j + 1 == k) break;
    if (total <= 0) {  // 剩下的点都与某个质心重合：均匀抽取
      pick = static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
      continue;
    }
    double r = std::uniform_real_distribution<double>(0, total)(rng);
    pick = n - 1;
    for (int64_t i = 0; i < n; ++i) {
      r -= best[static_cast<size_t>(i)];
      if (r <= 0) {
        pick = i;
        break;
      }
    }
  }
  return c;
}

}  // namespace

std::vector<int32_t> constrained_kmeans(const float* x, int64_t n, int64_t dim, int k, int64_t cap, int iters,
                                        uint64_t seed, std::vector<float>* centroids) {
  if (n <= 0 || k <= 0) throw Error("constrained_kmeans: empty input");
  if (static_cast<int64_t>(k) * cap < n)
    throw Error(concat("constrained_kmeans: ", k, " clusters of at most ", cap, " cannot hold ", n, " points"));
  std::vector<int32_t> assign(static_cast<size_t>(n), -1);
  if (n <= k) {
    // 点数不多于簇数：每个点自成一簇，质心即该点。
    std::iota(assign.begin(), assign.end(), 0);
    if (centroids) {
      centroids->assign(static_cast<size_t>(k * dim), 0.0f);
      std::copy(x, x + n * dim, centroids->begin());
    }
    return assign;
  }
  std::mt19937_64 rng(seed);
  std::vector<float> c = kmeanspp(x, n, dim, k, rng);
  std::vector<float> dist(static_cast<size_t>(n * k));
  std::vector<float> cnorm(static_cast<size_t>(k));
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::vector<int64_t> load(static_cast<size_t>(k));
  std::vector<int32_t> prev;
  for (int it = 0; it < iters; ++it) {
    // 距离 ||x||² − 2x·c + ||c||²；||x||² 对同一个点的所有簇相同，比较时省略。
    for (int j = 0; j < k; ++j) cnorm[static_cast<size_t>(j)] = dot(&c[j * dim], &c[j * dim], dim);
    for (int64_t i = 0; i < n; ++i) {
      float* d = &dist[static_cast<size_t>(i * k)];
      matvec(c.data(), k, dim, x + i * dim, d);
      for (int j = 0; j < k; ++j) d[j] = cnorm[static_cast<size_t>(j)] - 2.0f * d[j];
    }
    // 约束分配：按"最近与次近的差距"从大到小依次把点放进仍有空位的最近簇（差距大的点更该先选）。
    std::vector<float> regret(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const float* d = &dist[static_cast<size_t>(i * k)];
      float b1 = std::numeric_limits<float>::infinity(), b2 = b1;
      for (int j = 0; j < k; ++j) {
        if (d[j] < b1) {
          b2 = b1;
          b1 = d[j];
        } else if (d[j] < b2) {
          b2 = d[j];
        }
      }
      regret[static_cast<size_t>(i)] = b2 - b1;
    }
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
      return regret[static_cast<size_t>(a)] > regret[static_cast<size_t>(b)];
    });
    std::fill(load.begin(), load.end(), 0);
    for (int64_t i : order) {
      const float* d = &dist[static_cast<size_t>(i * k)];
      int32_t best = -1;
      for (int j = 0; j < k; ++j)
        if (load[static_cast<size_t>(j)] < cap && (best < 0 || d[j] < d[best])) best = j;
      assign[static_cast<size_t>(i)] = best;
      ++load[static_cast<size_t>(best)];
    }
    // 更新质心；空簇用离自己质心最远的点重新播种（确定性）。
    std::vector<double> sum(static_cast<size_t>(k * dim), 0.0);
    for (int64_t i = 0; i < n; ++i) {
      const int32_t a = assign[static_cast<size_t>(i)];
      for (int64_t j = 0; j < dim; ++j) sum[static_cast<size_t>(a * dim + j)] += x[i * dim + j];
    }
    for (int j = 0; j < k; ++j) {
      if (load[static_cast<size_t>(j)] == 0) continue;
      for (int64_t t = 0; t < dim; ++t)
        c[static_cast<size_t>(j * dim + t)] = static_cast<float>(sum[static_cast<size_t>(j * dim + t)] / load[static_cast<size_t>(j)]);
    }
    for (int j = 0; j < k; ++j) {
      if (load[static_cast<size_t>(j)] != 0) continue;
      int64_t far = 0;
      float fd = -1;
      for (int64_t i = 0; i < n; ++i) {
        const int32_t a = assign[static_cast<size_t>(i)];
        if (load[static_cast<size_t>(a)] <= 1) continue;
        const float dd = sqdist(x + i * dim, &c[a * dim], dim);
        if (dd > fd) {
          fd = dd;
          far = i;
        }
      }
      std::copy(x + far * dim, x + (far + 1) * dim, c.begin() + j * dim);
    }
    if (assign == prev) break;
    prev = assign;
  }
  if (centroids) *centroids = std::move(c);
  return assign;
}

namespace {

// 层次约束 k-means 的递归：把 idx 中的物品分到第 depth 层的子簇，写入 codes 的第 depth 位。
void hkmeans_split(const std::vector<float>& x, int64_t dim, const std::vector<int64_t>& idx, int depth,
                   const SemanticIdOptions& opt, int length, std::vector<int32_t>& codes, uint64_t seed,
                   std::vector<std::vector<int64_t>>& leaves) {
  if (depth == opt.levels) {
    leaves.push_back(idx);
    return;
  }
  const int64_t n = static_cast<int64_t>(idx.size());
  const int r = opt.levels - depth;  // 包括本层在内的剩余聚类层数
  // 子簇之后还有 r-1 层聚类和一个消歧记号，至多容纳 K^r 个物品。
  double fit = 1;
  for (int t = 0; t < r; ++t) fit *= opt.k;
  const int64_t cap_bal = static_cast<int64_t>(std::ceil(opt.balance * static_cast<double>(n) / opt.k));
  const int64_t cap = std::max<int64_t>(1, static_cast<int64_t>(std::min<double>(fit, static_cast<double>(cap_bal))));
  const int kk = static_cast<int>(std::min<int64_t>(opt.k, n));
  std::vector<float> sub(static_cast<size_t>(n * dim));
  for (int64_t i = 0; i < n; ++i)
    std::copy(&x[static_cast<size_t>(idx[static_cast<size_t>(i)] * dim)],
              &x[static_cast<size_t>((idx[static_cast<size_t>(i)] + 1) * dim)], sub.begin() + i * dim);
  const std::vector<int32_t> a = constrained_kmeans(sub.data(), n, dim, kk, std::max<int64_t>(cap, (n + kk - 1) / kk),
                                                    opt.iters, seed, nullptr);
  std::vector<std::vector<int64_t>> child(static_cast<size_t>(kk));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t item = idx[static_cast<size_t>(i)];
    codes[static_cast<size_t>(item * length + depth)] = a[static_cast<size_t>(i)];
    child[static_cast<size_t>(a[static_cast<size_t>(i)])].push_back(item);
  }
  for (int j = 0; j < kk; ++j)
    if (!child[static_cast<size_t>(j)].empty())
      hkmeans_split(x, dim, child[static_cast<size_t>(j)], depth + 1, opt, length, codes,
                    seed * 1000003ULL + static_cast<uint64_t>(j) + 1, leaves);
}

}  // namespace

SemanticIds build_semantic_ids(MatrixView emb, const SemanticIdOptions& opt) {
  opt.validate();
  const int64_t n = emb.rows, dim = emb.cols;
  if (n < 1 || dim < 1) throw Error("semantic ids: the item embedding matrix is empty");
  std::vector<float> x(emb.data, emb.data + n * dim);
  for (float v : x)
    if (!std::isfinite(v)) throw Error("semantic ids: the item embeddings contain NaN or infinity");
  if (opt.normalize) {
    for (int64_t i = 0; i < n; ++i) {
      float* r = &x[static_cast<size_t>(i * dim)];
      const float nr = std::sqrt(dot(r, r, dim));
      if (nr > 0)
        for (int64_t j = 0; j < dim; ++j) r[j] /= nr;
    }
  }
  // 先按 levels + 1 位计算，最后一位是消歧记号；用不到时去掉。
  const int full = opt.levels + 1;
  std::vector<int32_t> codes(static_cast<size_t>(n * full), 0);
  std::vector<std::vector<int64_t>> leaves;
  nlohmann::json info = opt.to_json();
  if (opt.method == "hkmeans") {
    double capacity = 1;
    for (int t = 0; t < full; ++t) capacity *= opt.k;
    if (static_cast<double>(n) > capacity)
      throw Error(concat("semantic ids: ", n, " items do not fit in k=", opt.k, " and ", opt.levels,
                         " levels (at most k^(levels+1) = ", static_cast<int64_t>(capacity),
                         "); raise --sid-k or --sid-levels"));
    std::vector<int64_t> all(static_cast<size_t>(n));
    std::iota(all.begin(), all.end(), 0);
    hkmeans_split(x, dim, all, 0, opt, full, codes, opt.seed, leaves);
  } else {
    // 残差 k-means：每层对残差聚类，残差减去所选码字。
    std::vector<float> res = x;
    std::vector<float> c;
    double quant_err = 0;
    for (int t = 0; t < opt.levels; ++t) {
      const int kk = static_cast<int>(std::min<int64_t>(opt.k, n));
      const std::vector<int32_t> a = constrained_kmeans(res.data(), n, dim, kk, n, opt.iters,
                                                        opt.seed + static_cast<uint64_t>(t), &c);
      quant_err = 0;
      for (int64_t i = 0; i < n; ++i) {
        codes[static_cast<size_t>(i * full + t)] = a[static_cast<size_t>(i)];
        for (int64_t j = 0; j < dim; ++j) res[static_cast<size_t>(i * dim + j)] -= c[static_cast<size_t>(a[static_cast<size_t>(i)] * dim + j)];
        quant_err += dot(&res[static_cast<size_t>(i * dim)], &res[static_cast<size_t>(i * dim)], dim);
      }
    }
    info["residual_mse"] = quant_err / static_cast<double>(n);
    // 路径相同的物品组成一个叶子；叶子内按残差范数从小到大（离码字最近的先占 0）。
    std::map<std::vector<int32_t>, std::vector<int64_t>> groups;
    for (int64_t i = 0; i < n; ++i)
      groups[std::vector<int32_t>(&codes[static_cast<size_t>(i * full)], &codes[static_cast<size_t>(i * full + opt.levels)])].push_back(i);
    for (auto& [path, items] : groups) {
      std::stable_sort(items.begin(), items.end(), [&](int64_t a, int64_t b) {
        return dot(&res[static_cast<size_t>(a * dim)], &res[static_cast<size_t>(a * dim)], dim) <
               dot(&res[static_cast<size_t>(b * dim)], &res[static_cast<size_t>(b * dim)], dim);
      });
      leaves.push_back(items);
    }
  }
  // 消歧记号 = 物品在叶子内的名次。
  size_t max_leaf = 0;
  for (const auto& leaf : leaves) {
    max_leaf = std::max(max_leaf, leaf.size());
    for (size_t r = 0; r < leaf.size(); ++r) codes[static_cast<size_t>(leaf[r] * full + opt.levels)] = static_cast<int32_t>(r);
  }
  SemanticIds s;
  s.length = max_leaf > 1 ? full : opt.levels;
  s.codes.resize(static_cast<size_t>(n * s.length));
  for (int64_t i = 0; i < n; ++i)
    std::copy(&codes[static_cast<size_t>(i * full)], &codes[static_cast<size_t>(i * full + s.length)],
              s.codes.begin() + i * s.length);
  s.codebook_sizes.assign(static_cast<size_t>(s.length), 0);
  for (int64_t i = 0; i < n; ++i)
    for (int t = 0; t < s.length; ++t)
      s.codebook_sizes[static_cast<size_t>(t)] = std::max(s.codebook_sizes[static_cast<size_t>(t)], s.code(i)[t] + 1);
  info["length"] = s.length;
  info["leaves"] = leaves.size();
  info["max_leaf_size"] = max_leaf;
  info["codebook_sizes"] = s.codebook_sizes;
  s.info = info;
  s.check("semantic ids");
  return s;
}

void SemanticIds::check(const std::string& what) const {
  if (length < 1 || static_cast<int>(codebook_sizes.size()) != length)
    throw Error(concat(what, ": length ", length, " does not match ", codebook_sizes.size(), " codebook sizes"));
  if (codes.size() % static_cast<size_t>(length) != 0) throw Error(concat(what, ": code count is not a multiple of the length"));
  for (int64_t i = 0; i < num_items(); ++i)
    for (int t = 0; t < length; ++t)
      if (code(i)[t] < 0 || code(i)[t] >= codebook_sizes[static_cast<size_t>(t)])
        throw Error(concat(what, ": item ", i, " token ", t, " = ", code(i)[t], " outside [0, ",
                           codebook_sizes[static_cast<size_t>(t)], ")"));
  std::vector<int64_t> order(static_cast<size_t>(num_items()));
  std::iota(order.begin(), order.end(), 0);
  auto less = [&](int64_t a, int64_t b) {
    return std::lexicographical_compare(code(a), code(a) + length, code(b), code(b) + length);
  };
  std::sort(order.begin(), order.end(), less);
  for (size_t i = 1; i < order.size(); ++i)
    if (!less(order[i - 1], order[i]))
      throw Error(concat(what, ": items ", order[i - 1], " and ", order[i], " have the same semantic id"));
}

nlohmann::json SemanticIds::to_json() const {
  nlohmann::json rows = nlohmann::json::array();
  for (int64_t i = 0; i < num_items(); ++i) rows.push_back(std::vector<int32_t>(code(i), code(i) + length));
  return {{"length", length}, {"codebook_sizes", codebook_sizes}, {"codes", rows}, {"info", info}};
}

SemanticIds SemanticIds::from_json(const nlohmann::json& j, const std::string& what) {
  SemanticIds s;
  try {
    s.length = j.at("length").get<int>();
    s.codebook_sizes = j.at("codebook_sizes").get<std::vector<int32_t>>();
    for (const auto& r : j.at("codes")) {
      const auto v = r.get<std::vector<int32_t>>();
      if (static_cast<int>(v.size()) != s.length)
        throw Error(concat(what, ": item ", s.num_items(), " has ", v.size(), " tokens, expected ", s.length));
      s.codes.insert(s.codes.end(), v.begin(), v.end());
    }
    if (j.contains("info")) s.info = j["info"];
  } catch (const nlohmann::json::exception& e) {
    throw Error(concat(what, ": malformed semantic ids (", e.what(), ")"));
  }
  s.check(what);
  return s;
}

void SemanticIds::save(const std::string& path) const { write_file_atomic(path, to_json().dump()); }

SemanticIds SemanticIds::load(const std::string& path) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(concat(path, ": not valid JSON (", e.what(), ")"));
  }
  return from_json(j, path);
}

SidTrie::SidTrie(const SemanticIds& ids) : length_(ids.length) {
  const int64_t n = ids.num_items();
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return std::lexicographical_compare(ids.code(a), ids.code(a) + length_, ids.code(b), ids.code(b) + length_);
  });
  item_leaf_.assign(static_cast<size_t>(n), -1);
  // 按层（广度优先）建节点：节点 = 排序后物品的一个区间 + 深度。
  struct Pending {
    int64_t lo, hi;
    int depth;
  };
  std::vector<Pending> nodes = {{0, n, 0}};
  parent_.push_back(-1);
  for (size_t node = 0; node < nodes.size(); ++node) {
    const Pending p = nodes[node];
    first_.push_back(static_cast<int32_t>(tok_.size()));
    size_.push_back(static_cast<int32_t>(p.hi - p.lo));
    if (p.depth == length_) {
      leaf_item_.push_back(static_cast<int32_t>(order[static_cast<size_t>(p.lo)]));
      item_leaf_[static_cast<size_t>(order[static_cast<size_t>(p.lo)])] = static_cast<int32_t>(node);
      continue;
    }
    leaf_item_.push_back(-1);
    int64_t i = p.lo;
    while (i < p.hi) {
      const int32_t t = ids.code(order[static_cast<size_t>(i)])[p.depth];
      int64_t j = i;
      while (j < p.hi && ids.code(order[static_cast<size_t>(j)])[p.depth] == t) ++j;
      tok_.push_back(t);
      child_.push_back(static_cast<int32_t>(nodes.size()));
      parent_.push_back(static_cast<int32_t>(node));
      nodes.push_back({i, j, p.depth + 1});
      i = j;
    }
  }
  first_.push_back(static_cast<int32_t>(tok_.size()));
}

SidTrie::Span SidTrie::children(int32_t node) const {
  const int32_t a = first_[static_cast<size_t>(node)], b = first_[static_cast<size_t>(node) + 1];
  return {tok_.data() + a, child_.data() + a, b - a};
}

int32_t SidTrie::child(int32_t node, int32_t token) const {
  const Span s = children(node);
  const int32_t* it = std::lower_bound(s.tokens, s.tokens + s.size, token);
  if (it == s.tokens + s.size || *it != token) return -1;
  return s.nodes[it - s.tokens];
}

int32_t SidTrie::item_of(int32_t node) const {
  if (node < 0 || node >= num_nodes()) return -1;
  return leaf_item_[static_cast<size_t>(node)];
}

Matrix content_sketch(const std::vector<std::vector<int32_t>>& item_tokens, int64_t dim, uint64_t seed) {
  SEQREC_CHECK(dim >= 1, "content sketch dimension must be >= 1");
  const int64_t n = static_cast<int64_t>(item_tokens.size());
  // 文档频率：每个记号出现在多少个物品里。
  std::map<int32_t, int64_t> df;
  for (const auto& toks : item_tokens) {
    std::vector<int32_t> u(toks);
    std::sort(u.begin(), u.end());
    u.erase(std::unique(u.begin(), u.end()), u.end());
    for (int32_t t : u) ++df[t];
  }
  // 每个（至少连接两个物品的）记号的随机方向，只由种子和记号决定。
  std::map<int32_t, std::vector<float>> dir;
  for (const auto& [t, c] : df) {
    if (c < 2) continue;
    std::mt19937_64 rng(seed ^ (0x9E3779B97F4A7C15ULL * (static_cast<uint64_t>(t) + 1)));
    std::normal_distribution<float> g(0.0f, 1.0f);
    auto& v = dir[t];
    v.resize(static_cast<size_t>(dim));
    for (float& x : v) x = g(rng);
  }
  Matrix out;
  out.rows = n;
  out.cols = dim;
  out.data.assign(static_cast<size_t>(n * dim), 0.0f);
  std::map<int32_t, int> tf;
  for (int64_t i = 0; i < n; ++i) {
    tf.clear();
    for (int32_t t : item_tokens[static_cast<size_t>(i)]) ++tf[t];
    float* row = out.row(i);
    for (const auto& [t, c] : tf) {
      auto it = dir.find(t);
      if (it == dir.end()) continue;
      const float w = static_cast<float>((1.0 + std::log(static_cast<double>(c))) *
                                         std::log(static_cast<double>(n) / static_cast<double>(df[t])));
      for (int64_t j = 0; j < dim; ++j) row[j] += w * it->second[static_cast<size_t>(j)];
    }
    double norm = 0;
    for (int64_t j = 0; j < dim; ++j) norm += static_cast<double>(row[j]) * row[j];
    if (norm > 0)
      for (int64_t j = 0; j < dim; ++j) row[j] = static_cast<float>(row[j] / std::sqrt(norm));
  }
  return out;
}

Matrix join_item_vectors(MatrixView a, MatrixView b, double w) {
  SEQREC_CHECK(a.rows == b.rows, "joined item vectors must have the same rows");
  Matrix out;
  out.rows = a.rows;
  out.cols = a.cols + b.cols;
  out.data.assign(static_cast<size_t>(out.rows * out.cols), 0.0f);
  // 把一行归一化后乘 scale 写到 dst（零向量保持为零）。
  auto put = [](const float* src, int64_t d, double scale, float* dst) {
    double norm = 0;
    for (int64_t j = 0; j < d; ++j) norm += static_cast<double>(src[j]) * src[j];
    if (norm <= 0) return;
    const double f = scale / std::sqrt(norm);
    for (int64_t j = 0; j < d; ++j) dst[j] = static_cast<float>(src[j] * f);
  };
  for (int64_t i = 0; i < a.rows; ++i) {
    put(a.data + i * a.cols, a.cols, 1.0, out.row(i));
    put(b.data + i * b.cols, b.cols, w, out.row(i) + a.cols);
  }
  return out;
}

}  // namespace seqrec
