// 生成式检索模型的原生（无 LibTorch）推理：编码器–解码器前向与前缀树约束的束搜索。服务与评估共用。
//
// 结构（与 genrec_torch.h 的训练模块逐项一致）：
//   编码器：x = tok_emb[记号] + pos_emb[位置]（pos_from_end 时位置从最后一个记号往前数；
//           sid_input 时推荐任务中的物品记号再加 Σ_t code_emb.t[c_t]，sid_input_only 时只用后者；
//           content_pool 时每个物品记号再加其内容记号 tok_emb 的平均）；
//           enc_layers 个 pre-LN 块（多头自注意力，填充位置不可见；ReLU 前馈）；最后 enc_ln。
//   解码器：第 0 步输入 bos，第 t 步输入第 t-1 层码本嵌入 code_emb.{t-1}[c_{t-1}]，加 dec_pos[t]；
//           dec_layers 个 pre-LN 块（因果自注意力、对编码器输出的交叉注意力、ReLU 前馈）；最后 dec_ln；
//           第 t 步的输出与 code_emb.{t} 做内积得到第 t 层的 logits。LayerNorm eps 1e-6。
// 权重张量名（safetensors）：tok_emb.weight、pos_emb、bos.weight、dec_pos.weight、code_emb.{t}.weight、
//   enc.{l}.{ln1,ln2,in_proj,out_proj,ffn1,ffn2}.*、enc_ln.*、
//   dec.{l}.{ln1,ln2,ln3,self_in,self_out,cross_q,cross_kv,cross_out,ffn1,ffn2}.*、dec_ln.*；
//   另有 content_tokens [I, content_len]（物品的内容记号，已加偏移，-1 为空位；以 F32 存放）。
//
// 束搜索：每一步只扩展前缀树中存在的子节点，得分为各层 log-softmax 之和（softmax 在整层码本上归一化），
// 保留得分最高的 beam 个前缀；到达叶子即得到一个真实物品。需要排除的物品（如已看过的）在搜索中剔除：
// 子树中的物品全被排除的前缀不会被扩展，所以只要还有足够的物品，总能返回 top_k 个。
// 解码是增量的：每个束带着各解码层自注意力的 K/V（KV 缓存），每一步只算新位置一行；
// 逐行的算术与从头重算全部位置相同，得分逐位一致（decode_logits 也走同一路径，测试拿它与 LibTorch 对照）。
//
// 稠密头（dense_head，LIGER 式混合检索）：用户向量 = 编码器最后一个位置的输出，物品向量见 genrec_config.h，
// 稠密得分 = 全部物品上内积的 log-softmax。dense_mix > 0 时，候选为束搜索的 width 个与稠密得分最高的
// width 个之并（都不含被排除的物品），每个候选的得分 = (1 - dense_mix)·生成 log 概率 + dense_mix·稠密 log 概率；
// 束外候选的生成 log 概率按其语义 ID 逐层精确计算，与束搜索共有的前缀（束搜索扩展过的节点）不重算。
// dense_mix = 1 即纯稠密检索（全部物品中取最高的 top_k）。
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/scratch_pool.h"
#include "core/safetensors.h"
#include "models/semantic_ids.h"
#include "models/genrec_config.h"
#include "models/native_ops.h"

namespace seqrec {

constexpr float kGenRecLnEps = 1e-6f;

class GenRecModel {
 public:
  // 从命名张量与语义 ID 构建；名字、形状或语义 ID 与配置不符时抛出 Error。
  static GenRecModel from_tensors(const TensorMap& t, const GenRecConfig& cfg, SemanticIds sids);

  const GenRecConfig& config() const { return cfg_; }
  const SemanticIds& semantic_ids() const { return sids_; }
  const ItemTokens& content() const { return content_; }

  // 编码器前向：tokens[T] → memory [T, d]（最终 LayerNorm 之后）。
  void encode(const int32_t* tokens, int T, std::vector<float>* memory) const;
  // 教师强制的解码：给定目标语义 ID codes[L]，返回每层的 logits（拼接，长度 Σ K_t；测试用）。
  std::vector<float> decode_logits(const std::vector<float>& memory, int T, const int32_t* codes) const;

  // 一个生成结果：物品下标与得分（各层 log 概率之和）。
  struct Hit {
    int32_t item;
    float score;
  };
  // 由最近点击（内部物品下标，从旧到新）生成 top_k 个物品（得分降序）。beam < top_k 时按 top_k。
  // exclude（可为空）中的物品不会出现在结果中。线程安全。
  // dense_mix ∈ [0, 1] 只对带稠密头的模型有效（见文件头"稠密头"）：0 = 只用束搜索，1 = 只用稠密得分。
  std::vector<Hit> generate(const int32_t* clicks, size_t n, int top_k, int beam,
                            const std::vector<int32_t>* exclude = nullptr, double dense_mix = 0) const;
  // 同上，编码器输入由调用方给出（物品索引任务等）。
  std::vector<Hit> generate_from_tokens(const std::vector<int32_t>& tokens, int top_k, int beam,
                                        const std::vector<int32_t>* exclude, double dense_mix = 0) const;
  // 混合检索的一个候选：生成 log 概率、稠密 log 概率，以及它是否来自束搜索。
  struct Candidate {
    int32_t item;
    float gen;
    float dense;
    bool from_beam;
  };
  // 混合检索的候选（须 dense_head）：with_beam 时为束搜索的 width 个 ∪ 稠密得分最高的 width 个（束外的按语义 ID
  // 精确计算生成 log 概率）；否则只有稠密的 width 个（gen 记 0）。与 mix_candidates 合起来就是 generate，
  // 分开是为了一次搜索评估多个 dense_mix。线程安全。
  std::vector<Candidate> hybrid_candidates(const int32_t* clicks, size_t n, int width,
                                           const std::vector<int32_t>* exclude, bool with_beam) const;
  std::vector<Candidate> hybrid_candidates_from_tokens(const std::vector<int32_t>& tokens, int width,
                                                       const std::vector<int32_t>* exclude, bool with_beam) const;
  // 按 (1 - dense_mix)·gen + dense_mix·dense 排序取 top_k；dense_mix = 0 时只排来自束搜索的候选（即束搜索本身）。
  static std::vector<Hit> mix_candidates(const std::vector<Candidate>& cands, double dense_mix, int top_k);
  // 稠密头在全部物品上的 log-softmax（memory 为 encode 的输出，用户向量取其最后一行）；须 dense_head。
  void dense_log_probs(const std::vector<float>& memory, int T, std::vector<float>* out) const;

 private:
  using EncBlock = BlockWeights;  // 编码器块（models/native_ops.h）
  struct DecBlock {
    NormWeights ln1, ln2, ln3;
    LinearWeights self_in, self_out, cross_q, cross_kv, cross_out, ffn1, ffn2;
  };
  // 增量解码的状态：每个解码层已处理位置的自注意力 K/V（[steps, 2d]，K 在前 d 列、V 在后 d 列）。
  // 一个前缀只需算它最后一个位置：前面位置的 K/V 已在这里（KV 缓存）。
  struct DecState {
    std::vector<std::vector<float>> kv;
    int steps = 0;
  };
  // 前缀树上一个已解码的节点：处理完该节点位置后的状态，与下一层码本的 log-softmax（子节点的得分来源）。
  struct NodeEval {
    DecState state;
    std::vector<float> log_probs;
  };
  using NodeMemo = std::unordered_map<int32_t, NodeEval>;

  // 增量解码一步：x [d] 是新位置的输入（见 step_input，会被改写），st 中追加本位置的 K/V，
  // h [d] 得到本位置经 dec_ln 之后的向量。束搜索、教师强制与 decode_logits 都用它，同一前缀的结果逐位一致；
  // 逐行的算术与从头重算全部位置（因果注意力的最后一行）相同。
  void decoder_step(float* x, DecState* st, const std::vector<std::vector<float>>& cross, int T, float* h) const;
  // 第 t 步（t = 0..L-1）的输入向量 x [d]：t = 0 为 bos，否则为第 t-1 层码本中 prev_code 的嵌入；再加 dec_pos[t]。
  void step_input(int t, int32_t prev_code, float* x) const;
  // 约束束搜索：保留 width 个前缀直到叶子，返回这些物品与生成的 log 概率（降序；exclude 中的物品在搜索中剔除）。
  // memo 非空时记下每个被扩展节点的状态与 log-softmax，供 path_log_prob 复用共同前缀。
  std::vector<Hit> beam_search(const std::vector<std::vector<float>>& cross, int T, int width,
                               const std::vector<int32_t>* exclude, NodeMemo* memo = nullptr) const;
  // 一个物品的生成 log 概率：沿它在前缀树上的路径逐层教师强制；memo 中已有的前缀（束搜索扩展过的，
  // 或之前的物品算过的）直接复用，新算的也记入 memo。与束搜索的计算逐位相同。
  float path_log_prob(const std::vector<std::vector<float>>& cross, int T, int32_t item, NodeMemo* memo) const;
  // 解码器每层交叉注意力的 K/V（[T, 2d]，由编码器输出算一次，各步共用）。
  std::vector<std::vector<float>> cross_kv(const std::vector<float>& memory, int T) const;
  // 第 t 层码本的 log-softmax（logits = h · code_emb_t）。
  void level_log_probs(const float* h, int t, std::vector<float>* out) const;

  GenRecConfig cfg_;
  SemanticIds sids_;
  SidTrie trie_;
  ItemTokens content_;
  std::vector<float> content_mean_;  // content_pool 时每个物品内容记号嵌入的平均 [I, d]（无内容为 0）
  std::vector<float> item_vec_;      // dense_head 时稠密头的物品向量 [I, d]（见 genrec_config.h）
  std::vector<float> tok_emb_, pos_emb_, bos_, dec_pos_;
  std::vector<std::vector<float>> code_emb_;  // 每层 [K_t, d]
  std::vector<EncBlock> enc_;
  std::vector<DecBlock> dec_;
  NormWeights enc_ln_, dec_ln_;
  ScratchPool scratch_;  // 每次调用借一份的临时缓冲（见 core/scratch_pool.h）
};

}  // namespace seqrec
