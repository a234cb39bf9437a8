// 模型目录近似索引的构建、登记、删除与加载。
#include "index/model_index.h"

#include <algorithm>
#include <filesystem>
#include <thread>
#include <unordered_set>

#include "core/error.h"
#include "core/files.h"
#include "core/manifest.h"
#include "models/registry.h"

namespace fs = std::filesystem;

namespace seqrec {

namespace {

// 等间隔取至多 n 行（确定性）。
Matrix take_rows(MatrixView m, int n) {
  Matrix out;
  out.cols = m.cols;
  out.rows = std::min<int64_t>(m.rows, std::max(n, 0));
  out.data.resize(static_cast<size_t>(out.rows * out.cols));
  for (int64_t i = 0; i < out.rows; ++i) {
    const int64_t r = i * m.rows / out.rows;
    std::copy(m.row(r), m.row(r) + m.cols, out.row(i));
  }
  return out;
}

// 读取 manifest 为保持键顺序的 JSON（改写时不打乱原有顺序）。
nlohmann::ordered_json read_manifest_ordered(const std::string& dir) {
  const std::string p = (fs::path(dir) / "manifest.json").string();
  try {
    return nlohmann::ordered_json::parse(read_file(p));
  } catch (const nlohmann::json::exception& e) {
    throw Error(concat("'", p, "' is not valid JSON: ", e.what()));
  }
}

// manifest 的 index 段引用的文件名（没有时为空）。
std::string index_file_of(const nlohmann::ordered_json& m) {
  if (!m.contains("index") || !m["index"].is_object() || !m["index"].contains("file")) return "";
  return m["index"]["file"].get<std::string>();
}

// 模型的相似度是否为余弦：只读 manifest 里 model.similarity 这一项（导出的 manifest 总写着它），
// 不为一个标志解析整个模型结构。
bool uses_cosine(const std::string& dir, const nlohmann::json& manifest) {
  if (!manifest.contains("model") || !manifest["model"].is_object())
    throw Error(concat(dir, "/manifest.json: no 'model' section"));
  const nlohmann::json& m = manifest["model"];
  if (!m.contains("similarity") || !m["similarity"].is_string() || (m["similarity"] != "cosine" && m["similarity"] != "dot"))
    throw Error(concat(dir, "/manifest.json: model.similarity must be \"cosine\" or \"dot\""));
  return m["similarity"] == "cosine";
}

// 读入物品向量并建立 fp32 精确索引。
std::shared_ptr<ExactIndex> load_exact(const std::string& vectors, bool cosine) {
  return std::make_shared<ExactIndex>(npy_load(vectors), cosine, ScanPrecision::kFp32);
}

}  // namespace

void IndexBuildOptions::validate() const {
  params.validate();
  if (threads < 0) throw Error(concat("--threads must be >= 0 (0 = one per core), got ", threads));
  if (!(min_recall >= 0 && min_recall <= 1)) throw Error(concat("--min-recall must be in [0, 1], got ", min_recall));
  if (recall_queries < 1) throw Error(concat("--recall-queries must be >= 1, got ", recall_queries));
}

double recall_at_k(const Retriever& approx, const ExactIndex& exact, const Matrix& queries, int k) {
  if (queries.rows == 0) return 1.0;
  double sum = 0;
  for (int64_t i = 0; i < queries.rows; ++i) {
    const auto truth = exact.search(queries.row(i), k);
    const auto got = approx.retrieve(queries.row(i), k, {});
    std::unordered_set<int32_t> t;
    for (const Hit& h : truth) t.insert(h.item);
    int hit = 0;
    for (const Hit& h : got) hit += t.count(h.item) ? 1 : 0;
    sum += truth.empty() ? 1.0 : double(hit) / double(truth.size());
  }
  return sum / double(queries.rows);
}

nlohmann::ordered_json build_model_index(const std::string& dir, const IndexBuildOptions& opt) {
  opt.validate();
  const nlohmann::json verified = load_and_verify_manifest(dir);  // 先确认目录完整，再花时间构建
  if (is_generative_model_type(verified.value("model_type", "")))
    throw Error(concat(dir, ": a generative (colarec) model retrieves by constrained beam search over its semantic ids; "
                            "it has no query vectors to index"));
  auto exact = load_exact((fs::path(dir) / "item_embeddings.npy").string(), uses_cosine(dir, verified));
  const int threads = opt.threads > 0 ? opt.threads : std::max(1u, std::thread::hardware_concurrency());

  const double t0 = now_seconds();
  auto index = FaissIndex::build(exact, opt.params, threads);
  const double build_s = now_seconds() - t0;

  // 召回率用的查询：--queries 文件 > 目录里的 queries.npy（训练历史的编码）> 物品向量本身。
  Matrix queries;
  std::string source;
  const std::string own = (fs::path(dir) / "queries.npy").string();
  if (!opt.queries_file.empty()) {
    queries = npy_load(opt.queries_file);
    source = opt.queries_file;
  } else if (verified["files"].contains("queries.npy")) {
    queries = npy_load(own);
    source = "queries.npy (encoded training histories)";
  } else {
    queries = take_rows(exact->items(), opt.recall_queries);
    source = "item vectors (the model directory has no queries.npy)";
  }
  if (queries.cols != exact->dim())
    throw Error(concat(source, ": queries have dim ", queries.cols, ", the model has ", exact->dim()));
  queries = take_rows(queries, opt.recall_queries);
  const double t1 = now_seconds();
  const double recall = recall_at_k(*index, *exact, queries, 10);
  const double query_ms = queries.rows ? (now_seconds() - t1) * 1000.0 / double(queries.rows) : 0.0;

  nlohmann::ordered_json section;
  const nlohmann::json params = opt.params.to_json();
  for (auto it = params.begin(); it != params.end(); ++it) section[it.key()] = it.value();
  if (opt.params.type == "ivf") section["nlist_used"] = opt.params.resolved_nlist(exact->size());
  section["metric"] = exact->cosine() ? "cosine (inner product of normalized vectors)" : "inner product";
  section["search_space"] = "L2 over vectors augmented with sqrt(R^2 - |x|^2) (exact inner product re-scored)";
  section["items"] = exact->size();
  section["dim"] = exact->dim();
  section["build_seconds"] = build_s;
  section["build_threads"] = threads;
  section["recall_at_10"] = recall;
  section["recall_queries"] = queries.rows;
  section["recall_query_source"] = source;
  section["recall_pass_ms_per_query"] = query_ms;  // 精确 + 近似各一次，单线程
  section["min_recall"] = opt.min_recall;
  section["faiss_version"] = faiss_version();
  if (recall < opt.min_recall) {
    const std::string msg = concat("recall@10 of the ", opt.params.type, " index is ", recall, " on ", queries.rows,
                                   " queries, below --min-recall ", opt.min_recall,
                                   " (raise --ef-search, --hnsw-m or --nprobe, or pass --on-low-recall warn)");
    if (!opt.warn_only) throw Error(msg);
    section["warning"] = msg;
  }

  // 写索引：临时名 → 按内容哈希命名 → 原子替换 manifest → 删除旧索引文件。
  const std::string tmp = (fs::path(dir) / "index.building.faiss").string();
  index->save(tmp);
  const std::string sha = sha256_file(tmp);
  const std::string name = concat("index.", sha.substr(0, 12), ".faiss");
  fs::rename(tmp, fs::path(dir) / name);
  section["file"] = name;

  nlohmann::ordered_json m = read_manifest_ordered(dir);
  const std::string old = index_file_of(m);
  if (!old.empty()) m["files"].erase(old);
  m["files"][name] = {{"sha256", sha}, {"bytes", fs::file_size(fs::path(dir) / name)}};
  m["index"] = section;
  write_file_atomic((fs::path(dir) / "manifest.json").string(), m.dump(2));
  if (!old.empty() && old != name) {
    std::error_code ec;
    fs::remove(fs::path(dir) / old, ec);
  }
  return section;
}

void remove_model_index(const std::string& dir) {
  load_and_verify_manifest(dir);
  nlohmann::ordered_json m = read_manifest_ordered(dir);
  const std::string old = index_file_of(m);
  if (!m.contains("index")) return;
  m.erase("index");
  if (!old.empty()) m["files"].erase(old);
  write_file_atomic((fs::path(dir) / "manifest.json").string(), m.dump(2));
  if (!old.empty()) {
    std::error_code ec;
    fs::remove(fs::path(dir) / old, ec);
  }
}

std::shared_ptr<const Retriever> load_retriever(const std::string& dir, const nlohmann::json& manifest,
                                                std::shared_ptr<const ExactIndex> exact, const std::string& mode,
                                                int ef_search, int nprobe) {
  if (mode != "auto" && mode != "exact") throw Error(concat("--index must be auto or exact, got '", mode, "'"));
  if (mode == "exact" || !manifest.contains("index")) return exact;
  const auto& sec = manifest["index"];
  FaissParams p = FaissParams::from_json(sec);
  if (ef_search > 0) p.ef_search = ef_search;
  if (nprobe > 0) p.nprobe = nprobe;
  if (!sec.contains("file") || !sec["file"].is_string())
    throw Error(concat(dir, "/manifest.json: index section has no 'file'"));
  const std::string file = sec["file"].get<std::string>();
  if (!manifest["files"].contains(file))
    throw Error(concat(dir, "/manifest.json: index file '", file, "' is not listed (and checksummed) in 'files'"));
  return FaissIndex::load((fs::path(dir) / file).string(), exact, p);
}

}  // namespace seqrec
