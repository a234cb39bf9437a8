// `seqrec train --model colarec` 的选项：注册、与其他模型 / --init-from 的冲突检查，再交给 colarec 流水线
// （train/colarec_pipeline.h）。
#include "train_genrec.h"

#include <cstdio>
#include <tuple>

#include "core/error.h"
#include "core/files.h"
#include "core/progress.h"
#include "core/manifest.h"
#include "train/checkpoint.h"
#include "models/registry.h"
#include "train_signal.h"

namespace seqrec::app {

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
  const ColarecPipeline pipeline(f, data, m, t);
  TrainResult res;
  {
    const StopTrainingOnSignal stop_on_signal;  // 只在训练期间：Ctrl-C 让本轮结束后停下，仍导出最佳一轮
    res = pipeline.train(on_epoch);
  }
  if (!t.lead()) {  // 多进程：其余进程到此为止，rank 0 评估并导出
    std::fprintf(stderr, "training done (%d epochs); rank 0 evaluates and exports\n", res.epochs_run);
    return;
  }
  print_train_summary(res);
  Progress after("best epoch", 0, t.progress && Progress::stderr_is_tty());
  // 评估时表格会打印到 stdout：这一步的说明单独占一行，不用会被覆盖的进度行。
  if (t.progress && Progress::stderr_is_tty())
    std::fprintf(stderr, "evaluating epoch %d on the validation and test splits (beam search)...\n", res.best_epoch);
  const nlohmann::ordered_json metrics = pipeline.evaluate(res);
  warn_if_below_baseline(metrics, res, t);
  after.phase(concat("exporting to ", out));
  pipeline.export_model(out, res, metrics, data_options);
  after.finish();
  std::printf("saved model to %s (%.1fs total)\n", out.c_str(), now_seconds() - t_start);
  if (!t.checkpoint.empty()) finish_checkpoint(res, t.checkpoint);
}

}  // namespace seqrec::app
