// `seqrec train`：读数据 → 训练长短期兴趣 Transformer → 评估（含最热门基线）→ 原子导出模型目录。
#include <cstdio>
#include <memory>

#include "commands.h"
#include "core/error.h"
#include "core/files.h"
#include "data_flags.h"
#include "eval/evaluator.h"
#include "eval/metrics.h"
#include "models/long_short_native.h"
#include "report.h"
#include "train/exporter.h"
#include "train/trainer.h"

namespace seqrec::app {

namespace {

// train 子命令的全部选项。
struct TrainFlags {
  DataFlags data;
  ModelConfig model;
  TrainOptions train;
  std::string out = "model";
  std::string log;  // 训练过程中逐轮追加的 JSON Lines 日志（可选）
  bool quiet = false;
};

// 执行训练与导出。
void run_train(const TrainFlags& f) {
  const double t0 = now_seconds();
  check_replaceable_dir(f.out);  // 训练前就确认输出目录可写入，避免训练完才失败
  SequenceData data = f.data.load();
  std::fprintf(stderr, "data: %s\n", data.stats().dump().c_str());
  ModelConfig cfg = f.model;
  cfg.num_users = data.num_users();
  cfg.num_items = data.num_items();
  cfg.validate();
  f.train.validate();
  TrainOptions topt = f.train;
  topt.progress = !f.quiet;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> log(nullptr, std::fclose);
  if (!f.log.empty()) {
    log.reset(std::fopen(f.log.c_str(), "a"));
    if (!log) throw Error(concat("cannot open --log file '", f.log, "'"));
  }
  auto on_epoch = [&](const nlohmann::json& r) {
    if (log) {
      std::fprintf(log.get(), "%s\n", r.dump().c_str());
      std::fflush(log.get());
    }
    std::fprintf(stderr, "epoch %d: loss %.4f  %.0f samples/s  %.1fs  valid HR@10 %.4f NDCG@10 %.4f\n",
                 r["epoch"].get<int>(), r["loss"].get<double>(), r["samples_per_second"].get<double>(),
                 r["epoch_seconds"].get<double>(), r["valid_HR@10"].get<double>(), r["valid_NDCG@10"].get<double>());
  };
  TrainResult res = train_long_short(data, cfg, topt, on_epoch);
  std::fprintf(stderr, "best epoch %d of %d; %.1fs per epoch, %.0f samples/s, peak memory %.0f MiB\n", res.best_epoch,
               res.epochs_run, res.seconds_per_epoch, res.samples_per_second, peak_rss_mib());

  // 最佳权重在验证集与测试集上的全量排序指标，并与最热门基线对比。
  const std::vector<int> ks = {1, 5, 10, 20, 50};
  LongShortModel native = LongShortModel::from_tensors(res.weights, cfg);
  ExactIndex index(native.item_embeddings(), /*cosine=*/true);  // 与服务相同的余弦打分
  const auto pop = popularity_scores(data);
  nlohmann::ordered_json metrics;
  for (auto part : {SplitPart::kValid, SplitPart::kTest}) {
    const auto cases = eval_cases(data, part);
    auto mm = summarize_ranks(rank_cases(native, index, data, cases, cfg.max_len), ks);
    auto pm = summarize_ranks(rank_cases_static(pop, cases), ks);
    const char* name = part == SplitPart::kValid ? "valid" : "test";
    std::printf("%s (leave-one-out, full ranking over %d items, %zu users):\n%s", name, cfg.num_items, cases.size(),
                metrics_table({{"model", mm}, {"most-popular", pm}}, ks).c_str());
    metrics[name] = {{"model", mm}, {"most_popular", pm}};
  }
  ExportInfo info;
  info.data = &data;
  info.model = cfg;
  info.train = topt;
  info.result = &res;
  info.data_options = f.data.to_json();
  info.metrics = metrics;
  export_model(f.out, info);
  std::printf("saved model to %s (%.1fs total)\n", f.out.c_str(), now_seconds() - t0);
}

}  // namespace

// 注册 train 子命令（每个选项都显示默认值）。
void setup_train(CLI::App& app) {
  auto f = std::make_shared<TrainFlags>();
  auto* cmd = app.add_subcommand("train", "train the long/short-term Transformer and export a model directory");
  f->data.add_to(cmd);
  cmd->add_option("--out", f->out, "output model directory (replaced atomically)")->capture_default_str();
  cmd->add_option("--dim", f->model.dim, "embedding size")->capture_default_str();
  cmd->add_option("--layers", f->model.layers, "Transformer encoder layers")->capture_default_str();
  cmd->add_option("--heads", f->model.heads, "attention heads")->capture_default_str();
  cmd->add_option("--ffn-dim", f->model.ffn_dim, "feed-forward width")->capture_default_str();
  cmd->add_option("--max-len", f->model.max_len, "number of most recent clicks used")->capture_default_str();
  cmd->add_option("--similarity", f->model.similarity, "training score: cosine (as served) or dot")
      ->capture_default_str();
  auto& t = f->train;
  cmd->add_option("--epochs", t.epochs, "maximum epochs")->capture_default_str();
  cmd->add_option("--batch", t.batch_size, "batch size")->capture_default_str();
  cmd->add_option("--lr", t.lr, "learning rate")->capture_default_str();
  cmd->add_option("--weight-decay", t.weight_decay, "weight decay")->capture_default_str();
  cmd->add_option("--optimizer", t.optimizer, "adam or adamw")->capture_default_str();
  cmd->add_option("--dropout", t.dropout, "dropout rate")->capture_default_str();
  cmd->add_option("--temperature", t.temperature, "softmax temperature for cosine scores")->capture_default_str();
  cmd->add_option("--user-dropout", t.user_dropout, "probability of training a sample as an unknown user")
      ->capture_default_str();
  cmd->add_option("--history-dropout", t.history_dropout, "probability of training a sample with no clicks")
      ->capture_default_str();
  cmd->add_option("--patience", t.patience, "early stopping: epochs without validation NDCG@10 gain")
      ->capture_default_str();
  cmd->add_option("--seed", t.seed, "random seed")->capture_default_str();
  cmd->add_option("--threads", t.threads, "LibTorch threads")->capture_default_str();
  cmd->add_option("--log", f->log, "append one JSON line per epoch to this file while training "
                                   "(the model directory also gets train_log.jsonl)");
  cmd->add_flag("--quiet", f->quiet, "no live progress line");
  cmd->callback([f] { run_train(*f); });
}

}  // namespace seqrec::app
