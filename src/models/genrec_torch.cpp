// 生成式检索模型的训练模块实现（pre-LN 编码器–解码器，ReLU 前馈）。
#include "models/genrec_torch.h"

#include <cmath>
#include <limits>

#include "core/error.h"
#include "models/genrec_native.h"  // kGenRecLnEps

namespace seqrec {

namespace {

namespace F = torch::nn::functional;

torch::nn::LayerNorm make_ln(int d) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(kGenRecLnEps));
}

// 多头注意力：q [B,Tq,d]、k/v [B,Tk,d]；blocked 可广播到 [B,H,Tq,Tk]（true = 不可见）。
torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, int heads,
                        const torch::Tensor& blocked, double p, bool training, DropoutRng* gen) {
  const int64_t B = q.size(0), Tq = q.size(1), Tk = k.size(1), d = q.size(2), dh = d / heads;
  auto split = [&](const torch::Tensor& t, int64_t T) { return t.reshape({B, T, heads, dh}).transpose(1, 2); };
  auto s = torch::matmul(split(q, Tq), split(k, Tk).transpose(-2, -1)).mul_(1.0 / std::sqrt(double(dh)));
  s = s.masked_fill(blocked, -std::numeric_limits<float>::infinity());
  auto a = dropout_with(torch::softmax(s, -1), p, training, gen);
  return torch::matmul(a, split(v, Tk)).transpose(1, 2).reshape({B, Tq, d});
}

// 编码器块：x = x + Attn(LN1(x))；x = x + FFN(LN2(x))。
struct EncBlockImpl : torch::nn::Module {
  EncBlockImpl(int d, int heads_, int ffn, double p_) : heads(heads_), p(p_) {
    ln1 = register_module("ln1", make_ln(d));
    ln2 = register_module("ln2", make_ln(d));
    in_proj = register_module("in_proj", torch::nn::Linear(d, 3 * d));
    out_proj = register_module("out_proj", torch::nn::Linear(d, d));
    ffn1 = register_module("ffn1", torch::nn::Linear(d, ffn));
    ffn2 = register_module("ffn2", torch::nn::Linear(ffn, d));
  }
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& blocked, DropoutRng* gen) {
    auto drop = [&](const torch::Tensor& t) { return dropout_with(t, p, is_training(), gen); };
    auto qkv = in_proj(ln1(x)).chunk(3, -1);
    x = x + drop(out_proj(attention(qkv[0], qkv[1], qkv[2], heads, blocked, p, is_training(), gen)));
    return x + drop(ffn2(drop(torch::relu(ffn1(ln2(x))))));
  }
  int heads;
  double p;
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  torch::nn::Linear in_proj{nullptr}, out_proj{nullptr}, ffn1{nullptr}, ffn2{nullptr};
};
TORCH_MODULE(EncBlock);

// 解码器块：因果自注意力、对编码器输出的交叉注意力、前馈，各自 pre-LN 加残差。
struct DecBlockImpl : torch::nn::Module {
  DecBlockImpl(int d, int heads_, int ffn, double p_) : heads(heads_), p(p_) {
    ln1 = register_module("ln1", make_ln(d));
    ln2 = register_module("ln2", make_ln(d));
    ln3 = register_module("ln3", make_ln(d));
    self_in = register_module("self_in", torch::nn::Linear(d, 3 * d));
    self_out = register_module("self_out", torch::nn::Linear(d, d));
    cross_q = register_module("cross_q", torch::nn::Linear(d, d));
    cross_kv = register_module("cross_kv", torch::nn::Linear(d, 2 * d));
    cross_out = register_module("cross_out", torch::nn::Linear(d, d));
    ffn1 = register_module("ffn1", torch::nn::Linear(d, ffn));
    ffn2 = register_module("ffn2", torch::nn::Linear(ffn, d));
  }
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& memory, const torch::Tensor& causal,
                        const torch::Tensor& mem_blocked, DropoutRng* gen) {
    auto drop = [&](const torch::Tensor& t) { return dropout_with(t, p, is_training(), gen); };
    auto qkv = self_in(ln1(x)).chunk(3, -1);
    x = x + drop(self_out(attention(qkv[0], qkv[1], qkv[2], heads, causal, p, is_training(), gen)));
    auto kv = cross_kv(memory).chunk(2, -1);
    x = x + drop(cross_out(attention(cross_q(ln2(x)), kv[0], kv[1], heads, mem_blocked, p, is_training(), gen)));
    return x + drop(ffn2(drop(torch::relu(ffn1(ln3(x))))));
  }
  int heads;
  double p;
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr}, ln3{nullptr};
  torch::nn::Linear self_in{nullptr}, self_out{nullptr}, cross_q{nullptr}, cross_kv{nullptr}, cross_out{nullptr},
      ffn1{nullptr}, ffn2{nullptr};
};
TORCH_MODULE(DecBlock);

}  // namespace

GenRecNetImpl::GenRecNetImpl(const GenRecConfig& c, double dropout_, const SemanticIds* sids,
                             const ItemTokens* content)
    : cfg(c), dropout(dropout_) {
  cfg.validate();
  if (cfg.sid_input) {
    if (sids == nullptr || sids->num_items() != cfg.num_items || sids->codebook_sizes != cfg.codebook_sizes)
      throw Error("sid_input needs the semantic ids of every item, matching the model's codebooks");
    item_codes = torch::empty({cfg.num_items, cfg.levels()}, torch::kInt64);
    auto* p = item_codes.data_ptr<int64_t>();
    for (int32_t i = 0; i < cfg.num_items; ++i)
      for (int t = 0; t < cfg.levels(); ++t) *p++ = sids->code(i)[t];
  }
  if (cfg.content_pool) {
    if (content == nullptr || static_cast<int>(content->size()) != cfg.num_items)
      throw Error("content_pool needs the content tokens of every item");
    const int C = cfg.content_len;
    item_content = torch::full({cfg.num_items, C}, GenRecConfig::kPad, torch::kInt64);
    content_weight = torch::zeros({cfg.num_items, C}, torch::kFloat32);
    auto* tp = item_content.data_ptr<int64_t>();
    auto* wp = content_weight.data_ptr<float>();
    for (int32_t i = 0; i < cfg.num_items; ++i) {
      const auto& ct = (*content)[static_cast<size_t>(i)];
      const int n = std::min(C, static_cast<int>(ct.size()));
      for (int k = 0; k < n; ++k) {
        tp[static_cast<int64_t>(i) * C + k] = ct[static_cast<size_t>(k)];
        wp[static_cast<int64_t>(i) * C + k] = 1.0f / static_cast<float>(n);
      }
    }
  }
  const int d = cfg.dim;
  auto emb = [&](const char* name, int64_t rows) {
    auto e = register_module(name, torch::nn::Embedding(rows, d));
    torch::nn::init::normal_(e->weight, 0.0, 0.02);
    return e;
  };
  tok_emb = emb("tok_emb", cfg.vocab());
  pos_emb = emb("pos_emb", cfg.max_tokens());
  bos = emb("bos", 1);
  dec_pos = emb("dec_pos", cfg.levels());
  enc = register_module("enc", torch::nn::ModuleList());
  dec = register_module("dec", torch::nn::ModuleList());
  code_emb = register_module("code_emb", torch::nn::ModuleList());
  for (int l = 0; l < cfg.enc_layers; ++l) enc->push_back(EncBlock(d, cfg.heads, cfg.ffn_dim, dropout));
  for (int l = 0; l < cfg.dec_layers; ++l) dec->push_back(DecBlock(d, cfg.heads, cfg.ffn_dim, dropout));
  for (int t = 0; t < cfg.levels(); ++t) {
    torch::nn::Embedding e(cfg.codebook_sizes[static_cast<size_t>(t)], d);
    torch::nn::init::normal_(e->weight, 0.0, 0.02);
    code_emb->push_back(e);
  }
  enc_ln = register_module("enc_ln", make_ln(d));
  dec_ln = register_module("dec_ln", make_ln(d));
}

torch::Tensor GenRecNetImpl::encode(const torch::Tensor& tokens, DropoutRng* gen) {
  const int64_t T = tokens.size(1);
  SEQREC_CHECK(T <= cfg.max_tokens(), "encoder input longer than the position table");
  auto x = tok_emb(tokens);
  if (cfg.sid_input) {
    // 推荐任务的行（首记号为 REC）里，物品记号再加上该物品语义 ID 各层的码本嵌入；其余位置加 0。
    // sid_input_only 时任何行里的物品记号都不用自己的嵌入：推荐行只用码本嵌入之和，物品侧的行
    // （索引、BPR、对比）只剩内容平均（content_pool）与用户记号，不会学成一张"物品 → 自己 ID"的查表。
    const int64_t B = tokens.size(0), I = cfg.num_items;
    auto rel = tokens - cfg.item_offset();
    auto is_item = rel.ge(0).logical_and(rel.lt(I));
    auto mask = is_item.logical_and(tokens.select(1, 0).eq(GenRecConfig::kRec).unsqueeze(1));
    auto codes = item_codes.index_select(0, rel.clamp(0, I - 1).reshape({-1})).reshape({B, T, cfg.levels()});
    torch::Tensor add;
    for (int t = 0; t < cfg.levels(); ++t) {
      auto e = code_emb[static_cast<size_t>(t)]->as<torch::nn::Embedding>()->forward(codes.select(2, t));
      add = add.defined() ? add + e : e;
    }
    if (cfg.sid_input_only) x = x.masked_fill(is_item.unsqueeze(-1), 0.0);
    x = x + add * mask.unsqueeze(-1).to(torch::kFloat32);
  }
  if (cfg.content_pool) {
    // 每个物品记号（任何任务的行）加上该物品内容记号嵌入的平均值；非物品位置的权重乘 0。
    const int64_t B = tokens.size(0), I = cfg.num_items, C = cfg.content_len;
    auto rel = tokens - cfg.item_offset();
    auto is_item = rel.ge(0).logical_and(rel.lt(I)).to(torch::kFloat32);  // [B,T]
    auto idx = rel.clamp(0, I - 1).reshape({-1});
    auto ct = item_content.index_select(0, idx).reshape({B, T, C});
    auto w = content_weight.index_select(0, idx).reshape({B, T, C}) * is_item.unsqueeze(-1);
    x = x + (tok_emb(ct) * w.unsqueeze(-1)).sum(2);
  }
  if (cfg.pos_from_end) {
    // 每行的位置从它最后一个非 PAD 记号往前数（PAD 只在右侧；PAD 位置取 0，反正不可见）。
    auto len = tokens.ne(GenRecConfig::kPad).sum(1, true);                                    // [B,1]
    auto pos = (len - 1 - torch::arange(T, torch::kInt64).unsqueeze(0)).clamp_min(0);  // [B,T]
    x = x + pos_emb(pos);
  } else {
    x = x + pos_emb->weight.slice(0, 0, T).unsqueeze(0);
  }
  x = dropout_with(x, dropout, is_training(), gen);
  auto blocked = tokens.eq(GenRecConfig::kPad).unsqueeze(1).unsqueeze(1);  // [B,1,1,T]
  for (auto& m : *enc) x = m->as<EncBlock>()->forward(x, blocked, gen);
  return enc_ln(x);
}

std::vector<torch::Tensor> GenRecNetImpl::decode(const torch::Tensor& memory, const torch::Tensor& tokens,
                                                 const torch::Tensor& codes, DropoutRng* gen) {
  const int64_t B = codes.size(0), L = cfg.levels();
  // 解码器输入：BOS，然后第 0..L-2 层的目标记号（教师强制），加位置嵌入。
  std::vector<torch::Tensor> steps = {bos->weight.expand({B, cfg.dim})};
  for (int64_t t = 0; t + 1 < L; ++t)
    steps.push_back(code_emb[static_cast<size_t>(t)]->as<torch::nn::Embedding>()->forward(codes.select(1, t)));
  auto x = torch::stack(steps, 1) + dec_pos->weight.unsqueeze(0);
  x = dropout_with(x, dropout, is_training(), gen);
  auto causal = torch::ones({L, L}, torch::kBool).triu(1).unsqueeze(0).unsqueeze(0);
  auto mem_blocked = tokens.eq(GenRecConfig::kPad).unsqueeze(1).unsqueeze(1);
  for (auto& m : *dec) x = m->as<DecBlock>()->forward(x, memory, causal, mem_blocked, gen);
  x = dec_ln(x);
  std::vector<torch::Tensor> logits;
  for (int64_t t = 0; t < L; ++t)
    logits.push_back(torch::matmul(x.select(1, t),
                                   code_emb[static_cast<size_t>(t)]->as<torch::nn::Embedding>()->weight.t()));
  return logits;
}

torch::Tensor GenRecNetImpl::last_state(const torch::Tensor& memory, const torch::Tensor& tokens) {
  auto last = (tokens.ne(GenRecConfig::kPad).sum(1) - 1).clamp_min(0);  // [B]
  return memory.gather(1, last.view({-1, 1, 1}).expand({memory.size(0), 1, memory.size(2)})).squeeze(1);
}

torch::Tensor GenRecNetImpl::item_vectors(const torch::Tensor& id_scale) {
  const int64_t I = cfg.num_items;
  // 物品记号自己的嵌入（总是加，sid_input_only 时也加：见 genrec_config.h）、语义 ID 各层码本嵌入之和
  // （sid_input）、内容平均（content_pool）。
  torch::Tensor v = tok_emb->weight.slice(0, cfg.item_offset(), cfg.item_offset() + I);
  if (id_scale.defined()) v = v * id_scale;  // 逐行缩放物品记号部分（训练中的物品记号 dropout）
  if (cfg.sid_input)
    for (int t = 0; t < cfg.levels(); ++t)
      v = v + code_emb[static_cast<size_t>(t)]->as<torch::nn::Embedding>()->forward(item_codes.select(1, t));
  if (cfg.content_pool) {
    // 加权求和用 embedding_bag：不必先展开 [I, C, d] 的中间张量（空位的权重为 0）。
    namespace F = torch::nn::functional;
    v = v + F::embedding_bag(item_content, tok_emb->weight,
                             F::EmbeddingBagFuncOptions().mode(torch::kSum).per_sample_weights(content_weight));
  }
  return v;
}

TensorMap GenRecNetImpl::to_tensors() { return module_to_tensors(*this); }

void GenRecNetImpl::load_tensors(const TensorMap& t) { module_load_tensors(*this, t); }

}  // namespace seqrec
