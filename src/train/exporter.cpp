// 模型目录导出实现。
#include "train/exporter.h"

#include <filesystem>

#include "core/blas_core.h"
#include "core/error.h"
#include "core/files.h"
#include "core/version.h"
#include "core/manifest.h"
#include "core/npy.h"
#include "core/safetensors.h"
#include "models/encoder.h"

namespace fs = std::filesystem;

namespace seqrec {

namespace {

// 所有模型目录都有的文件：用户与物品映射、训练集流行度、逐轮日志。
void write_common_files(const std::string& stage, const SequenceData& data, const TrainResult& r) {
  auto path = [&](const char* f) { return (fs::path(stage) / f).string(); };
  data.users.save(path("user_map.json"));
  data.items.save(path("item_map.json"));
  write_file_atomic(path("popularity.json"), nlohmann::json{{"train_counts", train_item_counts(data)}}.dump());
  write_file_atomic(path("train_log.jsonl"), r.epoch_log);
}

// manifest 的 training_result 段。
nlohmann::ordered_json training_result_json(const TrainResult& r) {
  nlohmann::ordered_json j = {{"best_epoch", r.best_epoch},
                               {"epochs_run", r.epochs_run},
                               {"train_seconds", r.train_seconds},
                               {"seconds_per_epoch", r.seconds_per_epoch},
                               {"samples_per_epoch", r.samples_per_epoch},
                               {"samples_per_second", r.samples_per_second},
                               {"interrupted", r.interrupted}};
  if (r.resumed_after_epoch > 0) j["resumed_after_epoch"] = r.resumed_after_epoch;  // 只在续训时写出
  if (!r.distributed.is_null()) j["distributed"] = r.distributed;  // 多进程训练：进程数与批的切法
  return j;
}

}  // namespace

Matrix sample_queries(const SequenceEncoder& enc, const SequenceData& data, int max_queries) {
  // 等间隔抽取有训练历史的用户（确定性，覆盖整个用户范围）。
  std::vector<int32_t> users;
  for (int32_t u = 0; u < data.num_users(); ++u)
    if (data.train_len(u) > 0) users.push_back(u);
  const size_t n = std::min(users.size(), static_cast<size_t>(std::max(max_queries, 0)));
  Matrix q;
  q.rows = static_cast<int64_t>(n);
  q.cols = enc.dim();
  q.data.resize(static_cast<size_t>(q.rows * q.cols));
  const size_t max_len = static_cast<size_t>(std::max(enc.config().max_len, 1));
  for (size_t i = 0; i < n; ++i) {
    const int32_t u = users[i * users.size() / n];
    const size_t len = static_cast<size_t>(data.train_len(u)), from = len > max_len ? len - max_len : 0;
    enc.encode(u, data.seqs[static_cast<size_t>(u)].data() + from, len - from, q.row(static_cast<int64_t>(i)));
  }
  return q;
}

// 训练发散（NaN / 无穷的权重）的模型不导出：它加载后只会给出空的推荐。在建 staging 目录之前检查，什么也不写。
static void check_exportable(const TrainResult& r) {
  try {
    check_finite_tensors(r.weights, "the trained weights");
  } catch (const Error& e) {
    throw Error(concat("training diverged, nothing exported: ", e.what(),
                       " (try a lower --lr, or --resume from an earlier checkpoint)"));
  }
}

void export_model(const std::string& dir, const ExportInfo& info) {
  SEQREC_CHECK(info.data && info.result);
  check_exportable(*info.result);
  const std::string stage = make_staging_dir(dir);
  try {
    auto path = [&](const char* f) { return (fs::path(stage) / f).string(); };
    const TrainResult& r = *info.result;
    write_file_atomic(path("model.safetensors"),
                      safetensors_encode(r.weights, {{"format", "seqrec"}, {"model_type", model_type_name(info.model)}}));
    // item_embeddings.npy 的第 i 行 = item_map.json 中下标为 i 的物品（不含填充行）。
    const auto encoder = make_encoder(r.weights, info.model);
    npy_save(path("item_embeddings.npy"), encoder->item_embeddings());
    // queries.npy：真实查询的样本（训练历史的编码），`seqrec index` 用它测近似索引的召回率。
    npy_save(path("queries.npy"), sample_queries(*encoder, *info.data, kQuerySample));
    write_common_files(stage, *info.data, r);

    nlohmann::ordered_json m;
    m["format_version"] = kFormatVersion;
    m["seqrec_commit"] = git_commit();
    m["model_type"] = model_type_name(info.model);
    m["seqrec_version"] = kSeqrecVersion;
    m["blas"] = blas_description();  // 训练所用的 BLAS 与内核（浮点舍入随内核而变）
    m["model"] = info.model.to_json();
    m["training"] = info.train.to_json(info.model.type);
    m["training_result"] = training_result_json(r);
    m["data"] = {{"options", info.data_options}, {"stats", info.data->stats()}};
    m["serving"] = serving_defaults(*info.data);
    m["metrics"] = info.metrics;
    if (!info.lineage.is_null()) m["lineage"] = info.lineage;
    std::vector<std::string> files = {"model.safetensors", "item_embeddings.npy", "user_map.json", "item_map.json",
                                      "popularity.json",   "train_log.jsonl",     "queries.npy"};
    if (info.item_titles.is_object() && !info.item_titles.empty()) {
      write_file_atomic(path("item_titles.json"), info.item_titles.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      files.push_back("item_titles.json");
      m["item_titles"] = info.titles_info;
    }
    m["files"] = file_checksums(stage, files);
    write_file_atomic(path("manifest.json"), m.dump(2));  // 最后写 manifest：有它才算完整
    fsync_path(stage);
    publish_dir(stage, dir);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(stage, ec);
    throw;
  }
}

nlohmann::ordered_json serving_defaults(const SequenceData& data) {
  const double rate = data.repeat_rate();
  return {{"repeat_rate", rate},
          {"exclude_clicked", rate < kRepeatRateForExclusion},
          {"rule", concat("exclude_clicked defaults to true when fewer than ", kRepeatRateForExclusion * 100,
                          "% of training interactions repeat an item the user had before")}};
}

void export_genrec_model(const std::string& dir, const GenRecExportInfo& info) {
  SEQREC_CHECK(info.data && info.result && info.sids);
  check_exportable(*info.result);
  const std::string stage = make_staging_dir(dir);
  try {
    auto path = [&](const char* f) { return (fs::path(stage) / f).string(); };
    const TrainResult& r = *info.result;
    write_file_atomic(path("model.safetensors"),
                      safetensors_encode(r.weights, {{"format", "seqrec"}, {"model_type", kColarecName}}));
    info.sids->save(path("semantic_ids.json"));
    std::vector<std::string> files = {"model.safetensors", "semantic_ids.json", "item_embeddings.npy", "user_map.json",
                                      "item_map.json",     "popularity.json",   "train_log.jsonl"};
    if (info.tokenizer) {
      write_file_atomic(path("tokenizer.bin"), info.tokenizer->to_bytes());
      files.push_back("tokenizer.bin");
    }
    // item_embeddings.npy：编码器嵌入表中物品记号的行（第 i 行 = item_map.json 中下标 i 的物品）。
    const auto& tok = r.weights.at("tok_emb.weight");
    Matrix emb;
    emb.rows = info.model.num_items;
    emb.cols = info.model.dim;
    const size_t off = static_cast<size_t>(info.model.item_offset()) * static_cast<size_t>(info.model.dim);
    emb.data.assign(tok.data.begin() + static_cast<std::ptrdiff_t>(off),
                    tok.data.begin() + static_cast<std::ptrdiff_t>(off + static_cast<size_t>(emb.rows * emb.cols)));
    npy_save(path("item_embeddings.npy"), emb);
    write_common_files(stage, *info.data, r);

    nlohmann::ordered_json m;
    m["format_version"] = kFormatVersion;
    m["seqrec_commit"] = git_commit();
    m["model_type"] = kColarecName;
    m["seqrec_version"] = kSeqrecVersion;
    m["blas"] = blas_description();  // 训练所用的 BLAS 与内核（浮点舍入随内核而变）
    m["model"] = info.model.to_json();
    m["training"] = info.train.to_json(kColarecName);
    m["generative"] = info.generative.to_json();
    m["semantic_ids"] = info.sids->info;
    m["content"] = info.content;
    if (info.tokenizer) m["content"]["tokenizer_type"] = info.tokenizer->type();
    if (!info.init_from.is_null()) m["init_from"] = info.init_from;
    m["training_result"] = training_result_json(r);
    m["data"] = {{"options", info.data_options}, {"stats", info.data->stats()}};
    m["serving"] = serving_defaults(*info.data);
    m["metrics"] = info.metrics;
    m["files"] = file_checksums(stage, files);
    write_file_atomic(path("manifest.json"), m.dump(2));
    fsync_path(stage);
    publish_dir(stage, dir);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(stage, ec);
    throw;
  }
}

}  // namespace seqrec
