// `seqrec eval`：在留一法测试集（或验证集）上做全量排序评估，报告 HR/NDCG/MRR@K，并与最热门基线对比。
// 默认按 manifest 中记录的数据来源与选项重建同一数据集；也可用 --data 等选项指定。
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>
#include <sstream>

#include "commands.h"
#include "core/error.h"
#include "core/files.h"
#include "core/manifest.h"
#include "core/version.h"
#include "data_flags.h"
#include "eval/evaluator.h"
#include "eval/generative_eval.h"
#include "session/otto_metric.h"
#include "eval/metrics.h"
#include "eval/protocol.h"
#include "eval/report.h"
#include "serve/model_bundle.h"

namespace seqrec::app {

namespace {

// eval 子命令的全部选项。
struct EvalFlags {
  std::vector<std::string> models;  // --model（可重复，或逗号分隔）：多个时一张表比较
  std::string model;                // 单个模型时即 models[0]
  DataFlags data;
  std::string ks = "1,5,10,20,50";
  std::string split = "test";
  std::string precision = "fp32";
  std::string protocol = "full";
  EvalProtocol proto;
  std::string length_buckets = "5,20";
  bool json = false;
  int threads = 2;  // 并行编码的线程数（结果与线程数无关）
  int beam = 0;     // 生成式模型的束宽（0 = 训练时记录的值；总不小于最大的 K）
  std::string dense_mix;  // 带稠密头的生成式模型：稠密得分的混合比例，逗号分隔可给多个（空 = 训练时记录的值）
  std::string choose_mix;  // 非空（如 NDCG@10）：在验证集上按这个指标选出最好的比例，写进模型的 manifest.json
  // OTTO 协议：标签文件与预测（候选 CSV 或提交文件）
  std::string labels, candidates, submission;
};

// OTTO 协议：读标签与预测，打印各类型 Recall@20、加权得分与候选召回率（K = 20, 50）。
void run_otto_eval(const EvalFlags& f) {
  if (f.labels.empty()) throw Error("--protocol otto needs --labels (test_labels.jsonl from 'seqrec split-sessions')");
  if (f.candidates.empty() == f.submission.empty())
    throw Error("--protocol otto needs exactly one of --candidates (CSV from 'seqrec candidates') or --submission");
  const auto labels = read_labels(f.labels);
  const auto preds = f.candidates.empty() ? read_submission_csv(f.submission) : read_candidates_csv(f.candidates);
  std::vector<int> ks = parse_ks(f.ks == "1,5,10,20,50" ? "20,50" : f.ks);
  auto r = otto_score(labels, preds, ks);
  nlohmann::ordered_json out;
  out["seqrec_version"] = kSeqrecVersion;
  out["protocol"] = "otto: Recall@K per type = hits in the first K / sum of min(K, |truth|); score = 0.1 clicks + 0.3 carts + 0.6 orders";
  out["labels"] = f.labels;
  out["predictions"] = f.candidates.empty() ? f.submission : f.candidates;
  out["commit"] = git_commit();
  for (auto it = r.begin(); it != r.end(); ++it) out[it.key()] = it.value();
  if (f.json) {
    emit_json(out);
    return;
  }
  std::printf("OTTO protocol, %zu labelled sessions (%lld without a prediction):\n", labels.size(),
              static_cast<long long>(r["sessions_without_prediction"].get<int64_t>()));
  std::printf("%8s %10s %10s %10s %10s\n", "K", "clicks", "carts", "orders", "score");
  for (int k : ks) {
    const auto& rk = r[concat("recall@", k)];
    std::printf("%8d %10.4f %10.4f %10.4f %10.4f\n", k, rk["clicks"].get<double>(), rk["carts"].get<double>(),
                rk["orders"].get<double>(), r[concat("score@", k)].get<double>());
  }
  std::printf("hits in the first %d by source: %s\n", ks.front(), r[concat("hits_by_source@", ks.front())].dump().c_str());
}

// 数据集的编号必须与模型的映射完全一致，否则评估没有意义。
void check_same_ids(const IdMap& data, const IdMap& model, const char* what) {
  bool same = data.size() == model.size();
  for (size_t i = 0; same && i < data.size(); ++i) same = data.id(static_cast<int32_t>(i)) == model.id(static_cast<int32_t>(i));
  if (!same)
    throw Error(concat("the evaluation data does not match the model's ", what,
                       " map (different file or filters than at training time)"));
}

// --choose-mix 的指标名：HR@K、NDCG@K 或 MRR@K（大小写不限），K 必须在 --ks 里；返回 summarize_ranks 的键名。
std::string parse_choice_metric(const std::string& s, const std::vector<int>& ks) {
  std::string up = s;
  for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const size_t at = up.find('@');
  const std::string name = up.substr(0, at);
  bool ok = at != std::string::npos && (name == "HR" || name == "NDCG" || name == "MRR");
  if (ok) {
    const std::string k = up.substr(at + 1);
    ok = !k.empty() && k.size() < 6 && k.find_first_not_of("0123456789") == std::string::npos &&
         std::find(ks.begin(), ks.end(), std::stoi(k)) != ks.end();
  }
  if (!ok)
    throw Error(concat("--choose-mix: '", s, "' is not a metric of this evaluation (use HR@K, NDCG@K or MRR@K with K "
                       "one of --ks)"));
  return up;
}

// --choose-mix：在各比例中取 metric 最高的一个（并列时取列表里靠前的），把它连同选择的依据写进模型目录的
// manifest.json（generative.dense_mix 与 generative.dense_mix_choice），之后的 serve / eval 默认就用它。
// 依据里也记下选择时的束宽与是否排除历史（换了这两项，选出的比例未必还是最好的）。
// 返回选出的比例。manifest 在评估期间被改过（例如重新训练）时报错，不写。
double write_chosen_mix(const ModelBundle& bundle, const EvalFlags& f, const std::string& metric,
                        const std::vector<double>& mixes, const std::vector<std::vector<int64_t>>& mix_ranks,
                        const std::vector<int>& ks, int beam) {
  size_t best = 0;
  std::vector<double> values;
  for (size_t k = 0; k < mixes.size(); ++k) {
    values.push_back(summarize_ranks(mix_ranks[k], ks)[metric].get<double>());
    if (values[k] > values[best]) best = k;
  }
  nlohmann::ordered_json choice = {{"split", "valid"},
                                   {"metric", metric},
                                   {"value", values[best]},
                                   {"cases", mix_ranks[best].size()},
                                   {"beam", beam},
                                   {"exclude_history", f.proto.exclude_history},
                                   {"previous_dense_mix", nullptr},  // 下面从文件里读出（bundle 的值可能已被 --dense-mix 覆盖）
                                   {"candidates", nlohmann::ordered_json::array()},
                                   {"eval_commit", git_commit()}};
  for (size_t k = 0; k < mixes.size(); ++k) choice["candidates"].push_back({{"dense_mix", mixes[k]}, {"value", values[k]}});
  edit_manifest(f.model, bundle.version, [&](nlohmann::ordered_json& m) {
    if (!m.contains("generative") || !m["generative"].is_object()) m["generative"] = nlohmann::ordered_json::object();
    auto& g = m["generative"];
    // 带稠密头的模型训练时总会记下 dense_mix；没有记录就照实写 null，不在这里再猜一遍加载时的默认值。
    choice["previous_dense_mix"] = g.contains("dense_mix") ? g["dense_mix"] : nlohmann::ordered_json();
    g["dense_mix"] = mixes[best];
    g["dense_mix_choice"] = choice;
  });
  return mixes[best];
}

// 评估用的数据：给了 --data 时按命令行的选项读取并划分；否则用模型 manifest 记下的数据与选项
// （此时命令行上决定数据的选项一律报错，而不是被悄悄忽略）。缓存选项两种情形都生效。
DataFlags eval_data(const EvalFlags& f, const CLI::App* cmd, const nlohmann::json& manifest, const std::string& dir) {
  if (!f.data.data.empty()) return f.data;
  const auto& opts = manifest.at("data").at("options");
  // seqrec retrain 的模型学的是事件存储，没有一个可以重读的数据文件：它在留出集上的成绩已在 manifest 的 lineage.gate。
  if (opts.value("source", std::string()) == "event store")
    throw Error(concat(dir, " was trained by seqrec retrain from the event store ", opts.value("store", std::string()),
                       "; its hold-out figures against its parent are in manifest.json (lineage.gate, metrics.holdout); "
                       "give --data FILE to evaluate it on a file"));
  DataFlags df = DataFlags::from_json(opts);
  for (const auto& name : DataFlags::shaping_options())
    if (cmd->count(name) > 0)
      throw Error(concat(name, " needs --data: without --data, eval reads the data ", dir, " was trained on, with the "
                         "options its manifest records (", df.data.empty() ? std::string("the built-in synthetic data") : df.data,
                         "); give --data FILE to read and split a file with other options (its users and items must "
                         "match the model's)"));
  if (cmd->count("--cache-dir") > 0) df.cache_dir = f.data.cache_dir;
  if (cmd->count("--no-cache") > 0) df.no_cache = f.data.no_cache;
  return df;
}

// 评估时载入模型的选项（单个模型与比较共用）；--split 不对时报错。
BundleOptions eval_bundle_options(const EvalFlags& f) {
  if (f.split != "test" && f.split != "valid") throw Error(concat("--split must be test or valid, got '", f.split, "'"));
  BundleOptions bo;
  bo.precision = parse_scan_precision(f.precision);
  bo.index = "exact";  // 研究协议：精确的全量排序（近似索引的召回率由 `seqrec index` 报告）
  bo.beam = f.beam;
  return bo;
}

// --split 对应的划分；这个划分没有用例时报错（时间划分太窄）。
SplitPart split_with_cases(const SequenceData& data, const std::string& split) {
  const SplitPart part = split == "test" ? SplitPart::kTest : SplitPart::kValid;
  if (eval_cases(data, part).empty())
    throw Error(concat("no ", split, " cases: no interaction in the ", split,
                       " period has an earlier one by the same user (temporal split too narrow?)"));
  return part;
}

// 一次比较多个模型（--model a --model b 或 --model a,b）：同一份数据、同一协议，每个模型一行（以目录命名），
// 最热门基线一行；--json 给出每个模型一项的列表。模型必须是在同一份数据上训练的（否则基线与用例都不同）。
void run_eval_compare(const EvalFlags& f, const CLI::App* cmd) {
  if (!f.dense_mix.empty() || !f.choose_mix.empty())
    throw Error("--dense-mix and --choose-mix apply to one generative model at a time; evaluate it alone");
  const std::vector<int> ks = parse_ks(f.ks);
  const BundleOptions bo = eval_bundle_options(f);
  std::vector<std::unique_ptr<ModelBundle>> bundles;
  for (const auto& dir : f.models) bundles.push_back(ModelBundle::load(dir, bo));
  const DataFlags df = eval_data(f, cmd, bundles[0]->manifest, f.models[0]);
  if (f.data.data.empty())
    for (size_t i = 1; i < bundles.size(); ++i)
      if (bundles[i]->manifest.at("data").at("options") != bundles[0]->manifest.at("data").at("options"))
        throw Error(concat(f.models[i], " was trained on other data or options than ", f.models[0],
                           " (compare their manifests' data.options); models compared in one table must share their "
                           "data, or give --data"));
  SequenceData data = df.load();
  for (size_t i = 0; i < bundles.size(); ++i) {
    try {
      check_same_ids(data.users, bundles[i]->users, "user");
      check_same_ids(data.items, bundles[i]->items, "item");
    } catch (const Error& e) {
      throw Error(concat(f.models[i], ": ", e.what()));
    }
  }
  EvalProtocol proto = f.proto;
  proto.candidates = EvalProtocol::parse_candidates(f.protocol);
  const std::vector<int> buckets = parse_thresholds(f.length_buckets);
  const CaseRanker ranker(data, proto);
  const SplitPart part = split_with_cases(data, f.split);
  const int max_k = *std::max_element(ks.begin(), ks.end());
  std::vector<std::pair<std::string, nlohmann::ordered_json>> rows, len_rows;
  nlohmann::ordered_json models = nlohmann::ordered_json::array();
  SplitEvaluation first;
  if (cmd->count("--beam") > 0 &&
      std::none_of(bundles.begin(), bundles.end(), [](const auto& b) { return b->generative != nullptr; }))
    throw Error("--beam applies to generative (colarec) models; none of these is one");
  for (size_t i = 0; i < bundles.size(); ++i) {
    const ModelBundle& b = *bundles[i];
    if (b.generative && proto.candidates != EvalProtocol::Candidates::kAll)
      throw Error(concat(f.models[i], ": a generative (colarec) model is evaluated with --protocol full"));
    const int beam = b.generative ? std::max(b.beam, max_k) : 0;
    const SplitEvaluation ev = evaluate_split(
        data, part,
        [&](const std::vector<EvalCase>& cases) {
          if (!b.generative)
            return rank_cases(*b.model, *b.exact, data, cases, b.model->config().max_len, &ranker, f.threads);
          return rank_cases_generative_mixes(*b.generative, data, cases, max_k, beam, proto.exclude_history, f.threads,
                                             {b.dense_mix})[0];
        },
        &ranker);
    const auto mm = summarize_ranks(ev.model_ranks, ks);
    const auto by_len = summarize_by_history_length(ev.model_ranks, ev.cases, ks, buckets);
    rows.push_back({f.models[i], mm});
    for (auto& r : history_rows(by_len, f.models[i] + ", ")) len_rows.push_back(std::move(r));
    models.push_back({{"model_dir", f.models[i]},
                      {"model_type", b.manifest.value("model_type", "")},
                      {"model_commit", b.manifest.value("seqrec_commit", "unknown")},
                      {"beam", beam},
                      {"model", mm},
                      {"model_by_history_length", by_len},
                      {"seconds", ev.seconds}});
    if (i == 0) first = ev;
  }
  const auto pm = summarize_ranks(first.popular_ranks, ks);
  rows.push_back({"most-popular", pm});
  if (f.json) {
    nlohmann::ordered_json j = {{"split", f.split},
                                {"protocol", proto.to_json()},
                                {"data", df.to_json()},
                                {"stats", data.stats()},
                                {"seqrec_version", kSeqrecVersion},
                                {"eval_commit", git_commit()},
                                {"models", models},
                                {"most_popular", pm},
                                {"most_popular_by_history_length",
                                 summarize_by_history_length(first.popular_ranks, first.cases, ks, buckets)}};
    emit_json(j);
    return;
  }
  std::printf("%s split, %s: %s; data %s; %d items, %zu cases (commit %s):\n%s", f.split.c_str(),
              data.train_end.empty() ? "leave-one-out" : "temporal", proto.describe().c_str(),
              df.data.empty() ? "built-in synthetic" : df.data.c_str(), data.num_items(), first.cases.size(),
              git_commit(), metrics_table(rows, ks).c_str());
  if (!buckets.empty()) std::printf("by history length:\n%s", metrics_table(len_rows, ks).c_str());
}

// 命令行上给出、但这个协议不会用到的选项一律报错（而不是默默忽略）。
void check_eval_flags_apply(const EvalFlags& f, const CLI::App* cmd) {
  const bool sampled = f.protocol == "sampled" || f.protocol == "sampled-pop";
  for (const char* flag : {"--negatives", "--seed"})
    if (cmd->count(flag) > 0 && !sampled)
      throw Error(concat(flag, " applies to --protocol sampled or sampled-pop (the protocol is ", f.protocol, ")"));
  if (cmd->count("--exclude-history") > 0 && f.protocol != "full")
    throw Error(concat("--exclude-history applies to --protocol full (the sampled protocols draw negatives the user "
                       "never touched; the protocol is ", f.protocol, ")"));
  for (const char* flag : {"--labels", "--candidates", "--submission"})
    if (cmd->count(flag) > 0 && f.protocol != "otto")
      throw Error(concat(flag, " applies to --protocol otto (the protocol is ", f.protocol, ")"));
  if (f.protocol == "otto")
    for (const char* flag : {"--split", "--precision", "--beam", "--dense-mix", "--choose-mix", "--length-buckets", "--data"})
      if (cmd->count(flag) > 0) throw Error(concat(flag, " does not apply to --protocol otto"));
}

// 执行评估：加载模型目录，重建同一数据集，计算模型与最热门基线的指标并打印。
void run_eval(EvalFlags f, const CLI::App* cmd) {
  check_eval_flags_apply(f, cmd);
  if (f.protocol == "otto") {
    if (!f.models.empty()) throw Error("--protocol otto scores --candidates or --submission against --labels; it takes no --model");
    return run_otto_eval(f);
  }
  if (f.models.empty()) throw Error("--model is required (except with --protocol otto)");
  if (f.models.size() > 1) return run_eval_compare(f, cmd);
  f.model = f.models[0];
  const std::vector<int> ks = parse_ks(f.ks);
  BundleOptions bo = eval_bundle_options(f);
  // --dense-mix：一个或多个比例（逗号分隔）；多个时一次搜索评估全部，主结果是第一个。
  std::vector<double> mixes;
  std::stringstream mix_list(f.dense_mix);
  for (std::string v; std::getline(mix_list, v, ',');) {
    double m = -1;
    try {
      size_t used = 0;
      m = std::stod(v, &used);
      if (used != v.size()) m = -1;
    } catch (const std::exception&) {
    }
    if (!(m >= 0 && m <= 1)) throw Error(concat("--dense-mix: '", v, "' is not a number in [0, 1]"));
    mixes.push_back(m);
  }
  if (!f.dense_mix.empty() && mixes.empty()) throw Error("--dense-mix needs at least one value in [0, 1]");
  if (!mixes.empty()) bo.dense_mix = mixes[0];
  // --choose-mix：只在验证集上选（在测试集上选等于把测试集泄漏进模型），且至少要有两个候选。
  std::string choice_metric;
  if (!f.choose_mix.empty()) {
    choice_metric = parse_choice_metric(f.choose_mix, ks);
    if (f.split != "valid")
      throw Error("--choose-mix picks the mix on the validation split: add --split valid (choosing on the test split "
                  "would leak it into the model)");
    if (mixes.size() < 2) throw Error("--choose-mix needs at least two --dense-mix values to choose from");
  }
  auto bundle = ModelBundle::load(f.model, bo);
  const DataFlags df = eval_data(f, cmd, bundle->manifest, f.model);
  SequenceData data = df.load();
  check_same_ids(data.users, bundle->users, "user");
  check_same_ids(data.items, bundle->items, "item");
  const double t0 = now_seconds();
  EvalProtocol proto = f.proto;
  proto.candidates = EvalProtocol::parse_candidates(f.protocol);
  const std::vector<int> buckets = parse_thresholds(f.length_buckets);
  const CaseRanker ranker(data, proto);
  const SplitPart part = split_with_cases(data, f.split);
  // 生成式模型：束搜索生成 max(K) 个物品，目标不在其中即未命中（对 K 以内的指标与全量排序相同）。
  const int max_k = *std::max_element(ks.begin(), ks.end());
  if (bundle->generative && proto.candidates != EvalProtocol::Candidates::kAll)
    throw Error("a generative (colarec) model is evaluated with --protocol full: beam search generates items "
                "instead of scoring a candidate list");
  const int beam = bundle->generative ? std::max(bundle->beam, max_k) : 0;
  if (cmd->count("--beam") > 0 && !bundle->generative)
    throw Error(concat("--beam applies to generative (colarec) models; ", f.model, " is ",
                       bundle->manifest.value("model_type", "a vector model")));
  if (!mixes.empty() && !bundle->generative)
    throw Error("--dense-mix applies to generative (colarec) models trained with --w-dense");
  for (double m : mixes)
    if (m > 0 && !bundle->generative->config().dense_head)
      throw Error(concat("--dense-mix ", m, ": the model in ", f.model, " has no dense head (train it with --w-dense)"));
  if (!choice_metric.empty() && (!bundle->generative || !bundle->generative->config().dense_head))
    throw Error(concat("--choose-mix: the model in ", f.model, " has no dense head, so there is no mix to choose"));
  if (mixes.empty()) mixes.push_back(bundle->dense_mix);
  // 模型与最热门基线走 train 也用的同一条评估路径（eval/report.h）；生成式模型一次束搜索得到每个比例的名次。
  std::vector<std::vector<int64_t>> mix_ranks;
  const SplitEvaluation ev = evaluate_split(
      data, part,
      [&](const std::vector<EvalCase>& cases) {
        if (!bundle->generative)
          return rank_cases(*bundle->model, *bundle->exact, data, cases, bundle->model->config().max_len, &ranker,
                            f.threads);
        mix_ranks = rank_cases_generative_mixes(*bundle->generative, data, cases, max_k, beam, proto.exclude_history,
                                                f.threads, mixes);
        return mix_ranks[0];
      },
      &ranker);
  const auto& cases = ev.cases;
  const auto& model_ranks = ev.model_ranks;
  const auto& pop_ranks = ev.popular_ranks;
  auto mm = summarize_ranks(model_ranks, ks);
  auto pm = summarize_ranks(pop_ranks, ks);
  const double secs = now_seconds() - t0;
  const double chosen = choice_metric.empty() ? -1 : write_chosen_mix(*bundle, f, choice_metric, mixes, mix_ranks, ks, beam);
  if (f.json) {
    nlohmann::ordered_json j = {{"split", f.split},
                                {"protocol", proto.to_json()},
                                {"data", df.to_json()},
                                {"stats", data.stats()},
                                {"model_dir", f.model},
                                {"model_type", bundle->manifest.value("model_type", "")},
                                {"beam", beam},
                                {"dense_mix", bundle->dense_mix},
                                {"dense_mix_sweep", nlohmann::ordered_json::array()},
                                {"seqrec_version", kSeqrecVersion},
                                {"model_commit", bundle->manifest.value("seqrec_commit", "unknown")},
                                {"eval_commit", git_commit()},
                                {"model", mm},
                                {"most_popular", pm},
                                {"model_top_k_categorical_accuracy", topk_categorical_accuracy(model_ranks)},
                                {"model_by_history_length", summarize_by_history_length(model_ranks, cases, ks, buckets)},
                                {"most_popular_by_history_length", summarize_by_history_length(pop_ranks, cases, ks, buckets)},
                                {"seconds", secs}};
    // 多个 --dense-mix：每个比例的总指标与按历史长度分组的指标（第一个即上面的 model）。
    if (mixes.size() > 1)
      for (size_t k = 0; k < mixes.size(); ++k)
        j["dense_mix_sweep"].push_back(
            {{"dense_mix", mixes[k]},
             {"model", summarize_ranks(mix_ranks[k], ks)},
             {"model_by_history_length", summarize_by_history_length(mix_ranks[k], cases, ks, buckets)}});
    else
      j.erase("dense_mix_sweep");
    if (chosen >= 0) j["dense_mix_chosen"] = {{"dense_mix", chosen}, {"metric", choice_metric}, {"written_to", f.model + "/manifest.json"}};
    emit_json(j);
  } else {
    std::printf("%s split, %s: %s; data %s; %d items, %zu cases, %.2fs (commit %s):\n%s", f.split.c_str(),
                data.train_end.empty() ? "leave-one-out" : "temporal", proto.describe().c_str(),
                df.data.empty() ? "built-in synthetic" : df.data.c_str(), data.num_items(), cases.size(), secs, git_commit(),
                metrics_table({{"model", mm}, {"most-popular", pm}}, ks).c_str());
    // 按用户历史长度分组（目标之前的交互数）
    if (!buckets.empty()) {
      const auto by_len = summarize_by_history_length(model_ranks, cases, ks, buckets);
      std::printf("by history length:\n%s", metrics_table(history_rows(by_len, "model, "), ks).c_str());
    }
    if (mixes.size() > 1) {
      // 多个 --dense-mix：每个比例一行总指标，再按历史长度分组各一行（"model" 即第一个比例）。
      std::vector<std::pair<std::string, nlohmann::ordered_json>> rows;
      for (size_t k = 0; k < mixes.size(); ++k) {
        rows.push_back({concat("dense_mix ", mixes[k]), summarize_ranks(mix_ranks[k], ks)});
        if (!buckets.empty())
          for (auto& row : history_rows(summarize_by_history_length(mix_ranks[k], cases, ks, buckets),
                                        concat("dense_mix ", mixes[k], ", ")))
            rows.push_back(std::move(row));
      }
      std::printf("by dense_mix:\n%s", metrics_table(rows, ks).c_str());
    }
    if (chosen >= 0)
      std::printf("dense_mix %g chosen by %s on the validation split; written to %s/manifest.json (serve and eval "
                  "now default to it)\n", chosen, choice_metric.c_str(), f.model.c_str());
    const auto acc = topk_categorical_accuracy(model_ranks);
    std::printf("top-K categorical accuracy (TFRS):");
    for (const auto& [name, v] : acc.items()) std::printf(" %s %.4f", name.c_str(), v.get<double>());
    std::printf("\n");
  }
}

}  // namespace

// 注册 eval 子命令。
void setup_eval(CLI::App& app) {
  auto f = std::make_shared<EvalFlags>();
  auto* cmd = app.add_subcommand("eval", "evaluate a model directory (HR/NDCG/MRR@K, full ranking) against most-popular");
  cmd->add_option("--model", f->models,
                  "model directory written by 'seqrec train' (all protocols but otto); several (--model a --model b, "
                  "or a,b) are compared in one table on the same data")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->delimiter(',');
  f->data.add_to(cmd, "interactions file to evaluate on, read and split with the data options given here (its users "
                      "and items must match the model's); omit to use the data the model was trained on, as its "
                      "manifest records it (the other data options then may not be given)");
  cmd->add_option("--ks", f->ks, "cut-offs K")->capture_default_str();
  cmd->add_option("--split", f->split, "test or valid")->capture_default_str();
  cmd->add_option("--precision", f->precision, "item vectors for scoring, as in 'seqrec serve' (fp32 and int8 rank identically; fp16 is approximate)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fp32", "fp16", "int8"}));
  cmd->add_option("--protocol", f->protocol,
                  "full: rank against all items; sampled: against N negatives drawn uniformly from items the user "
                  "never touched (SASRec paper); sampled-pop: drawn by training popularity; otto: session predictions "
                  "(--candidates or --submission) against --labels, Recall@20 per type and the weighted score")
      ->capture_default_str()
      ->check(CLI::IsMember({"full", "sampled", "sampled-pop", "otto"}));
  cmd->add_option("--labels", f->labels, "otto: test_labels.jsonl written by 'seqrec split-sessions'");
  cmd->add_option("--candidates", f->candidates, "otto: candidates CSV written by 'seqrec candidates'");
  cmd->add_option("--submission", f->submission, "otto: Kaggle submission CSV (session_type,labels)");
  cmd->add_option("--negatives", f->proto.negatives, "negatives per case for the sampled protocols")->capture_default_str();
  cmd->add_option("--seed", f->proto.seed, "seed of the negative sampling")->capture_default_str();
  cmd->add_flag("--exclude-history", f->proto.exclude_history,
                "full protocol: leave the user's earlier items out of the ranking (default: nothing filtered)");
  cmd->add_option("--length-buckets", f->length_buckets,
                  "history-length groups for the breakdown, e.g. 5,20 -> 0-4, 5-19, >=20 ('' = none)")
      ->capture_default_str();
  cmd->add_flag("--json", f->json, "print JSON instead of a table");
  cmd->add_option("--beam", f->beam, "generative models: beam width (default: the one recorded at training; "
                                     "never below the largest K)");
  cmd->add_option("--dense-mix", f->dense_mix,
                  "generative models trained with --w-dense: weight of the dense score against the beam search's "
                  "log-probability, in [0, 1] (default: the one recorded at training); a comma-separated list "
                  "evaluates each from one search per case (the first is the main result)");
  cmd->add_option("--choose-mix", f->choose_mix,
                  "with --split valid and several --dense-mix values: record the one with the best METRIC (HR@K, "
                  "NDCG@K or MRR@K, K in --ks; ties go to the earlier value) in the model's manifest.json, so that "
                  "serve and eval use it by default")
      ->type_name("METRIC");
  cmd->add_option("--threads", f->threads, "threads encoding the histories (results do not depend on it)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->callback([f, cmd] { run_eval(*f, cmd); });
}

}  // namespace seqrec::app
