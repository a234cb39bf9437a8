// 模型表的内容与查找。默认值的出处写在每一行旁边。
#include "models/registry.h"

#include "core/error.h"
#include "models/bert4rec_native.h"
#include "models/genrec_config.h"
#include "models/gru4rec_native.h"
#include "models/lightgcn_native.h"
#include "models/long_short_native.h"
#include "models/sasrec_native.h"

namespace seqrec {

namespace {

// 原生推理模型的工厂：模板把“从张量构建”统一成一个函数指针。
template <class Model>
std::unique_ptr<SequenceEncoder> make_native(const TensorMap& weights, const ModelConfig& cfg) {
  return std::make_unique<Model>(Model::from_tensors(weights, cfg));
}

// 由各字段构造结构默认值（type 即模型名）。
ModelConfig arch(const char* type, int dim, int layers, int heads, int ffn_dim, int max_len, int hidden,
                 const char* similarity) {
  ModelConfig c;
  c.type = type;
  c.dim = dim;
  c.layers = layers;
  c.heads = heads;
  c.ffn_dim = ffn_dim;
  c.max_len = max_len;
  c.hidden = hidden;
  c.similarity = similarity;
  return c;
}

// 构造训练默认值。
TrainDefaults training(int epochs, const char* loss, int batch, double lr, double beta2, double dropout,
                       double reg_weight, int eval_every, int patience) {
  TrainDefaults t;
  t.epochs = epochs;
  t.loss = loss;
  t.batch_size = batch;
  t.lr = lr;
  t.beta2 = beta2;
  t.dropout = dropout;
  t.reg_weight = reg_weight;
  t.eval_every = eval_every;
  t.patience = patience;
  return t;
}

// 模型表本身。字段次序：结构 (dim, layers, heads, ffn_dim, max_len, hidden, similarity)，
// 训练 (epochs, loss, batch, lr, beta2, dropout, reg_weight, eval_every, patience)。
std::vector<ModelKind> build_table() {
  std::vector<ModelKind> t;
  // 长短期兴趣 Transformer：服务的基础模型，余弦打分。
  t.push_back({"long_short", "long_short_transformer",
               "user embedding + Transformer over recent clicks (the service model)", ModelFamily::kLongShort,
               arch("long_short", 64, 1, 2, 256, 20, 0, "cosine"), false,
               training(30, "ce", 512, 2e-3, 0.999, 0.2, 0.0, 1, 3), &make_native<LongShortModel>,
               {"--hidden", "--norm", "--reg-weight", "--no-bucket", "--mask-prob", "--final-mask-prob"}, "", ""});
  // SASRec 论文设置：d = 50，2 个块，1 个头，前馈宽度 = d，内积打分；Adam(β2 = 0.98)、lr 1e-3、batch 128。
  // max_len 论文中 ML-1M 为 200、Amazon 为 50。
  t.push_back({"sasrec", "sasrec", "causal self-attention (Kang & McAuley 2018)", ModelFamily::kSequence,
               arch("sasrec", 50, 2, 1, 50, 50, 0, "dot"), true,
               training(200, "ce", 128, 1e-3, 0.98, 0.2, 0.0, 5, 4), &make_native<SasRecModel>,
               {"--hidden", "--reg-weight", "--user-dropout", "--history-dropout", "--mask-prob", "--final-mask-prob"}, "",
               ""});
  // gSASRec（Petrov & Macdonald, RecSys'23）：SASRec 的结构（同一个原生模型），gbce 损失、每批 256 个均匀负样本、
  // t = 0.75；d = 128、2 块、1 头（作者 ML-1M 的设置），其余训练设置同 SASRec。
  t.push_back({"gsasrec", "gsasrec", "SASRec trained with many negatives and the calibrated gBCE loss (Petrov & "
               "Macdonald 2023)", ModelFamily::kSequence,
               arch("gsasrec", 128, 2, 1, 128, 50, 0, "dot"), true,
               training(200, "gbce", 128, 1e-3, 0.98, 0.2, 0.0, 5, 4), &make_native<SasRecModel>,
               {"--hidden", "--reg-weight", "--user-dropout", "--history-dropout", "--mask-prob", "--final-mask-prob"}, "",
               ""});
  // BERT4Rec（Sun et al. 2019）：作者 ML-1M 的配置 d = 64、2 块、2 头、前馈 256、GELU、dropout 0.2、遮住概率 0.2；
  // 全量 softmax（Klenitskiy & Vasilev, RecSys'23 说明它比原文的训练方式好得多），lr 1e-3、batch 128。
  t.push_back({"bert4rec", "bert4rec", "bidirectional Transformer trained by masked-item prediction (Sun et al. 2019)",
               ModelFamily::kSequence, arch("bert4rec", 64, 2, 2, 256, 50, 0, "dot"), false,
               training(200, "ce", 128, 1e-3, 0.999, 0.2, 0.0, 5, 4), &make_native<Bert4RecModel>,
               {"--hidden", "--norm", "--reg-weight", "--user-dropout", "--history-dropout"}, "", ""});
  // RecBole 的 GRU4Rec 默认：嵌入 64，隐状态 128，1 层，内积打分；lr 1e-3、dropout 0.3。
  t.push_back({"gru4rec", "gru4rec", "session GRU (Hidasi et al. 2016)", ModelFamily::kSequence,
               arch("gru4rec", 64, 1, 1, 64, 50, 128, "dot"), false,
               training(200, "ce", 256, 1e-3, 0.999, 0.3, 0.0, 5, 4), &make_native<Gru4RecModel>,
               {"--heads", "--ffn-dim", "--norm", "--reg-weight", "--user-dropout", "--history-dropout", "--mask-prob",
                "--final-mask-prob"},
               "", ""});
  // LightGCN 论文 / RecBole：嵌入 64，3 层传播，内积打分；BPR、batch 2048、lr 1e-3、L2 系数 1e-4、无 dropout。
  // max_len 只用于匿名用户的 fold-in（最近点击的平均）。
  t.push_back({"lightgcn", "lightgcn", "graph collaborative filtering on the user-item graph (He et al. 2020)",
               ModelFamily::kGraph, arch("lightgcn", 64, 3, 1, 64, 50, 0, "dot"), false,
               training(300, "bpr", 2048, 1e-3, 0.999, 0.0, 1e-4, 5, 4), &make_native<LightGcnModel>,
               {"--heads", "--ffn-dim", "--norm", "--hidden", "--user-dropout", "--history-dropout", "--no-bucket",
                "--mask-prob", "--final-mask-prob"},
               "lightgcn exports only the propagated user and item tables, not the layer-0 embeddings it trains, "
               "so a retrain starts from random embeddings", ""});
  // 生成式检索（从零训练的编码器–解码器）：d 128、编码器 2 块、4 头、前馈 256、最近 20 个物品；
  // batch 256、lr 1e-3、dropout 0.1。结构的其余选项见 models/genrec_config.h。
  t.push_back({kColarecName, kColarecName,
               "generative retrieval of semantic item ids from item content and history (ColaRec / TIGER)",
               ModelFamily::kGenerative, arch(kColarecName, 128, 2, 4, 256, 20, 0, "cosine"), false,
               training(100, "ce", 256, 1e-3, 0.999, 0.1, 0.0, 5, 4), nullptr,
               {"--hidden", "--norm", "--similarity", "--loss", "--negatives", "--neg-sampler", "--no-logq",
                "--temperature", "--reg-weight", "--user-dropout", "--history-dropout", "--mask-prob", "--final-mask-prob"},
               "colarec's semantic ids are built from the whole catalogue",
               "colarec's semantic ids and content tokens are built from the catalogue and item content, which the "
               "event store does not hold; retrain it with `seqrec train --model colarec --init-from DIR` on the "
               "exported data"});
  return t;
}

}  // namespace

const std::vector<ModelKind>& model_kinds() {
  static const std::vector<ModelKind> table = build_table();
  return table;
}

const ModelKind* find_model_kind(const std::string& name) {
  for (const auto& k : model_kinds())
    if (k.name == name) return &k;
  return nullptr;
}

const ModelKind* find_model_kind_by_manifest(const std::string& manifest_name) {
  for (const auto& k : model_kinds())
    if (k.manifest_name == manifest_name) return &k;
  return nullptr;
}

const ModelKind& model_kind(const std::string& name) {
  const ModelKind* k = find_model_kind(name);
  if (!k) throw Error(concat("unknown model '", name, "' (expected ", join_or(model_kind_names()), ")"));
  return *k;
}

bool is_generative_model_type(const std::string& manifest_name) {
  const ModelKind* k = find_model_kind_by_manifest(manifest_name);
  return k && k->family == ModelFamily::kGenerative;
}

std::vector<std::string> model_kind_names(bool vector_only) {
  std::vector<std::string> out;
  for (const auto& k : model_kinds())
    if (!vector_only || k.family != ModelFamily::kGenerative) out.push_back(k.name);
  return out;
}

std::vector<std::string> manifest_names() {
  std::vector<std::string> out;
  for (const auto& k : model_kinds()) out.push_back(k.manifest_name);
  return out;
}

std::string join_or(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) s += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return s;
}

std::unique_ptr<SequenceEncoder> make_encoder(const TensorMap& weights, const ModelConfig& cfg) {
  const ModelKind* k = find_model_kind(cfg.type);
  if (!k || !k->make_native) throw Error(concat("unknown model type '", cfg.type, "'"));
  return k->make_native(weights, cfg);
}

}  // namespace seqrec
