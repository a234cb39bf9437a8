// SASRec / GRU4Rec 训练模块的实现。
#include "models/seq_torch.h"

#include <cmath>

#include "core/error.h"
#include "models/bert4rec_torch.h"
#include "models/torch_util.h"
#include "models/sasrec_native.h"     // kSasRecLnEps

namespace seqrec {

namespace {

namespace F = torch::nn::functional;

// SASRec 的一个块：因果多头自注意力 + 逐位置前馈，LayerNorm 位置由 norm 决定（见 sasrec_native.h）。
struct SasBlockImpl : torch::nn::Module {
  SasBlockImpl(int d, int heads_, int ffn, double dropout_, std::string norm_)
      : heads(heads_), dropout(dropout_), norm(std::move(norm_)) {
    auto ln = [&] { return torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(kSasRecLnEps)); };
    ln1 = register_module("ln1", ln());
    ln2 = register_module("ln2", ln());
    in_proj = register_module("in_proj", torch::nn::Linear(d, 3 * d));
    out_proj = register_module("out_proj", torch::nn::Linear(d, d));
    ffn1 = register_module("ffn1", torch::nn::Linear(d, ffn));
    ffn2 = register_module("ffn2", torch::nn::Linear(ffn, d));
  }

  // x: [B,T,d]；blocked: [B,1,T,T]（true = 不可见）。
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& blocked, DropoutRng* gen) {
    auto drop = [&](const torch::Tensor& t) { return dropout_with(t, dropout, is_training(), gen); };
    const int64_t d = x.size(2);
    const auto& W = in_proj->weight;
    const auto& b = in_proj->bias;
    torch::Tensor q_in, kv_in;
    if (norm == "pre") {
      q_in = kv_in = ln1(x);
    } else if (norm == "paper") {
      q_in = ln1(x);
      kv_in = x;
    } else {
      q_in = kv_in = x;
    }
    auto q = F::linear(q_in, W.slice(0, 0, d), b.slice(0, 0, d));
    auto kv = F::linear(kv_in, W.slice(0, d, 3 * d), b.slice(0, d, 3 * d)).chunk(2, -1);
    auto att = out_proj(multi_head_attention(q, kv[0], kv[1], heads, blocked, dropout, is_training(), gen));
    // 残差与前馈（三种 LayerNorm 放法）。
    auto ffn = [&](const torch::Tensor& z) { return drop(ffn2(drop(torch::relu(ffn1(z))))); };
    if (norm == "paper") {
      auto y = ln2(q_in + att);
      return y + ffn(y);
    }
    if (norm == "pre") {
      auto y = x + att;
      return y + ffn(ln2(y));
    }
    auto y = ln1(x + att);
    return ln2(y + ffn(y));
  }

  int heads;
  double dropout;
  std::string norm;
  torch::nn::LayerNorm ln1{nullptr}, ln2{nullptr};
  torch::nn::Linear in_proj{nullptr}, out_proj{nullptr}, ffn1{nullptr}, ffn2{nullptr};
};
TORCH_MODULE(SasBlock);

// SASRec：物品嵌入 × sqrt(d) + 位置嵌入 → 因果注意力块 → （paper/pre）最终 LayerNorm。
struct SasRecNetImpl : SeqNetImpl {
  SasRecNetImpl(const ModelConfig& c, double dropout_) : SeqNetImpl(c, dropout_) {
    const int d = cfg.dim;
    item_emb = register_module(
        "item_emb", torch::nn::Embedding(torch::nn::EmbeddingOptions(cfg.num_items + 1, d).padding_idx(cfg.num_items)));
    pos_emb = register_module("pos_emb", torch::nn::Embedding(cfg.max_len, d));
    blocks = register_module("blocks", torch::nn::ModuleList());
    for (int l = 0; l < cfg.layers; ++l) blocks->push_back(SasBlock(d, cfg.heads, cfg.ffn_dim, dropout, cfg.norm));
    ln_f = register_module("ln_f", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(kSasRecLnEps)));
    // gSASRec：打分用单独的输出嵌入 out_emb [I, d]（作者实现的默认 reuse_item_embeddings=False）：
    // 许多负样本的 BCE 把全部负例往同一方向推，输出表不必同时充当输入表示。
    if (cfg.type == "gsasrec") out_emb = register_parameter("out_emb", torch::empty({cfg.num_items, d}));
    // 初始化（与作者代码的 PyTorch 复现一致）：所有矩阵 Xavier 正态，注意力投影的偏置为 0，填充行为 0。
    torch::NoGradGuard ng;
    for (auto& p : named_parameters()) {
      if (p.value().dim() > 1) torch::nn::init::xavier_normal_(p.value());
      if (p.key().find("_proj.bias") != std::string::npos) p.value().zero_();
    }
    item_emb->weight[cfg.num_items].zero_();
  }

  torch::Tensor forward(const torch::Tensor& seq, DropoutRng* gen) override {
    const int64_t T = seq.size(1), L = cfg.max_len;
    SEQREC_CHECK(T >= 1 && T <= L, "sequence tensor must be [B, T] with 1 <= T <= max_len");
    auto pad = seq.eq(cfg.num_items);  // [B,T]
    // 右对齐的位置：第 t 列的位置为 L − T + t（与原生推理和服务时一致）。
    auto x = item_emb(seq).mul_(std::sqrt(double(cfg.dim))) + pos_emb->weight.slice(0, L - T, L).unsqueeze(0);
    if (cfg.norm == "post") x = ln_f(x);
    x = dropout_with(x, dropout, is_training(), gen);
    // 不可见：未来位置，以及除自身外的填充位置（填充行只看自己，保证每行至少有一个可见位置）。
    auto causal = torch::ones({T, T}, torch::kBool).triu(1);
    auto eye = torch::eye(T, torch::kBool);
    auto blocked = (causal.unsqueeze(0) | (pad.unsqueeze(1) & eye.logical_not().unsqueeze(0))).unsqueeze(1);
    for (size_t l = 0; l < blocks->size(); ++l) x = blocks[l]->as<SasBlockImpl>()->forward(x, blocked, gen);
    return cfg.norm == "post" ? x : ln_f(x);
  }
  bool left_padded() const override { return true; }
  torch::Tensor item_table() override { return out_emb.defined() ? out_emb : SeqNetImpl::item_table(); }

  torch::nn::Embedding pos_emb{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::LayerNorm ln_f{nullptr};
  torch::Tensor out_emb;  // gsasrec 的输出嵌入（sasrec 为未定义）
};

// GRU4Rec：物品嵌入 → dropout → GRU → （隐状态宽度 ≠ d 时）线性投影。
struct Gru4RecNetImpl : SeqNetImpl {
  Gru4RecNetImpl(const ModelConfig& c, double dropout_) : SeqNetImpl(c, dropout_) {
    const int d = cfg.dim, H = cfg.gru_hidden();
    item_emb = register_module(
        "item_emb", torch::nn::Embedding(torch::nn::EmbeddingOptions(cfg.num_items + 1, d).padding_idx(cfg.num_items)));
    gru = register_module("gru", torch::nn::GRU(torch::nn::GRUOptions(d, H).num_layers(cfg.layers).batch_first(true)));
    if (H != d) proj = register_module("proj", torch::nn::Linear(H, d));
    // 初始化（RecBole）：嵌入 Xavier 正态，GRU 权重 Xavier 均匀；填充行为 0。
    torch::NoGradGuard ng;
    torch::nn::init::xavier_normal_(item_emb->weight);
    for (auto& p : gru->named_parameters())
      if (p.value().dim() > 1) torch::nn::init::xavier_uniform_(p.value());
    item_emb->weight[cfg.num_items].zero_();
  }

  torch::Tensor forward(const torch::Tensor& seq, DropoutRng* gen) override {
    auto x = dropout_with(item_emb(seq), dropout, is_training(), gen);
    auto out = std::get<0>(gru->forward(x));
    return proj ? proj(out) : out;
  }
  bool left_padded() const override { return false; }

  torch::nn::GRU gru{nullptr};
  torch::nn::Linear proj{nullptr};
};

}  // namespace

TensorMap SeqNetImpl::to_tensors() { return module_to_tensors(*this); }

void SeqNetImpl::load_tensors(const TensorMap& t) { module_load_tensors(*this, t); }

std::shared_ptr<SeqNetImpl> make_seq_net(const ModelConfig& cfg, double dropout) {
  cfg.validate();
  if (cfg.type == "sasrec" || cfg.type == "gsasrec") return std::make_shared<SasRecNetImpl>(cfg, dropout);
  if (cfg.type == "gru4rec") return std::make_shared<Gru4RecNetImpl>(cfg, dropout);
  if (cfg.type == "bert4rec") return make_bert4rec_net(cfg, dropout);
  throw Error(concat("model type '", cfg.type, "' is not a sequence model (sasrec, gsasrec, gru4rec or bert4rec)"));
}

}  // namespace seqrec
