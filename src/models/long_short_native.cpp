// 原生推理实现：小矩阵乘法交给 OpenBLAS 的 sgemm，其余为简单循环。
// 只计算需要的行：最后一层只为查询 token 计算查询向量、注意力和前馈。
#include "models/long_short_native.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/kernels.h"
#include "models/native_ops.h"

namespace seqrec {

namespace {

// Y[rows, out] = X[rows, in] · W[out, in]^T + b（自带 SIMD 内核，不走 BLAS：服务时多线程并发调用）
void linear(const float* x, int rows, int in, const std::vector<float>& w, const std::vector<float>& b, int out,
            float* y) {
  linear_rows(x, rows, in, w.data(), b.data(), out, y);
}

// 逐行 LayerNorm（eps 与 PyTorch 默认一致）。均值与方差用 SIMD 点积内核计算。
void layer_norm(const float* x, int rows, int d, const std::vector<float>& w, const std::vector<float>& b,
                float* y) {
  layer_norm_rows(x, rows, d, w.data(), b.data(), 1e-5f, y);
}

// 每个线程一份的临时缓冲，避免每次请求分配内存。
struct Scratch {
  std::vector<float> x, a, qkv, att, tmp, h;
};

}  // namespace

LongShortModel LongShortModel::from_tensors(const TensorMap& t, const ModelConfig& cfg) {
  cfg.validate();
  LongShortModel m;
  m.cfg_ = cfg;
  const int64_t d = cfg.dim, f = cfg.ffn_dim;
  m.item_emb_ = take_tensor(t, "item_emb", {cfg.num_items + 1, d});
  m.user_emb_ = take_tensor(t, "user_emb", {cfg.num_users + 1, d});
  m.pos_emb_ = take_tensor(t, "pos_emb", {cfg.max_len + 1, d});
  m.lnf_w_ = take_tensor(t, "ln_f.weight", {d});
  m.lnf_b_ = take_tensor(t, "ln_f.bias", {d});
  for (int l = 0; l < cfg.layers; ++l) {
    const std::string p = "layers." + std::to_string(l) + ".";
    Layer L;
    L.ln1_w = take_tensor(t, p + "ln1.weight", {d});
    L.ln1_b = take_tensor(t, p + "ln1.bias", {d});
    L.in_w = take_tensor(t, p + "in_proj.weight", {3 * d, d});
    L.in_b = take_tensor(t, p + "in_proj.bias", {3 * d});
    L.out_w = take_tensor(t, p + "out_proj.weight", {d, d});
    L.out_b = take_tensor(t, p + "out_proj.bias", {d});
    L.ln2_w = take_tensor(t, p + "ln2.weight", {d});
    L.ln2_b = take_tensor(t, p + "ln2.bias", {d});
    L.f1_w = take_tensor(t, p + "ffn1.weight", {f, d});
    L.f1_b = take_tensor(t, p + "ffn1.bias", {f});
    L.f2_w = take_tensor(t, p + "ffn2.weight", {d, f});
    L.f2_b = take_tensor(t, p + "ffn2.bias", {d});
    m.layers_.push_back(std::move(L));
  }
  return m;
}

Matrix LongShortModel::item_embeddings() const { return embedding_rows(item_emb_, cfg_.num_items, cfg_.dim); }

void LongShortModel::encode(int32_t user, const int32_t* clicks, size_t n_all, float* out) const {
  const auto lease = scratch_.acquire<Scratch>();  // 本次调用的临时缓冲
  Scratch& s = *lease;
  const int d = cfg_.dim, H = cfg_.heads, dh = d / H, F = cfg_.ffn_dim, L = cfg_.max_len;
  const int n = static_cast<int>(std::min<size_t>(n_all, static_cast<size_t>(L)));
  const int32_t* c = clicks + (n_all - static_cast<size_t>(n));  // 只用最近 max_len 个点击
  int T = n + 1;                                                  // 点击 + 查询 token
  s.x.resize(static_cast<size_t>(T * d));
  s.a.resize(static_cast<size_t>(T * d));
  s.qkv.resize(static_cast<size_t>(T * 3 * d));
  s.att.resize(static_cast<size_t>(T * d));
  s.tmp.resize(static_cast<size_t>(T * std::max(d, F)));
  s.h.resize(static_cast<size_t>(T));

  // 输入：物品嵌入 + 右对齐的位置嵌入；查询 token 只有位置嵌入 pos_emb[max_len]。
  for (int t = 0; t < n; ++t) {
    const int32_t item = c[t];
    SEQREC_CHECK(item >= 0 && item < cfg_.num_items, "click index out of range");
    const float* e = &item_emb_[static_cast<size_t>(item) * d];
    const float* p = &pos_emb_[static_cast<size_t>(L - n + t) * d];
    for (int i = 0; i < d; ++i) s.x[static_cast<size_t>(t * d + i)] = e[i] + p[i];
  }
  std::copy_n(&pos_emb_[static_cast<size_t>(L) * d], d, &s.x[static_cast<size_t>(n * d)]);

  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& W = layers_[l];
    const bool last = l + 1 == layers_.size();
    const int q0 = last ? T - 1 : 0;  // 最后一层只需要查询 token 这一行
    const int R = T - q0;
    // 注意力子层：x = x + out_proj(Attn(LN1(x)))
    layer_norm(s.x.data(), T, d, W.ln1_w, W.ln1_b, s.a.data());
    if (last) {
      // 最后一层：K、V 需要所有 token，Q 只需要查询 token（in_proj 的前 d 行是 Q）。
      for (int t = 0; t < T; ++t)
        linear_rows(&s.a[static_cast<size_t>(t * d)], 1, d, W.in_w.data() + static_cast<size_t>(d) * d,
                    W.in_b.data() + d, 2 * d, &s.qkv[static_cast<size_t>(t * 3 * d + d)]);
      linear_rows(&s.a[static_cast<size_t>((T - 1) * d)], 1, d, W.in_w.data(), W.in_b.data(), d,
                  &s.qkv[static_cast<size_t>((T - 1) * 3 * d)]);
    } else {
      linear(s.a.data(), T, d, W.in_w, W.in_b, 3 * d, s.qkv.data());
    }
    for (int r = 0; r < R; ++r) {
      const int i = q0 + r;
      for (int h = 0; h < H; ++h) {
        const float* q = &s.qkv[static_cast<size_t>(i * 3 * d + h * dh)];
        float mx = -INFINITY;
        for (int j = 0; j < T; ++j) {
          const float* k = &s.qkv[static_cast<size_t>(j * 3 * d + d + h * dh)];
          s.h[static_cast<size_t>(j)] = dot(q, k, dh) * scale;
          mx = std::max(mx, s.h[static_cast<size_t>(j)]);
        }
        float sum = 0;
        for (int j = 0; j < T; ++j) sum += (s.h[static_cast<size_t>(j)] = std::exp(s.h[static_cast<size_t>(j)] - mx));
        float* o = &s.att[static_cast<size_t>(r * d + h * dh)];
        std::fill(o, o + dh, 0.0f);
        for (int j = 0; j < T; ++j) {
          const float p = s.h[static_cast<size_t>(j)] / sum;
          const float* v = &s.qkv[static_cast<size_t>(j * 3 * d + 2 * d + h * dh)];
          for (int e = 0; e < dh; ++e) o[e] += p * v[e];
        }
      }
    }
    linear(s.att.data(), R, d, W.out_w, W.out_b, d, s.tmp.data());
    if (last) {  // 之后只保留查询 token 一行
      std::copy_n(&s.x[static_cast<size_t>(q0 * d)], d, s.x.data());
      T = 1;
    }
    for (int i = 0; i < T * d; ++i) s.x[static_cast<size_t>(i)] += s.tmp[static_cast<size_t>(i)];
    // 前馈子层：x = x + W2·GELU(W1·LN2(x))
    layer_norm(s.x.data(), T, d, W.ln2_w, W.ln2_b, s.a.data());
    s.qkv.resize(static_cast<size_t>(T * std::max(3 * d, F)));
    linear(s.a.data(), T, d, W.f1_w, W.f1_b, F, s.qkv.data());
    gelu_inplace(s.qkv.data(), static_cast<size_t>(T * F));
    linear(s.qkv.data(), T, F, W.f2_w, W.f2_b, d, s.tmp.data());
    for (int i = 0; i < T * d; ++i) s.x[static_cast<size_t>(i)] += s.tmp[static_cast<size_t>(i)];
  }
  // 短期兴趣 = LN_f(查询 token)，再加上长期兴趣（用户嵌入；未知用户用第 0 行）。
  layer_norm(s.x.data() + static_cast<size_t>((T - 1) * d), 1, d, lnf_w_, lnf_b_, out);
  const int32_t urow = (user >= 0 && user < cfg_.num_users) ? user + 1 : 0;
  const float* ue = &user_emb_[static_cast<size_t>(urow) * d];
  for (int i = 0; i < d; ++i) out[i] += ue[i];
}

}  // namespace seqrec
