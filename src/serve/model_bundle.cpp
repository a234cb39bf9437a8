// 模型目录加载与一致性检查。
#include "serve/model_bundle.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "core/error.h"
#include "core/files.h"
#include "core/manifest.h"
#include "core/npy.h"
#include "core/safetensors.h"
#include "index/model_index.h"
#include "models/registry.h"

namespace fs = std::filesystem;

namespace seqrec {

namespace {

// 读 popularity.json，得到按训练次数降序的物品与次数。
void load_popularity(ModelBundle* b, const std::string& file, int num_items) {
  nlohmann::json pop;
  try {
    // 每个物品一个计数：大小有上限，超出就不读（见 IdMap::kMaxBytesPerId 的理由）。
    pop = nlohmann::json::parse(read_regular_file(file, 1024 + 48 * static_cast<uint64_t>(num_items))).at("train_counts");
  } catch (const nlohmann::json::exception& e) {
    throw Error(concat(file, ": expected {\"train_counts\": [...]}: ", json_error_text(e)));
  }
  if (!pop.is_array() || static_cast<int>(pop.size()) != num_items)
    throw Error(concat(file, ": train_counts must have ", num_items, " entries"));
  std::vector<float> counts;
  for (const auto& c : pop) {
    if (!c.is_number()) throw Error(concat(file, ": train_counts must be numbers"));
    counts.push_back(c.get<float>());
  }
  b->popular.resize(counts.size());
  std::iota(b->popular.begin(), b->popular.end(), 0);
  std::stable_sort(b->popular.begin(), b->popular.end(),
                   [&](int32_t a, int32_t c) { return counts[static_cast<size_t>(a)] > counts[static_cast<size_t>(c)]; });
  for (int32_t i : b->popular) b->popular_score.push_back(counts[static_cast<size_t>(i)]);
}

// 读 user_map.json / item_map.json，并核对数量与模型一致。
void load_id_maps(ModelBundle* b, int num_users, int num_items) {
  auto path = [&](const char* f) { return (fs::path(b->dir) / f).string(); };
  b->users = IdMap::load(path("user_map.json"), num_users);
  b->items = IdMap::load(path("item_map.json"), num_items);
  if (static_cast<int>(b->users.size()) != num_users)
    throw Error(concat(path("user_map.json"), " has ", b->users.size(), " users; the model was trained with ", num_users));
  if (static_cast<int>(b->items.size()) != num_items)
    throw Error(concat(path("item_map.json"), " has ", b->items.size(), " items; the model was trained with ", num_items));
}

// 读权重文件并解码，确认没有 NaN / 无穷（训练发散的模型只会给出空的或错误的推荐）。
TensorMap load_weights(const std::string& wpath) {
  TensorMap t = safetensors_decode(read_regular_file(wpath, uint64_t(1) << 40), wpath);
  check_finite_tensors(t, wpath);
  return t;
}

// 生成式模型目录：权重、语义 ID、映射与流行度；没有向量检索。
void load_generative(ModelBundle* b, const BundleOptions& opt) {
  const auto& m = b->manifest;
  auto path = [&](const char* f) { return (fs::path(b->dir) / f).string(); };
  for (const char* f : {"model.safetensors", "semantic_ids.json", "user_map.json", "item_map.json", "popularity.json"})
    if (!m["files"].contains(f)) throw Error(concat(b->dir, "/manifest.json does not list required file '", f, "'"));
  if (!m.contains("model")) throw Error(concat(b->dir, "/manifest.json: no 'model' section"));
  const GenRecConfig cfg = GenRecConfig::from_json(m["model"]);
  SemanticIds sids = SemanticIds::load(path("semantic_ids.json"));
  const std::string wpath = path("model.safetensors");
  try {
    b->generative = std::make_unique<GenRecModel>(
        GenRecModel::from_tensors(load_weights(wpath), cfg, std::move(sids)));
  } catch (const Error& e) {
    throw Error(concat(wpath, ": ", e.what()));
  }
  load_id_maps(b, cfg.num_users, cfg.num_items);
  b->beam = opt.beam > 0 ? opt.beam : m.value("generative", nlohmann::json::object()).value("beam", 20);
  // 稠密得分的混合比例：命令行给出的优先，否则用训练时记录的；没有稠密头的模型一律为 0（给出非 0 值是错误）。
  if (cfg.dense_head) {
    b->dense_mix = opt.dense_mix >= 0 ? opt.dense_mix : m.value("generative", nlohmann::json::object()).value("dense_mix", 0.5);
    if (!(b->dense_mix >= 0 && b->dense_mix <= 1))
      throw Error(concat(b->dir, ": dense_mix must be in [0, 1] (got ", b->dense_mix, ")"));
  } else if (opt.dense_mix > 0) {
    throw Error(concat("--dense-mix ", opt.dense_mix, ": the model in ", b->dir,
                       " has no dense head (train it with --w-dense)"));
  }
  load_popularity(b, path("popularity.json"), cfg.num_items);
}

}  // namespace

std::unique_ptr<ModelBundle> ModelBundle::load(const std::string& dir, const BundleOptions& opt) {
  auto b = std::make_unique<ModelBundle>();
  b->dir = dir;
  std::string raw;
  b->manifest = load_and_verify_manifest(dir, &raw);  // 校验版本与每个文件的 sha256
  b->version = manifest_version(raw);
  const auto& m = b->manifest;
  if (m.contains("serving") && m["serving"].is_object() && m["serving"].contains("exclude_clicked")) {
    if (!m["serving"]["exclude_clicked"].is_boolean())
      throw Error(concat(dir, "/manifest.json: serving.exclude_clicked must be true or false"));
    b->exclude_clicked = m["serving"]["exclude_clicked"].get<bool>();
  }
  if (is_generative_model_type(m.value("model_type", ""))) {
    load_generative(b.get(), opt);
    return b;
  }
  const std::string type = config_type_from_manifest(m.value("model_type", ""));
  if (type.empty())
    throw Error(concat(dir, "/manifest.json: unsupported model_type ", m.value("model_type", "(none)"),
                       " (expected ", join_or(manifest_names()), ")"));
  if (!m.contains("model")) throw Error(concat(dir, "/manifest.json: no 'model' section"));
  const ModelConfig cfg = ModelConfig::from_json(m["model"]);
  if (cfg.type != type)
    throw Error(concat(dir, "/manifest.json: model_type says ", type, " but the model section says ", cfg.type));
  auto path = [&](const char* f) { return (fs::path(dir) / f).string(); };
  for (const char* f : {"model.safetensors", "item_embeddings.npy", "user_map.json", "item_map.json", "popularity.json"})
    if (!m["files"].contains(f)) throw Error(concat(dir, "/manifest.json does not list required file '", f, "'"));

  const std::string wpath = path("model.safetensors");
  try {
    b->model = make_encoder(load_weights(wpath), cfg);
  } catch (const Error& e) {
    throw Error(concat(wpath, ": ", e.what()));
  }
  load_id_maps(b.get(), cfg.num_users, cfg.num_items);
  Matrix emb = npy_load(path("item_embeddings.npy"));
  if (emb.rows != cfg.num_items || emb.cols != cfg.dim)
    throw Error(concat(path("item_embeddings.npy"), " has shape (", emb.rows, ", ", emb.cols, "), expected (",
                       cfg.num_items, ", ", cfg.dim, ")"));
  for (size_t i = 0; i < emb.data.size(); ++i)
    if (!std::isfinite(emb.data[i]))
      throw Error(concat(path("item_embeddings.npy"), ": row ", i / static_cast<size_t>(cfg.dim),
                         " has a NaN or infinite value"));
  // 有 FAISS 索引时精确检索只是退路（小白名单、近似结果不足）：只留 fp32，不再建 int8 / fp16 副本。
  const bool faiss = opt.index == "auto" && m.contains("index");
  const ScanPrecision precision = faiss ? ScanPrecision::kFp32 : opt.precision;
  // 内积相似度时检索用的矩阵就是模型的物品表：核对 item_embeddings.npy 与之逐位相同后借用模型的那一份，
  // 百万物品时省下 256 MB。余弦相似度要归一化，只能自己存一份。
  const float* table = b->model->item_table();
  std::shared_ptr<ExactIndex> exact;
  if (!cfg.cosine() && table && std::equal(emb.data.begin(), emb.data.end(), table)) {
    std::vector<float>().swap(emb.data);
    exact = std::make_shared<ExactIndex>(MatrixView(table, cfg.num_items, cfg.dim), precision);
  } else {
    exact = std::make_shared<ExactIndex>(std::move(emb), cfg.cosine(), precision);
  }
  b->exact = exact;
  b->retriever = load_retriever(dir, m, exact, opt.index, opt.ef_search, opt.nprobe);
  if (opt.coalesce > 0) b->coalescer = std::make_unique<Coalescer>(*b->retriever, opt.coalesce);

  load_popularity(b.get(), path("popularity.json"), cfg.num_items);
  return b;
}

}  // namespace seqrec
