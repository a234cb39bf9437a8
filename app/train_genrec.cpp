// `seqrec train --model colarec` 的实现：内容 → 分词 → 语义 ID → 多任务训练 → 束搜索评估 → 导出。
#include "train_genrec.h"

#include <cstdio>
#include <filesystem>
#include <sstream>
#include <tuple>

#include "core/error.h"
#include "core/files.h"
#include "core/manifest.h"
#include "core/npy.h"
#include "eval/evaluator.h"
#include "eval/generative_eval.h"
#include "eval/metrics.h"
#include "eval/protocol.h"
#include "models/genrec_native.h"
#include "models/registry.h"
#include "report.h"
#include "train/exporter.h"
#include "train_signal.h"

namespace fs = std::filesystem;

namespace seqrec::app {

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

// --init-from 的来源必须是 colarec 模型目录。
void require_colarec(const nlohmann::json& m, const std::string& dir) {
  if (!is_generative_model_type(m.value("model_type", "")))
    throw Error(concat("--init-from ", dir, ": model_type is ", m.value("model_type", "(none)"),
                       "; it must be a colarec model directory"));
}

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

void check_init_from_flags(const GenRecFlags& f, const ModelConfig& m, const CLI::App* cmd) {
  if (f.init_from.empty()) return;
  nlohmann::json man;
  try {
    man = load_manifest(f.init_from);  // 只看选项；文件的 sha256 在读完数据、真正载入时（load_warm_start）再核对
  } catch (const Error& e) {
    throw Error(concat("--init-from: ", e.what()));
  }
  require_colarec(man, f.init_from);
  const nlohmann::json& mc = man.at("model");
  const nlohmann::json sid = man.value("semantic_ids", nlohmann::json::object());
  const nlohmann::json content = man.value("content", nlohmann::json::object());
  // 来源的值：缺失的字段按训练时的默认值理解（例如没有内容时 content_len 为 0、content_weight 为 0）。
  auto field = [](const nlohmann::json& j, const char* key, const nlohmann::json& dflt) { return j.value(key, dflt); };
  const bool has_content = mc.value("content_vocab", 0) > 0;
  // 每一项：选项名、本次给出的值、来源的值。数值一律按 double 比较（JSON 里整数与小数写法可能不同）。
  const std::vector<std::tuple<const char*, nlohmann::json, nlohmann::json>> checks = {
      {"--dim", m.dim, field(mc, "dim", nullptr)},
      {"--layers", m.layers, field(mc, "enc_layers", nullptr)},
      {"--heads", m.heads, field(mc, "heads", nullptr)},
      {"--ffn-dim", m.ffn_dim, field(mc, "ffn_dim", nullptr)},
      {"--max-len", m.max_len, field(mc, "max_len", nullptr)},
      {"--dec-layers", f.dec_layers, field(mc, "dec_layers", nullptr)},
      {"--content-len", f.content_len, has_content ? field(mc, "content_len", nullptr) : nlohmann::json(0)},
      {"--index-users", f.index_users, field(mc, "index_users", nullptr)},
      {"--sid-input", f.sid_input, field(mc, "sid_input", false)},
      {"--sid-input-only", f.sid_input_only, field(mc, "sid_input_only", false)},
      {"--pos-from-end", f.pos_from_end, field(mc, "pos_from_end", false)},
      {"--content-pool", f.content_pool, field(mc, "content_pool", false)},
      {"--sid-content-weight", f.sid_content_weight, field(sid, "content_weight", 0.0)},
      {"--sid-method", f.sid.method, field(sid, "method", nullptr)},
      {"--sid-k", f.sid.k, field(sid, "k", nullptr)},
      {"--sid-levels", f.sid.levels, field(sid, "levels", nullptr)},
      {"--sid-balance", f.sid.balance, field(sid, "balance", nullptr)},
      {"--sid-from", f.sid_from, field(sid, "from", nullptr)},
      {"--content", f.content, field(content, "file", nullptr)},
      {"--tokenizer", f.tokenizer.type, field(content, "tokenizer_type", nullptr)},
      {"--vocab-size", f.tokenizer.vocab_size, field(content, "vocab_size", nullptr)},
  };
  auto same = [](const nlohmann::json& a, const nlohmann::json& b) {
    if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
    return a == b;
  };
  std::string differ;
  for (const auto& [flag, given, source] : checks) {
    if (cmd->count(flag) == 0 || same(given, source)) continue;
    const bool none = source.is_null() || (source.is_string() && source.get<std::string>().empty());
    const std::string has = none ? std::string("none") : source.dump();
    differ += concat(differ.empty() ? "" : ", ", flag, " ", given.is_string() ? given.get<std::string>() : given.dump(),
                     " (the model has ", has, ")");
  }
  if (!differ.empty())
    throw Error(concat("--init-from ", f.init_from, " keeps that model's architecture, content and semantic ids, "
                       "but these flags ask for others: ", differ, "; drop them or train a new model without --init-from"));
}

namespace {
// colarec 选项在 --help 里的分组名；check_genrec_flags_unused 也按它们认出这些选项。
constexpr const char* kGenRecGroup = "colarec (generative retrieval)";
// 在 Beauty / Phones 上测得更差、没有配方推荐的 colarec 选项（docs/GENERATIVE.md 记录了各自的结果）：
// 保留以便复现，但放进单独的分组，不与推荐的选项混在一起。
constexpr const char* kGenRecExperimental = "colarec, experimental (measured worse; see docs/GENERATIVE.md)";
}  // namespace

void add_genrec_flags(CLI::App* cmd, GenRecFlags& f) {
  const char* g = kGenRecGroup;
  cmd->add_option("--content", f.content, "colarec: item content file: JSON {item: text | {fields} | [attribute ids]} "
                                          "or CSV/TSV with an item id column (e.g. MovieLens movies.csv)")->group(g);
  cmd->add_option("--content-id-col", f.content_opt.id_col, "colarec: item id column of a CSV content file")->group(g);
  cmd->add_option("--content-cols", f.content_cols, "colarec: CSV columns joined into the text (default: all others)")->group(g);
  cmd->add_option("--content-fields", f.content_fields, "colarec: JSON fields joined into the text (default: content / text / all)")->group(g);
  cmd->add_option("--tokenizer", f.tokenizer.type, "colarec: auto, unigram, bpe (SentencePiece) or word [auto: word for "
                                                   "attribute lists, unigram for text]")
      ->check(CLI::IsMember({"auto", "unigram", "bpe", "word"}))->group(g);
  cmd->add_option("--vocab-size", f.tokenizer.vocab_size, "colarec: content vocabulary size [4000]")->group(g);
  cmd->add_option("--content-len", f.content_len, "colarec: content tokens kept per item in the model input; 0 keeps "
                                                "content out of the input (with --sid-content-weight: ids only) [8]")
      ->group(g);
  cmd->add_option("--index-users", f.index_users, "colarec: users in the item-indexing input [5]")->group(g);
  cmd->add_option("--dec-layers", f.dec_layers, "colarec: decoder blocks [2] (--layers sets the encoder's)")->group(g);
  cmd->add_flag("--sid-input", f.sid_input, "colarec: add each history item's semantic-id codebook embeddings to its "
                                          "item token in the user input (TIGER-style sharing between similar items)")
      ->group(kGenRecExperimental);
  cmd->add_flag("--sid-input-only", f.sid_input_only, "colarec: as --sid-input, but a history item is its semantic-id "
                                                    "codebook embeddings alone, without its own item token (TIGER-style); "
                                                    "item-side inputs (indexing, BPR, contrastive) then carry the item's "
                                                    "content and users only")
      ->group(g);
  cmd->add_flag("--pos-from-end", f.pos_from_end, "colarec: count encoder positions back from the most recent click, "
                                                "so it always has the same position embedding (as SASRec's left padding)")
      ->group(kGenRecExperimental);
  cmd->add_flag("--content-pool", f.content_pool, "colarec: represent an item's content by the mean of its content-token "
                                                "embeddings added to its item token, instead of the tokens themselves in the "
                                                "input (one position per item: faster, allows a longer --content-len)")
      ->group(g);
  cmd->add_option("--sid-from", f.sid_from, "colarec: collaborative item vectors for the semantic ids: a model directory "
                                            "(e.g. lightgcn) or an .npy in this data's item order")->group(g);
  cmd->add_option("--init-from", f.init_from, "colarec: continue training a colarec model directory trained on the same "
                                              "data: its architecture, content tokens, tokenizer and semantic ids are "
                                              "kept (a flag asking for a different one is an error) and its weights are "
                                              "the starting point (the optimizer starts afresh)")
      ->group(g);
  cmd->add_option("--sid-content-weight", f.sid_content_weight, "colarec: build the semantic ids from the collaborative "
                                                               "vectors joined with a TF-IDF random-projection sketch of "
                                                               "each item's content, weighted by this (needs --content; "
                                                               "0 = collaborative only) [0]")
      ->check(CLI::Range(0.0, 100.0))->group(g);
  cmd->add_option("--sid-method", f.sid.method, "colarec: hkmeans (hierarchical constrained k-means) or rqkmeans [hkmeans]")
      ->check(CLI::IsMember({"hkmeans", "rqkmeans"}))->group(g);
  cmd->add_option("--sid-k", f.sid.k, "colarec: clusters per level / codebook size [32]")->group(g);
  cmd->add_option("--sid-levels", f.sid.levels, "colarec: clustering levels, plus a disambiguation token when needed [2]")->group(g);
  cmd->add_option("--sid-balance", f.sid.balance, "colarec: hkmeans cluster size bound, times the mean size [2]")->group(g);
  cmd->add_option("--w-rec", f.gen.w_rec, "colarec: weight of the user -> item loss [1]")->group(g);
  cmd->add_option("--w-index", f.gen.w_index, "colarec: weight of the item-indexing loss (0 = off) [1]")->group(g);
  cmd->add_option("--w-bpr", f.gen.w_bpr, "colarec: weight of the user-item BPR loss on encoder states (0 = off) [0.1]")->group(g);
  cmd->add_option("--w-cl", f.gen.w_cl, "colarec: weight of the contrastive loss between items sharing an id prefix (0 = off) [0.1]")->group(g);
  cmd->add_option("--w-dense", f.gen.w_dense,
                  "colarec: weight of a dense head's full-softmax loss (LIGER-style hybrid: the encoder's last state "
                  "scores every item's input vector; 0 = no dense head) [0]")->group(g);
  cmd->add_option("--dense-dropout", f.gen.dense_dropout,
                  "colarec with --w-dense: dropout on the item vectors the dense head scores during training "
                  "(regularises the head only; evaluation and serving are unchanged) [0]")->group(g);
  cmd->add_option("--dense-id-dropout", f.gen.dense_id_dropout,
                  "colarec with --w-dense: probability of dropping an item's own-token embedding from its dense-head "
                  "vector during training, item by item, so its id codes and content must rank it alone (needs "
                  "--sid-input, --sid-input-only or --content-pool; evaluation and serving are unchanged) [0]")->group(kGenRecExperimental);
  cmd->add_option("--history-item-dropout", f.gen.history_item_dropout,
                  "colarec: during training, drop each history item but the most recent from a sample's input with "
                  "this probability (augmentation toward short histories; evaluation and serving read the whole "
                  "history) [0]")->group(g);
  cmd->add_option("--dense-mix", f.gen.dense_mix,
                  "colarec with --w-dense: weight of the dense score against the beam search's log-probability when "
                  "ranking the union of both candidate lists, for validation, evaluation and serving (0 = beam search "
                  "only, 1 = dense only) [0.5]")->group(g);
  cmd->add_option("--cl-temperature", f.gen.cl_temperature, "colarec: temperature of the contrastive loss [0.1]")->group(g);
  cmd->add_option("--label-smoothing", f.gen.label_smoothing,
                  "colarec: label smoothing of each id level's cross-entropy (rec and index tasks); the target keeps "
                  "1 - eps and eps is spread over the level's codebook [0]")->group(g);
  cmd->add_option("--beam", f.gen.beam, "colarec: beam width for validation, evaluation and serving [20]")->group(g);
  cmd->add_option("--valid-sample", f.gen.valid_sample, "colarec: validation cases sampled to pick the best epoch "
                                                        "(0 = all) [0]")->group(g);
  cmd->add_option("--valid-sample-seed", f.gen.valid_sample_seed,
                  "colarec: seed that draws the --valid-sample cases; fix it so that runs with different --seed "
                  "validate on the same cases [-1 = --seed]")->group(g);
}

void check_genrec_flags_unused(const CLI::App* cmd, const std::string& model_type) {
  // 其他模型不读这些选项：给了就报错，而不是默默忽略（例如以为 sasrec 也做了 --history-item-dropout）。
  const auto given = cmd->get_options(
      [](const CLI::Option* o) {
        return (o->get_group() == kGenRecGroup || o->get_group() == kGenRecExperimental) && o->count() > 0;
      });
  if (given.empty()) return;
  std::string names;
  for (const CLI::Option* o : given) names += (names.empty() ? "" : ", ") + o->get_name();
  throw Error(concat(names, (given.size() == 1 ? " applies" : " apply"), " only to --model colarec (got --model ",
                     model_type, ")"));
}

void run_train_genrec(const GenRecFlags& f, const SequenceData& data, const ModelConfig& m, const TrainOptions& t,
                      const nlohmann::json& data_options, const std::string& out, const EpochCallback& on_epoch,
                      double t_start) {
  f.gen.validate();
  f.sid.validate();
  GenRecConfig cfg;
  cfg.num_items = data.num_items();
  cfg.num_users = data.num_users();
  // --content-len 0：内容不进模型输入（只用于语义 ID）；配置里的 content_len 此时不起作用，取默认值。
  cfg.content_len = f.content_len > 0 ? f.content_len : GenRecConfig{}.content_len;
  cfg.max_len = m.max_len;
  cfg.index_users = f.index_users;
  cfg.dim = m.dim;
  cfg.heads = m.heads;
  cfg.ffn_dim = m.ffn_dim;
  cfg.enc_layers = m.layers;
  cfg.dec_layers = f.dec_layers;
  cfg.sid_input = f.sid_input || f.sid_input_only;
  cfg.sid_input_only = f.sid_input_only;
  cfg.pos_from_end = f.pos_from_end;
  cfg.content_pool = f.content_pool;
  cfg.dense_head = f.gen.w_dense > 0;
  if (f.content_pool && f.content.empty() && f.init_from.empty())
    throw Error("--content-pool needs --content (the item content to pool)");
  if (f.sid_content_weight > 0 && f.content.empty() && f.init_from.empty())
    throw Error("--sid-content-weight needs --content (the item content to sketch)");
  if (f.content_len < 0) throw Error(concat("--content-len must be >= 0 (got ", f.content_len, ")"));
  if (f.content_len == 0 && !f.content.empty() && f.sid_content_weight <= 0)
    throw Error("--content-len 0 keeps the content out of the model input, so it would not be used: add "
                "--sid-content-weight to build the semantic ids from it, or drop --content");
  if (f.content_len == 0 && f.content_pool) throw Error("--content-pool needs --content-len >= 1");

  GenRecInputs in;
  std::unique_ptr<ContentTokenizer> tok;
  std::vector<std::vector<int32_t>> full_tokens;  // 每个物品未截断的内容记号（只在 --sid-content-weight 时保留）
  nlohmann::json content_info = {{"file", f.content}};
  nlohmann::json init_source;
  if (!f.init_from.empty()) {
    // 1'. 接着已有模型训练：结构、内容、分词器与语义 ID 都来自它（与之冲突的选项已由 check_init_from_flags 拒绝）。
    WarmStart w = load_warm_start(f.init_from, data);
    cfg = w.cfg;
    // 稠密头没有自己的参数（见 genrec_config.h），所以可以给已有模型加上或去掉：由本次的 --w-dense 决定。
    cfg.dense_head = f.gen.w_dense > 0;
    in = std::move(w.in);
    tok = std::move(w.tok);
    content_info = w.content_info;
    init_source = w.source;
    std::fprintf(stderr, "init from: %s\n", init_source.dump().c_str());
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
      tok = std::make_unique<ContentTokenizer>(ContentTokenizer::train(texts, to, ic.atomic));
      cfg.content_vocab = tok->vocab_size();
      in.content.resize(static_cast<size_t>(cfg.num_items));
      double total_tokens = 0;
      int64_t truncated = 0;
      if (f.sid_content_weight > 0) full_tokens.resize(static_cast<size_t>(cfg.num_items));
      for (int32_t i = 0; i < cfg.num_items; ++i) {
        auto ids = tok->encode(texts[static_cast<size_t>(i)]);
        total_tokens += static_cast<double>(ids.size());
        if (f.sid_content_weight > 0) full_tokens[static_cast<size_t>(i)] = ids;  // 草图用全部记号，不截断
        if (static_cast<int>(ids.size()) > cfg.content_len) {
          ++truncated;
          ids.resize(static_cast<size_t>(cfg.content_len));
        }
        for (int32_t& x : ids) x += cfg.content_offset();
        in.content[static_cast<size_t>(i)] = std::move(ids);
      }
      content_info["items_in_file"] = ic.ids.size();
      content_info["items_without_content"] = missing;
      content_info["vocab_size"] = cfg.content_vocab;
      content_info["mean_tokens_per_item"] = total_tokens / std::max(1, cfg.num_items);
      // --content-len 0：内容不进模型输入，谈不上截断；日志照实说明。
      if (f.content_len > 0) content_info["items_truncated"] = truncated;
      const std::string kept = f.content_len > 0 ? concat(truncated, " truncated to ", cfg.content_len)
                                                 : std::string("not in the model input: --content-len 0");
      std::fprintf(stderr, "content: %s; %s tokenizer, vocabulary %d, %.1f tokens per item (%s), "
                   "%lld items without content (%.1fs)\n", f.content.c_str(), tok->type().c_str(), cfg.content_vocab,
                   content_info["mean_tokens_per_item"].get<double>(), kept.c_str(),
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
    in.sids = build_semantic_ids(vectors, so);
    in.sids.info["from"] = f.sid_from;
    if (f.sid_content_weight > 0) in.sids.info["content_weight"] = f.sid_content_weight;
    cfg.codebook_sizes = in.sids.codebook_sizes;
    std::fprintf(stderr, "semantic ids: %s (%.1fs)\n", in.sids.info.dump().c_str(), now_seconds() - t1);
    if (!f.content.empty() && f.content_len == 0) {
      // 内容只用于语义 ID：模型输入没有内容记号，也不需要分词器。
      cfg.content_vocab = 0;
      in.content.clear();
      tok.reset();
      content_info["in_input"] = false;
    }
  }
  cfg.validate();
  std::fprintf(stderr, "model: %s\ngenerative: %s\n", cfg.to_json().dump().c_str(), f.gen.to_json().dump().c_str());

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
  TrainResult res;
  {
    const StopTrainingOnSignal stop_on_signal;  // 只在训练期间：Ctrl-C 让本轮结束后停下，仍导出最佳一轮
    res = train_genrec(data, cfg, in, f.gen, topt, on_epoch);
  }
  print_train_summary(res);

  // 4. 验证与测试：束搜索生成 top-20（K ≤ 束宽），与最热门对比，并按历史长度分组（长尾用户单独看）。
  const std::vector<int> ks = {5, 10, 20};
  const int beam = std::max(f.gen.beam, 20);
  const GenRecModel native = GenRecModel::from_tensors(res.weights, cfg, in.sids);
  const auto pop = popularity_scores(data);
  nlohmann::ordered_json metrics;
  for (auto part : {SplitPart::kValid, SplitPart::kTest}) {
    const auto cases = eval_cases(data, part);
    const double te = now_seconds();
    const auto ranks = rank_cases_generative(native, data, cases, 20, beam, false, t.threads, f.gen.dense_mix);
    const double secs = now_seconds() - te;
    auto mm = summarize_ranks(ranks, ks);
    auto pm = summarize_ranks(rank_cases_static(pop, cases), ks);
    const char* name = part == SplitPart::kValid ? "valid" : "test";
    std::printf("%s (%s, constrained beam search over all %d items, beam %d, %zu cases, %.1fs):\n%s", name,
                data.train_end.empty() ? "leave-one-out" : "temporal split", cfg.num_items, beam, cases.size(), secs,
                metrics_table({{"model", mm}, {"most-popular", pm}}, ks).c_str());
    auto by_len = summarize_by_history_length(ranks, cases, ks, {5, 20});
    std::vector<std::pair<std::string, nlohmann::ordered_json>> rows;
    for (const auto& [g, v] : by_len.items())
      rows.push_back({concat("model, history ", g, " (", v["cases"].get<size_t>(), ")"), v});
    std::printf("by history length:\n%s", metrics_table(rows, ks).c_str());
    std::fflush(stdout);  // 一次全量束搜索要几分钟：重定向到文件时也让表格立即可见
    metrics[name] = {{"model", mm}, {"most_popular", pm}, {"model_by_history_length", by_len}, {"beam", beam},
                     {"seconds", secs}};
  }

  // 5. 导出。
  GenRecExportInfo info;
  info.data = &data;
  info.model = cfg;
  info.train = t;
  info.generative = f.gen;
  info.result = &res;
  info.sids = &in.sids;
  info.tokenizer = tok.get();
  info.content = content_info;
  info.data_options = data_options;
  info.metrics = metrics;
  info.init_from = init_source;
  export_genrec_model(out, info);
  std::printf("saved model to %s (%.1fs total)\n", out.c_str(), now_seconds() - t_start);
  if (!t.checkpoint.empty()) finish_checkpoint(res, t.checkpoint);
}

}  // namespace seqrec::app
