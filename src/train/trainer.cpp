// 训练循环实现：一个通用的数据并行循环（run_loop），两种组批方式（长短期模型的滑动窗口、序列模型的整行）。
#include "train/trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <sstream>
#include <thread>
#include <unordered_map>

#include <cblas.h>

#include "core/error.h"
#include "core/files.h"
#include "core/progress.h"
#include "eval/evaluator.h"
#include "eval/metrics.h"
#include "models/encoder.h"
#include "models/lightgcn_torch.h"
#include "models/long_short_torch.h"
#include "models/registry.h"
#include "models/seq_torch.h"
#include "train/adam.h"
#include "train/checkpoint.h"
#include "train/lr_schedule.h"
#include "train/loop.h"
#include "train/negatives.h"
#include "train/losses.h"

namespace seqrec {

TrainOptions TrainOptions::defaults_for(const std::string& model_type) {
  // 按模型而定的默认值在模型表里（models/registry.cpp，附出处）；不认识的类型得到基础默认值。
  TrainOptions o;
  const ModelKind* k = find_model_kind(model_type);
  if (!k) return o;
  const TrainDefaults& d = k->train;
  o.epochs = d.epochs;
  o.loss = d.loss;
  o.batch_size = d.batch_size;
  o.lr = d.lr;
  o.beta2 = d.beta2;
  o.dropout = d.dropout;
  o.reg_weight = d.reg_weight;
  o.eval_every = d.eval_every;
  o.patience = d.patience;
  return o;
}

void TrainOptions::validate() const {
  auto bad = [](const char* flag, auto v, const char* want) {
    return Error(concat(flag, " must be ", want, " (got ", v, ")"));
  };
  if (epochs < 1) throw bad("--epochs", epochs, ">= 1");
  parse_loss(loss);
  if (negatives < 0 || negatives > 100000) throw bad("--negatives", negatives, "in [0, 100000] (0 = the loss's default)");
  if (!neg_sampler.empty() && neg_sampler != "uniform" && neg_sampler != "pop")
    throw bad("--neg-sampler", neg_sampler, "uniform or pop");
  if (!(gbce_t >= 0 && gbce_t <= 1)) throw bad("--gbce-t", gbce_t, "in [0, 1]");
  if (!(mask_prob > 0 && mask_prob <= 1)) throw bad("--mask-prob", mask_prob, "in (0, 1]");
  if (!(final_mask_prob >= 0 && final_mask_prob <= 1)) throw bad("--final-mask-prob", final_mask_prob, "in [0, 1]");
  if (loss == "gbce" && neg_sampler == "pop")
    throw Error("--loss gbce calibrates for uniformly drawn negatives; --neg-sampler pop does not apply to it");
  if (!(beta1 >= 0 && beta1 < 1)) throw bad("--beta1", beta1, "in [0, 1)");
  if (!(beta2 >= 0 && beta2 < 1)) throw bad("--beta2", beta2, "in [0, 1)");
  if (eval_every < 1) throw bad("--eval-every", eval_every, ">= 1");
  if (batch_size < 1 || batch_size > 65536) throw bad("--batch", batch_size, "in [1, 65536]");
  if (!(lr > 0 && lr < 10)) throw bad("--lr", lr, "in (0, 10)");
  LrSchedule::check_kind(lr_schedule);
  if (!(warmup_epochs >= 0 && warmup_epochs <= epochs))
    throw bad("--warmup-epochs", warmup_epochs, "in [0, --epochs]");
  if (!(decay_epochs >= 0 && decay_epochs <= epochs - warmup_epochs))
    throw bad("--decay-epochs", decay_epochs, "in [0, --epochs - --warmup-epochs]");
  if (decay_epochs > 0 && lr_schedule == "constant")
    throw Error("--decay-epochs shapes the decay of --lr-schedule linear or cosine; with constant there is none");
  if (!(weight_decay >= 0)) throw bad("--weight-decay", weight_decay, ">= 0");
  if (weight_decay_scope != "all" && weight_decay_scope != "matrices")
    throw bad("--weight-decay-scope", weight_decay_scope, "all or matrices");
  if (!(reg_weight >= 0)) throw bad("--reg-weight", reg_weight, ">= 0");
  if (optimizer != "adam" && optimizer != "adamw") throw bad("--optimizer", optimizer, "adam or adamw");
  if (!(dropout >= 0 && dropout < 1)) throw bad("--dropout", dropout, "in [0, 1)");
  if (!(temperature > 0)) throw bad("--temperature", temperature, "> 0");
  if (!(user_dropout >= 0 && user_dropout < 1)) throw bad("--user-dropout", user_dropout, "in [0, 1)");
  if (!(history_dropout >= 0 && history_dropout < 1)) throw bad("--history-dropout", history_dropout, "in [0, 1)");
  if (patience < 1) throw bad("--patience", patience, ">= 1");
  if (threads < 1 || threads > 256) throw bad("--threads", threads, "in [1, 256]");
  if (valid_protocol.candidates != EvalProtocol::Candidates::kAll && valid_protocol.negatives < 1)
    throw bad("--valid-negatives", valid_protocol.negatives, ">= 1");
}

int TrainOptions::negatives_resolved() const {
  if (negatives > 0) return negatives;
  return loss == "sampled" || loss == "gbce" ? 256 : 1;
}

std::string TrainOptions::neg_sampler_resolved() const {
  if (!neg_sampler.empty()) return neg_sampler;
  return loss == "sampled" ? "pop" : "uniform";
}

nlohmann::json TrainOptions::to_json(const std::string& model_type) const {
  nlohmann::json j = {{"epochs", epochs},           {"loss", loss},                 {"batch_size", batch_size},
                      {"lr", lr},                   {"beta1", beta1},               {"beta2", beta2},
                      {"weight_decay", weight_decay}, {"optimizer", optimizer},     {"dropout", dropout},
                      {"eval_every", eval_every},   {"patience", patience},         {"seed", seed},
                      {"threads", threads},         {"bucket", bucket},             {"temperature", temperature}};
  // 用户 / 历史 dropout 只在 long_short 的训练样本里用到；别的模型写出来只会误导读日志的人。
  const ModelKind* kind = find_model_kind(model_type);
  if (kind && kind->family == ModelFamily::kLongShort) {
    j["user_dropout"] = user_dropout;
    j["history_dropout"] = history_dropout;
  }
  if (model_type == "bert4rec") {  // 掩码物品预测的两个概率只属于 BERT4Rec
    j["mask_prob"] = mask_prob;
    j["final_mask_prob"] = final_mask_prob;
  }
  if (reg_weight > 0) j["reg_weight"] = reg_weight;
  if (weight_decay_scope != "all") j["weight_decay_scope"] = weight_decay_scope;  // 默认不写，旧清单不变
  // 调度只在不是默认（恒定、无预热）时写出，旧清单与新清单的默认训练记录保持一致。
  if (lr_schedule != "constant" || warmup_epochs > 0) {
    j["lr_schedule"] = lr_schedule;
    j["warmup_epochs"] = warmup_epochs;
    if (decay_epochs > 0) j["decay_epochs"] = decay_epochs;  // 默认（全程衰减）不写，旧清单不变
  }
  j["valid_protocol"] = valid_protocol.to_json();
  const LossKind k = parse_loss(loss);
  if (k == LossKind::kBCE || k == LossKind::kBPR || k == LossKind::kSampled || k == LossKind::kGBCE) {
    j["negatives"] = negatives_resolved();
    j["neg_sampler"] = neg_sampler_resolved();
  }
  if (k == LossKind::kGBCE) j["gbce_t"] = gbce_t;
  if (k == LossKind::kSampled || k == LossKind::kInBatch) j["logq"] = logq;
  return j;
}

TrainOptions TrainOptions::from_json(const nlohmann::json& j, const std::string& type) {
  TrainOptions t = TrainOptions::defaults_for(type);
  try {
    auto get = [&](const char* k, auto& v) {
      if (j.contains(k)) v = j.at(k).get<std::decay_t<decltype(v)>>();
    };
    get("epochs", t.epochs);
    get("loss", t.loss);
    get("negatives", t.negatives);
    get("neg_sampler", t.neg_sampler);
    get("gbce_t", t.gbce_t);
    get("mask_prob", t.mask_prob);
    get("final_mask_prob", t.final_mask_prob);
    get("logq", t.logq);
    get("batch_size", t.batch_size);
    get("lr", t.lr);
    get("lr_schedule", t.lr_schedule);
    get("warmup_epochs", t.warmup_epochs);
    get("decay_epochs", t.decay_epochs);
    get("beta1", t.beta1);
    get("beta2", t.beta2);
    get("weight_decay", t.weight_decay);
    get("weight_decay_scope", t.weight_decay_scope);
    get("reg_weight", t.reg_weight);
    get("optimizer", t.optimizer);
    get("dropout", t.dropout);
    get("temperature", t.temperature);
    get("user_dropout", t.user_dropout);
    get("history_dropout", t.history_dropout);
    get("eval_every", t.eval_every);
    get("patience", t.patience);
    get("seed", t.seed);
    get("bucket", t.bucket);
    if (j.contains("valid_protocol")) t.valid_protocol.exclude_history = j["valid_protocol"].value("exclude_history", false);
  } catch (const nlohmann::json::exception& e) {
    throw Error(concat("manifest.json: the training section cannot be read: ", e.what()));
  }
  return t;
}

namespace {

// 分片 [lo, hi) 的损失之和除以 denom（整批的归一化常数）。
// 余弦打分时把查询与物品都归一化，logits 乘 1/温度；内积打分时原样、倍数 1。
torch::Tensor loss_for(const NegativePlan& plan, const PosBatch& b, int64_t lo, int64_t hi, torch::Tensor h,
                       torch::Tensor items, const ModelConfig& cfg, const TrainOptions& opt, double denom) {
  namespace F = torch::nn::functional;
  double scale = 1.0;
  if (cfg.cosine()) {
    h = F::normalize(h, F::NormalizeFuncOptions().dim(1));
    items = F::normalize(items, F::NormalizeFuncOptions().dim(1));
    scale = 1.0 / opt.temperature;
  }
  return loss_sum(plan.kind, plan.inputs(b, lo, hi, std::move(h)), items, scale) / denom;
}

}  // namespace

TrainResult train_long_short(const SequenceData& data, const ModelConfig& cfg, const TrainOptions& opt,
                             const EpochCallback& on_epoch) {
  opt.validate();
  cfg.validate();
  init_threads(opt);
  LongShortTransformer model(cfg, opt.dropout);
  // 样本：训练部分每个位置一个滑动窗口（含空历史 → 第一个物品）。
  const std::vector<Sample> samples = training_samples(data, 0);
  if (samples.empty()) throw Error("no training samples: every user needs at least 3 interactions");
  // 按事件类型的目标权重（data.weights；没有时不加权），除以平均值使整体尺度不变。
  const double wnorm = 1.0 / data.mean_train_weight(0);
  const int L = cfg.max_len, N = cfg.num_items;
  const NegativePlan plan(data, opt);
  std::uniform_real_distribution<double> unif(0.0, 1.0);
  // 批数据的复用缓冲（避免每步分配新张量）。
  std::vector<int64_t> users_buf, seq_buf;
  PosBatch batch;

  LoopSpec spec;
  spec.cfg = cfg;
  spec.params = model->parameters();
  spec.module = model.ptr().get();
  spec.units = static_cast<int64_t>(samples.size());
  spec.prepare = [&](const int64_t* ids, int64_t B, std::mt19937_64& rng) {
    users_buf.assign(static_cast<size_t>(B), 0);
    seq_buf.assign(static_cast<size_t>(B * L), N);
    batch.clear();
    for (int64_t i = 0; i < B; ++i) {
      const Sample& s = samples[static_cast<size_t>(ids[i])];
      const auto& seq = data.seqs[static_cast<size_t>(s.user)];
      users_buf[static_cast<size_t>(i)] = unif(rng) < opt.user_dropout ? 0 : s.user + 1;
      batch.targets.push_back(seq[static_cast<size_t>(s.pos)]);
      if (!data.weights.empty()) batch.weights.push_back(static_cast<float>(data.weight(s.user, s.pos) * wnorm));
      batch.pos_off.push_back(i + 1);
      batch.row_user.push_back(s.user);
      if (unif(rng) < opt.history_dropout) continue;  // 清空历史：只剩长期兴趣
      const int32_t start = std::max(0, s.pos - L);
      const int32_t n = s.pos - start;
      for (int32_t t = 0; t < n; ++t)
        seq_buf[static_cast<size_t>(i * L + (L - n) + t)] = seq[static_cast<size_t>(start + t)];
    }
    plan.fill(batch, rng);
  };
  spec.shard_loss = [&](int64_t lo, int64_t hi, DropoutRng* gen) {
    const int64_t n = hi - lo;
    auto users = torch::from_blob(users_buf.data() + lo, {n}, torch::kInt64);
    auto seqs = torch::from_blob(seq_buf.data() + lo * L, {n, L}, torch::kInt64);
    auto u = model->forward(users, seqs, gen);
    return loss_for(plan, batch, lo, hi, u, model->item_emb->weight.slice(0, 0, N), cfg, opt,
                    static_cast<double>(batch.positions()));
  };
  spec.batch_positions = [&] { return batch.positions(); };
  spec.batch_denominator = [&] { return static_cast<double>(batch.positions()); };
  spec.weights = [&] { return model->to_tensors(); };
  return run_loop(spec, data, opt, on_epoch);
}

TrainResult train_sequence_model(const SequenceData& data, const ModelConfig& cfg, const TrainOptions& opt,
                                 const EpochCallback& on_epoch) {
  opt.validate();
  cfg.validate();
  init_threads(opt);
  auto net = make_seq_net(cfg, opt.dropout);
  const int L = cfg.max_len, N = cfg.num_items;
  // 掩码物品预测（BERT4Rec）：mask >= 0 为 [MASK] 的嵌入行；否则自回归（SASRec、GRU4Rec）。
  const int64_t mask = net->mask_token();
  const bool masked = mask >= 0;
  // 每轮每个用户一行，训练部分为 s[0..m)（m = train_len）：
  //   自回归：输入 s[a..m-1)，目标 s[a+1..m)，a = max(0, m-1-L)，即最后 max_len 个位置（与 SASRec 论文及其复现相同）；
  //   掩码：  输入 s[a..m)，a = max(0, m-L)，每个位置以 mask_prob 的概率换成 [MASK] 并预测原物品；以 final_mask_prob
  //           的概率只遮住最后一个位置（与服务时“历史 + [MASK]”的形状相同）；一个都没遮住时遮住随机的一个。
  std::vector<int32_t> users;
  for (int32_t u = 0; u < data.num_users(); ++u)
    if (data.train_len(u) >= 2) users.push_back(u);
  if (users.empty()) throw Error("no training rows: no user has 2 or more training interactions");
  const NegativePlan plan(data, opt);
  const double wnorm = 1.0 / data.mean_train_weight(1);  // 目标权重的归一化（见 train_long_short）
  PosBatch batch;
  std::vector<int32_t> row_start, row_len;  // 每行输入在用户序列中的起点 a 与输入长度
  std::vector<int32_t> pred_col;            // 每个预测位置在本行输入中的列（与 batch.targets 同序）
  auto input_len = [&](int32_t u) { return masked ? std::min(data.train_len(u), L) : std::min(data.train_len(u) - 1, L); };
  // 损失的归一化：随机组批时除以本批的位置数（批内平均）；分桶组批时各批长短悬殊，除以“每批平均位置数”
  // 这个常数，使每个位置在一轮中的权重相同（与随机组批的期望一致），而不是短序列的批被放大。
  // 掩码训练的位置数是随机的，用它的期望：q·1 + (1 − q)·max(1, p·长度)。
  double total_positions = 0;
  for (int32_t u : users) {
    const double len = input_len(u);
    total_positions += masked ? opt.final_mask_prob + (1 - opt.final_mask_prob) * std::max(1.0, opt.mask_prob * len) : len;
  }
  const double mean_positions =
      total_positions / static_cast<double>((static_cast<int64_t>(users.size()) + opt.batch_size - 1) / opt.batch_size);
  auto denom = [&, mean_positions]() -> double {
    return opt.bucket ? mean_positions : static_cast<double>(std::max<int64_t>(1, batch.positions()));
  };

  LoopSpec spec;
  spec.cfg = cfg;
  spec.params = net->parameters();
  spec.module = net.get();
  spec.units = static_cast<int64_t>(users.size());
  spec.unit_length = [&](int64_t i) { return static_cast<int64_t>(input_len(users[static_cast<size_t>(i)])); };
  std::uniform_real_distribution<double> unif(0.0, 1.0);
  spec.prepare = [&](const int64_t* ids, int64_t B, std::mt19937_64& rng) {
    batch.clear();
    row_start.clear();
    row_len.clear();
    pred_col.clear();
    for (int64_t i = 0; i < B; ++i) {
      const int32_t u = users[static_cast<size_t>(ids[i])];
      const auto& s = data.seqs[static_cast<size_t>(u)];
      const int32_t m = data.train_len(u), len = input_len(u);
      const int32_t a = masked ? m - len : m - 1 - len;
      auto predict = [&](int32_t col, int32_t t) {  // 第 col 列预测用户序列的第 t 个物品
        batch.targets.push_back(s[static_cast<size_t>(t)]);
        if (!data.weights.empty()) batch.weights.push_back(static_cast<float>(data.weight(u, t) * wnorm));
        pred_col.push_back(col);
      };
      if (!masked) {
        for (int32_t c = 0; c < len; ++c) predict(c, a + c + 1);
      } else if (unif(rng) < opt.final_mask_prob) {
        predict(len - 1, a + len - 1);
      } else {
        const size_t before = pred_col.size();
        for (int32_t c = 0; c < len; ++c)
          if (unif(rng) < opt.mask_prob) predict(c, a + c);
        if (pred_col.size() == before) {
          const auto c = static_cast<int32_t>(rng() % static_cast<uint64_t>(len));
          predict(c, a + c);
        }
      }
      batch.pos_off.push_back(static_cast<int64_t>(batch.targets.size()));
      batch.row_user.push_back(u);
      row_start.push_back(a);
      row_len.push_back(len);
    }
    plan.fill(batch, rng);
  };
  spec.shard_loss = [&](int64_t lo, int64_t hi, DropoutRng* gen) {
    // 分片内按最长的一行截短（左侧全是填充的列去掉：位置右对齐，结果不变）。
    int64_t T = 1;
    for (int64_t r = lo; r < hi; ++r) T = std::max<int64_t>(T, row_len[static_cast<size_t>(r)]);
    const int64_t n = hi - lo;
    // 张量自己持有数据（反向传播时 embedding / index_select 还要用到这些下标）。
    auto seq_t = torch::full({n, T}, N, torch::kInt64);
    auto idx_t = torch::empty({batch.pos_off[static_cast<size_t>(hi)] - batch.pos_off[static_cast<size_t>(lo)]}, torch::kInt64);
    int64_t* seq = seq_t.data_ptr<int64_t>();
    int64_t* idx = idx_t.data_ptr<int64_t>();
    int64_t k = 0;
    const bool left = net->left_padded();
    for (int64_t r = lo; r < hi; ++r) {
      const auto& s = data.seqs[static_cast<size_t>(batch.row_user[static_cast<size_t>(r)])];
      const int64_t len = row_len[static_cast<size_t>(r)];
      const int64_t a = row_start[static_cast<size_t>(r)], c0 = left ? T - len : 0;
      int64_t* row = seq + (r - lo) * T + c0;
      for (int64_t t = 0; t < len; ++t) row[t] = s[static_cast<size_t>(a + t)];
      for (int64_t p = batch.pos_off[static_cast<size_t>(r)]; p < batch.pos_off[static_cast<size_t>(r) + 1]; ++p) {
        const int32_t c = pred_col[static_cast<size_t>(p)];
        if (masked) row[c] = mask;
        idx[k++] = (r - lo) * T + c0 + c;
      }
    }
    auto h = net->forward(seq_t, gen).reshape({n * T, cfg.dim}).index_select(0, idx_t);
    return loss_for(plan, batch, lo, hi, h, net->item_table(), cfg, opt, denom());
  };
  spec.batch_positions = [&] { return batch.positions(); };
  spec.batch_denominator = denom;
  spec.weights = [&] { return net->to_tensors(); };
  return run_loop(spec, data, opt, on_epoch);
}

TrainResult train_lightgcn(const SequenceData& data, const ModelConfig& cfg, const TrainOptions& opt,
                           const EpochCallback& on_epoch) {
  opt.validate();
  cfg.validate();
  init_threads(opt);
  LightGcnNet net(cfg, data);
  // 训练单位：训练部分的每个（用户，物品）交互，每个单位一行、一个预测位置。
  std::vector<std::pair<int32_t, int32_t>> pairs;
  for (int32_t u = 0; u < data.num_users(); ++u) {
    const auto& s = data.seqs[static_cast<size_t>(u)];
    for (int32_t t = 0; t < data.train_len(u); ++t) pairs.push_back({u, s[static_cast<size_t>(t)]});
  }
  if (pairs.empty()) throw Error("no training interactions");
  const NegativePlan plan(data, opt);
  // 目标权重（见 train_long_short）：每个（用户，物品）交互的权重；与 pairs 同序。
  std::vector<float> pair_weight;
  if (!data.weights.empty()) {
    const double wnorm = 1.0 / data.mean_train_weight(0);
    for (int32_t u = 0; u < data.num_users(); ++u)
      for (int32_t t = 0; t < data.train_len(u); ++t) pair_weight.push_back(static_cast<float>(data.weight(u, t) * wnorm));
  }
  PosBatch batch;
  std::vector<int64_t> users_buf;

  LoopSpec spec;
  spec.cfg = cfg;
  spec.params = net->parameters();
  spec.module = net.ptr().get();
  spec.units = static_cast<int64_t>(pairs.size());
  spec.prepare = [&](const int64_t* ids, int64_t B, std::mt19937_64& rng) {
    batch.clear();
    users_buf.clear();
    for (int64_t i = 0; i < B; ++i) {
      const auto [u, item] = pairs[static_cast<size_t>(ids[i])];
      batch.targets.push_back(item);
      if (!pair_weight.empty()) batch.weights.push_back(pair_weight[static_cast<size_t>(ids[i])]);
      batch.pos_off.push_back(i + 1);
      batch.row_user.push_back(u);
      users_buf.push_back(u);
    }
    plan.fill(batch, rng);
  };
  spec.shard_loss = [&](int64_t lo, int64_t hi, DropoutRng*) {
    // 每个分片各自做一次整图传播（图很小时比在线程间共享中间结果简单）；损失只取本分片的行。
    auto [uf, itf] = net->propagate();
    auto users = torch::from_blob(users_buf.data() + lo, {hi - lo}, torch::kInt64);
    auto h = uf.index_select(0, users);
    const double denom = static_cast<double>(batch.positions());
    auto loss = loss_for(plan, batch, lo, hi, h, itf, cfg, opt, denom);
    if (opt.reg_weight > 0) {
      // 第 0 层嵌入的 L2：本分片的用户、正例与负例（与 RecBole 的 EmbLoss 相同，按批大小平均）。
      auto in = plan.inputs(batch, lo, hi, h);
      auto e_u = net->user_emb->weight.index_select(0, users);
      auto e_p = net->item_emb->weight.index_select(0, in.targets);
      torch::Tensor reg = e_u.pow(2).sum() + e_p.pow(2).sum();
      if (in.negs.defined() && in.negs.dim() == 2)
        reg = reg + net->item_emb->weight.index_select(0, in.negs.reshape({-1})).pow(2).sum();
      loss = loss + opt.reg_weight * 0.5 * reg / denom;
    }
    return loss;
  };
  spec.batch_positions = [&] { return batch.positions(); };
  spec.batch_denominator = [&] { return static_cast<double>(batch.positions()); };
  spec.weights = [&] { return net->to_tensors(); };
  std::fprintf(stderr, "lightgcn graph: %d users, %d items, %lld edges, %d layers\n", cfg.num_users, cfg.num_items,
               static_cast<long long>(net->edges), cfg.layers);
  return run_loop(spec, data, opt, on_epoch);
}

TrainResult train_model(const SequenceData& data, const ModelConfig& cfg, const TrainOptions& opt,
                        const EpochCallback& on_epoch) {
  // 按模型表里的家族选训练循环（生成式模型另有入口：train/genrec_trainer.h）。
  switch (model_kind(cfg.type).family) {
    case ModelFamily::kLongShort: return train_long_short(data, cfg, opt, on_epoch);
    case ModelFamily::kGraph: return train_lightgcn(data, cfg, opt, on_epoch);
    case ModelFamily::kSequence: return train_sequence_model(data, cfg, opt, on_epoch);
    case ModelFamily::kGenerative: break;
  }
  throw Error(concat("--model ", cfg.type, " is trained by the generative pipeline, not train_model"));
}

}  // namespace seqrec
