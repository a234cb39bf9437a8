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
  if (!(beta1 >= 0 && beta1 < 1)) throw bad("--beta1", beta1, "in [0, 1)");
  if (!(beta2 >= 0 && beta2 < 1)) throw bad("--beta2", beta2, "in [0, 1)");
  if (eval_every < 1) throw bad("--eval-every", eval_every, ">= 1");
  if (batch_size < 1 || batch_size > 65536) throw bad("--batch", batch_size, "in [1, 65536]");
  if (!(lr > 0 && lr < 10)) throw bad("--lr", lr, "in (0, 10)");
  LrSchedule::check_kind(lr_schedule);
  if (!(warmup_epochs >= 0 && warmup_epochs <= epochs))
    throw bad("--warmup-epochs", warmup_epochs, "in [0, --epochs]");
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
  return loss == "sampled" ? 256 : 1;
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
  if (reg_weight > 0) j["reg_weight"] = reg_weight;
  if (weight_decay_scope != "all") j["weight_decay_scope"] = weight_decay_scope;  // 默认不写，旧清单不变
  // 调度只在不是默认（恒定、无预热）时写出，旧清单与新清单的默认训练记录保持一致。
  if (lr_schedule != "constant" || warmup_epochs > 0) {
    j["lr_schedule"] = lr_schedule;
    j["warmup_epochs"] = warmup_epochs;
  }
  j["valid_protocol"] = valid_protocol.to_json();
  const LossKind k = parse_loss(loss);
  if (k == LossKind::kBCE || k == LossKind::kBPR || k == LossKind::kSampled) {
    j["negatives"] = negatives_resolved();
    j["neg_sampler"] = neg_sampler_resolved();
  }
  if (k == LossKind::kSampled || k == LossKind::kInBatch) j["logq"] = logq;
  return j;
}

namespace {

// 一批训练数据的预测位置（整批，单线程组装）：第 r 行的位置是 [pos_off[r], pos_off[r+1])。
struct PosBatch {
  std::vector<int64_t> pos_off;    // [rows+1]
  std::vector<int64_t> targets;    // [P]
  std::vector<int32_t> row_user;   // [rows] 每行的用户（负样本排除该用户的训练物品）
  std::vector<int64_t> negs;       // bce/bpr：[P*N]；sampled：[N]；inbatch：[U]
  std::vector<float> neg_logq;     // sampled / inbatch
  std::vector<float> tgt_logq;     // sampled：[P]
  std::vector<int64_t> tgt_index;  // inbatch：[P]
  int64_t rows() const { return static_cast<int64_t>(pos_off.size()) - 1; }
  int64_t positions() const { return pos_off.back(); }
  void clear() {
    pos_off.assign(1, 0);
    targets.clear();
    row_user.clear();
  }
};

// 负样本与 logQ 的准备。fill() 在组批线程中按位置顺序抽取（只取决于种子），
// inputs() 在分片线程中把某个行区间的数据包装成张量（不复制）。
class NegativePlan {
 public:
  NegativePlan(const SequenceData& data, const TrainOptions& opt)
      : NegativePlan(data, opt, train_item_counts(data)) {}

  NegativePlan(const SequenceData& data, const TrainOptions& opt, const std::vector<int64_t>& counts)
      : kind(parse_loss(opt.loss)),
        n(opt.negatives_resolved()),
        logq(opt.logq),
        sampler_(counts, opt.neg_sampler_resolved() == "pop" ? 1.0 : 0.0),
        freq_(counts, 1.0) {
    if (kind == LossKind::kBCE || kind == LossKind::kBPR) {
      // 每个用户训练部分的物品（升序去重）：负样本不取用户训练时见过的物品（SASRec 论文的做法）。
      user_train_.resize(data.seqs.size());
      for (size_t u = 0; u < data.seqs.size(); ++u) {
        const auto& s = data.seqs[u];
        auto& t = user_train_[u];
        t.assign(s.begin(), s.begin() + data.train_len(static_cast<int32_t>(u)));
        std::sort(t.begin(), t.end());
        t.erase(std::unique(t.begin(), t.end()), t.end());
      }
    }
  }

  void fill(PosBatch& b, std::mt19937_64& rng) const {
    b.negs.clear();
    b.neg_logq.clear();
    b.tgt_logq.clear();
    b.tgt_index.clear();
    if (kind == LossKind::kBCE || kind == LossKind::kBPR) {
      b.negs.reserve(static_cast<size_t>(b.positions() * n));
      for (int64_t r = 0; r < b.rows(); ++r) {
        const auto& ex = user_train_[static_cast<size_t>(b.row_user[static_cast<size_t>(r)])];
        for (int64_t p = b.pos_off[static_cast<size_t>(r)]; p < b.pos_off[static_cast<size_t>(r) + 1]; ++p)
          for (int k = 0; k < n; ++k) b.negs.push_back(sampler_.draw_excluding(rng, ex));
      }
    } else if (kind == LossKind::kSampled) {
      for (int k = 0; k < n; ++k) {
        const int32_t j = sampler_.draw(rng);
        b.negs.push_back(j);
        b.neg_logq.push_back(sampler_.log_q(j));
      }
      for (int64_t t : b.targets) b.tgt_logq.push_back(sampler_.log_q(static_cast<int32_t>(t)));
    } else if (kind == LossKind::kInBatch) {
      // 批内候选 = 整批目标去重（按首次出现的顺序）；logQ = 训练集中的物品频率。
      std::unordered_map<int64_t, int64_t> index;
      for (int64_t t : b.targets) {
        auto it = index.emplace(t, static_cast<int64_t>(b.negs.size())).first;
        if (it->second == static_cast<int64_t>(b.negs.size())) {
          b.negs.push_back(t);
          b.neg_logq.push_back(freq_.log_q(static_cast<int32_t>(t)));
        }
        b.tgt_index.push_back(it->second);
      }
    }
  }

  LossInputs inputs(const PosBatch& b, int64_t lo, int64_t hi, torch::Tensor h) const {
    auto wrap_i = [](const std::vector<int64_t>& v, int64_t off, std::vector<int64_t> shape) {
      return torch::from_blob(const_cast<int64_t*>(v.data()) + off, shape, torch::kInt64);
    };
    auto wrap_f = [](const std::vector<float>& v, int64_t off, int64_t len) {
      return torch::from_blob(const_cast<float*>(v.data()) + off, {len}, torch::kFloat32);
    };
    const int64_t p0 = b.pos_off[static_cast<size_t>(lo)], P = b.pos_off[static_cast<size_t>(hi)] - p0;
    LossInputs in;
    in.h = std::move(h);
    in.targets = wrap_i(b.targets, p0, {P});
    if (kind == LossKind::kBCE || kind == LossKind::kBPR) {
      in.negs = wrap_i(b.negs, p0 * n, {P, n});
    } else if (kind == LossKind::kSampled) {
      in.negs = wrap_i(b.negs, 0, {n});
      if (logq) {
        in.neg_logq = wrap_f(b.neg_logq, 0, n);
        in.tgt_logq = wrap_f(b.tgt_logq, p0, P);
      }
    } else if (kind == LossKind::kInBatch) {
      const int64_t U = static_cast<int64_t>(b.negs.size());
      in.negs = wrap_i(b.negs, 0, {U});
      in.tgt_index = wrap_i(b.tgt_index, p0, {P});
      if (logq) in.neg_logq = wrap_f(b.neg_logq, 0, U);
    }
    return in;
  }

  LossKind kind;
  int n;
  bool logq;

 private:
  NegativeSampler sampler_, freq_;
  std::vector<std::vector<int32_t>> user_train_;
};


}  // namespace

namespace {

// 验证：导出到原生模型，走与服务/评估完全相同的代码路径（按 ranker 的协议排序，HR@10 / NDCG@10）。
nlohmann::json validate_native(const TensorMap& w, const ModelConfig& cfg, const SequenceData& data,
                               const std::vector<EvalCase>& cases, const CaseRanker& ranker, int threads) {
  auto enc = make_encoder(w, cfg);
  ExactIndex index(enc->item_embeddings(), cfg.cosine());
  return summarize_ranks(rank_cases(*enc, index, data, cases, cfg.max_len, &ranker, threads), {10});
}

}  // namespace

namespace {
// 停止请求：信号处理函数写、训练循环在每轮末尾读（lock-free 的原子量在信号处理函数中是安全的）。
std::atomic<bool> g_stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the stop flag must be lock-free to be set from a signal handler");
}  // namespace

void request_training_stop() { g_stop_requested.store(true, std::memory_order_relaxed); }
bool training_stop_requested() { return g_stop_requested.load(std::memory_order_relaxed); }
void clear_training_stop() { g_stop_requested.store(false, std::memory_order_relaxed); }

namespace {

// 训练张量 → 连续的 float32 命名张量（写检查点用）。
Tensor plain_tensor(const torch::Tensor& x) {
  auto t = x.detach().to(torch::kFloat32).contiguous();
  Tensor out;
  out.shape.assign(t.sizes().begin(), t.sizes().end());
  out.data.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  return out;
}

}  // namespace

// 数据并行训练循环：每批按线程数切成连续的行分片，每个线程单线程地前向/反向，梯度按固定顺序相加，
// 因此给定种子与线程数，结果逐位可复现。每 eval_every 轮验证一次，连续 patience 次不提升则早停。
// 给了 opt.checkpoint 时每轮结束写检查点；opt.resume 时先从检查点恢复（见 checkpoint.h）。
TrainResult run_loop(const LoopSpec& spec, const SequenceData& data, const TrainOptions& opt,
                     const EpochCallback& on_epoch) {
  const int workers = opt.threads;
  std::mt19937_64 rng(opt.seed);
  const auto valid = spec.validate ? std::vector<EvalCase>{} : eval_cases(data, SplitPart::kValid);
  if (!spec.validate && valid.empty())
    throw Error("no validation cases: with --split-mode temporal, no interaction in the validation period has an "
                "earlier one by the same user; raise --temporal-valid");
  const CaseRanker ranker(data, opt.valid_protocol);
  FusedAdam optim(spec.params, opt.lr, opt.weight_decay, opt.optimizer == "adamw", opt.threads, opt.beta1, opt.beta2);
  if (opt.weight_decay_scope == "matrices") optim.decay_matrices_only();
  uint64_t step = 0;
  // 学习率调度按计划的总步数（--epochs × 每轮批数）展开；早停只是提前结束，不改变曲线。
  const int64_t batches_per_epoch = (spec.units + opt.batch_size - 1) / opt.batch_size;
  const LrSchedule schedule{opt.lr_schedule, std::llround(opt.warmup_epochs * static_cast<double>(batches_per_epoch)),
                            static_cast<int64_t>(opt.epochs) * batches_per_epoch};
  const bool scheduled = opt.lr_schedule != "constant" || schedule.warmup_steps > 0;
  double lr_now = opt.lr;
  TrainResult res;
  res.samples_per_epoch = spec.units;
  std::vector<int64_t> order(static_cast<size_t>(spec.units));
  for (int64_t i = 0; i < spec.units; ++i) order[static_cast<size_t>(i)] = i;
  double best = -1, train_time_sum = 0;
  int since_best = 0;
  const double t_start = now_seconds();
  double elapsed_before = 0;  // 续训：之前各次运行已用的总时间
  int first_epoch = 1;
  // 检查点按参数名存取：named 与 spec.params 次序相同（调用方都取自 module->parameters()）。
  const auto named = spec.module->named_parameters();
  SEQREC_CHECK(named.size() == spec.params.size(), "loop parameters do not match the module's");
  for (size_t i = 0; i < named.size(); ++i)
    SEQREC_CHECK(named[i].value().is_same(spec.params[i]), "loop parameters are not in the module's order");
  // 写检查点：当前参数、Adam 矩、随机数状态、单位次序、早停计数、最佳一轮与日志（log 为到本轮为止的日志）。
  auto save_checkpoint = [&](int epoch, bool finished, const std::string& log) {
    TrainCheckpoint c;
    c.identity = opt.checkpoint_identity;
    c.epoch = epoch;
    c.finished = finished;
    c.step = step;
    c.adam_steps = optim.steps();
    std::ostringstream os;
    os << rng;
    c.rng = os.str();
    c.order = order;
    c.best = best;
    c.since_best = since_best;
    c.best_epoch = res.best_epoch;
    c.best_valid = res.best_valid;
    c.epoch_log = log;
    c.train_seconds_sum = train_time_sum;
    c.elapsed_seconds = elapsed_before + (now_seconds() - t_start);
    for (size_t i = 0; i < named.size(); ++i) {
      c.params.emplace(named[i].key(), plain_tensor(spec.params[i]));
      c.adam_m.emplace(named[i].key(), plain_tensor(optim.first_moments()[i]));
      c.adam_v.emplace(named[i].key(), plain_tensor(optim.second_moments()[i]));
    }
    c.best_weights = res.weights;
    try {
      c.save(opt.checkpoint);
    } catch (const std::exception& e) {
      // 写不了检查点（如磁盘已满）不应毁掉一次训练：警告后接着训练，上一轮的检查点（若有）保持原样。
      std::fprintf(stderr, "warning: could not write the checkpoint after epoch %d: %s; training goes on\n", epoch,
                   e.what());
    }
  };
  if (opt.resume) {
    // 续训：设置必须与写检查点的那次一致；恢复之后的每一步与不中断的训练相同。
    TrainCheckpoint c = TrainCheckpoint::load(opt.checkpoint);
    check_checkpoint_identity(c.identity, opt.checkpoint_identity, opt.checkpoint);
    if (c.order.size() != order.size())
      throw Error(concat(opt.checkpoint, ": the checkpoint orders ", c.order.size(), " training units, this data has ",
                         order.size()));
    for (int64_t u : c.order)
      if (u < 0 || u >= spec.units) throw Error(concat(opt.checkpoint, ": training unit ", u, " out of range"));
    auto restore = [&](const TensorMap& from, const char* what, size_t i, const torch::Tensor& dst) {
      auto it = from.find(named[i].key());
      std::vector<int64_t> shape(dst.sizes().begin(), dst.sizes().end());
      if (it == from.end()) throw Error(concat(opt.checkpoint, ": ", what, " '", named[i].key(), "' is missing"));
      if (it->second.shape != shape)
        throw Error(concat(opt.checkpoint, ": ", what, " '", named[i].key(), "' has another shape than this model's"));
      torch::NoGradGuard ng;
      dst.copy_(torch::from_blob(const_cast<float*>(it->second.data.data()), shape, torch::kFloat32));
    };
    for (size_t i = 0; i < named.size(); ++i) {
      restore(c.params, "parameter", i, spec.params[i]);
      restore(c.adam_m, "Adam first moment", i, optim.first_moments()[i]);
      restore(c.adam_v, "Adam second moment", i, optim.second_moments()[i]);
    }
    if (c.params.size() != named.size())
      throw Error(concat(opt.checkpoint, ": the checkpoint has ", c.params.size(), " parameters, this model ",
                         named.size()));
    optim.set_steps(c.adam_steps);
    std::istringstream is(c.rng);
    is >> rng;
    if (!is) throw Error(concat(opt.checkpoint, ": unreadable random-number state"));
    order = std::move(c.order);
    step = c.step;
    best = c.best;
    since_best = c.since_best;
    res.best_epoch = c.best_epoch;
    res.best_valid = c.best_valid;
    res.weights = std::move(c.best_weights);
    res.epoch_log = c.epoch_log;
    res.epochs_run = c.epoch;
    res.resumed_after_epoch = c.epoch;
    train_time_sum = c.train_seconds_sum;
    elapsed_before = c.elapsed_seconds;
    first_epoch = c.finished ? opt.epochs + 1 : c.epoch + 1;  // 已结束的训练只差评估与导出
    std::fprintf(stderr, "resumed from %s after epoch %d of %d%s (best epoch so far %d)\n", opt.checkpoint.c_str(),
                 c.epoch, opt.epochs, c.finished ? ", where training had ended" : "", c.best_epoch);
  }
  for (int epoch = first_epoch; epoch <= opt.epochs; ++epoch) {
    spec.module->train();
    std::shuffle(order.begin(), order.end(), rng);
    // 批的划分：[起点, 数量]。分桶时，每 64 批的单位按长度排序后切批，再打乱全部批的次序：
    // 每个单位每轮仍恰好出现一次，但同一批内长度相近，截短后填充少得多。
    std::vector<std::pair<int64_t, int64_t>> batches;
    for (int64_t b0 = 0; b0 < spec.units; b0 += opt.batch_size)
      batches.push_back({b0, std::min<int64_t>(opt.batch_size, spec.units - b0)});
    if (spec.unit_length && opt.bucket) {
      const int64_t chunk = static_cast<int64_t>(opt.batch_size) * 64;
      for (int64_t c0 = 0; c0 < spec.units; c0 += chunk) {
        auto first = order.begin() + c0, last = order.begin() + std::min(spec.units, c0 + chunk);
        std::stable_sort(first, last, [&](int64_t a, int64_t b) { return spec.unit_length(a) < spec.unit_length(b); });
      }
      std::shuffle(batches.begin(), batches.end(), rng);
    }
    Progress prog(concat("epoch ", epoch, "/", opt.epochs), spec.units, opt.progress && Progress::stderr_is_tty());
    const double t0 = now_seconds();
    double loss_sum = 0;
    int64_t done = 0, positions = 0;
    for (const auto& [b0, nb] : batches) {
      spec.prepare(order.data() + b0, nb, rng);
      const int64_t B = nb;
      const int W = static_cast<int>(std::min<int64_t>(workers, B));
      std::vector<std::vector<torch::Tensor>> grads(static_cast<size_t>(W));
      std::vector<double> shard_loss(static_cast<size_t>(W), 0.0);
      std::vector<std::string> shard_err(static_cast<size_t>(W));
      auto run_shard = [&](int w) {
        try {
          at::set_num_threads(1);  // OpenMP 线程数是线程局部的：分片线程内的算子也必须单线程
          DropoutRng gen{opt.seed * 1000003ULL + step * 64ULL + static_cast<uint64_t>(w), 0};
          auto loss = spec.shard_loss(B * w / W, B * (w + 1) / W, &gen);
          grads[static_cast<size_t>(w)] = torch::autograd::grad({loss}, spec.params, {}, false, false, true);
          shard_loss[static_cast<size_t>(w)] = loss.item<double>();
        } catch (const std::exception& e) {
          shard_err[static_cast<size_t>(w)] = e.what();
        }
      };
      std::vector<std::thread> pool;
      for (int w = 1; w < W; ++w) pool.emplace_back(run_shard, w);
      run_shard(0);
      for (auto& t : pool) t.join();
      for (const auto& e : shard_err)
        if (!e.empty()) throw Error(concat("training step failed: ", e));
      double lv = 0;
      for (int w = 0; w < W; ++w) lv += shard_loss[static_cast<size_t>(w)];
      if (scheduled) {
        lr_now = opt.lr * schedule.factor(static_cast<int64_t>(step));
        optim.set_lr(lr_now);
      }
      optim.step(grads);  // 按分片顺序求和梯度并更新
      ++step;
      if (!std::isfinite(lv)) throw Error(concat("training diverged at epoch ", epoch, " (loss ", lv, "); lower --lr"));
      const int64_t P = spec.batch_positions();
      loss_sum += lv * spec.batch_denominator();
      positions += P;
      done += nb;
      prog.update(done, loss_sum / std::max<int64_t>(1, positions));
    }
    prog.finish();
    const double epoch_s = now_seconds() - t0;
    train_time_sum += epoch_s;
    res.epochs_run = epoch;
    nlohmann::ordered_json rec = {{"epoch", epoch},
                                  {"loss", loss_sum / std::max<int64_t>(1, positions)},
                                  {"epoch_seconds", epoch_s},
                                  {"samples_per_second", done / epoch_s}};
    if (scheduled) rec["lr"] = lr_now;  // 本轮最后一步的学习率
    // 收到停止请求：本轮也验证（它可能是最佳的一轮），然后结束。
    const bool interrupted = training_stop_requested() ||
                             (opt.stop_after_epoch > 0 && epoch >= opt.stop_after_epoch && epoch < opt.epochs);
    const bool scheduled_eval = epoch % opt.eval_every == 0 || epoch == opt.epochs;
    const bool evaluate = scheduled_eval || interrupted;
    bool stop = interrupted, patience_out = false;
    if (interrupted) {
      res.interrupted = true;
      rec["interrupted"] = true;
    }
    // 计划外的验证（只因停止请求）不进检查点：检查点写在它之前，续训与不中断的训练走同一条路。
    const bool checkpoint_before_eval = !opt.checkpoint.empty() && interrupted && !scheduled_eval;
    if (checkpoint_before_eval) {
      rec["elapsed_seconds"] = elapsed_before + (now_seconds() - t_start);
      save_checkpoint(epoch, false, res.epoch_log + rec.dump() + "\n");
    }
    if (evaluate) {
      spec.module->eval();
      TensorMap w = spec.weights();
      const double tv = now_seconds();
      auto m = spec.validate ? spec.validate(w) : validate_native(w, spec.cfg, data, valid, ranker, opt.threads);
      const double ndcg = m["NDCG@10"].get<double>();
      rec["valid_HR@10"] = m["HR@10"];
      rec["valid_NDCG@10"] = ndcg;
      rec["valid_seconds"] = now_seconds() - tv;
      if (ndcg > best) {
        best = ndcg;
        since_best = 0;
        res.best_epoch = epoch;
        res.best_valid = m;
        res.weights = std::move(w);
      } else if (++since_best >= opt.patience) {
        stop = patience_out = true;
      }
    }
    rec["elapsed_seconds"] = elapsed_before + (now_seconds() - t_start);
    res.epoch_log += rec.dump() + "\n";
    if (!opt.checkpoint.empty() && !checkpoint_before_eval)
      save_checkpoint(epoch, patience_out || epoch == opt.epochs, res.epoch_log);
    if (on_epoch) on_epoch(rec);
    if (stop) break;
  }
  res.train_seconds = elapsed_before + (now_seconds() - t_start);
  res.seconds_per_epoch = train_time_sum / res.epochs_run;
  res.samples_per_second = res.samples_per_epoch / res.seconds_per_epoch;
  return res;
}

// 设置线程：并行方式是数据并行（每个线程一个分片），算子内部与 BLAS 都保持单线程。
void init_threads(const TrainOptions& opt) {
  torch::manual_seed(opt.seed);
  torch::set_num_threads(1);
  openblas_set_num_threads(1);
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
  // 每轮每个用户一行：训练部分为 s[0..m)（m = train_len），输入 s[a..m-1)，目标 s[a+1..m)，
  // 其中 a = max(0, m-1-L)，即最后 max_len 个位置（与 SASRec 论文及其复现相同）。
  std::vector<int32_t> users;
  for (int32_t u = 0; u < data.num_users(); ++u)
    if (data.train_len(u) >= 2) users.push_back(u);
  if (users.empty()) throw Error("no training rows: no user has 2 or more training interactions");
  const NegativePlan plan(data, opt);
  PosBatch batch;
  std::vector<int32_t> row_start;  // 每行输入在用户序列中的起点 a
  // 损失的归一化：随机组批时除以本批的位置数（批内平均）；分桶组批时各批长短悬殊，除以“每批平均位置数”
  // 这个常数，使每个位置在一轮中的权重相同（与随机组批的期望一致），而不是短序列的批被放大。
  int64_t total_positions = 0;
  for (int32_t u : users) total_positions += std::min<int64_t>(data.train_len(u) - 1, L);
  const double mean_positions =
      static_cast<double>(total_positions) /
      static_cast<double>((static_cast<int64_t>(users.size()) + opt.batch_size - 1) / opt.batch_size);
  auto denom = [&, mean_positions]() -> double {
    return opt.bucket ? mean_positions : static_cast<double>(std::max<int64_t>(1, batch.positions()));
  };

  LoopSpec spec;
  spec.cfg = cfg;
  spec.params = net->parameters();
  spec.module = net.get();
  spec.units = static_cast<int64_t>(users.size());
  spec.unit_length = [&](int64_t i) {
    return std::min<int64_t>(data.train_len(users[static_cast<size_t>(i)]) - 1, L);
  };
  spec.prepare = [&](const int64_t* ids, int64_t B, std::mt19937_64& rng) {
    batch.clear();
    row_start.clear();
    for (int64_t i = 0; i < B; ++i) {
      const int32_t u = users[static_cast<size_t>(ids[i])];
      const auto& s = data.seqs[static_cast<size_t>(u)];
      const int32_t m = data.train_len(u);
      const int32_t a = std::max(0, m - 1 - L);
      for (int32_t t = a + 1; t < m; ++t) batch.targets.push_back(s[static_cast<size_t>(t)]);
      batch.pos_off.push_back(static_cast<int64_t>(batch.targets.size()));
      batch.row_user.push_back(u);
      row_start.push_back(a);
    }
    plan.fill(batch, rng);
  };
  spec.shard_loss = [&](int64_t lo, int64_t hi, DropoutRng* gen) {
    // 分片内按最长的一行截短（左侧全是填充的列去掉：位置右对齐，结果不变）。
    int64_t T = 1;
    for (int64_t r = lo; r < hi; ++r)
      T = std::max(T, batch.pos_off[static_cast<size_t>(r) + 1] - batch.pos_off[static_cast<size_t>(r)]);
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
      const int64_t len = batch.pos_off[static_cast<size_t>(r) + 1] - batch.pos_off[static_cast<size_t>(r)];
      const int64_t a = row_start[static_cast<size_t>(r)], c0 = left ? T - len : 0;
      for (int64_t t = 0; t < len; ++t) {
        seq[(r - lo) * T + c0 + t] = s[static_cast<size_t>(a + t)];
        idx[k++] = (r - lo) * T + c0 + t;
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
