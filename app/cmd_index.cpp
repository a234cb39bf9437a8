// `seqrec index`：为模型目录离线构建 FAISS 近似索引（HNSW 或 IVF），测它相对精确检索的 recall@10，
// 达标后写入目录并登记到 manifest（选项与构建指标一起）；`--type exact` 删除索引，恢复精确检索。
#include <cstdio>
#include <memory>

#include "commands.h"
#include "core/error.h"
#include "index/model_index.h"

namespace seqrec::app {

namespace {

// index 子命令的全部选项。
struct IndexFlags {
  std::string model;
  std::string type = "hnsw";
  std::string on_low_recall = "refuse";
  IndexBuildOptions opt;
};

// 构建（或删除）索引并打印 manifest 中登记的结果。
void run_index(IndexFlags f) {
  if (f.type == "exact") {
    remove_model_index(f.model);
    std::printf("%s: no approximate index; seqrec serve uses exact retrieval\n", f.model.c_str());
    return;
  }
  f.opt.params.type = f.type;
  f.opt.warn_only = f.on_low_recall == "warn";
  const nlohmann::ordered_json r = build_model_index(f.model, f.opt);
  if (r.contains("warning")) std::fprintf(stderr, "warning: %s\n", r["warning"].get<std::string>().c_str());
  std::printf("%s\n", r.dump(2).c_str());
}

}  // namespace

// 注册 index 子命令。
void setup_index(CLI::App& app) {
  auto f = std::make_shared<IndexFlags>();
  auto* cmd = app.add_subcommand("index", "build a FAISS index (hnsw or ivf) into a model directory, checked against exact search");
  cmd->add_option("--model", f->model, "model directory")->required();
  cmd->add_option("--type", f->type, "hnsw (graph; best latency), ivf (inverted lists; faster to build), or exact (remove the index)")
      ->capture_default_str()
      ->check(CLI::IsMember({"hnsw", "ivf", "exact"}));
  auto& p = f->opt.params;
  cmd->add_option("--hnsw-m", p.hnsw_m, "hnsw: neighbours per node")->capture_default_str();
  cmd->add_option("--ef-construction", p.ef_construction, "hnsw: candidate list length while building")->capture_default_str();
  cmd->add_option("--ef-search", p.ef_search, "hnsw: candidate list length at search time (serve --ef-search overrides)")
      ->capture_default_str();
  cmd->add_option("--nlist", p.nlist, "ivf: inverted lists (0 = about 4*sqrt(items))")->capture_default_str();
  cmd->add_option("--nprobe", p.nprobe, "ivf: lists visited per query (serve --nprobe overrides)")->capture_default_str();
  cmd->add_option("--train-sample", p.train_sample, "ivf: vectors used to train the k-means (0 = 64 per list)")
      ->capture_default_str();
  cmd->add_option("--threads", f->opt.threads, "build threads (0 = one per core)")->capture_default_str();
  cmd->add_option("--min-recall", f->opt.min_recall, "required recall@10 against exact search")->capture_default_str();
  cmd->add_option("--on-low-recall", f->on_low_recall, "below --min-recall: refuse (nothing written, exit 1) or warn (write it anyway)")
      ->capture_default_str()
      ->check(CLI::IsMember({"refuse", "warn"}));
  cmd->add_option("--recall-queries", f->opt.recall_queries, "queries used to measure recall")->capture_default_str();
  cmd->add_option("--queries", f->opt.queries_file,
                  "query vectors (.npy, float32 [n, dim]) for the recall check (default: the model's queries.npy, "
                  "encoded training histories; else the item vectors)");
  cmd->callback([f] { run_index(*f); });
}

}  // namespace seqrec::app
