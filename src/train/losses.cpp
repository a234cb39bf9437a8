// 训练损失与负样本抽取的实现。
#include "train/losses.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "train/softmax_loss.h"

namespace seqrec {

LossKind parse_loss(const std::string& name) {
  if (name == "ce") return LossKind::kCE;
  if (name == "bce") return LossKind::kBCE;
  if (name == "bpr") return LossKind::kBPR;
  if (name == "sampled") return LossKind::kSampled;
  if (name == "inbatch") return LossKind::kInBatch;
  if (name == "gbce") return LossKind::kGBCE;
  throw Error(concat("--loss must be ce, bce, bpr, sampled, inbatch or gbce (got '", name, "')"));
}

const char* loss_name(LossKind k) {
  switch (k) {
    case LossKind::kCE: return "ce";
    case LossKind::kBCE: return "bce";
    case LossKind::kBPR: return "bpr";
    case LossKind::kSampled: return "sampled";
    case LossKind::kInBatch: return "inbatch";
    case LossKind::kGBCE: return "gbce";
  }
  return "?";
}

torch::Tensor loss_sum(LossKind kind, const LossInputs& in, const torch::Tensor& items, double scale) {
  namespace F = torch::nn::functional;
  const auto& h = in.h;
  const int64_t P = h.size(0);
  if (P == 0) return (h.sum() + items.sum()) * 0.0;  // 没有可训练的位置：损失为 0（仍与参数相连）
  const bool weighted = in.weights.defined();
  // 每行损失 [P] 之和：有权重时先乘以权重。
  auto total = [&](const torch::Tensor& per_row) { return weighted ? (per_row * in.weights).sum() : per_row.sum(); };
  if (kind == LossKind::kCE)
    return chunked_softmax_cross_entropy(h, items, in.targets, scale, 2048, in.weights) * static_cast<double>(P);
  // 目标的打分 s⁺ [P]。
  auto pos = (h * items.index_select(0, in.targets)).sum(1).mul(scale);
  if (kind == LossKind::kBCE || kind == LossKind::kBPR) {
    const int64_t N = in.negs.size(1);
    auto ne = items.index_select(0, in.negs.reshape({-1})).view({P, N, -1});  // [P,N,d]
    auto neg = torch::bmm(ne, h.unsqueeze(2)).squeeze(2).mul(scale);          // [P,N]
    if (kind == LossKind::kBCE) {
      if (!weighted) return F::softplus(-pos).sum() + F::softplus(neg).sum();
      return total(F::softplus(-pos) + F::softplus(neg).sum(1));
    }
    return total(F::softplus(neg - pos.unsqueeze(1)).mean(1));
  }
  if (kind == LossKind::kGBCE) {
    // 逐行：该行各位置与本行的 N 个负样本打分 [len, N]；与目标相同的负样本（accidental hit）不计入：
    // softplus(−∞) = 0。
    // 全部行的负样本嵌入一次取出 [R, N, d]（反向时只有一次 index_add，而不是每行一次整表大小的累加）。
    const int64_t R = in.negs.size(0), N = in.negs.size(1);
    const int64_t* off = in.row_off.data_ptr<int64_t>();
    auto ne = items.index_select(0, in.negs.reshape({-1})).view({R, N, -1});
    std::vector<torch::Tensor> neg_sum;
    neg_sum.reserve(static_cast<size_t>(R));
    for (int64_t r = 0; r < R; ++r) {
      const int64_t len = off[r + 1] - off[r];
      if (len == 0) continue;
      auto ids = in.negs[r];
      auto neg = torch::mm(h.narrow(0, off[r], len), ne[r].t()).mul(scale);
      neg = neg.masked_fill(ids.unsqueeze(0).eq(in.targets.narrow(0, off[r], len).unsqueeze(1)),
                            -std::numeric_limits<float>::infinity());
      neg_sum.push_back(F::softplus(neg).sum(1));
    }
    return total(F::softplus(-pos).mul(in.gbce_beta) + torch::cat(neg_sum));
  }
  // sampled / inbatch：对候选集合做 softmax。
  auto logits = torch::mm(h, items.index_select(0, in.negs).t()).mul(scale);  // [P, N 或 U]
  if (in.neg_logq.defined()) logits = logits - in.neg_logq.unsqueeze(0);
  if (kind == LossKind::kInBatch) {
    if (!weighted) return F::cross_entropy(logits, in.tgt_index, F::CrossEntropyFuncOptions().reduction(torch::kSum));
    return total(F::cross_entropy(logits, in.tgt_index, F::CrossEntropyFuncOptions().reduction(torch::kNone)));
  }
  // sampled：第 0 列为目标，其余为共享负样本；与目标相同的负样本屏蔽掉。
  auto p = in.tgt_logq.defined() ? pos - in.tgt_logq : pos;
  logits = logits.masked_fill(in.negs.unsqueeze(0).eq(in.targets.unsqueeze(1)), -std::numeric_limits<float>::infinity());
  auto all = torch::cat({p.unsqueeze(1), logits}, 1);
  return total(torch::logsumexp(all, 1) - p);
}

double gbce_beta(int negatives, int64_t num_items, double t) {
  // 抽样率 α：每个正例配 N 个负样本，占全部 I − 1 个非目标物品的比例（至多 1）。
  const double alpha = std::min(1.0, static_cast<double>(negatives) / static_cast<double>(std::max<int64_t>(1, num_items - 1)));
  return alpha * (t * (1.0 - 1.0 / alpha) + 1.0 / alpha);
}

NegativeSampler::NegativeSampler(const std::vector<int64_t>& counts, double alpha) : n_(static_cast<int32_t>(counts.size())) {
  SEQREC_CHECK(n_ > 0, "no items to sample from");
  log_q_.assign(counts.size(), -std::log(static_cast<float>(n_)));
  if (alpha == 0) return;
  std::vector<double> w(counts.size());
  double total = 0;
  for (size_t i = 0; i < counts.size(); ++i) total += (w[i] = std::pow(static_cast<double>(counts[i]) + 1.0, alpha));
  cdf_.resize(counts.size());
  double acc = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    acc += w[i] / total;
    cdf_[i] = acc;
    log_q_[i] = static_cast<float>(std::log(w[i] / total));
  }
  cdf_.back() = 1.0;
}

int32_t NegativeSampler::draw(std::mt19937_64& rng) const {
  if (cdf_.empty()) return static_cast<int32_t>(rng() % static_cast<uint64_t>(n_));
  const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  return static_cast<int32_t>(std::upper_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin()) % n_;
}

int32_t NegativeSampler::draw_excluding(std::mt19937_64& rng, const std::vector<int32_t>& ex) const {
  int32_t j = draw(rng);
  for (int tries = 0; tries < 64 && std::binary_search(ex.begin(), ex.end(), j); ++tries) j = draw(rng);
  return j;
}

}  // namespace seqrec
