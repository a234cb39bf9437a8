// GRU4Rec 原生推理实现：每层先对全部时间步一次算出输入变换 W_ih·x，再逐步递推。
#include "models/gru4rec_native.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/kernels.h"

namespace seqrec {

namespace {

// 一次调用的临时缓冲（从模型的 ScratchPool 借出）。
struct Scratch {
  std::vector<float> x, gi, gh, h;
};

inline float sigmoid(float v) { return 1.0f / (1.0f + std::exp(-v)); }

}  // namespace

Gru4RecModel Gru4RecModel::from_tensors(const TensorMap& t, const ModelConfig& cfg) {
  cfg.validate();
  SEQREC_CHECK(cfg.type == "gru4rec", "model type is not gru4rec");
  Gru4RecModel m;
  m.cfg_ = cfg;
  const int64_t d = cfg.dim, H = cfg.gru_hidden();
  m.item_emb_ = take_tensor(t, "item_emb", {cfg.num_items + 1, d});
  for (int l = 0; l < cfg.layers; ++l) {
    const std::string k = std::to_string(l);
    const int64_t in = l == 0 ? d : H;
    Layer L;
    L.ih.w = take_tensor(t, "gru.weight_ih_l" + k, {3 * H, in});
    L.ih.b = take_tensor(t, "gru.bias_ih_l" + k, {3 * H});
    L.ih.in = static_cast<int>(in);
    L.ih.out = static_cast<int>(3 * H);
    L.hh.w = take_tensor(t, "gru.weight_hh_l" + k, {3 * H, H});
    L.hh.b = take_tensor(t, "gru.bias_hh_l" + k, {3 * H});
    L.hh.in = static_cast<int>(H);
    L.hh.out = static_cast<int>(3 * H);
    L.ih.transpose();  // 全部时间步一次算：成块的 gemm；hh 每步只有一行，逐行的 matvec 即可
    m.layers_.push_back(std::move(L));
  }
  if (H != d) m.proj_ = take_linear(t, "proj", H, d);
  return m;
}

Matrix Gru4RecModel::item_embeddings() const { return embedding_rows(item_emb_, cfg_.num_items, cfg_.dim); }

void Gru4RecModel::forward(const int32_t* c, int T, bool all_rows, float* out) const {
  const auto lease = scratch_.acquire<Scratch>();  // 本次调用的临时缓冲
  Scratch& s = *lease;
  const int d = cfg_.dim, H = cfg_.gru_hidden();
  // 第 0 层的输入：物品嵌入 [T, d]。
  s.x.resize(static_cast<size_t>(T) * std::max(d, H));
  for (int t = 0; t < T; ++t) {
    SEQREC_CHECK(c[t] >= 0 && c[t] < cfg_.num_items, "click index out of range");
    std::copy_n(&item_emb_[static_cast<size_t>(c[t]) * d], d, &s.x[static_cast<size_t>(t) * d]);
  }
  s.gi.resize(static_cast<size_t>(T) * 3 * H);
  s.gh.resize(static_cast<size_t>(3) * H);
  s.h.resize(static_cast<size_t>(H));
  for (const Layer& W : layers_) {
    W.ih.apply(s.x.data(), T, s.gi.data());  // 全部时间步的 W_ih·x + b_ih
    std::fill(s.h.begin(), s.h.end(), 0.0f);
    for (int t = 0; t < T; ++t) {
      W.hh.apply(s.h.data(), 1, s.gh.data());
      const float* gi = &s.gi[static_cast<size_t>(t) * 3 * H];
      float* xo = &s.x[static_cast<size_t>(t) * H];  // 本层输出覆盖为下一层输入
      for (int j = 0; j < H; ++j) {
        const float r = sigmoid(gi[j] + s.gh[static_cast<size_t>(j)]);
        const float z = sigmoid(gi[H + j] + s.gh[static_cast<size_t>(H + j)]);
        const float nn = std::tanh(gi[2 * H + j] + r * s.gh[static_cast<size_t>(2 * H + j)]);
        s.h[static_cast<size_t>(j)] = (1.0f - z) * nn + z * s.h[static_cast<size_t>(j)];
      }
      std::copy(s.h.begin(), s.h.end(), xo);
    }
  }
  // 输出：全部位置或最后一个位置，必要时投影回 d 维。
  const int r0 = all_rows ? 0 : T - 1, R = T - r0;
  const float* src = &s.x[static_cast<size_t>(r0) * H];
  if (proj_.out > 0) proj_.apply(src, R, out);
  else std::copy_n(src, static_cast<size_t>(R) * d, out);
}

void Gru4RecModel::encode(int32_t /*user*/, const int32_t* clicks, size_t n_all, float* out) const {
  const int n = static_cast<int>(std::min<size_t>(n_all, static_cast<size_t>(cfg_.max_len)));
  if (n == 0) {
    std::fill(out, out + cfg_.dim, 0.0f);
    return;
  }
  forward(clicks + (n_all - static_cast<size_t>(n)), n, false, out);
}

std::vector<float> Gru4RecModel::encode_all(const int32_t* clicks, size_t n_all) const {
  const int n = static_cast<int>(std::min<size_t>(n_all, static_cast<size_t>(cfg_.max_len)));
  std::vector<float> out(static_cast<size_t>(n) * cfg_.dim);
  if (n > 0) forward(clicks + (n_all - static_cast<size_t>(n)), n, true, out.data());
  return out;
}

}  // namespace seqrec
