// colarec 流水线的实现（从 app/ 移来：程序只解析选项，库做事）。
#include "train/colarec_pipeline.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <tuple>

#include "core/error.h"
#include "core/files.h"
#include "core/manifest.h"
#include "core/npy.h"
#include "eval/generative_eval.h"
#include "eval/report.h"
#include "models/genrec_native.h"
#include "models/registry.h"
#include "train/exporter.h"

namespace fs = std::filesystem;

namespace seqrec {

namespace {

// "a,b,c" → {"a","b","c"}（空串 → 空表）。
std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string x;
  while (std::getline(in, x, ','))
    if (!x.empty()) out.push_back(x);
  return out;
}

// 协同过滤物品向量，按数据集的物品顺序对齐。from 是模型目录（按 item_map.json 的外部 ID 对齐）或 .npy
// （行数必须等于数据集的物品数，行序即数据集的物品下标）。
Matrix cf_item_vectors(const std::string& from, const SequenceData& data) {
  if (from.empty())
    throw Error("--model colarec needs --sid-from: a model directory (e.g. from 'seqrec train --model lightgcn') or "
                "an item_embeddings.npy whose rows follow this data's items");
  if (fs::is_directory(from)) {
    const std::string npy = (fs::path(from) / "item_embeddings.npy").string();
    const Matrix e = npy_load(npy);
    const IdMap ids = IdMap::load((fs::path(from) / "item_map.json").string());
    if (static_cast<size_t>(e.rows) != ids.size())
      throw Error(concat(npy, " has ", e.rows, " rows but item_map.json has ", ids.size(), " items"));
    Matrix out;
    out.rows = data.num_items();
    out.cols = e.cols;
    out.data.resize(static_cast<size_t>(out.rows * out.cols));
    int64_t missing = 0;
    std::string example;
    for (int32_t i = 0; i < data.num_items(); ++i) {
      const int32_t k = ids.find(data.items.id(i));
      if (k < 0) {
        if (missing++ == 0) example = data.items.id(i);
        continue;
      }
      std::copy(e.row(k), e.row(k) + e.cols, out.row(i));
    }
    if (missing)
      throw Error(concat("--sid-from ", from, ": ", missing, " items of the data (e.g. '", example,
                         "') are not in its item_map.json; train it on the same data"));
    return out;
  }
  Matrix e = npy_load(from);
  if (e.rows != data.num_items())
    throw Error(concat("--sid-from ", from, " has ", e.rows, " rows; the data has ", data.num_items(), " items"));
  return e;
}

// --init-from 读出的一切：沿用的结构、语义 ID、内容记号、分词器与起始权重。
struct WarmStart {
  GenRecConfig cfg;
  GenRecInputs in;
  std::unique_ptr<ContentTokenizer> tok;
  nlohmann::json content_info;
  nlohmann::json source;  // 写进新 manifest 的来源说明
};


// 读取并核对 --init-from 目录：必须是 colarec 模型，且用户与物品映射与本次数据逐一相同
// （记号布局依赖物品与用户的下标，换了数据的权重无法接着用）。
WarmStart load_warm_start(const std::string& dir, const SequenceData& data) {
  std::string raw;
  const nlohmann::json m = load_and_verify_manifest(dir, &raw);  // 版本与每个文件的 sha256
  require_colarec(m, dir);
  auto path = [&](const char* f) { return (fs::path(dir) / f).string(); };
  for (const auto& [file, map, n] : {std::tuple{"item_map.json", &data.items, data.num_items()},
                                     std::tuple{"user_map.json", &data.users, data.num_users()}}) {
    const IdMap ids = IdMap::load(path(file));
    if (static_cast<int>(ids.size()) != n)
      throw Error(concat("--init-from ", dir, ": ", file, " has ", ids.size(), " entries; the data has ", n,
                         " (it must be trained on the same data with the same filters)"));
    for (int32_t i = 0; i < n; ++i)
      if (ids.id(i) != map->id(i))
        throw Error(concat("--init-from ", dir, ": ", file, " entry ", i, " is '", ids.id(i), "', the data's is '",
                           map->id(i), "' (it must be trained on the same data with the same filters)"));
  }
  WarmStart w;
  w.cfg = GenRecConfig::from_json(m.at("model"));
  SemanticIds sids = SemanticIds::load(path("semantic_ids.json"));
  const std::string wpath = path("model.safetensors");
  w.in.init = safetensors_decode(read_file(wpath), wpath);
  try {
    // 借原生模型的载入做完整校验，并取回解码后的内容记号表。
    const GenRecModel native = GenRecModel::from_tensors(w.in.init, w.cfg, sids);
    w.in.content = native.content();
  } catch (const Error& e) {
    throw Error(concat(wpath, ": ", e.what()));
  }
  w.in.sids = std::move(sids);
  w.content_info = m.value("content", nlohmann::json::object());
  if (w.cfg.content_vocab > 0 && m.at("files").contains("tokenizer.bin"))
    w.tok = std::make_unique<ContentTokenizer>(ContentTokenizer::from_bytes(
        w.content_info.value("tokenizer_type", ""), read_file(path("tokenizer.bin"))));
  const auto& tr = m.value("training_result", nlohmann::json::object());
  w.source = {{"dir", dir},
              {"model_version", sha256_hex(raw).substr(0, 12)},
              {"epochs_run", tr.value("epochs_run", 0)},
              {"best_epoch", tr.value("best_epoch", 0)}};
  return w;
}

}  // namespace

void require_colarec(const nlohmann::json& m, const std::string& dir) {
  if (!is_generative_model_type(m.value("model_type", "")))
    throw Error(concat("--init-from ", dir, ": model_type is ", m.value("model_type", "(none)"),
                       "; it must be a colarec model directory"));
}

ColarecPipeline::ColarecPipeline(const ColarecOptions& f, const SequenceData& data, const ModelConfig& m,
                                 const TrainOptions& t)
    : f_(f), data_(data), train_(t) {

  f.gen.validate();
  f.sid.validate();
  cfg_.num_items = data.num_items();
  cfg_.num_users = data.num_users();
  // --content-len 0：内容不进模型输入（只用于语义 ID）；配置里的 content_len 此时不起作用，取默认值。
  cfg_.content_len = f.content_len > 0 ? f.content_len : GenRecConfig{}.content_len;
  cfg_.max_len = m.max_len;
  cfg_.index_users = f.index_users;
  cfg_.dim = m.dim;
  cfg_.heads = m.heads;
  cfg_.ffn_dim = m.ffn_dim;
  cfg_.enc_layers = m.layers;
  cfg_.dec_layers = f.dec_layers;
  cfg_.sid_input = f.sid_input || f.sid_input_only;
  cfg_.sid_input_only = f.sid_input_only;
  cfg_.pos_from_end = f.pos_from_end;
  cfg_.content_pool = f.content_pool;
  cfg_.dense_head = f.gen.w_dense > 0;
  if (f.content_pool && f.content.empty() && f.init_from.empty())
    throw Error("--content-pool needs --content (the item content to pool)");
  if (f.sid_content_weight > 0 && f.content.empty() && f.init_from.empty())
    throw Error("--sid-content-weight needs --content (the item content to sketch)");
  if (f.content_len < 0) throw Error(concat("--content-len must be >= 0 (got ", f.content_len, ")"));
  if (f.content_len == 0 && !f.content.empty() && f.sid_content_weight <= 0)
    throw Error("--content-len 0 keeps the content out of the model input, so it would not be used: add "
                "--sid-content-weight to build the semantic ids from it, or drop --content");
  if (f.content_len == 0 && f.content_pool) throw Error("--content-pool needs --content-len >= 1");

  std::vector<std::vector<int32_t>> full_tokens;  // 每个物品未截断的内容记号（只在 --sid-content-weight 时保留）
  content_info_ = {{"file", f.content}};
  if (!f.init_from.empty()) {
    // 1'. 接着已有模型训练：结构、内容、分词器与语义 ID 都来自它（与之冲突的选项已由 check_init_from_flags 拒绝）。
    WarmStart w = load_warm_start(f.init_from, data);
    cfg_ = w.cfg;
    // 稠密头没有自己的参数（见 genrec_config.h），所以可以给已有模型加上或去掉：由本次的 --w-dense 决定。
    cfg_.dense_head = f.gen.w_dense > 0;
    in_ = std::move(w.in);
    tok_ = std::move(w.tok);
    content_info_ = w.content_info;
    init_source_ = w.source;
    std::fprintf(stderr, "init from: %s\n", init_source_.dump().c_str());
  } else {
    // 1. 物品内容与分词器（只在数据中出现的物品上训练）。
    if (!f.content.empty()) {
      ContentOptions co = f.content_opt;
      co.text_cols = split_list(f.content_cols);
      co.json_fields = split_list(f.content_fields);
      const ItemContent ic = read_item_content(f.content, co);
      int64_t missing = 0;
      const std::vector<std::string> texts = align_content(ic, data.items, &missing);
      TokenizerOptions to = f.tokenizer;
      to.threads = t.threads;
      to.seed = t.seed;
      const double t0 = now_seconds();
      tok_ = std::make_unique<ContentTokenizer>(ContentTokenizer::train(texts, to, ic.atomic));
      cfg_.content_vocab = tok_->vocab_size();
      in_.content.resize(static_cast<size_t>(cfg_.num_items));
      double total_tokens = 0;
      int64_t truncated = 0;
      if (f.sid_content_weight > 0) full_tokens.resize(static_cast<size_t>(cfg_.num_items));
      for (int32_t i = 0; i < cfg_.num_items; ++i) {
        auto ids = tok_->encode(texts[static_cast<size_t>(i)]);
        total_tokens += static_cast<double>(ids.size());
        if (f.sid_content_weight > 0) full_tokens[static_cast<size_t>(i)] = ids;  // 草图用全部记号，不截断
        if (static_cast<int>(ids.size()) > cfg_.content_len) {
          ++truncated;
          ids.resize(static_cast<size_t>(cfg_.content_len));
        }
        for (int32_t& x : ids) x += cfg_.content_offset();
        in_.content[static_cast<size_t>(i)] = std::move(ids);
      }
      content_info_["items_in_file"] = ic.ids.size();
      content_info_["items_without_content"] = missing;
      content_info_["vocab_size"] = cfg_.content_vocab;
      content_info_["mean_tokens_per_item"] = total_tokens / std::max(1, cfg_.num_items);
      // --content-len 0：内容不进模型输入，谈不上截断；日志照实说明。
      if (f.content_len > 0) content_info_["items_truncated"] = truncated;
      const std::string kept = f.content_len > 0 ? concat(truncated, " truncated to ", cfg_.content_len)
                                                 : std::string("not in the model input: --content-len 0");
      std::fprintf(stderr, "content: %s; %s tokenizer, vocabulary %d, %.1f tokens per item (%s), "
                   "%lld items without content (%.1fs)\n", f.content.c_str(), tok_->type().c_str(), cfg_.content_vocab,
                   content_info_["mean_tokens_per_item"].get<double>(), kept.c_str(),
                   static_cast<long long>(missing), now_seconds() - t0);
    }

    // 2. 语义 ID。
    SemanticIdOptions so = f.sid;
    so.seed = t.seed;
    const double t1 = now_seconds();
    Matrix vectors = cf_item_vectors(f.sid_from, data);
    if (f.sid_content_weight > 0) {
      // 协同向量与内容草图（与协同向量同维）各自归一化后拼接：内容相近的物品在聚类时也被拉近。
      vectors = join_item_vectors(vectors, content_sketch(full_tokens, vectors.cols, t.seed), f.sid_content_weight);
    }
    in_.sids = build_semantic_ids(vectors, so);
    in_.sids.info["from"] = f.sid_from;
    if (f.sid_content_weight > 0) in_.sids.info["content_weight"] = f.sid_content_weight;
    cfg_.codebook_sizes = in_.sids.codebook_sizes;
    std::fprintf(stderr, "semantic ids: %s (%.1fs)\n", in_.sids.info.dump().c_str(), now_seconds() - t1);
    if (!f.content.empty() && f.content_len == 0) {
      // 内容只用于语义 ID：模型输入没有内容记号，也不需要分词器。
      cfg_.content_vocab = 0;
      in_.content.clear();
      tok_.reset();
      content_info_["in_input"] = false;
    }
  }
  cfg_.validate();
  std::fprintf(stderr, "model: %s\ngenerative: %s\n", cfg_.to_json().dump().c_str(), f.gen.to_json().dump().c_str());

}

TrainResult ColarecPipeline::train(const EpochCallback& on_epoch) const {
  const ColarecOptions& f = f_;
  const GenRecConfig& cfg = cfg_;
  const GenRecInputs& in = in_;
  const TrainOptions& t = train_;
  // 3. 训练。检查点另记下模型结构、生成式选项与训练输入（语义 ID、内容记号）的摘要：续训时它们必须不变。
  TrainOptions topt = t;
  topt.checkpoint_identity["model"] = cfg.to_json();
  topt.checkpoint_identity["generative"] = f.gen.to_json();
  topt.checkpoint_identity["semantic_ids_sha256"] =
      sha256_hex(std::string(reinterpret_cast<const char*>(in.sids.codes.data()), in.sids.codes.size() * sizeof(int32_t)));
  std::string content_bytes;
  for (const auto& row : in.content) {
    const int32_t n = static_cast<int32_t>(row.size());
    content_bytes.append(reinterpret_cast<const char*>(&n), sizeof n);
    content_bytes.append(reinterpret_cast<const char*>(row.data()), row.size() * sizeof(int32_t));
  }
  topt.checkpoint_identity["content_tokens_sha256"] = sha256_hex(content_bytes);
  return train_genrec(data_, cfg, in, f.gen, topt, on_epoch);
}

nlohmann::ordered_json ColarecPipeline::evaluate(const TrainResult& res) const {
  const ColarecOptions& f = f_;
  const GenRecConfig& cfg = cfg_;
  const SequenceData& data = data_;
  const TrainOptions& t = train_;
  // 4. 验证与测试：束搜索生成 top-20（K ≤ 束宽），与最热门对比，并按历史长度分组（长尾用户单独看）。
  const int beam = std::max(f.gen.beam, 20);
  const GenRecModel native = GenRecModel::from_tensors(res.weights, cfg, in_.sids);
  EvalReportOptions report;
  report.ks = {5, 10, 20};
  report.length_buckets = {5, 20};
  report.method = concat("constrained beam search over all ", cfg.num_items, " items, beam ", beam);
  report.timing = true;
  report.extra = {{"beam", beam}};
  return evaluate_and_report(
      data, [&](const std::vector<EvalCase>& cases) {
        return rank_cases_generative(native, data, cases, 20, beam, false, t.threads, f.gen.dense_mix);
      },
      report);

}

void ColarecPipeline::export_model(const std::string& out, const TrainResult& res, const nlohmann::ordered_json& metrics,
                                   const nlohmann::json& data_options) const {
  // 5. 导出。
  GenRecExportInfo info;
  info.data = &data_;
  info.model = cfg_;
  info.train = train_;
  info.generative = f_.gen;
  info.result = &res;
  info.sids = &in_.sids;
  info.tokenizer = tok_.get();
  info.content = content_info_;
  info.data_options = data_options;
  info.metrics = metrics;
  info.init_from = init_source_;
  export_genrec_model(out, info);
}

}  // namespace seqrec
