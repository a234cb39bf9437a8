// 训练循环实现。
#include "train/trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <random>
#include <thread>

#include <cblas.h>

#include "core/error.h"
#include "core/files.h"
#include "core/progress.h"
#include "eval/evaluator.h"
#include "eval/metrics.h"
#include "models/long_short_native.h"
#include "models/long_short_torch.h"
#include "train/adam.h"
#include "train/softmax_loss.h"

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
  // 并行方式是数据并行（每个线程一个分片），算子内部与 BLAS 都保持单线程。
  torch::set_num_threads(1);
  openblas_set_num_threads(1);
  const int workers = opt.threads;
  std::mt19937_64 rng(opt.seed);
  std::uniform_real_distribution<double> unif(0.0, 1.0);

  LongShortTransformer model(cfg, opt.dropout);
  // 样本：训练部分每个位置一个滑动窗口（含空历史 → 第一个物品）。
  std::vector<Sample> samples = training_samples(data, 0);
  if (samples.empty()) throw Error("no training samples: every user needs at least 3 interactions");
  const auto valid = eval_cases(data, SplitPart::kValid);
  const int L = cfg.max_len, N = cfg.num_items;
  const bool cosine = cfg.similarity == "cosine";

  std::vector<torch::Tensor> params = model->parameters();
  FusedAdam optim(params, opt.lr, opt.weight_decay, opt.optimizer == "adamw", opt.threads);
  uint64_t step = 0;
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
      // 数据并行：批按线程数切成连续分片，每个线程单线程地前向/反向，梯度按固定顺序相加，
      // 因此给定种子与线程数，结果逐位可复现。
      const int W = static_cast<int>(std::min<int64_t>(workers, B));
      std::vector<std::vector<torch::Tensor>> grads(static_cast<size_t>(W));
      std::vector<double> shard_loss(static_cast<size_t>(W), 0.0);
      std::vector<std::string> shard_err(static_cast<size_t>(W));
      auto run_shard = [&](int w) {
        try {
          at::set_num_threads(1);  // OpenMP 线程数是线程局部的：分片线程内的算子也必须单线程
          const int64_t lo = B * w / W, hi = B * (w + 1) / W, n = hi - lo;
          auto gen = at::make_generator<at::CPUGeneratorImpl>(opt.seed * 1000003ULL + step * 64ULL + w);
          auto users = torch::from_blob(users_buf.data() + lo, {n}, torch::kInt64);
          auto seqs = torch::from_blob(seq_buf.data() + lo * L, {n, L}, torch::kInt64);
          auto tgts = torch::from_blob(tgt_buf.data() + lo, {n}, torch::kInt64);
          auto u = model->forward(users, seqs, &gen);
          auto items = model->item_emb->weight.slice(0, 0, N);
          torch::Tensor loss;
          if (cosine) {
            namespace F = torch::nn::functional;
            loss = chunked_softmax_cross_entropy(F::normalize(u, F::NormalizeFuncOptions().dim(1)),
                                                 F::normalize(items, F::NormalizeFuncOptions().dim(1)), tgts,
                                                 1.0 / opt.temperature);
          } else {
            loss = chunked_softmax_cross_entropy(u, items, tgts, 1.0);
          }
          loss = loss * (static_cast<double>(n) / B);  // 各分片损失之和 = 整批的平均损失
          grads[static_cast<size_t>(w)] = torch::autograd::grad({loss}, params, {}, false, false, true);
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
      optim.step(grads);  // 按分片顺序求和梯度并更新
      ++step;
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
