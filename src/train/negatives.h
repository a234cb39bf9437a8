// 负样本与 logQ 的准备（bce / bpr / sampled / inbatch 损失用）：组批线程按位置顺序抽取（只取决于种子），
// 分片线程把某个行区间包装成张量（不复制）。long_short、sasrec / gru4rec 与 lightgcn 的训练共用。包含 LibTorch。
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <vector>

#include "data/dataset.h"
#include "train/losses.h"
#include "train/trainer.h"

namespace seqrec {

// 一批训练数据的预测位置（整批，单线程组装）：第 r 行的位置是 [pos_off[r], pos_off[r+1])。
struct PosBatch {
  std::vector<int64_t> pos_off;    // [rows+1]
  std::vector<int64_t> targets;    // [P]
  std::vector<int32_t> row_user;   // [rows] 每行的用户（负样本排除该用户的训练物品）
  std::vector<int64_t> negs;       // bce/bpr：[P*N]；sampled：[N]；inbatch：[U]
  std::vector<float> neg_logq;     // sampled / inbatch
  std::vector<float> tgt_logq;     // sampled：[P]
  std::vector<int64_t> tgt_index;  // inbatch：[P]
  std::vector<float> weights;      // [P] 每个位置的损失权重（已除以训练集的平均权重）；为空 = 都是 1
  int64_t rows() const { return static_cast<int64_t>(pos_off.size()) - 1; }
  int64_t positions() const { return pos_off.back(); }
  void clear() {
    pos_off.assign(1, 0);
    targets.clear();
    row_user.clear();
    weights.clear();
  }
};

// 负样本与 logQ 的准备。fill() 在组批线程中按位置顺序抽取（只取决于种子），
// inputs() 在分片线程中把某个行区间的数据包装成张量（不复制）。
class NegativePlan {
 public:
  NegativePlan(const SequenceData& data, const TrainOptions& opt)
      : NegativePlan(data, opt, train_item_counts(data)) {}

  NegativePlan(const SequenceData& data, const TrainOptions& opt, const std::vector<int64_t>& counts)
      : kind(parse_loss(opt.loss)),
        n(opt.negatives_resolved()),
        logq(opt.logq),
        sampler_(counts, opt.neg_sampler_resolved() == "pop" ? 1.0 : 0.0),
        freq_(counts, 1.0),
        beta_(kind == LossKind::kGBCE ? gbce_beta(n, static_cast<int64_t>(counts.size()), opt.gbce_t) : 1.0) {
    if (kind == LossKind::kBCE || kind == LossKind::kBPR) {
      // 每个用户训练部分的物品（升序去重）：负样本不取用户训练时见过的物品（SASRec 论文的做法）。
      user_train_.resize(data.seqs.size());
      for (size_t u = 0; u < data.seqs.size(); ++u) {
        const auto& s = data.seqs[u];
        auto& t = user_train_[u];
        t.assign(s.begin(), s.begin() + data.train_len(static_cast<int32_t>(u)));
        std::sort(t.begin(), t.end());
        t.erase(std::unique(t.begin(), t.end()), t.end());
      }
    }
  }

  void fill(PosBatch& b, std::mt19937_64& rng) const {
    b.negs.clear();
    b.neg_logq.clear();
    b.tgt_logq.clear();
    b.tgt_index.clear();
    if (kind == LossKind::kBCE || kind == LossKind::kBPR) {
      b.negs.reserve(static_cast<size_t>(b.positions() * n));
      for (int64_t r = 0; r < b.rows(); ++r) {
        const auto& ex = user_train_[static_cast<size_t>(b.row_user[static_cast<size_t>(r)])];
        for (int64_t p = b.pos_off[static_cast<size_t>(r)]; p < b.pos_off[static_cast<size_t>(r) + 1]; ++p)
          for (int k = 0; k < n; ++k) b.negs.push_back(sampler_.draw_excluding(rng, ex));
      }
    } else if (kind == LossKind::kGBCE) {
      // 每行 n 个均匀负样本（β 的抽样率按均匀抽样算），由该行的各位置共用。
      b.negs.reserve(static_cast<size_t>(b.rows() * n));
      for (int64_t r = 0; r < b.rows(); ++r)
        for (int k = 0; k < n; ++k) b.negs.push_back(sampler_.draw(rng));
    } else if (kind == LossKind::kSampled) {
      // 按提议分布抽取，整批共享。
      for (int k = 0; k < n; ++k) {
        const int32_t j = sampler_.draw(rng);
        b.negs.push_back(j);
        b.neg_logq.push_back(sampler_.log_q(j));
      }
      for (int64_t t : b.targets) b.tgt_logq.push_back(sampler_.log_q(static_cast<int32_t>(t)));
    } else if (kind == LossKind::kInBatch) {
      // 批内候选 = 整批目标去重（按首次出现的顺序）；logQ = 训练集中的物品频率。
      std::unordered_map<int64_t, int64_t> index;
      for (int64_t t : b.targets) {
        auto it = index.emplace(t, static_cast<int64_t>(b.negs.size())).first;
        if (it->second == static_cast<int64_t>(b.negs.size())) {
          b.negs.push_back(t);
          b.neg_logq.push_back(freq_.log_q(static_cast<int32_t>(t)));
        }
        b.tgt_index.push_back(it->second);
      }
    }
  }

  LossInputs inputs(const PosBatch& b, int64_t lo, int64_t hi, torch::Tensor h) const {
    auto wrap_i = [](const std::vector<int64_t>& v, int64_t off, std::vector<int64_t> shape) {
      return torch::from_blob(const_cast<int64_t*>(v.data()) + off, shape, torch::kInt64);
    };
    auto wrap_f = [](const std::vector<float>& v, int64_t off, int64_t len) {
      return torch::from_blob(const_cast<float*>(v.data()) + off, {len}, torch::kFloat32);
    };
    const int64_t p0 = b.pos_off[static_cast<size_t>(lo)], P = b.pos_off[static_cast<size_t>(hi)] - p0;
    LossInputs in;
    in.h = std::move(h);
    in.targets = wrap_i(b.targets, p0, {P});
    if (!b.weights.empty()) in.weights = wrap_f(b.weights, p0, P);
    if (kind == LossKind::kBCE || kind == LossKind::kBPR) {
      in.negs = wrap_i(b.negs, p0 * n, {P, n});
    } else if (kind == LossKind::kSampled) {
      in.negs = wrap_i(b.negs, 0, {n});
      if (logq) {
        in.neg_logq = wrap_f(b.neg_logq, 0, n);
        in.tgt_logq = wrap_f(b.tgt_logq, p0, P);
      }
    } else if (kind == LossKind::kGBCE) {
      in.negs = wrap_i(b.negs, lo * n, {hi - lo, n});
      in.row_off = torch::empty({hi - lo + 1}, torch::kInt64);
      int64_t* off = in.row_off.data_ptr<int64_t>();
      for (int64_t r = lo; r <= hi; ++r) off[r - lo] = b.pos_off[static_cast<size_t>(r)] - p0;
      in.gbce_beta = beta_;
    } else if (kind == LossKind::kInBatch) {
      const int64_t U = static_cast<int64_t>(b.negs.size());
      in.negs = wrap_i(b.negs, 0, {U});
      in.tgt_index = wrap_i(b.tgt_index, p0, {P});
      if (logq) in.neg_logq = wrap_f(b.neg_logq, 0, U);
    }
    return in;
  }

  LossKind kind;
  int n;
  bool logq;

 private:
  NegativeSampler sampler_, freq_;
  double beta_;  // gbce 的 β
  std::vector<std::vector<int32_t>> user_train_;
};

}  // namespace seqrec
