// 训练循环实现。
#include "train/trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <random>

#include "core/error.h"
#include "core/files.h"
#include "core/progress.h"
#include "eval/evaluator.h"
#include "eval/metrics.h"
#include "models/long_short_native.h"
#include "models/long_short_torch.h"

namespace seqrec {

void TrainOptions::validate() const {
  auto bad = [](const char* flag, auto v, const char* want) {
    return Error(concat(flag, " must be ", want, " (got ", v, ")"));
  };
  if (epochs < 1) throw bad("--epochs", epochs, ">= 1");
  if (batch_size < 1 || batch_size > 65536) throw bad("--batch", batch_size, "in [1, 65536]");
  if (!(lr > 0 && lr < 10)) throw bad("--lr", lr, "in (0, 10)");
  if (!(weight_decay >= 0)) throw bad("--weight-decay", weight_decay, ">= 0");
  if (optimizer != "adam" && optimizer != "adamw") throw bad("--optimizer", optimizer, "adam or adamw");
  if (!(dropout >= 0 && dropout < 1)) throw bad("--dropout", dropout, "in [0, 1)");
  if (!(temperature > 0)) throw bad("--temperature", temperature, "> 0");
  if (!(user_dropout >= 0 && user_dropout < 1)) throw bad("--user-dropout", user_dropout, "in [0, 1)");
  if (!(history_dropout >= 0 && history_dropout < 1)) throw bad("--history-dropout", history_dropout, "in [0, 1)");
  if (patience < 1) throw bad("--patience", patience, ">= 1");
  if (threads < 1 || threads > 256) throw bad("--threads", threads, "in [1, 256]");
}

nlohmann::json TrainOptions::to_json() const {
  return {{"epochs", epochs},           {"batch_size", batch_size},     {"lr", lr},
          {"weight_decay", weight_decay}, {"optimizer", optimizer},     {"dropout", dropout},
          {"temperature", temperature}, {"user_dropout", user_dropout}, {"history_dropout", history_dropout},
          {"patience", patience},       {"seed", seed},                 {"threads", threads}};
}

TrainResult train_long_short(const SequenceData& data, const ModelConfig& cfg, const TrainOptions& opt,
                             const std::function<void(const nlohmann::json&)>& on_epoch) {
  opt.validate();
  cfg.validate();
  torch::manual_seed(opt.seed);
  torch::set_num_threads(opt.threads);
  std::mt19937_64 rng(opt.seed);
  std::uniform_real_distribution<double> unif(0.0, 1.0);

  LongShortTransformer model(cfg, opt.dropout);
  std::unique_ptr<torch::optim::Optimizer> optim;
  if (opt.optimizer == "adamw")
    optim = std::make_unique<torch::optim::AdamW>(model->parameters(),
                                                  torch::optim::AdamWOptions(opt.lr).weight_decay(opt.weight_decay));
  else
    optim = std::make_unique<torch::optim::Adam>(model->parameters(),
                                                 torch::optim::AdamOptions(opt.lr).weight_decay(opt.weight_decay));

  // 样本：训练部分每个位置一个滑动窗口（含空历史 → 第一个物品）。
  std::vector<Sample> samples = training_samples(data, 0);
  if (samples.empty()) throw Error("no training samples: every user needs at least 3 interactions");
  const auto valid = eval_cases(data, SplitPart::kValid);
  const int L = cfg.max_len, N = cfg.num_items;
  const bool cosine = cfg.similarity == "cosine";

  TrainResult res;
  res.samples_per_epoch = static_cast<int64_t>(samples.size());
  double best = -1, train_time_sum = 0;
  int since_best = 0;
  const double t_start = now_seconds();
  // 批数据的复用缓冲（避免每步分配新张量）。
  std::vector<int64_t> users_buf, seq_buf, tgt_buf;
  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    model->train();
    std::shuffle(samples.begin(), samples.end(), rng);
    Progress prog(concat("epoch ", epoch, "/", opt.epochs), res.samples_per_epoch,
                  opt.progress && Progress::stderr_is_tty());
    const double t0 = now_seconds();
    double loss_sum = 0;
    int64_t done = 0;
    for (size_t b0 = 0; b0 < samples.size(); b0 += static_cast<size_t>(opt.batch_size)) {
      const int64_t B = static_cast<int64_t>(std::min<size_t>(opt.batch_size, samples.size() - b0));
      users_buf.assign(static_cast<size_t>(B), 0);
      seq_buf.assign(static_cast<size_t>(B * L), N);
      tgt_buf.resize(static_cast<size_t>(B));
      for (int64_t i = 0; i < B; ++i) {
        const Sample& s = samples[b0 + static_cast<size_t>(i)];
        const auto& seq = data.seqs[static_cast<size_t>(s.user)];
        users_buf[static_cast<size_t>(i)] = unif(rng) < opt.user_dropout ? 0 : s.user + 1;
        tgt_buf[static_cast<size_t>(i)] = seq[static_cast<size_t>(s.pos)];
        if (unif(rng) < opt.history_dropout) continue;  // 清空历史：只剩长期兴趣
        const int32_t start = std::max(0, s.pos - L);
        const int32_t n = s.pos - start;
        for (int32_t t = 0; t < n; ++t)
          seq_buf[static_cast<size_t>(i * L + (L - n) + t)] = seq[static_cast<size_t>(start + t)];
      }
      auto users = torch::from_blob(users_buf.data(), {B}, torch::kInt64);
      auto seqs = torch::from_blob(seq_buf.data(), {B, L}, torch::kInt64);
      auto tgts = torch::from_blob(tgt_buf.data(), {B}, torch::kInt64);
      auto u = model->forward(users, seqs);
      auto items = model->item_emb->weight.slice(0, 0, N);
      torch::Tensor logits;
      if (cosine)
        logits = torch::matmul(torch::nn::functional::normalize(u, torch::nn::functional::NormalizeFuncOptions().dim(1)),
                               torch::nn::functional::normalize(items, torch::nn::functional::NormalizeFuncOptions().dim(1)).t()) /
                 opt.temperature;
      else
        logits = torch::matmul(u, items.t());
      auto loss = torch::nn::functional::cross_entropy(logits, tgts);
      optim->zero_grad();
      loss.backward();
      optim->step();
      const double lv = loss.item<double>();
      if (!std::isfinite(lv))
        throw Error(concat("training diverged at epoch ", epoch, " (loss ", lv, "); lower --lr"));
      loss_sum += lv * B;
      done += B;
      prog.update(done, loss_sum / done);
    }
    prog.finish();
    const double epoch_s = now_seconds() - t0;
    train_time_sum += epoch_s;

    // 验证：导出到原生模型，走与服务/评估完全相同的代码路径。
    model->eval();
    TensorMap w = model->to_tensors();
    LongShortModel native = LongShortModel::from_tensors(w, cfg);
    ExactIndex index(native.item_embeddings(), cosine);
    auto ranks = rank_cases(native, index, data, valid, L);
    auto m = summarize_ranks(ranks, {10});
    const double ndcg = m["NDCG@10"].get<double>();
    nlohmann::ordered_json rec = {{"epoch", epoch},
                                  {"loss", loss_sum / done},
                                  {"epoch_seconds", epoch_s},
                                  {"samples_per_second", done / epoch_s},
                                  {"valid_HR@10", m["HR@10"]},
                                  {"valid_NDCG@10", ndcg},
                                  {"elapsed_seconds", now_seconds() - t_start}};
    res.epoch_log += rec.dump() + "\n";
    res.epochs_run = epoch;
    if (on_epoch) on_epoch(rec);
    if (ndcg > best) {
      best = ndcg;
      since_best = 0;
      res.best_epoch = epoch;
      res.best_valid = m;
      res.weights = std::move(w);
    } else if (++since_best >= opt.patience) {
      break;
    }
  }
  res.train_seconds = now_seconds() - t_start;
  res.seconds_per_epoch = train_time_sum / res.epochs_run;
  res.samples_per_second = res.samples_per_epoch / res.seconds_per_epoch;
  return res;
}

}  // namespace seqrec
