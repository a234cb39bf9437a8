// `seqrec eval`：在留一法测试集（或验证集）上做全量排序评估，报告 HR/NDCG/MRR@K，并与最热门基线对比。
// 默认按 manifest 中记录的数据来源与选项重建同一数据集；也可用 --data 等选项指定。
#include <cstdio>
#include <memory>

#include "commands.h"
#include "core/error.h"
#include "core/files.h"
#include "data_flags.h"
#include "eval/evaluator.h"
#include "eval/metrics.h"
#include "report.h"
#include "serve/model_bundle.h"

namespace seqrec::app {

namespace {

// eval 子命令的全部选项。
struct EvalFlags {
  std::string model;
  DataFlags data;
  std::string ks = "1,5,10,20,50";
  std::string split = "test";
  std::string precision = "fp32";
  bool json = false;
};

// 数据集的编号必须与模型的映射完全一致，否则评估没有意义。
void check_same_ids(const IdMap& data, const IdMap& model, const char* what) {
  bool same = data.size() == model.size();
  for (size_t i = 0; same && i < data.size(); ++i) same = data.id(static_cast<int32_t>(i)) == model.id(static_cast<int32_t>(i));
  if (!same)
    throw Error(concat("the evaluation data does not match the model's ", what,
                       " map (different file or filters than at training time)"));
}

// 执行评估：加载模型目录，重建同一数据集，计算模型与最热门基线的指标并打印。
void run_eval(const EvalFlags& f) {
  const std::vector<int> ks = parse_ks(f.ks);
  if (f.split != "test" && f.split != "valid") throw Error(concat("--split must be test or valid, got '", f.split, "'"));
  auto bundle = ModelBundle::load(f.model, parse_scan_precision(f.precision));
  DataFlags df = f.data.data.empty() ? DataFlags::from_json(bundle->manifest.at("data").at("options")) : f.data;
  SequenceData data = df.load();
  check_same_ids(data.users, bundle->users, "user");
  check_same_ids(data.items, bundle->items, "item");
  const double t0 = now_seconds();
  const auto cases = eval_cases(data, f.split == "test" ? SplitPart::kTest : SplitPart::kValid);
  auto mm = summarize_ranks(rank_cases(bundle->model, bundle->index, data, cases, bundle->model.config().max_len), ks);
  auto pm = summarize_ranks(rank_cases_static(popularity_scores(data), cases), ks);
  const double secs = now_seconds() - t0;
  if (f.json) {
    nlohmann::ordered_json j = {{"split", f.split},
                                {"protocol", "leave-one-out, full ranking over all items, pessimistic ties"},
                                {"data", df.to_json()},
                                {"stats", data.stats()},
                                {"model", mm},
                                {"most_popular", pm},
                                {"seconds", secs}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s split (leave-one-out, full ranking over %d items, %zu users, %.2fs):\n%s", f.split.c_str(),
                data.num_items(), cases.size(), secs, metrics_table({{"model", mm}, {"most-popular", pm}}, ks).c_str());
  }
}

}  // namespace

// 注册 eval 子命令。
void setup_eval(CLI::App& app) {
  auto f = std::make_shared<EvalFlags>();
  auto* cmd = app.add_subcommand("eval", "evaluate a model directory (HR/NDCG/MRR@K, full ranking) against most-popular");
  cmd->add_option("--model", f->model, "model directory written by 'seqrec train'")->required();
  f->data.add_to(cmd);
  cmd->add_option("--ks", f->ks, "cut-offs K")->capture_default_str();
  cmd->add_option("--split", f->split, "test or valid")->capture_default_str();
  cmd->add_option("--precision", f->precision, "item vectors for scoring, as in 'seqrec serve' (fp32 and int8 rank identically; fp16 is approximate)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fp32", "fp16", "int8"}));
  cmd->add_flag("--json", f->json, "print JSON instead of a table");
  cmd->callback([f] { run_eval(*f); });
}

}  // namespace seqrec::app
