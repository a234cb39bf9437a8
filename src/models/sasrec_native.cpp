// SASRec 原生推理实现：小矩阵乘法用自带的 SIMD 线性层内核，注意力为简单循环（只看 j <= i）。
#include "models/sasrec_native.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/kernels.h"

namespace seqrec {

namespace {

// 每个线程一份的临时缓冲，避免每次请求分配内存。
struct Scratch {
  std::vector<float> x, a, kv, q, att, tmp, y, f, kt, s;
};

}  // namespace

SasRecModel SasRecModel::from_tensors(const TensorMap& t, const ModelConfig& cfg) {
  cfg.validate();
  SEQREC_CHECK(cfg.type == "sasrec" || cfg.type == "gsasrec", "model type is not sasrec");
  SasRecModel m;
  m.cfg_ = cfg;
  const int64_t d = cfg.dim, f = cfg.ffn_dim;
  m.item_emb_ = take_tensor(t, "item_emb", {cfg.num_items + 1, d});
  m.pos_emb_ = take_tensor(t, "pos_emb", {cfg.max_len, d});
  if (cfg.type == "gsasrec") m.out_emb_ = take_tensor(t, "out_emb", {cfg.num_items, d});
  m.ln_f_ = take_norm(t, "ln_f", d);
  for (int l = 0; l < cfg.layers; ++l) {
    m.blocks_.push_back(take_block(t, "blocks." + std::to_string(l) + ".", d, f));
  }
  return m;
}

Matrix SasRecModel::item_embeddings() const {
  return embedding_rows(out_emb_.empty() ? item_emb_ : out_emb_, cfg_.num_items, cfg_.dim);
}

void SasRecModel::forward(const int32_t* c, int n, bool all_rows, float* out) const {
  const auto lease = scratch_.acquire<Scratch>();  // 本次调用的临时缓冲
  Scratch& s = *lease;
  const int d = cfg_.dim, H = cfg_.heads, dh = d / H, F = cfg_.ffn_dim, L = cfg_.max_len;
  const std::string& norm = cfg_.norm;
  int T = n;
  const size_t td = static_cast<size_t>(T) * d;
  s.x.resize(td);
  s.a.resize(td);
  s.kv.resize(2 * td);
  s.q.resize(td);
  s.att.resize(td);
  s.tmp.resize(td);
  s.y.resize(td);
  s.f.resize(static_cast<size_t>(T) * F);

  // 输入：物品嵌入 × sqrt(d) + 右对齐的位置嵌入。
  const float emb_scale = std::sqrt(static_cast<float>(d));
  for (int t = 0; t < T; ++t) {
    const int32_t item = c[t];
    SEQREC_CHECK(item >= 0 && item < cfg_.num_items, "click index out of range");
    const float* e = &item_emb_[static_cast<size_t>(item) * d];
    const float* p = &pos_emb_[static_cast<size_t>(L - T + t) * d];
    float* x = &s.x[static_cast<size_t>(t) * d];
    for (int i = 0; i < d; ++i) x[i] = e[i] * emb_scale + p[i];
  }
  if (norm == "post") ln_f_.apply(s.x.data(), T, d, kSasRecLnEps, s.x.data());

  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  for (size_t l = 0; l < blocks_.size(); ++l) {
    const BlockWeights& W = blocks_[l];
    const bool last = !all_rows && l + 1 == blocks_.size();
    const int q0 = last ? T - 1 : 0;  // 最后一块只需要最后一行的查询
    const int R = T - q0;
    float* X = s.x.data();
    // 注意力的输入：paper 的 K、V 取 x，Q 取 LN1(x)；pre 的 Q、K、V 都取 LN1(x)；post 都取 x。
    const float* kv_in = X;
    const float* q_in = X + static_cast<size_t>(q0) * d;
    if (norm == "pre") {
      W.ln1.apply(X, T, d, kSasRecLnEps, s.a.data());
      kv_in = s.a.data();
      q_in = s.a.data() + static_cast<size_t>(q0) * d;
    } else if (norm == "paper") {
      W.ln1.apply(X + static_cast<size_t>(q0) * d, R, d, kSasRecLnEps, s.a.data());
      q_in = s.a.data();
    }
    // K、V：in_proj 的第 d..3d 行；Q：前 d 行，只算需要的行。
    // wt [d, 3d]：前 d 列是 Q，后 2d 列是 K、V。
    linear_rows_t(kv_in, T, d, W.in_proj.wt.data() + d, 3 * d, W.in_proj.b.data() + d, 2 * d, s.kv.data());
    linear_rows_t(q_in, R, d, W.in_proj.wt.data(), 3 * d, W.in_proj.b.data(), d, s.q.data());
    // 因果注意力（第 i 行只看 j <= i），每个头两次成块的矩阵乘法：S = Q_h·K_hᵀ，O_h = softmax(S)·V_h。
    // K_h 先转置成 [dh, T]；S 的 j > i 部分置 0，第二次乘法就只累加 j <= i（与逐行循环的结果只差舍入）。
    s.kt.resize(static_cast<size_t>(dh) * T);
    s.s.resize(static_cast<size_t>(R) * T);
    for (int h = 0; h < H; ++h) {
      for (int j = 0; j < T; ++j) {
        const float* k = &s.kv[static_cast<size_t>(j) * 2 * d + h * dh];
        for (int e = 0; e < dh; ++e) s.kt[static_cast<size_t>(e) * T + j] = k[e];
      }
      gemm_nn(s.q.data() + h * dh, d, s.kt.data(), T, s.s.data(), T, R, T, dh);
      for (int r = 0; r < R; ++r) {
        const int i = q0 + r;
        float* p = &s.s[static_cast<size_t>(r) * T];
        float mx = -INFINITY;
        for (int j = 0; j <= i; ++j) mx = std::max(mx, p[j] *= scale);
        float sum = 0;
        for (int j = 0; j <= i; ++j) sum += (p[j] = std::exp(p[j] - mx));
        const float inv = 1.0f / sum;
        for (int j = 0; j <= i; ++j) p[j] *= inv;
        std::fill(p + i + 1, p + T, 0.0f);
      }
      gemm_nn(s.s.data(), T, s.kv.data() + d + h * dh, 2 * d, s.att.data() + h * dh, d, R, dh, T);
    }
    W.out_proj.apply(s.att.data(), R, s.tmp.data());
    // 残差：paper 接在 LN1(x) 上，pre / post 接在 x 上；post 之后再 LN1。
    const float* res = norm == "paper" ? s.a.data() : X + static_cast<size_t>(q0) * d;
    const size_t rd = static_cast<size_t>(R) * d;
    for (size_t i = 0; i < rd; ++i) s.y[i] = res[i] + s.tmp[i];
    if (norm == "post") W.ln1.apply(s.y.data(), R, d, kSasRecLnEps, s.y.data());
    // 前馈子层：FFN(z) = ffn2(ReLU(ffn1(z)))。
    const float* z = s.y.data();
    if (norm != "post") {
      W.ln2.apply(s.y.data(), R, d, kSasRecLnEps, s.a.data());
      z = s.a.data();
    }
    W.ffn1.apply(z, R, s.f.data());
    for (size_t i = 0; i < static_cast<size_t>(R) * F; ++i) s.f[i] = std::max(s.f[i], 0.0f);
    W.ffn2.apply(s.f.data(), R, s.tmp.data());
    // paper：x = LN2(y) + FFN；pre：x = y + FFN；post：x = LN2(y + FFN)。
    const float* base = norm == "paper" ? s.a.data() : s.y.data();
    for (size_t i = 0; i < rd; ++i) X[i] = base[i] + s.tmp[i];
    if (norm == "post") W.ln2.apply(X, R, d, kSasRecLnEps, X);
    T = R;
  }
  if (norm == "post") std::copy_n(s.x.data(), static_cast<size_t>(T) * d, out);
  else ln_f_.apply(s.x.data(), T, d, kSasRecLnEps, out);
}

void SasRecModel::encode(int32_t /*user*/, const int32_t* clicks, size_t n_all, float* out) const {
  const int n = static_cast<int>(std::min<size_t>(n_all, static_cast<size_t>(cfg_.max_len)));
  if (n == 0) {
    std::fill(out, out + cfg_.dim, 0.0f);
    return;
  }
  forward(clicks + (n_all - static_cast<size_t>(n)), n, /*all_rows=*/false, out);
}

std::vector<float> SasRecModel::encode_all(const int32_t* clicks, size_t n_all) const {
  const int n = static_cast<int>(std::min<size_t>(n_all, static_cast<size_t>(cfg_.max_len)));
  std::vector<float> out(static_cast<size_t>(n) * cfg_.dim);
  if (n > 0) forward(clicks + (n_all - static_cast<size_t>(n)), n, /*all_rows=*/true, out.data());
  return out;
}

}  // namespace seqrec
