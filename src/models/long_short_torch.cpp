// LibTorch 训练模块实现。
#include "models/long_short_torch.h"

#include <cmath>

#include "core/error.h"

namespace seqrec {

BlockImpl::BlockImpl(int dim, int heads_, int ffn_dim, double dropout_) : heads(heads_), dropout(dropout_) {
  ln1 = register_module("ln1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  in_proj = register_module("in_proj", torch::nn::Linear(dim, 3 * dim));
  out_proj = register_module("out_proj", torch::nn::Linear(dim, dim));
  ln2 = register_module("ln2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  ffn1 = register_module("ffn1", torch::nn::Linear(dim, ffn_dim));
  ffn2 = register_module("ffn2", torch::nn::Linear(ffn_dim, dim));
}

torch::Tensor BlockImpl::forward(torch::Tensor x, const torch::Tensor& key_pad, bool last_only, DropoutRng* gen) {
  auto drop = [&](const torch::Tensor& t) { return dropout_with(t, dropout, is_training(), gen); };
  const int64_t B = x.size(0), T = x.size(1), d = x.size(2), dh = d / heads;
  auto a = ln1(x);
  torch::Tensor q, k, v;
  if (last_only) {
    // 最后一层只需要查询 token 的 Q：按行切分 in_proj 的权重，省去其余 token 的 Q 投影。
    const auto& W = in_proj->weight;
    const auto& b = in_proj->bias;
    q = torch::nn::functional::linear(a.slice(1, T - 1, T), W.slice(0, 0, d), b.slice(0, 0, d));
    auto kv = torch::nn::functional::linear(a, W.slice(0, d, 3 * d), b.slice(0, d, 3 * d)).chunk(2, -1);
    k = kv[0];
    v = kv[1];
  } else {
    auto qkv = in_proj(a).chunk(3, -1);
    q = qkv[0], k = qkv[1], v = qkv[2];
  }
  const int64_t Tq = q.size(1);
  auto split = [&](const torch::Tensor& t, int64_t len) { return t.view({B, len, heads, dh}).transpose(1, 2); };
  auto scores = torch::matmul(split(q, Tq), split(k, T).transpose(-2, -1)) / std::sqrt(double(dh));
  scores = scores.masked_fill(key_pad.view({B, 1, 1, T}), -std::numeric_limits<float>::infinity());
  auto att = torch::matmul(drop(torch::softmax(scores, -1)), split(v, T));  // [B,H,Tq,dh]
  att = att.transpose(1, 2).reshape({B, Tq, d});
  if (last_only) x = x.slice(1, T - 1, T);
  x = x + drop(out_proj(att));
  x = x + drop(ffn2(drop(torch::gelu(ffn1(ln2(x))))));
  return x;
}

LongShortTransformerImpl::LongShortTransformerImpl(const ModelConfig& c, double dropout_) : cfg(c), dropout(dropout_) {
  cfg.validate();
  item_emb = register_module(
      "item_emb", torch::nn::Embedding(torch::nn::EmbeddingOptions(cfg.num_items + 1, cfg.dim).padding_idx(cfg.num_items)));
  user_emb = register_module("user_emb", torch::nn::Embedding(cfg.num_users + 1, cfg.dim));
  pos_emb = register_module("pos_emb", torch::nn::Embedding(cfg.max_len + 1, cfg.dim));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int l = 0; l < cfg.layers; ++l) layers->push_back(Block(cfg.dim, cfg.heads, cfg.ffn_dim, dropout));
  ln_f = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({cfg.dim})));
  // 初始化：小方差正态分布（默认 N(0,1) 对内积打分过大）；填充行为 0。
  torch::NoGradGuard ng;
  for (auto* e : {&item_emb, &user_emb, &pos_emb}) (*e)->weight.normal_(0.0, 0.05);
  item_emb->weight[cfg.num_items].zero_();
}

torch::Tensor LongShortTransformerImpl::forward(const torch::Tensor& user_rows, const torch::Tensor& seq,
                                               DropoutRng* gen) {
  const int64_t B = seq.size(0), L = cfg.max_len;
  SEQREC_CHECK(seq.size(1) == L, "sequence tensor must be [B, max_len]");
  // 点击 token：物品嵌入 + 位置 0..L-1；查询 token：位置 L 的嵌入。
  auto x = item_emb(seq) + pos_emb->weight.slice(0, 0, L).unsqueeze(0);
  auto q = pos_emb->weight.slice(0, L, L + 1).unsqueeze(0).expand({B, 1, cfg.dim});
  x = dropout_with(torch::cat({x, q}, 1), dropout, is_training(), gen);
  auto key_pad = torch::cat({seq.eq(cfg.num_items), torch::zeros({B, 1}, torch::kBool)}, 1);
  for (size_t l = 0; l < layers->size(); ++l)
    x = layers[l]->as<BlockImpl>()->forward(x, key_pad, l + 1 == layers->size(), gen);
  return ln_f(x.select(1, x.size(1) - 1)) + user_emb(user_rows);
}

TensorMap LongShortTransformerImpl::to_tensors() { return module_to_tensors(*this); }

void LongShortTransformerImpl::load_tensors(const TensorMap& t) { module_load_tensors(*this, t); }

}  // namespace seqrec
