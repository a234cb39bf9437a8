// ModelConfig 的默认值、校验与 JSON 转换。
#include "models/model_config.h"

#include "core/error.h"

namespace seqrec {

std::string model_type_name(const ModelConfig& cfg) {
  return cfg.type == "long_short" ? "long_short_transformer" : cfg.type;
}

std::string config_type_from_manifest(const std::string& model_type) {
  if (model_type == "long_short_transformer") return "long_short";
  if (model_type == "sasrec" || model_type == "gru4rec" || model_type == "lightgcn") return model_type;
  return "";
}

ModelConfig ModelConfig::defaults_for(const std::string& type) {
  ModelConfig c;
  c.type = type;
  if (type == "sasrec") {
    // 论文设置：d = 50，2 个块，1 个头，前馈宽度 = d，内积打分。max_len 论文中 ML-1M 为 200，Amazon 为 50。
    c.dim = 50;
    c.layers = 2;
    c.heads = 1;
    c.ffn_dim = 50;
    c.max_len = 50;
    c.similarity = "dot";
  } else if (type == "gru4rec") {
    // RecBole 的 GRU4Rec 默认：嵌入 64，隐状态 128，1 层；内积打分。
    c.dim = 64;
    c.hidden = 128;
    c.layers = 1;
    c.heads = 1;
    c.ffn_dim = 64;
    c.max_len = 50;
    c.similarity = "dot";
  } else if (type == "lightgcn") {
    // LightGCN 论文设置：嵌入 64，3 层传播，内积打分。max_len 只用于匿名用户的 fold-in（最近点击的平均）。
    c.dim = 64;
    c.layers = 3;
    c.heads = 1;
    c.ffn_dim = 64;
    c.max_len = 50;
    c.similarity = "dot";
  }
  return c;
}

void ModelConfig::validate() const {
  auto bad = [](const char* flag, auto v, const char* want) {
    return Error(concat(flag, " must be ", want, " (got ", v, ")"));
  };
  if (type != "long_short" && type != "sasrec" && type != "gru4rec" && type != "lightgcn")
    throw bad("--model", type, "long_short, sasrec, gru4rec or lightgcn");
  if (dim < 2 || dim > 4096) throw bad("--dim", dim, "in [2, 4096]");
  if (layers < 1 || layers > 32) throw bad("--layers", layers, "in [1, 32]");
  if (heads < 1 || dim % heads != 0) throw bad("--heads", heads, "a divisor of --dim");
  if (ffn_dim < 1 || ffn_dim > 65536) throw bad("--ffn-dim", ffn_dim, "in [1, 65536]");
  if (max_len < 1 || max_len > 4096) throw bad("--max-len", max_len, "in [1, 4096]");
  if (hidden < 0 || hidden > 65536) throw bad("--hidden", hidden, "in [0, 65536] (0 = --dim)");
  if (norm != "paper" && norm != "pre" && norm != "post") throw bad("--norm", norm, "paper, pre or post");
  if (similarity != "cosine" && similarity != "dot") throw bad("--similarity", similarity, "cosine or dot");
  if (num_users < 0 || num_items < 1) throw Error(concat("model needs at least one item (got ", num_items, ")"));
}

nlohmann::json ModelConfig::to_json() const {
  return {{"type", type},       {"num_users", num_users}, {"num_items", num_items}, {"dim", dim},
          {"layers", layers},   {"heads", heads},         {"ffn_dim", ffn_dim},     {"max_len", max_len},
          {"hidden", hidden},   {"norm", norm},           {"similarity", similarity}};
}

ModelConfig ModelConfig::from_json(const nlohmann::json& j) {
  ModelConfig c;
  try {
    c.type = j.value("type", std::string("long_short"));
    c.num_users = j.at("num_users").get<int>();
    c.num_items = j.at("num_items").get<int>();
    c.dim = j.at("dim").get<int>();
    c.layers = j.at("layers").get<int>();
    c.heads = j.at("heads").get<int>();
    c.ffn_dim = j.at("ffn_dim").get<int>();
    c.max_len = j.at("max_len").get<int>();
    c.hidden = j.value("hidden", 0);
    c.norm = j.value("norm", std::string("paper"));
    c.similarity = j.at("similarity").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw Error(concat("model config in manifest.json is incomplete: ", e.what()));
  }
  c.validate();
  return c;
}

}  // namespace seqrec
