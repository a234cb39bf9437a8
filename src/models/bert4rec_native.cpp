// BERT4Rec 原生推理实现：线性层用成块的 SIMD 内核，注意力每个头两次矩阵乘法（双向，不需要因果屏蔽）。
#include "models/bert4rec_native.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/kernels.h"

namespace seqrec {

namespace {

// 每个线程一份的临时缓冲，避免每次请求分配内存。
struct Scratch {
  std::vector<float> x, qkv, att, tmp, y, f, kt, s;
};

}  // namespace

Bert4RecModel Bert4RecModel::from_tensors(const TensorMap& t, const ModelConfig& cfg) {
  cfg.validate();
  SEQREC_CHECK(cfg.type == "bert4rec", "model type is not bert4rec");
  Bert4RecModel m;
  m.cfg_ = cfg;
  const int64_t d = cfg.dim, f = cfg.ffn_dim;
  m.item_emb_ = take_tensor(t, "item_emb", {cfg.num_items + 2, d});
  m.pos_emb_ = take_tensor(t, "pos_emb", {cfg.max_len, d});
  m.ln_emb_ = take_norm(t, "ln_emb", d);
  for (int l = 0; l < cfg.layers; ++l) {
    m.blocks_.push_back(take_block(t, "blocks." + std::to_string(l) + ".", d, f));
  }
  m.head_ = take_linear(t, "head", d, d);
  m.ln_head_ = take_norm(t, "ln_head", d);
  return m;
}

Matrix Bert4RecModel::item_embeddings() const { return embedding_rows(item_emb_, cfg_.num_items, cfg_.dim); }

void Bert4RecModel::forward(const int32_t* tok, int n, bool all_rows, float* out) const {
  const auto lease = scratch_.acquire<Scratch>();  // 本次调用的临时缓冲
  Scratch& s = *lease;
  const int d = cfg_.dim, H = cfg_.heads, dh = d / H, F = cfg_.ffn_dim, L = cfg_.max_len;
  const int T = n;
  const size_t td = static_cast<size_t>(T) * d;
  s.x.resize(td);
  s.qkv.resize(3 * td);
  s.att.resize(td);
  s.tmp.resize(td);
  s.y.resize(td);
  s.f.resize(static_cast<size_t>(T) * F);

  // 输入：LN_emb(物品或 [MASK] 的嵌入 + 右对齐的位置嵌入)。
  for (int t = 0; t < T; ++t) {
    const int32_t item = tok[t];
    SEQREC_CHECK(item >= 0 && item <= cfg_.num_items + 1 && item != cfg_.num_items, "click index out of range");
    const float* e = &item_emb_[static_cast<size_t>(item) * d];
    const float* p = &pos_emb_[static_cast<size_t>(L - T + t) * d];
    float* x = &s.x[static_cast<size_t>(t) * d];
    for (int i = 0; i < d; ++i) x[i] = e[i] + p[i];
  }
  ln_emb_.apply(s.x.data(), T, d, kBert4RecLnEps, s.x.data());

  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  int rows = T;  // 当前 x 中的行数（最后一块之后可能只剩最后一行）
  for (size_t l = 0; l < blocks_.size(); ++l) {
    const BlockWeights& W = blocks_[l];
    const bool last = !all_rows && l + 1 == blocks_.size();
    const int q0 = last ? T - 1 : 0;  // 最后一块只需要最后一行的查询
    const int R = T - q0;
    float* X = s.x.data();
    // Q、K、V 一次算出：[T, 3d]（最后一块也要全部行的 K、V）。
    linear_rows_t(X, T, d, W.in_proj.wt.data(), 3 * d, W.in_proj.b.data(), 3 * d, s.qkv.data());
    // 每个头：S = Q_h·K_hᵀ（只算需要的查询行），softmax，O_h = S·V_h。双向：每行看全部 T 个位置。
    s.kt.resize(static_cast<size_t>(dh) * T);
    s.s.resize(static_cast<size_t>(R) * T);
    for (int h = 0; h < H; ++h) {
      for (int j = 0; j < T; ++j) {
        const float* k = &s.qkv[static_cast<size_t>(j) * 3 * d + d + h * dh];
        for (int e = 0; e < dh; ++e) s.kt[static_cast<size_t>(e) * T + j] = k[e];
      }
      gemm_nn(s.qkv.data() + static_cast<size_t>(q0) * 3 * d + h * dh, 3 * d, s.kt.data(), T, s.s.data(), T, R, T, dh);
      for (int r = 0; r < R; ++r) {
        float* p = &s.s[static_cast<size_t>(r) * T];
        float mx = -INFINITY;
        for (int j = 0; j < T; ++j) mx = std::max(mx, p[j] *= scale);
        float sum = 0;
        for (int j = 0; j < T; ++j) sum += (p[j] = std::exp(p[j] - mx));
        const float inv = 1.0f / sum;
        for (int j = 0; j < T; ++j) p[j] *= inv;
      }
      gemm_nn(s.s.data(), T, s.qkv.data() + 2 * d + h * dh, 3 * d, s.att.data() + h * dh, d, R, dh, T);
    }
    // y = LN1(x + out_proj(att))；x = LN2(y + FFN(y))（只对需要的 R 行）。
    W.out_proj.apply(s.att.data(), R, s.tmp.data());
    const float* xr = X + static_cast<size_t>(q0) * d;
    const size_t rd = static_cast<size_t>(R) * d;
    for (size_t i = 0; i < rd; ++i) s.y[i] = xr[i] + s.tmp[i];
    W.ln1.apply(s.y.data(), R, d, kBert4RecLnEps, s.y.data());
    W.ffn1.apply(s.y.data(), R, s.f.data());
    gelu_inplace(s.f.data(), static_cast<size_t>(R) * F);
    W.ffn2.apply(s.f.data(), R, s.tmp.data());
    for (size_t i = 0; i < rd; ++i) X[i] = s.y[i] + s.tmp[i];
    W.ln2.apply(X, R, d, kBert4RecLnEps, X);
    rows = R;
  }
  // 输出头：LN_head(GELU(head(x)))。
  head_.apply(s.x.data(), rows, s.tmp.data());
  gelu_inplace(s.tmp.data(), static_cast<size_t>(rows) * d);
  ln_head_.apply(s.tmp.data(), rows, d, kBert4RecLnEps, out);
}

void Bert4RecModel::encode(int32_t /*user*/, const int32_t* clicks, size_t n_all, float* out) const {
  // 最近 max_len − 1 个点击 + [MASK]。
  const size_t n = std::min<size_t>(n_all, static_cast<size_t>(cfg_.max_len - 1));
  if (n_all == 0) {
    std::fill(out, out + cfg_.dim, 0.0f);
    return;
  }
  std::vector<int32_t> tok(clicks + (n_all - n), clicks + n_all);
  for (int32_t c : tok) SEQREC_CHECK(c >= 0 && c < cfg_.num_items, "click index out of range");
  tok.push_back(mask_token());
  forward(tok.data(), static_cast<int>(tok.size()), /*all_rows=*/false, out);
}

std::vector<float> Bert4RecModel::encode_tokens(const int32_t* tokens, size_t n) const {
  SEQREC_CHECK(n <= static_cast<size_t>(cfg_.max_len), "more tokens than max_len");
  std::vector<float> out(n * static_cast<size_t>(cfg_.dim));
  if (n > 0) forward(tokens, static_cast<int>(n), /*all_rows=*/true, out.data());
  return out;
}

}  // namespace seqrec
