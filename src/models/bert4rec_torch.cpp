// BERT4Rec 训练模块的实现（与 bert4rec_native.cpp 一一对应）。
#include "models/bert4rec_torch.h"

#include "core/error.h"
#include "models/bert4rec_native.h"  // kBert4RecLnEps
#include "models/torch_util.h"

namespace seqrec {

namespace {

namespace F = torch::nn::functional;

// 一个 post-LN 的 Transformer 块（BERT）：x = LN1(x + Attn(x))；x = LN2(x + FFN(x))，FFN 用 GELU。
struct BertBlockImpl : torch::nn::Module {
  BertBlockImpl(int d, int heads_, int ffn, double dropout_) : heads(heads_), dropout(dropout_) {
    auto ln = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(kBert4RecLnEps)); };
    ln1 = register_module("ln1", ln());
    ln2 = register_module("ln2", ln());
    in_proj = register_module("in_proj", torch::nn::Linear(d, 3 * d));
    out_proj = register_module("out_proj", torch::nn::Linear(d, d));
    ffn1 = register_module("ffn1", torch::nn::Linear(d, ffn));
    ffn2 = register_module("ffn2", torch::nn::Linear(ffn, d));
  }

  // x: [B,T,d]；blocked: [B,1,T,T]（true = 不可见）。
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& blocked, DropoutRng* gen) {
    auto drop = [&](const torch::Tensor& t) { return dropout_with(t, dropout, is_training(), gen); };
    auto qkv = in_proj(x).chunk(3, -1);
    auto att = multi_head_attention(qkv[0], qkv[1], qkv[2], heads, blocked, dropout, is_training(), gen);
    auto y = ln1(x + drop(out_proj(att)));
    return ln2(y + drop(ffn2(drop(torch::gelu(ffn1(y))))));
  }

  int heads;
  double dropout;
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  torch::nn::Linear in_proj{nullptr}, out_proj{nullptr}, ffn1{nullptr}, ffn2{nullptr};
};
TORCH_MODULE(BertBlock);

// BERT4Rec：LN(物品嵌入 + 位置嵌入) → 双向块 → 输出头 LN(GELU(Linear(x)))，与共享的物品嵌入做内积。
struct Bert4RecNetImpl : SeqNetImpl {
  Bert4RecNetImpl(const ModelConfig& c, double dropout_) : SeqNetImpl(c, dropout_) {
    const int d = cfg.dim;
    // 第 num_items 行为填充，第 num_items + 1 行为 [MASK]。
    item_emb = register_module(
        "item_emb", torch::nn::Embedding(torch::nn::EmbeddingOptions(cfg.num_items + 2, d).padding_idx(cfg.num_items)));
    pos_emb = register_module("pos_emb", torch::nn::Embedding(cfg.max_len, d));
    auto ln = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(kBert4RecLnEps)); };
    ln_emb = register_module("ln_emb", ln());
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (int l = 0; l < cfg.layers; ++l) blocks->push_back(BertBlock(d, cfg.heads, cfg.ffn_dim, dropout));
    head = register_module("head", torch::nn::Linear(d, d));
    ln_head = register_module("ln_head", ln());
    // 初始化（BERT）：矩阵与嵌入 N(0, 0.02)，偏置 0，LayerNorm 增益 1；填充行为 0。
    torch::NoGradGuard ng;
    for (auto& p : named_parameters()) {
      const std::string& k = p.key();
      if (k.find("ln") != std::string::npos) continue;  // LayerNorm 保持 (1, 0)
      if (p.value().dim() > 1) p.value().normal_(0.0, 0.02);
      else p.value().zero_();
    }
    item_emb->weight[cfg.num_items].zero_();
  }

  torch::Tensor forward(const torch::Tensor& seq, DropoutRng* gen) override {
    const int64_t T = seq.size(1), L = cfg.max_len;
    SEQREC_CHECK(T >= 1 && T <= L, "sequence tensor must be [B, T] with 1 <= T <= max_len");
    auto pad = seq.eq(cfg.num_items);  // [B,T]
    // 右对齐的位置（与原生推理一致：最后一列的位置恒为 max_len − 1）。
    auto x = ln_emb(item_emb(seq) + pos_emb->weight.slice(0, L - T, L).unsqueeze(0));
    x = dropout_with(x, dropout, is_training(), gen);
    // 双向：只屏蔽填充的键；填充行只看自己（每行至少一个可见位置）。
    auto eye = torch::eye(T, torch::kBool);
    auto blocked = (pad.unsqueeze(1) & eye.logical_not().unsqueeze(0)).unsqueeze(1);
    for (size_t l = 0; l < blocks->size(); ++l) x = blocks[l]->as<BertBlockImpl>()->forward(x, blocked, gen);
    return ln_head(torch::gelu(head(x)));
  }
  bool left_padded() const override { return true; }
  int64_t mask_token() const override { return cfg.num_items + 1; }

  torch::nn::Embedding pos_emb{nullptr};
  torch::nn::LayerNorm ln_emb{nullptr}, ln_head{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::Linear head{nullptr};
};

}  // namespace

std::shared_ptr<SeqNetImpl> make_bert4rec_net(const ModelConfig& cfg, double dropout) {
  cfg.validate();
  return std::make_shared<Bert4RecNetImpl>(cfg, dropout);
}

}  // namespace seqrec
