// 生成式检索模型的原生推理实现。
#include "models/genrec_native.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "core/kernels.h"

namespace seqrec {

namespace {

// 多头注意力：q 为 Tq 行（行距 qs），k / v 为 Tk 行（行距 ks）；causal 时第 i 行只看 j <= i。
// 结果写入 out [Tq, d]（行距 d）。
void mha(const float* q, int Tq, int qs, const float* k, const float* v, int Tk, int ks, int d, int heads,
         bool causal, float* out, std::vector<float>& w) {
  const int dh = d / heads;
  const float scale = 1.0f / std::sqrt(static_cast<float>(dh));
  w.resize(static_cast<size_t>(Tk));
  for (int i = 0; i < Tq; ++i) {
    const int last = causal ? std::min(Tk, i + 1) : Tk;
    for (int h = 0; h < heads; ++h) {
      const float* qi = q + static_cast<size_t>(i) * qs + h * dh;
      float mx = -std::numeric_limits<float>::infinity();
      for (int j = 0; j < last; ++j) {
        w[static_cast<size_t>(j)] = dot(qi, k + static_cast<size_t>(j) * ks + h * dh, dh) * scale;
        mx = std::max(mx, w[static_cast<size_t>(j)]);
      }
      float sum = 0;
      for (int j = 0; j < last; ++j) sum += (w[static_cast<size_t>(j)] = std::exp(w[static_cast<size_t>(j)] - mx));
      float* o = out + static_cast<size_t>(i) * d + h * dh;
      std::fill(o, o + dh, 0.0f);
      for (int j = 0; j < last; ++j) {
        const float a = w[static_cast<size_t>(j)] / sum;
        const float* vj = v + static_cast<size_t>(j) * ks + h * dh;
        for (int c = 0; c < dh; ++c) o[c] += a * vj[c];
      }
    }
  }
}

// 逐位置前馈（ReLU），结果加到 x 上：x += W2·relu(W1·LN(x))。
void ffn_residual(const NormWeights& ln, const LinearWeights& f1, const LinearWeights& f2, float* x, int rows, int d,
                  std::vector<float>& a, std::vector<float>& hbuf, std::vector<float>& o) {
  a.resize(static_cast<size_t>(rows) * d);
  ln.apply(x, rows, d, kGenRecLnEps, a.data());
  hbuf.resize(static_cast<size_t>(rows) * f1.out);
  f1.apply(a.data(), rows, hbuf.data());
  for (float& v : hbuf) v = v > 0 ? v : 0;
  o.resize(static_cast<size_t>(rows) * d);
  f2.apply(hbuf.data(), rows, o.data());
  add_into(x, o.data(), static_cast<int64_t>(rows) * d);
}

// 原地 log-softmax（减最大值后在 double 中求和）：码本各层与稠密头共用。
void log_softmax_inplace(std::vector<float>* v) {
  const float mx = *std::max_element(v->begin(), v->end());
  double sum = 0;
  for (float x : *v) sum += std::exp(static_cast<double>(x - mx));
  const float lse = mx + static_cast<float>(std::log(sum));
  for (float& x : *v) x -= lse;
}

// 一次调用的临时缓冲（从模型的 ScratchPool 借出）。
struct Scratch {
  std::vector<float> a, qkv, att, o, h, q;
  std::vector<float> w;  // 注意力权重（一行）
};

}  // namespace

GenRecModel GenRecModel::from_tensors(const TensorMap& t, const GenRecConfig& cfg, SemanticIds sids) {
  cfg.validate();
  GenRecModel m;
  m.cfg_ = cfg;
  const int64_t d = cfg.dim, F = cfg.ffn_dim;
  if (sids.num_items() != cfg.num_items || sids.codebook_sizes != cfg.codebook_sizes)
    throw Error(concat("semantic ids (", sids.num_items(), " items, ", sids.length,
                       " tokens) do not match the model config (", cfg.num_items, " items, ", cfg.levels(), " levels)"));
  m.tok_emb_ = take_tensor(t, "tok_emb.weight", {cfg.vocab(), d});
  m.pos_emb_ = take_tensor(t, "pos_emb", {cfg.max_tokens(), d});
  m.bos_ = take_tensor(t, "bos.weight", {1, d});
  m.dec_pos_ = take_tensor(t, "dec_pos.weight", {cfg.levels(), d});
  for (int l = 0; l < cfg.levels(); ++l)
    m.code_emb_.push_back(take_tensor(t, concat("code_emb.", l, ".weight"), {cfg.codebook_sizes[static_cast<size_t>(l)], d}));
  for (int l = 0; l < cfg.enc_layers; ++l) {
    m.enc_.push_back(take_block(t, concat("enc.", l, "."), d, F));
  }
  for (int l = 0; l < cfg.dec_layers; ++l) {
    const std::string p = concat("dec.", l, ".");
    DecBlock b;
    b.ln1 = take_norm(t, p + "ln1", d);
    b.ln2 = take_norm(t, p + "ln2", d);
    b.ln3 = take_norm(t, p + "ln3", d);
    b.self_in = take_linear(t, p + "self_in", d, 3 * d);
    b.self_out = take_linear(t, p + "self_out", d, d);
    b.cross_q = take_linear(t, p + "cross_q", d, d);
    b.cross_kv = take_linear(t, p + "cross_kv", d, 2 * d);
    b.cross_out = take_linear(t, p + "cross_out", d, d);
    b.ffn1 = take_linear(t, p + "ffn1", d, F);
    b.ffn2 = take_linear(t, p + "ffn2", F, d);
    m.dec_.push_back(std::move(b));
  }
  m.enc_ln_ = take_norm(t, "enc_ln", d);
  m.dec_ln_ = take_norm(t, "dec_ln", d);
  // 内容记号：-1 为空位；每个记号必须落在内容词表的区间内。
  m.content_.assign(static_cast<size_t>(cfg.num_items), {});
  if (cfg.content_vocab > 0) {
    const auto ct = take_tensor(t, "content_tokens", {cfg.num_items, cfg.content_len});
    for (int64_t i = 0; i < cfg.num_items; ++i)
      for (int64_t k = 0; k < cfg.content_len; ++k) {
        const float v = ct[static_cast<size_t>(i * cfg.content_len + k)];
        if (v < 0) break;
        const int32_t tok = static_cast<int32_t>(v);
        if (tok < cfg.content_offset() || tok >= cfg.item_offset())
          throw Error(concat("content_tokens: item ", i, " has token ", tok, " outside the content vocabulary"));
        m.content_[static_cast<size_t>(i)].push_back(tok);
      }
  }
  if (cfg.content_pool) {
    // 内容平均只依赖 tok_emb，加载时一次算好（与训练模块同样先除后加）。
    m.content_mean_.assign(static_cast<size_t>(cfg.num_items) * d, 0.0f);
    for (int32_t i = 0; i < cfg.num_items; ++i) {
      const auto& ct = m.content_[static_cast<size_t>(i)];
      float* out = &m.content_mean_[static_cast<size_t>(i) * d];
      const float w = ct.empty() ? 0.0f : 1.0f / static_cast<float>(ct.size());
      for (int32_t tok : ct) {
        const float* e = &m.tok_emb_[static_cast<size_t>(tok) * d];
        for (int64_t c = 0; c < d; ++c) out[c] += e[c] * w;
      }
    }
  }
  m.sids_ = std::move(sids);
  m.trie_ = SidTrie(m.sids_);
  if (cfg.dense_head) {
    // 稠密头的物品向量（见 genrec_config.h），加载时一次算好。
    m.item_vec_.assign(static_cast<size_t>(cfg.num_items) * d, 0.0f);
    for (int32_t i = 0; i < cfg.num_items; ++i) {
      float* v = &m.item_vec_[static_cast<size_t>(i) * d];
      add_into(v, &m.tok_emb_[static_cast<size_t>(cfg.item_offset() + i) * d], d);  // sid_input_only 时也加
      if (cfg.sid_input)
        for (int t = 0; t < cfg.levels(); ++t)
          add_into(v, &m.code_emb_[static_cast<size_t>(t)][static_cast<size_t>(m.sids_.code(i)[t]) * d], d);
      if (cfg.content_pool) add_into(v, &m.content_mean_[static_cast<size_t>(i) * d], d);
    }
  }
  return m;
}

void GenRecModel::encode(const int32_t* tokens, int T, std::vector<float>* memory) const {
  const auto lease = scratch_.acquire<Scratch>();  // 本次调用的临时缓冲
  Scratch& s = *lease;
  const int d = cfg_.dim;
  SEQREC_CHECK(T >= 1 && T <= cfg_.max_tokens(), "encoder input length out of range");
  memory->resize(static_cast<size_t>(T) * d);
  float* x = memory->data();
  for (int i = 0; i < T; ++i) {
    SEQREC_CHECK(tokens[i] >= 0 && tokens[i] < cfg_.vocab(), "encoder token out of range");
    const float* e = &tok_emb_[static_cast<size_t>(tokens[i]) * d];
    // 位置：pos_from_end 时从最后一个记号往前数（原生输入不含填充，长度即 T）。
    const int pos = cfg_.pos_from_end ? T - 1 - i : i;
    const float* p = &pos_emb_[static_cast<size_t>(pos) * d];
    // sid_input：推荐任务输入中的物品记号再加上该物品语义 ID 各层的码本嵌入（与训练模块一致）；
    // sid_input_only 时任何行里的物品记号都不用自己的嵌入（见 genrec_config.h）。
    const int32_t item = tokens[i] - cfg_.item_offset();
    const bool is_item = item >= 0 && item < cfg_.num_items;
    const bool sid_item = cfg_.sid_input && tokens[0] == GenRecConfig::kRec && is_item;
    float* xi = &x[static_cast<size_t>(i) * d];
    std::copy_n(p, d, xi);
    if (!(is_item && cfg_.sid_input_only)) add_into(xi, e, d);
    if (sid_item) {
      const int32_t* code = sids_.code(item);
      for (int t = 0; t < cfg_.levels(); ++t)
        add_into(xi, &code_emb_[static_cast<size_t>(t)][static_cast<size_t>(code[t]) * d], d);
    }
    if (cfg_.content_pool && is_item)
      add_into(xi, &content_mean_[static_cast<size_t>(item) * d], d);
  }
  for (const EncBlock& b : enc_) {
    s.a.resize(static_cast<size_t>(T) * d);
    b.ln1.apply(x, T, d, kGenRecLnEps, s.a.data());
    s.qkv.resize(static_cast<size_t>(T) * 3 * d);
    b.in_proj.apply(s.a.data(), T, s.qkv.data());
    s.att.resize(static_cast<size_t>(T) * d);
    mha(s.qkv.data(), T, 3 * d, s.qkv.data() + d, s.qkv.data() + 2 * d, T, 3 * d, d, cfg_.heads, false, s.att.data(), s.w);
    s.o.resize(static_cast<size_t>(T) * d);
    b.out_proj.apply(s.att.data(), T, s.o.data());
    add_into(x, s.o.data(), static_cast<int64_t>(T) * d);
    ffn_residual(b.ln2, b.ffn1, b.ffn2, x, T, d, s.a, s.h, s.o);
  }
  enc_ln_.apply(x, T, d, kGenRecLnEps, x);
}

void GenRecModel::decoder_step(float* x, DecState* st, const std::vector<std::vector<float>>& cross, int T,
                               float* h) const {
  const auto lease = scratch_.acquire<Scratch>();  // 本次调用的临时缓冲
  Scratch& s = *lease;
  const int d = cfg_.dim;
  if (st->kv.empty()) st->kv.resize(dec_.size());
  const int pos = st->steps;  // 本位置之前已有的位置数
  for (size_t l = 0; l < dec_.size(); ++l) {
    const DecBlock& b = dec_[l];
    s.a.resize(static_cast<size_t>(d));
    b.ln1.apply(x, 1, d, kGenRecLnEps, s.a.data());
    s.qkv.resize(static_cast<size_t>(3) * d);
    b.self_in.apply(s.a.data(), 1, s.qkv.data());
    // 本位置的 K/V 追加到缓存，查询看全部已有位置与自己（即因果注意力的最后一行）。
    std::vector<float>& kv = st->kv[l];
    kv.insert(kv.end(), s.qkv.begin() + d, s.qkv.begin() + 3 * d);
    s.att.resize(static_cast<size_t>(d));
    mha(s.qkv.data(), 1, 3 * d, kv.data(), kv.data() + d, pos + 1, 2 * d, d, cfg_.heads, false, s.att.data(), s.w);
    s.o.resize(static_cast<size_t>(d));
    b.self_out.apply(s.att.data(), 1, s.o.data());
    add_into(x, s.o.data(), d);
    // 交叉注意力：K/V 来自编码器输出（每层预先算好 [T, 2d]）。
    b.ln2.apply(x, 1, d, kGenRecLnEps, s.a.data());
    s.q.resize(static_cast<size_t>(d));
    b.cross_q.apply(s.a.data(), 1, s.q.data());
    const float* ckv = cross[l].data();
    mha(s.q.data(), 1, d, ckv, ckv + d, T, 2 * d, d, cfg_.heads, false, s.att.data(), s.w);
    b.cross_out.apply(s.att.data(), 1, s.o.data());
    add_into(x, s.o.data(), d);
    ffn_residual(b.ln3, b.ffn1, b.ffn2, x, 1, d, s.a, s.h, s.o);
  }
  dec_ln_.apply(x, 1, d, kGenRecLnEps, h);
  ++st->steps;
}

void GenRecModel::step_input(int t, int32_t prev_code, float* x) const {
  const int d = cfg_.dim;
  const float* e = t == 0 ? bos_.data() : &code_emb_[static_cast<size_t>(t - 1)][static_cast<size_t>(prev_code) * d];
  for (int c = 0; c < d; ++c) x[c] = e[c] + dec_pos_[static_cast<size_t>(t) * d + c];
}

void GenRecModel::level_log_probs(const float* h, int t, std::vector<float>* out) const {
  const int K = cfg_.codebook_sizes[static_cast<size_t>(t)];
  out->resize(static_cast<size_t>(K));
  matvec(code_emb_[static_cast<size_t>(t)].data(), K, cfg_.dim, h, out->data());
  log_softmax_inplace(out);
}

std::vector<std::vector<float>> GenRecModel::cross_kv(const std::vector<float>& memory, int T) const {
  const int d = cfg_.dim;
  std::vector<std::vector<float>> cross(dec_.size());
  for (size_t l = 0; l < dec_.size(); ++l) {
    cross[l].resize(static_cast<size_t>(T) * 2 * d);
    dec_[l].cross_kv.apply(memory.data(), T, cross[l].data());
  }
  return cross;
}

std::vector<float> GenRecModel::decode_logits(const std::vector<float>& memory, int T, const int32_t* codes) const {
  const int d = cfg_.dim, L = cfg_.levels();
  const auto cross = cross_kv(memory, T);
  DecState st;
  std::vector<float> out, x(static_cast<size_t>(d)), h(static_cast<size_t>(d));
  for (int t = 0; t < L; ++t) {
    step_input(t, t > 0 ? codes[t - 1] : -1, x.data());
    decoder_step(x.data(), &st, cross, T, h.data());
    const int K = cfg_.codebook_sizes[static_cast<size_t>(t)];
    std::vector<float> lg(static_cast<size_t>(K));
    matvec(code_emb_[static_cast<size_t>(t)].data(), K, d, h.data(), lg.data());
    out.insert(out.end(), lg.begin(), lg.end());
  }
  return out;
}

std::vector<GenRecModel::Hit> GenRecModel::generate(const int32_t* clicks, size_t n, int top_k, int beam,
                                                    const std::vector<int32_t>* exclude, double dense_mix) const {
  for (size_t i = 0; i < n; ++i) SEQREC_CHECK(clicks[i] >= 0 && clicks[i] < cfg_.num_items, "click index out of range");
  return generate_from_tokens(rec_input(cfg_, content_, clicks, n), top_k, beam, exclude, dense_mix);
}

float GenRecModel::path_log_prob(const std::vector<std::vector<float>>& cross, int T, int32_t item,
                                 NodeMemo* memo) const {
  const int d = cfg_.dim, L = cfg_.levels();
  const int32_t* codes = sids_.code(item);
  // 物品叶子到根的路径：path[t] 是深度 t 的节点（path[0] 为根）。
  std::vector<int32_t> path(static_cast<size_t>(L) + 1);
  int32_t node = trie_.leaf_of(item);
  for (int t = L; t >= 0; --t) {
    path[static_cast<size_t>(t)] = node;
    node = trie_.parent(node);
  }
  std::vector<float> x(static_cast<size_t>(d)), h(static_cast<size_t>(d));
  float score = 0;
  // 与束搜索逐步相同的算法（同样的输入、增量解码与 log-softmax，得分按层依次相加），
  // 所以同一物品的得分与束搜索给出的逐位相同。
  for (int t = 0; t < L; ++t) {
    auto it = memo->find(path[static_cast<size_t>(t)]);
    if (it == memo->end()) {
      // 没算过的前缀：从父节点的状态再解码一步（根节点从空状态开始）。
      NodeEval e;
      if (t > 0) e.state = memo->at(path[static_cast<size_t>(t) - 1]).state;
      step_input(t, t > 0 ? codes[t - 1] : -1, x.data());
      decoder_step(x.data(), &e.state, cross, T, h.data());
      level_log_probs(h.data(), t, &e.log_probs);
      it = memo->emplace(path[static_cast<size_t>(t)], std::move(e)).first;
    }
    score += it->second.log_probs[static_cast<size_t>(codes[t])];
  }
  return score;
}

void GenRecModel::dense_log_probs(const std::vector<float>& memory, int T, std::vector<float>* out) const {
  SEQREC_CHECK(cfg_.dense_head, "dense scores need a model with a dense head");
  const int I = cfg_.num_items, d = cfg_.dim;
  out->resize(static_cast<size_t>(I));
  matvec(item_vec_.data(), I, d, &memory[static_cast<size_t>(T - 1) * d], out->data());
  log_softmax_inplace(out);
}

std::vector<GenRecModel::Hit> GenRecModel::generate_from_tokens(const std::vector<int32_t>& tokens, int top_k, int beam,
                                                                const std::vector<int32_t>* exclude,
                                                                double dense_mix) const {
  if (!(dense_mix >= 0 && dense_mix <= 1)) throw Error(concat("dense_mix must be in [0, 1] (got ", dense_mix, ")"));
  const int width = std::max(beam, top_k);
  if (cfg_.dense_head && dense_mix > 0)
    return mix_candidates(hybrid_candidates_from_tokens(tokens, width, exclude, dense_mix < 1), dense_mix, top_k);
  // 只用束搜索（没有稠密头，或 dense_mix = 0）：原来的做法。
  const int T = static_cast<int>(tokens.size());
  std::vector<float> memory;
  encode(tokens.data(), T, &memory);
  std::vector<Hit> gen = beam_search(cross_kv(memory, T), T, width, exclude);
  if (static_cast<int>(gen.size()) > top_k) gen.resize(static_cast<size_t>(top_k));
  return gen;
}

std::vector<GenRecModel::Candidate> GenRecModel::hybrid_candidates(const int32_t* clicks, size_t n, int width,
                                                                   const std::vector<int32_t>* exclude,
                                                                   bool with_beam) const {
  for (size_t i = 0; i < n; ++i) SEQREC_CHECK(clicks[i] >= 0 && clicks[i] < cfg_.num_items, "click index out of range");
  return hybrid_candidates_from_tokens(rec_input(cfg_, content_, clicks, n), width, exclude, with_beam);
}

std::vector<GenRecModel::Candidate> GenRecModel::hybrid_candidates_from_tokens(const std::vector<int32_t>& tokens,
                                                                               int width,
                                                                               const std::vector<int32_t>* exclude,
                                                                               bool with_beam) const {
  SEQREC_CHECK(cfg_.dense_head, "hybrid candidates need a model with a dense head");
  const int T = static_cast<int>(tokens.size());
  std::vector<float> memory;
  encode(tokens.data(), T, &memory);
  const auto cross = with_beam ? cross_kv(memory, T) : std::vector<std::vector<float>>{};
  std::vector<float> dlp;
  dense_log_probs(memory, T, &dlp);
  // 稠密候选：不含被排除物品的全部物品中，稠密得分最高的 width 个（同分按物品下标）。
  std::vector<int32_t> ex = exclude ? *exclude : std::vector<int32_t>{};
  std::sort(ex.begin(), ex.end());
  std::vector<int32_t> order;
  order.reserve(static_cast<size_t>(cfg_.num_items));
  for (int32_t i = 0; i < cfg_.num_items; ++i)
    if (!std::binary_search(ex.begin(), ex.end(), i)) order.push_back(i);
  const size_t nd = std::min(order.size(), static_cast<size_t>(width));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(nd), order.end(), [&](int32_t a, int32_t b) {
    const float sa = dlp[static_cast<size_t>(a)], sb = dlp[static_cast<size_t>(b)];
    return sa != sb ? sa > sb : a < b;
  });
  std::vector<Candidate> out;
  std::unordered_set<int32_t> in_beam;
  NodeMemo memo;  // 束搜索扩展过的前缀，束外候选的教师强制从这里接着算
  if (with_beam)
    for (const Hit& h : beam_search(cross, T, width, exclude, &memo)) {
      in_beam.insert(h.item);
      out.push_back({h.item, h.score, dlp[static_cast<size_t>(h.item)], true});
    }
  for (size_t k = 0; k < nd; ++k) {
    const int32_t i = order[k];
    if (in_beam.count(i)) continue;
    // 束外的稠密候选：生成 log 概率按其语义 ID 逐层精确计算（不做束搜索时记 0，只按稠密得分排）。
    const float g = with_beam ? path_log_prob(cross, T, i, &memo) : 0.0f;
    out.push_back({i, g, dlp[static_cast<size_t>(i)], false});
  }
  return out;
}

std::vector<GenRecModel::Hit> GenRecModel::mix_candidates(const std::vector<Candidate>& cands, double dense_mix,
                                                          int top_k) {
  if (!(dense_mix >= 0 && dense_mix <= 1)) throw Error(concat("dense_mix must be in [0, 1] (got ", dense_mix, ")"));
  const float wd = static_cast<float>(dense_mix), wg = 1.0f - wd;
  std::vector<Hit> out;
  for (const Candidate& c : cands)
    if (dense_mix > 0 || c.from_beam) out.push_back({c.item, wg * c.gen + wd * c.dense});  // 0 = 只排束搜索的结果
  // 稳定排序：同分时保持候选原来的先后（束搜索的顺序在前），dense_mix = 0 的结果因此与束搜索逐项相同。
  std::stable_sort(out.begin(), out.end(), [](const Hit& a, const Hit& b) { return a.score > b.score; });
  if (static_cast<int>(out.size()) > top_k) out.resize(static_cast<size_t>(top_k));
  return out;
}

std::vector<GenRecModel::Hit> GenRecModel::beam_search(const std::vector<std::vector<float>>& cross, int T, int width,
                                                       const std::vector<int32_t>* exclude, NodeMemo* memo) const {
  const int d = cfg_.dim, L = cfg_.levels();
  // 被排除的物品：沿叶子到根累计每个节点子树中被排除的个数；全被排除的子树不扩展。
  std::unordered_map<int32_t, int32_t> excluded;
  if (exclude) {
    std::vector<int32_t> ex(*exclude);
    std::sort(ex.begin(), ex.end());
    ex.erase(std::unique(ex.begin(), ex.end()), ex.end());
    for (int32_t item : ex) {
      if (item < 0 || item >= cfg_.num_items) continue;
      for (int32_t node = trie_.leaf_of(item); node >= 0; node = trie_.parent(node)) ++excluded[node];
    }
  }
  auto available = [&](int32_t node) {
    auto it = excluded.find(node);
    return trie_.subtree_size(node) > (it == excluded.end() ? 0 : it->second);
  };
  // 一个束：前缀树节点、累计得分、通向它的记号（根为 -1）与解码到它为止的 KV 缓存。
  struct Beam {
    int32_t node;
    float score;
    int32_t code;
    DecState state;
  };
  // 一个待选的子前缀：只记父束的下标，入选后才复制父束的状态（每层最多 width 份）。
  struct Child {
    int32_t node;
    float score;
    int32_t code;
    int32_t parent;
  };
  std::vector<Beam> beams;
  beams.push_back({0, 0.0f, -1, {}});
  if (!available(0)) return {};
  std::vector<float> x(static_cast<size_t>(d)), h(static_cast<size_t>(d)), lp;
  for (int t = 0; t < L; ++t) {
    std::vector<Child> next;
    for (size_t bi = 0; bi < beams.size(); ++bi) {
      Beam& b = beams[bi];
      step_input(t, b.code, x.data());
      decoder_step(x.data(), &b.state, cross, T, h.data());
      level_log_probs(h.data(), t, &lp);
      if (memo) memo->emplace(b.node, NodeEval{b.state, lp});
      const SidTrie::Span ch = trie_.children(b.node);
      for (int32_t k = 0; k < ch.size; ++k) {
        if (!available(ch.nodes[k])) continue;
        next.push_back({ch.nodes[k], b.score + lp[static_cast<size_t>(ch.tokens[k])], ch.tokens[k],
                        static_cast<int32_t>(bi)});
      }
    }
    // 保留得分最高的 width 个（同分按节点编号，结果确定）。
    auto better = [](const Child& a, const Child& b) { return a.score != b.score ? a.score > b.score : a.node < b.node; };
    if (static_cast<int>(next.size()) > width) {
      std::partial_sort(next.begin(), next.begin() + width, next.end(), better);
      next.resize(static_cast<size_t>(width));
    } else {
      std::sort(next.begin(), next.end(), better);
    }
    std::vector<Beam> kept;
    kept.reserve(next.size());
    // 最后一层的子节点是叶子，不再解码，不需要状态。
    for (const Child& c : next)
      kept.push_back({c.node, c.score, c.code, t + 1 < L ? beams[static_cast<size_t>(c.parent)].state : DecState{}});
    beams = std::move(kept);
  }
  std::vector<Hit> out;
  for (const Beam& b : beams) out.push_back({trie_.item_of(b.node), b.score});
  return out;
}

}  // namespace seqrec
