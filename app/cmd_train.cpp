// `seqrec train`：读数据 → 训练所选模型（模型表里的任一种：long_short、sasrec、gsasrec、bert4rec……）→ 评估（含最热门基线）→ 原子导出模型目录。
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "commands.h"
#include "core/blas_core.h"
#include "core/error.h"
#include "core/files.h"
#include "core/progress.h"
#include "data/item_content.h"
#include "data_flags.h"
#include "eval/evaluator.h"
#include "eval/metrics.h"
#include "eval/report.h"
#include "models/encoder.h"
#include "models/registry.h"
#include "train/checkpoint.h"
#include "train/distributed.h"
#include "train/exporter.h"
#include "train/trainer.h"
#include "train_genrec.h"
#include "train_signal.h"

namespace seqrec::app {

namespace {

// train 子命令的全部选项。模型与训练选项先按 --model 取默认值，再用命令行上给出的选项覆盖。
struct TrainFlags {
  DataFlags data;
  // 多进程数据并行（默认取 torchrun 的环境变量 RANK、WORLD_SIZE、MASTER_ADDR、MASTER_PORT）
  int world_size = 0, rank = -1, dist_timeout = 300;
  std::string master;
  std::string model_type = model_kinds().front().name;
  ModelConfig model;   // 命令行解析的值（只有给出的选项会被采用）
  TrainOptions train;  // 同上
  std::string out = "model";
  std::string log;  // 训练过程中逐轮追加的 JSON Lines 日志（可选）
  std::string item_titles;  // 物品元数据文件（标题），导出为 item_titles.json
  bool quiet = false;
  bool resume = false;  // 从 <out>.ckpt 接着训练
  bool no_checkpoint = false;  // 不写检查点（模型很大、磁盘吃紧时）
  int stop_after_epoch = 0;  // > 0：这一轮结束后像 Ctrl-C 一样停下（导出目前最佳一轮，保留检查点）
  bool no_logq = false;
  bool no_bucket = false;
  std::string valid_protocol = "full";  // 选择最佳一轮的验证协议（full / sampled / sampled-pop）
  GenRecFlags genrec;                   // --model colarec 的选项
};

// 把命令行上给出的选项覆盖到按模型取得的默认值上。
struct Overrides {
  const CLI::App* cmd;
  template <class T>
  void operator()(const char* flag, T& dst, const T& parsed) const {
    if (cmd->count(flag) > 0) dst = parsed;
  }
};

// 得到最终的模型与训练选项。
std::pair<ModelConfig, TrainOptions> resolve_options(const TrainFlags& f, const CLI::App* cmd) {
  const ModelKind& kind = model_kind(f.model_type);
  ModelConfig m = ModelConfig::defaults_for(f.model_type);
  TrainOptions t = TrainOptions::defaults_for(f.model_type);
  const Overrides take{cmd};
  take("--dim", m.dim, f.model.dim);
  take("--layers", m.layers, f.model.layers);
  take("--heads", m.heads, f.model.heads);
  take("--ffn-dim", m.ffn_dim, f.model.ffn_dim);
  take("--max-len", m.max_len, f.model.max_len);
  take("--hidden", m.hidden, f.model.hidden);
  take("--norm", m.norm, f.model.norm);
  take("--similarity", m.similarity, f.model.similarity);
  if (kind.ffn_follows_dim && cmd->count("--dim") > 0 && cmd->count("--ffn-dim") == 0) m.ffn_dim = m.dim;
  take("--epochs", t.epochs, f.train.epochs);
  take("--loss", t.loss, f.train.loss);
  take("--negatives", t.negatives, f.train.negatives);
  take("--neg-sampler", t.neg_sampler, f.train.neg_sampler);
  take("--gbce-t", t.gbce_t, f.train.gbce_t);
  take("--mask-prob", t.mask_prob, f.train.mask_prob);
  take("--final-mask-prob", t.final_mask_prob, f.train.final_mask_prob);
  take("--batch", t.batch_size, f.train.batch_size);
  take("--lr", t.lr, f.train.lr);
  take("--lr-schedule", t.lr_schedule, f.train.lr_schedule);
  take("--warmup-epochs", t.warmup_epochs, f.train.warmup_epochs);
  take("--decay-epochs", t.decay_epochs, f.train.decay_epochs);
  take("--beta1", t.beta1, f.train.beta1);
  take("--beta2", t.beta2, f.train.beta2);
  take("--weight-decay", t.weight_decay, f.train.weight_decay);
  take("--weight-decay-scope", t.weight_decay_scope, f.train.weight_decay_scope);
  take("--reg-weight", t.reg_weight, f.train.reg_weight);
  take("--optimizer", t.optimizer, f.train.optimizer);
  take("--dropout", t.dropout, f.train.dropout);
  take("--temperature", t.temperature, f.train.temperature);
  take("--user-dropout", t.user_dropout, f.train.user_dropout);
  take("--history-dropout", t.history_dropout, f.train.history_dropout);
  take("--eval-every", t.eval_every, f.train.eval_every);
  take("--patience", t.patience, f.train.patience);
  take("--seed", t.seed, f.train.seed);
  take("--threads", t.threads, f.train.threads);
  t.valid_protocol = f.train.valid_protocol;
  t.valid_protocol.candidates = EvalProtocol::parse_candidates(f.valid_protocol);
  t.valid_protocol.seed = t.seed;
  t.logq = !f.no_logq;
  t.bucket = !f.no_bucket;
  t.progress = !f.quiet;
  return {m, t};
}

// 选项 → 它在日志摘要（model: / training: 行）里的键。
const std::map<std::string, std::pair<const char*, const char*>> kFlagKeys = {
    {"--hidden", {"model", "hidden"}},        {"--norm", {"model", "norm"}},
    {"--heads", {"model", "heads"}},          {"--ffn-dim", {"model", "ffn_dim"}},
    {"--similarity", {"model", "similarity"}}, {"--loss", {"training", "loss"}},
    {"--negatives", {"training", "negatives"}}, {"--neg-sampler", {"training", "neg_sampler"}},
    {"--no-logq", {"training", "logq"}},      {"--temperature", {"training", "temperature"}},
    {"--reg-weight", {"training", "reg_weight"}}, {"--no-bucket", {"training", "bucket"}},
    {"--user-dropout", {"training", "user_dropout"}}, {"--history-dropout", {"training", "history_dropout"}},
    {"--mask-prob", {"training", "mask_prob"}},   {"--final-mask-prob", {"training", "final_mask_prob"}}};

// 命令行上给出、但这次训练不会用到的选项一律报错（而不是默默忽略）：模型不读的（模型表的 unused_flags）、
// 损失不用的（--negatives 只对 bce / bpr / sampled 有意义……）、打分方式不用的（--temperature 只对余弦）。
void check_flags_apply(const ModelKind& kind, const ModelConfig& cfg, const TrainOptions& t, const CLI::App* cmd) {
  for (const auto& flag : kind.unused_flags) {
    if (cmd->count(flag) == 0) continue;
    std::vector<std::string> users;
    for (const auto& k : model_kinds())
      if (std::find(k.unused_flags.begin(), k.unused_flags.end(), flag) == k.unused_flags.end()) users.push_back(k.name);
    throw Error(concat(flag, " does not apply to --model ", kind.name, " (it applies to ", join_or(users), ")"));
  }
  if (kind.family == ModelFamily::kGenerative) return;
  const std::string& loss = t.loss;  // 取值已由 --loss 的选项检查限定
  const bool sampled_negatives = loss == "bce" || loss == "bpr" || loss == "sampled" || loss == "gbce";
  for (const char* flag : {"--negatives", "--neg-sampler"})
    if (cmd->count(flag) > 0 && !sampled_negatives)
      throw Error(concat(flag, " applies to --loss bce, bpr, sampled or gbce (the loss is ", t.loss, ")"));
  if (cmd->count("--gbce-t") > 0 && loss != "gbce")
    throw Error(concat("--gbce-t applies to --loss gbce (the loss is ", t.loss, ")"));
  if (cmd->count("--no-logq") > 0 && loss != "sampled" && loss != "inbatch")
    throw Error(concat("--no-logq applies to --loss sampled or inbatch (the loss is ", t.loss, ")"));
  if (cmd->count("--temperature") > 0 && !cfg.cosine())
    throw Error(concat("--temperature applies to cosine scores (--similarity cosine); --model ", kind.name,
                       " scores by ", cfg.similarity));
}

// 训练日志里的摘要只列这次训练用到的选项（manifest 仍记下全部）。
nlohmann::json shown(nlohmann::json j, const char* section, const ModelKind& kind, const ModelConfig& cfg) {
  for (const auto& flag : kind.unused_flags) {
    auto it = kFlagKeys.find(flag);
    if (it != kFlagKeys.end() && std::string(it->second.first) == section) j.erase(it->second.second);
  }
  if (std::string(section) == "training" && !cfg.cosine()) j.erase("temperature");
  return j;
}

// 执行训练与导出。
void run_train(const TrainFlags& f, const CLI::App* cmd) {
  const double t0 = now_seconds();
  auto [cfg, topt] = resolve_options(f, cmd);
  const ModelKind& kind = model_kind(f.model_type);
  const bool generative = kind.family == ModelFamily::kGenerative;
  check_flags_apply(kind, cfg, topt, cmd);
  if (!generative) {
    check_genrec_flags_unused(cmd, f.model_type);
    ModelConfig probe = cfg;  // 读数据之前先校验选项（物品数此时未知，用 1 代替）
    probe.num_items = 1;
    probe.validate();
  } else {
    f.genrec.gen.validate();
    f.genrec.sid.validate();
    f.genrec.tokenizer.validate();
    // --init-from 沿用来源的结构与语义 ID：与来源不同的结构选项在读数据之前就报错，而不是悄悄忽略。
    check_init_from_flags(f.genrec, cfg, cmd);
  }
  topt.validate();
  // 多进程：先加入进程组（等齐全部进程），再读数据。只有 rank 0 写输出目录与检查点。
  DistOptions dist = DistOptions::from_env();
  if (f.world_size > 0) dist.world_size = f.world_size;
  if (f.rank >= 0) dist.rank = f.rank;
  if (!f.master.empty()) {
    const size_t colon = f.master.rfind(':');
    if (colon == std::string::npos || colon == 0)
      throw Error(concat("--master must be HOST:PORT, got '", f.master, "'"));
    dist.master_addr = f.master.substr(0, colon);
    const std::string port = f.master.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
      throw Error(concat("--master: '", port, "' is not a port number"));
    dist.master_port = std::stoi(port);
  }
  dist.timeout_s = f.dist_timeout;
  dist.validate();
  if (dist.world_size > 1) {
    std::fprintf(stderr, "rank %d of %d: joining the process group at %s:%d\n", dist.rank, dist.world_size,
                 dist.master_addr.c_str(), dist.master_port);
    topt.dist = DistGroup::connect(dist);
    if (dist.rank != 0) topt.progress = false;
  }
  const bool lead = dist.world_size == 1 || dist.rank == 0;
  // 读数据之前就确认输出目录能被替换、上级目录可写，避免训练完才失败。
  if (lead) check_output_dir(f.out);
  if (f.no_checkpoint && f.resume) throw Error("--resume needs the checkpoint that --no-checkpoint turns off");
  if (!f.no_checkpoint) {
    topt.checkpoint = checkpoint_path_for(f.out);
    remove_stale_temp_files(topt.checkpoint);  // 被杀死的运行留下的 <out>.ckpt.tmp-*
    topt.resume = f.resume;
    check_checkpoint_file(topt.checkpoint, topt.resume);
  }
  topt.stop_after_epoch = f.stop_after_epoch;
  SequenceData data = f.data.load();
  std::fprintf(stderr, "data: %s\n", data.stats().dump().c_str());
  // --item-titles：训练之前读（文件不对时立刻报错），导出时写进模型目录，控制台按标题显示物品。
  nlohmann::json titles;
  int64_t titled = 0;
  if (!f.item_titles.empty()) {
    if (generative) throw Error("--item-titles applies to vector models; colarec reads item text with --content");
    titles = read_item_titles(f.item_titles, data.items, &titled);
    std::fprintf(stderr, "item titles: %lld of %d items from %s\n", static_cast<long long>(titled), data.num_items(),
                 f.item_titles.c_str());
  }
  cfg.num_users = data.num_users();
  cfg.num_items = data.num_items();
  if (!generative) {
    cfg.validate();
    std::fprintf(stderr, "model: %s\n", shown(cfg.to_json(), "model", kind, cfg).dump().c_str());
  }
  std::fprintf(stderr, "training: %s\n", shown(topt.to_json(f.model_type), "training", kind, cfg).dump().c_str());
  // 检查点里记下的设置：续训的命令必须与之一致。线程数可以不同（结果逐位相同只在线程数也相同时成立）。
  nlohmann::json training = topt.to_json(f.model_type);
  training.erase("threads");
  topt.checkpoint_identity = {{"model_type", f.model_type}, {"training", training},
                              {"data", f.data.to_json()},   {"data_stats", data.stats()}};
  if (!generative) topt.checkpoint_identity["model"] = cfg.to_json();
  if (!blas_core_note().empty()) std::fprintf(stderr, "%s\n", blas_core_note().c_str());  // OpenBLAS 内核被改正时
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
    std::fprintf(stderr, "epoch %d: loss %.4f  %.0f samples/s  %.1fs", r["epoch"].get<int>(), r["loss"].get<double>(),
                 r["samples_per_second"].get<double>(), r["epoch_seconds"].get<double>());
    if (r.contains("valid_NDCG@10"))
      std::fprintf(stderr, "  valid HR@10 %.4f NDCG@10 %.4f", r["valid_HR@10"].get<double>(),
                   r["valid_NDCG@10"].get<double>());
    std::fprintf(stderr, "\n");
    if (train_epoch_hook()) train_epoch_hook()(r);
  };
  if (generative) return run_train_genrec(f.genrec, data, cfg, topt, f.data.to_json(), f.out, on_epoch, t0);
  TrainResult res;
  {
    const StopTrainingOnSignal stop_on_signal;  // 只在训练期间：Ctrl-C 让本轮结束后停下，仍导出最佳一轮
    res = train_model(data, cfg, topt, on_epoch);
  }
  if (!lead) {  // 其余进程到此为止：rank 0 评估并导出
    std::fprintf(stderr, "rank %d: training done (%d epochs); rank 0 evaluates and exports\n", dist.rank, res.epochs_run);
    return;
  }
  print_train_summary(res);

  // 最佳权重在验证集与测试集上的全量排序指标，并与最热门基线对比（与服务相同的打分方式）。
  // 终端上的进度行说明训练之后的两步（评估与导出）在做什么。
  Progress after("best epoch", 0, topt.progress && Progress::stderr_is_tty());
  // 评估时表格会打印到 stdout：这一步的说明单独占一行，不用会被覆盖的进度行。
  if (topt.progress && Progress::stderr_is_tty())
    std::fprintf(stderr, "evaluating epoch %d on the validation and test splits...\n", res.best_epoch);
  auto native = make_encoder(res.weights, cfg);
  ExactIndex index(native->item_embeddings(), cfg.cosine());
  EvalReportOptions report;
  report.method = concat("full ranking over ", cfg.num_items, " items");
  const nlohmann::ordered_json metrics = evaluate_and_report(
      data, [&](const std::vector<EvalCase>& cases) {
        return rank_cases(*native, index, data, cases, cfg.max_len, nullptr, topt.threads);
      },
      report);
  warn_if_below_baseline(metrics, res, topt);
  after.phase(concat("exporting to ", f.out));
  ExportInfo info;
  info.data = &data;
  info.model = cfg;
  info.train = topt;
  info.result = &res;
  info.data_options = f.data.to_json();
  info.metrics = metrics;
  if (!titles.is_null()) {
    info.item_titles = std::move(titles);
    info.titles_info = {{"file", std::filesystem::absolute(f.item_titles).string()}, {"items_with_title", titled}};
  }
  export_model(f.out, info);
  after.finish();
  std::printf("saved model to %s (%.1fs total)\n", f.out.c_str(), now_seconds() - t0);
  if (!topt.checkpoint.empty()) finish_checkpoint(res, topt.checkpoint);
}

// 帮助里的 "[默认值; 模型 值 ...]"：先写默认模型的值，再按值合并列出与之不同的模型（如 "sasrec/gru4rec 200"）。
// 值直接取自模型表（models/registry.cpp），帮助不会与代码里的默认值脱节。only 非空时只列这些模型。
template <class Get>
std::string per_model_defaults(Get get, const std::vector<std::string>& only = {}) {
  std::vector<std::string> names = only.empty() ? model_kind_names() : only;
  auto text = [&](const std::string& model) {
    std::ostringstream os;
    os << get(TrainOptions::defaults_for(model), ModelConfig::defaults_for(model));
    return os.str();
  };
  const std::string base = text(names[0]);
  std::vector<std::pair<std::string, std::string>> groups;  // (值, "模型/模型")，按首次出现的次序
  for (size_t i = 1; i < names.size(); ++i) {
    const std::string v = text(names[i]);
    if (v == base) continue;
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == v; });
    if (it == groups.end()) groups.emplace_back(v, names[i]);
    else it->second += concat("/", names[i]);
  }
  std::string out = "[" + base;
  for (const auto& [v, models] : groups) out += concat("; ", models, " ", v);
  return out + "]";
}

// --model 的帮助：模型表中每个模型一句话。
std::string model_help() {
  std::string s;
  for (const auto& k : model_kinds()) s += concat(s.empty() ? "" : "; ", k.name, ": ", k.help);
  return s;
}

}  // namespace

// 注册 train 子命令。模型相关的默认值按 --model 而定，写在帮助里。
void setup_train(CLI::App& app) {
  auto f = std::make_shared<TrainFlags>();
  auto* cmd = app.add_subcommand("train", concat("train a model (", join_or(model_kind_names()), ") and export a model directory"));
  f->data.add_to(cmd);
  cmd->add_option("--model", f->model_type, model_help())->capture_default_str()->check(CLI::IsMember(model_kind_names()));
  cmd->add_option("--out", f->out, "output model directory (replaced atomically)")->capture_default_str();
  auto& m = f->model;
  // 结构默认值取自模型表；只对部分模型有意义的选项只列这些模型。
  const std::vector<std::string> attention = {"long_short", "sasrec", "gsasrec", "bert4rec", "colarec"};
  cmd->add_option("--dim", m.dim, "embedding size " + per_model_defaults([](const TrainOptions&, const ModelConfig& c) { return c.dim; }));
  cmd->add_option("--layers", m.layers, "Transformer blocks (colarec: encoder blocks) / GRU layers / LightGCN propagations " +
                                        per_model_defaults([](const TrainOptions&, const ModelConfig& c) { return c.layers; }));
  cmd->add_option("--heads", m.heads, "attention heads " + per_model_defaults([](const TrainOptions&, const ModelConfig& c) { return c.heads; }, attention));
  cmd->add_option("--ffn-dim", m.ffn_dim, "feed-forward width (sasrec: follows --dim unless given) " +
                                          per_model_defaults([](const TrainOptions&, const ModelConfig& c) { return c.ffn_dim; }, attention));
  cmd->add_option("--max-len", m.max_len, "number of most recent clicks used (the SASRec paper uses 200 on ML-1M) " +
                                          per_model_defaults([](const TrainOptions&, const ModelConfig& c) { return c.max_len; }));
  cmd->add_option("--hidden", m.hidden, "gru4rec: GRU state size, projected back to --dim when different " +
                                        per_model_defaults([](const TrainOptions&, const ModelConfig& c) { return c.hidden; }, {"gru4rec"}));
  cmd->add_option("--norm", m.norm, "sasrec: LayerNorm placement: paper (the authors' code), pre (pre-LN), post (post-LN) [paper]")
      ->check(CLI::IsMember({"paper", "pre", "post"}));
  cmd->add_option("--similarity", m.similarity, "score: cosine or dot " +
                                                per_model_defaults([](const TrainOptions&, const ModelConfig& c) { return c.similarity; },
                                                                   model_kind_names(true)))
      ->check(CLI::IsMember({"cosine", "dot"}));
  auto& t = f->train;
  cmd->add_option("--loss", t.loss, "ce (full softmax), bce (N sampled negatives), bpr, sampled (sampled softmax with "
                                    "logQ correction), inbatch (in-batch softmax), gbce (gSASRec's calibrated BCE "
                                    "with many negatives) " +
                                    per_model_defaults([](const TrainOptions& o, const ModelConfig&) { return o.loss; }))
      ->check(CLI::IsMember({"ce", "bce", "bpr", "sampled", "inbatch", "gbce"}));
  cmd->add_option("--negatives", t.negatives, "negatives per position (bce, bpr), per user row (gbce) or per batch "
                                              "(sampled) [1; sampled/gbce 256]");
  cmd->add_option("--neg-sampler", t.neg_sampler, "negative sampling: uniform (bce/bpr: not among the user's training "
                                                  "items) or pop (by training popularity) [bce/bpr/gbce uniform; "
                                                  "sampled pop]")
      ->check(CLI::IsMember({"uniform", "pop"}));
  cmd->add_option("--gbce-t", t.gbce_t, "gbce: calibration t in [0, 1]: 0 is plain BCE, 1 fully corrects the "
                                        "overconfidence of negative sampling (gSASRec) [0.75]");
  cmd->add_option("--mask-prob", t.mask_prob, "bert4rec: probability that a training position is masked and "
                                              "predicted [0.2]");
  cmd->add_option("--final-mask-prob", t.final_mask_prob, "bert4rec: probability that a training row masks only its "
                                                          "last item, as serving does [0.1]");
  cmd->add_flag("--no-logq", f->no_logq, "sampled / inbatch: no logQ correction");
  cmd->add_flag("--no-bucket", f->no_bucket, "sasrec/gru4rec/colarec: plain random batches instead of length-bucketed ones");
  cmd->add_option("--epochs", t.epochs, "maximum epochs " + per_model_defaults([](const TrainOptions& o, const ModelConfig&) { return o.epochs; }));
  cmd->add_option("--batch", t.batch_size, "batch size: training examples (long_short, colarec), users (sasrec, gru4rec) or "
                                         "user-item pairs (lightgcn) " +
                                         per_model_defaults([](const TrainOptions& o, const ModelConfig&) { return o.batch_size; }));
  cmd->add_option("--lr", t.lr, "learning rate " + per_model_defaults([](const TrainOptions& o, const ModelConfig&) { return o.lr; }));
  cmd->add_option("--lr-schedule", t.lr_schedule,
                  "learning-rate schedule after the warm-up: constant, linear or cosine decay towards 0 at the last "
                  "step of --epochs (early stopping ends sooner, it does not stretch the curve) [constant]")
      ->check(CLI::IsMember({"constant", "linear", "cosine"}));
  cmd->add_option("--warmup-epochs", t.warmup_epochs,
                  "epochs (may be fractional) over which the learning rate rises linearly to --lr [0]");
  cmd->add_option("--decay-epochs", t.decay_epochs,
                  "with --lr-schedule linear or cosine: the decay takes only the last this many epochs (may be "
                  "fractional) and the learning rate stays at --lr before them (warmup-stable-decay); 0 = decay "
                  "over every epoch after the warm-up [0]");
  cmd->add_option("--beta1", t.beta1, "Adam beta1 [0.9]");
  cmd->add_option("--beta2", t.beta2, "Adam beta2 " + per_model_defaults([](const TrainOptions& o, const ModelConfig&) { return o.beta2; }));
  cmd->add_option("--weight-decay", t.weight_decay, "weight decay [0]");
  cmd->add_option("--weight-decay-scope", t.weight_decay_scope,
                  "which parameters --weight-decay applies to: all, or matrices (matrices and embedding tables only; "
                  "biases and LayerNorm gains are not decayed) [all]")
      ->check(CLI::IsMember({"all", "matrices"}));
  cmd->add_option("--reg-weight", t.reg_weight, "lightgcn: L2 penalty on the batch's layer-0 embeddings [1e-4]");
  cmd->add_option("--optimizer", t.optimizer, "adam or adamw [adam]");
  cmd->add_option("--dropout", t.dropout, "dropout rate " + per_model_defaults([](const TrainOptions& o, const ModelConfig&) { return o.dropout; }));
  cmd->add_option("--temperature", t.temperature, "softmax temperature for cosine scores [0.1]");
  cmd->add_option("--user-dropout", t.user_dropout, "long_short: probability of training a sample as an unknown user [0.1]");
  cmd->add_option("--history-dropout", t.history_dropout, "long_short: probability of training a sample with no clicks [0.1]");
  cmd->add_option("--eval-every", t.eval_every, "validate every N epochs (and after the last) " +
                                                per_model_defaults([](const TrainOptions& o, const ModelConfig&) { return o.eval_every; }));
  cmd->add_option("--patience", t.patience, "early stopping: validations without NDCG@10 gain " +
                                            per_model_defaults([](const TrainOptions& o, const ModelConfig&) { return o.patience; }));
  cmd->add_option("--valid-protocol", f->valid_protocol,
                  "protocol of the validation that picks the best epoch: full (all items), sampled (100 negatives "
                  "drawn uniformly, as the SASRec paper reports) or sampled-pop [full]")
      ->check(CLI::IsMember({"full", "sampled", "sampled-pop"}));
  cmd->add_option("--valid-negatives", t.valid_protocol.negatives, "negatives per validation case for the sampled protocols [100]");
  cmd->add_flag("--valid-exclude-history", t.valid_protocol.exclude_history,
                "validation with full ranking leaves out the user's earlier items, as --exclude-history does in eval");
  cmd->add_option("--seed", t.seed, "random seed [42]");
  cmd->add_option("--threads", t.threads, "training threads (data-parallel shards) [2]");
  cmd->add_option("--log", f->log, "append one JSON line per epoch to this file while training "
                                   "(the model directory also gets train_log.jsonl)");
  const char* dg = "Training on several processes";
  cmd->add_option("--world-size", f->world_size, "processes training together (default: WORLD_SIZE, else 1); "
                                                 "'seqrec launch --nproc N -- train ...' sets it")->group(dg);
  cmd->add_option("--rank", f->rank, "this process's rank in [0, world size) (default: RANK)")->group(dg);
  cmd->add_option("--master", f->master, "HOST:PORT where rank 0 listens (default: MASTER_ADDR:MASTER_PORT, "
                                         "127.0.0.1:29500)")->group(dg);
  cmd->add_option("--dist-timeout", f->dist_timeout, "seconds to wait for the other processes, at start and at "
                                                     "every gradient exchange, before stopping with an error")
      ->capture_default_str()->group(dg);
  cmd->add_option("--item-titles", f->item_titles,
                  "item metadata file (e.g. MovieLens movies.csv or ml-1m movies.dat): titles kept in the model "
                  "directory (item_titles.json) for the console and reports");
  cmd->add_flag("--quiet", f->quiet, "no live progress line");
  cmd->add_option("--stop-after-epoch", f->stop_after_epoch,
                  "stop after this epoch as Ctrl-C would: validate it, export the best epoch so far and keep the "
                  "checkpoint, so a later run with --resume continues (for time-sliced machines) [0 = off]")
      ->check(CLI::NonNegativeNumber);
  cmd->add_flag("--resume", f->resume,
                "continue the interrupted run whose checkpoint is <out>.ckpt (written after every epoch, deleted "
                "once the model is exported); give the same flags as the run that wrote it");
  cmd->add_flag("--no-checkpoint", f->no_checkpoint,
                "do not write <out>.ckpt after each epoch (it is three to four times the size of the weights); an "
                "interrupted run then cannot be resumed");
  add_genrec_flags(cmd, f->genrec);
  cmd->callback([f, cmd] { run_train(*f, cmd); });
}

}  // namespace seqrec::app
