// 生成式检索模型多任务训练的实现（数据并行循环见 loop.h）。
#include "train/genrec_trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <random>

#include "core/error.h"
#include "eval/generative_eval.h"
#include "eval/metrics.h"
#include "models/genrec_native.h"
#include "models/genrec_torch.h"
#include "train/loop.h"

namespace seqrec {

void GenRecTrainOptions::validate() const {
  auto check_w = [](const char* flag, double v) {
    if (!(v >= 0 && v <= 1000)) throw Error(concat(flag, " must be in [0, 1000] (got ", v, ")"));
  };
  check_w("--w-rec", w_rec);
  check_w("--w-index", w_index);
  check_w("--w-bpr", w_bpr);
  check_w("--w-cl", w_cl);
  check_w("--w-dense", w_dense);
  if (!(dense_dropout >= 0 && dense_dropout < 1))
    throw Error(concat("--dense-dropout must be in [0, 1) (got ", dense_dropout, ")"));
  if (dense_dropout > 0 && w_dense == 0) throw Error("--dense-dropout needs --w-dense > 0: there is no dense head to regularise");
  if (!(dense_id_dropout >= 0 && dense_id_dropout < 1))
    throw Error(concat("--dense-id-dropout must be in [0, 1) (got ", dense_id_dropout, ")"));
  if (dense_id_dropout > 0 && w_dense == 0)
    throw Error("--dense-id-dropout needs --w-dense > 0: there is no dense head to regularise");
  if (!(history_item_dropout >= 0 && history_item_dropout < 1))
    throw Error(concat("--history-item-dropout must be in [0, 1) (got ", history_item_dropout, ")"));
  if (!(dense_mix >= 0 && dense_mix <= 1)) throw Error(concat("--dense-mix must be in [0, 1] (got ", dense_mix, ")"));
  if (w_rec + w_index == 0) throw Error("--w-rec and --w-index cannot both be 0: nothing would teach the decoder");
  if (!(cl_temperature > 0)) throw Error(concat("--cl-temperature must be > 0 (got ", cl_temperature, ")"));
  if (!(label_smoothing >= 0 && label_smoothing < 1))
    throw Error(concat("--label-smoothing must be in [0, 1) (got ", label_smoothing, ")"));
  if (beam < 1 || beam > 10000) throw Error(concat("--beam must be in [1, 10000] (got ", beam, ")"));
  if (valid_sample < 0) throw Error(concat("--valid-sample must be >= 0 (got ", valid_sample, ")"));
  if (valid_sample_seed < -1)
    throw Error(concat("--valid-sample-seed must be >= 0, or -1 for --seed (got ", valid_sample_seed, ")"));
}

nlohmann::json GenRecTrainOptions::to_json() const {
  nlohmann::json j = {{"w_rec", w_rec}, {"w_index", w_index}, {"w_bpr", w_bpr},         {"w_cl", w_cl},
                      {"cl_temperature", cl_temperature}, {"beam", beam}, {"valid_sample", valid_sample}};
  // 标签平滑只在开启时写出，旧清单与新清单的默认记录保持一致。
  if (label_smoothing > 0) j["label_smoothing"] = label_smoothing;
  if (valid_sample_seed >= 0) j["valid_sample_seed"] = valid_sample_seed;  // 同上：只在给出时写出
  if (history_item_dropout > 0) j["history_item_dropout"] = history_item_dropout;  // 同上：只在开启时写出
  if (w_dense > 0) {  // 同上：只在开启稠密头时写出
    j["w_dense"] = w_dense;
    j["dense_mix"] = dense_mix;
    if (dense_dropout > 0) j["dense_dropout"] = dense_dropout;
    if (dense_id_dropout > 0) j["dense_id_dropout"] = dense_id_dropout;
  }
  return j;
}

namespace {

// 把若干行记号右侧补 PAD 成 [n, T] 张量。
torch::Tensor pad_rows(const std::vector<std::vector<int32_t>>& rows, int64_t lo, int64_t hi) {
  int64_t T = 1;
  for (int64_t r = lo; r < hi; ++r) T = std::max<int64_t>(T, static_cast<int64_t>(rows[static_cast<size_t>(r)].size()));
  auto t = torch::full({hi - lo, T}, GenRecConfig::kPad, torch::kInt64);
  int64_t* p = t.data_ptr<int64_t>();
  for (int64_t r = lo; r < hi; ++r) {
    const auto& v = rows[static_cast<size_t>(r)];
    for (size_t j = 0; j < v.size(); ++j) p[(r - lo) * T + static_cast<int64_t>(j)] = v[j];
  }
  return t;
}

// 历史物品随机删除（--history-item-dropout）：最近一次点击总保留；之前的每个以概率 r 删去，其余按原顺序
// 前移。用 rng 的高 53 位得到 [0, 1) 的均匀数，结果只取决于种子，不取决于标准库的分布实现。
void drop_history_items(std::vector<int32_t>& hist, double r, std::mt19937_64& rng) {
  if (hist.size() < 2) return;
  size_t w = 0;
  for (size_t j = 0; j + 1 < hist.size(); ++j)
    if (static_cast<double>(rng() >> 11) * 0x1.0p-53 >= r) hist[w++] = hist[j];
  hist[w++] = hist.back();
  hist.resize(w);
}

}  // namespace

TrainResult train_genrec(const SequenceData& data, const GenRecConfig& cfg, const GenRecInputs& in,
                         const GenRecTrainOptions& g, const TrainOptions& opt, const EpochCallback& on_epoch) {
  opt.validate();
  g.validate();
  cfg.validate();
  SEQREC_CHECK(cfg.num_items == data.num_items() && cfg.num_users == data.num_users(), "config does not match the data");
  SEQREC_CHECK(in.sids.num_items() == cfg.num_items, "semantic ids do not cover every item");
  if (cfg.content_vocab > 0) SEQREC_CHECK(static_cast<int>(in.content.size()) == cfg.num_items, "content table size");
  if ((g.w_dense > 0) != cfg.dense_head)
    throw Error(cfg.dense_head ? "the model has a dense head but --w-dense is 0: nothing would train it"
                               : "--w-dense needs a model with a dense head");
  if (g.dense_id_dropout > 0 && !cfg.sid_input && !cfg.content_pool)
    throw Error("--dense-id-dropout needs --sid-input, --sid-input-only or --content-pool: without them the item's "
                "own token is its whole dense-head vector");
  init_threads(opt);
  GenRecNet net(cfg, opt.dropout, &in.sids, &in.content);
  if (!in.init.empty()) net->load_tensors(in.init);  // 形状不符时抛出 Error（指明张量名）
  const int L = cfg.levels();
  const bool need_items = g.w_index > 0 || g.w_bpr > 0 || g.w_cl > 0;

  // 样本：训练部分的每个位置 t >= 1（历史 s[t-max_len..t) → 目标 s[t]）。
  std::vector<std::pair<int32_t, int32_t>> examples;
  for (int32_t u = 0; u < data.num_users(); ++u)
    for (int32_t t = 1; t < data.train_len(u); ++t) examples.push_back({u, t});
  if (examples.empty()) throw Error("no training examples: every user needs at least 2 training interactions");
  // 物品索引任务用到的"交互过该物品的用户"（训练部分，去重）。
  std::vector<std::vector<int32_t>> item_users(static_cast<size_t>(cfg.num_items));
  for (int32_t u = 0; u < data.num_users(); ++u) {
    const auto& s = data.seqs[static_cast<size_t>(u)];
    for (int32_t t = 0; t < data.train_len(u); ++t) {
      auto& v = item_users[static_cast<size_t>(s[static_cast<size_t>(t)])];
      if (v.empty() || v.back() != u) v.push_back(u);
    }
  }
  // 对比损失的正例：与目标共享语义 ID 前 L-1 位的其他物品；没有时退到共享第一位；再没有就是它自己。
  std::map<std::vector<int32_t>, std::vector<int32_t>> by_prefix, by_first;
  for (int32_t i = 0; i < cfg.num_items; ++i) {
    by_prefix[std::vector<int32_t>(in.sids.code(i), in.sids.code(i) + std::max(1, L - 1))].push_back(i);
    by_first[std::vector<int32_t>(in.sids.code(i), in.sids.code(i) + 1)].push_back(i);
  }
  auto similar_item = [&](int32_t i, std::mt19937_64& rng) {
    for (auto* groups : {&by_prefix, &by_first}) {
      const int len = groups == &by_prefix ? std::max(1, L - 1) : 1;
      const auto& v = groups->at(std::vector<int32_t>(in.sids.code(i), in.sids.code(i) + len));
      if (v.size() > 1) {
        int32_t j = i;
        while (j == i) j = v[static_cast<size_t>(rng() % v.size())];
        return j;
      }
    }
    return i;
  };

  // 一批的输入（prepare 在单线程中按种子抽样；分片只读）。
  std::vector<std::vector<int32_t>> rec_tok, idx_tok, neg_tok, sim_tok;
  std::vector<int64_t> codes, targets;
  std::vector<int32_t> hist, users_pick;
  auto item_index_tokens = [&](int32_t item, std::mt19937_64& rng) {
    const auto& us = item_users[static_cast<size_t>(item)];
    users_pick.clear();
    if (!us.empty() && cfg.index_users > 0) {
      // 不放回地抽至多 index_users 个用户（部分 Fisher–Yates）。
      std::vector<int32_t> pool(us);
      const size_t k = std::min<size_t>(pool.size(), static_cast<size_t>(cfg.index_users));
      for (size_t a = 0; a < k; ++a) std::swap(pool[a], pool[a + rng() % (pool.size() - a)]);
      users_pick.assign(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(k));
    }
    return index_input(cfg, in.content, item, users_pick.data(), users_pick.size());
  };

  LoopSpec spec;
  ModelConfig loop_cfg;  // run_loop 只在没有自定义验证时用它；这里只是占位
  loop_cfg.num_items = cfg.num_items;
  spec.cfg = loop_cfg;
  spec.params = net->parameters();
  spec.module = net.ptr().get();
  spec.units = static_cast<int64_t>(examples.size());
  spec.unit_length = [&](int64_t i) { return std::min<int64_t>(examples[static_cast<size_t>(i)].second, cfg.max_len); };
  spec.prepare = [&](const int64_t* ids, int64_t B, std::mt19937_64& rng) {
    rec_tok.assign(static_cast<size_t>(B), {});
    idx_tok.assign(need_items ? static_cast<size_t>(B) : 0, {});
    neg_tok.assign(g.w_bpr > 0 ? static_cast<size_t>(B) : 0, {});
    sim_tok.assign(g.w_cl > 0 ? static_cast<size_t>(B) : 0, {});
    codes.assign(static_cast<size_t>(B * L), 0);
    targets.assign(static_cast<size_t>(B), 0);
    for (int64_t r = 0; r < B; ++r) {
      const auto [u, t] = examples[static_cast<size_t>(ids[r])];
      const auto& s = data.seqs[static_cast<size_t>(u)];
      const int32_t target = s[static_cast<size_t>(t)];
      const int32_t a = std::max(0, t - cfg.max_len);
      hist.assign(s.begin() + a, s.begin() + t);
      if (g.history_item_dropout > 0) drop_history_items(hist, g.history_item_dropout, rng);
      rec_tok[static_cast<size_t>(r)] = rec_input(cfg, in.content, hist.data(), hist.size());
      targets[static_cast<size_t>(r)] = target;
      for (int l = 0; l < L; ++l) codes[static_cast<size_t>(r * L + l)] = in.sids.code(target)[l];
      if (need_items) idx_tok[static_cast<size_t>(r)] = item_index_tokens(target, rng);
      if (g.w_bpr > 0) {
        int32_t neg = target;
        while (neg == target && cfg.num_items > 1) neg = static_cast<int32_t>(rng() % static_cast<uint64_t>(cfg.num_items));
        neg_tok[static_cast<size_t>(r)] = item_index_tokens(neg, rng);
      }
      if (g.w_cl > 0) sim_tok[static_cast<size_t>(r)] = item_index_tokens(similar_item(target, rng), rng);
    }
  };
  int64_t batch_rows = 0;
  spec.shard_loss = [&](int64_t lo, int64_t hi, DropoutRng* gen) {
    namespace F = torch::nn::functional;
    const int64_t n = hi - lo;
    auto code_t = torch::from_blob(codes.data() + lo * L, {n, L}, torch::kInt64).clone();
    // 逐层交叉熵之和；标签平滑按层的码本大小均分 ε（LibTorch 的 label_smoothing 语义）。
    const auto ce_opt = F::CrossEntropyFuncOptions().reduction(torch::kSum).label_smoothing(g.label_smoothing);
    auto ce_levels = [&](const std::vector<torch::Tensor>& logits) {
      torch::Tensor s = torch::zeros({}, torch::kFloat32);
      for (int l = 0; l < L; ++l) s = s + F::cross_entropy(logits[static_cast<size_t>(l)], code_t.select(1, l), ce_opt);
      return s;
    };
    auto rt = pad_rows(rec_tok, lo, hi);
    auto mem = net->encode(rt, gen);
    torch::Tensor loss = torch::zeros({}, torch::kFloat32);
    if (g.w_rec > 0) loss = loss + g.w_rec * ce_levels(net->decode(mem, rt, code_t, gen));
    if (g.w_dense > 0) {
      // 稠密头：最后一个记号的输出对全部物品向量做内积，全量 softmax 交叉熵。
      // dense_dropout：被打分的物品向量逐元素随机置 0（每个分片一个掩码，所有行共用），抑制尾部物品行过拟合。
      // dense_id_dropout：另按物品整行丢掉物品记号自己的嵌入（[I, 1] 的掩码，保留的行放大 1/(1-q)）。
      torch::Tensor id_scale;
      if (g.dense_id_dropout > 0 && net->is_training())
        id_scale = dropout_with(torch::ones({cfg.num_items, 1}, torch::kFloat32), g.dense_id_dropout, true, gen);
      auto items = dropout_with(net->item_vectors(id_scale), g.dense_dropout, net->is_training(), gen);
      auto logits = torch::matmul(GenRecNetImpl::last_state(mem, rt), items.t());
      auto tgt = torch::from_blob(targets.data() + lo, {n}, torch::kInt64).clone();
      loss = loss + g.w_dense * F::cross_entropy(logits, tgt, F::CrossEntropyFuncOptions().reduction(torch::kSum));
    }
    if (need_items) {
      // 物品侧的输入（目标、负例、相似物品）拼成一批做一次编码：张量更大、算子更少。
      std::vector<std::vector<int32_t>> rows(idx_tok.begin() + lo, idx_tok.begin() + hi);
      if (g.w_bpr > 0) rows.insert(rows.end(), neg_tok.begin() + lo, neg_tok.begin() + hi);
      if (g.w_cl > 0) rows.insert(rows.end(), sim_tok.begin() + lo, sim_tok.begin() + hi);
      auto it_all = pad_rows(rows, 0, static_cast<int64_t>(rows.size()));
      auto mem_all = net->encode(it_all, gen);
      auto z_all = GenRecNetImpl::pooled(mem_all);
      int64_t part = 1;
      auto z_p = z_all.slice(0, 0, n);
      if (g.w_index > 0)
        loss = loss + g.w_index * ce_levels(net->decode(mem_all.slice(0, 0, n), it_all.slice(0, 0, n), code_t, gen));
      if (g.w_bpr > 0) {
        auto z_n = z_all.slice(0, part * n, (part + 1) * n);
        ++part;
        auto z_u = GenRecNetImpl::pooled(mem);
        loss = loss - g.w_bpr * F::logsigmoid((z_u * z_p).sum(1) - (z_u * z_n).sum(1)).sum();
      }
      if (g.w_cl > 0) {
        auto a = F::normalize(z_p, F::NormalizeFuncOptions().dim(1));
        auto b = F::normalize(z_all.slice(0, part * n, (part + 1) * n), F::NormalizeFuncOptions().dim(1));
        auto logits = torch::matmul(a, b.t()) / g.cl_temperature;
        loss = loss + g.w_cl * F::cross_entropy(logits, torch::arange(n, torch::kInt64),
                                                F::CrossEntropyFuncOptions().reduction(torch::kSum));
      }
    }
    return loss / static_cast<double>(batch_rows);
  };
  auto prepare_inner = spec.prepare;
  spec.prepare = [&, prepare_inner](const int64_t* ids, int64_t B, std::mt19937_64& rng) {
    batch_rows = B;
    prepare_inner(ids, B, rng);
  };
  spec.batch_positions = [&] { return batch_rows; };
  spec.batch_denominator = [&] { return static_cast<double>(batch_rows); };
  auto weights = [&] {
    TensorMap w = net->to_tensors();
    w["content_tokens"] = content_tokens_tensor(cfg, in.content);
    return w;
  };
  spec.weights = weights;
  const auto valid = sample_cases(eval_cases(data, SplitPart::kValid), g.valid_sample, g.resolved_valid_seed(opt.seed));
  if (valid.empty()) throw Error("no validation cases");
  spec.validate = [&](const TensorMap& w) {
    const GenRecModel m = GenRecModel::from_tensors(w, cfg, in.sids);
    const int k = std::min(10, std::max(g.beam, 10));
    return nlohmann::json(
        summarize_ranks(rank_cases_generative(m, data, valid, k, g.beam, false, opt.threads, g.dense_mix), {10}));
  };
  return run_loop(spec, data, opt, on_epoch);
}

}  // namespace seqrec
